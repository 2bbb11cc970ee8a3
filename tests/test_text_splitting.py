"""Unit tests for sentence splitting and chunking: exact offsets, sensible boundaries."""

from __future__ import annotations

import pytest

from summarizer.extraction.chunking import Chunk, halve, split_into_chunks
from summarizer.text.sentences import Sentence, split_sentences


def _texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def _assert_covers_in_order(text: str, chunks: list[Chunk]) -> None:
    """Chunks are exact slices, in order, and only whitespace falls between them."""
    cursor = 0
    for index, chunk in enumerate(chunks):
        assert chunk.index == index
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.start >= cursor
        assert text[cursor : chunk.start].strip() == ""
        cursor = chunk.end
    assert text[cursor:].strip() == ""


# --- split_sentences ------------------------------------------------------------------------


def test_sentences_carry_exact_offsets() -> None:
    text = (
        "The storm reached the coast on Monday. Power failed in three towns!\n"
        "Will the dam hold? Engineers think it will."
    )
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "The storm reached the coast on Monday.",
        "Power failed in three towns!",
        "Will the dam hold?",
        "Engineers think it will.",
    ]
    for sentence in sentences:
        assert text[sentence.start : sentence.end] == sentence.text


@pytest.mark.parametrize(
    "text",
    [
        "Dr. Ana Ruiz treated the injured crew.",
        "The ferry left at 6 a.m. Tuesday with few passengers.",
        "The U.S. Coast Guard joined the search.",
        "Inspector J. R. Tolland signed the report.",
        "Mr. Park and Mrs. Park opened the shop.",
    ],
)
def test_abbreviations_and_initials_do_not_end_a_sentence(text: str) -> None:
    assert _texts(text) == [text]


def test_sentence_after_an_abbreviation_sentence_still_splits() -> None:
    text = "Sen. Maya Voss voted against it. The bill passed anyway."
    assert _texts(text) == ["Sen. Maya Voss voted against it.", "The bill passed anyway."]


def test_closing_quote_stays_with_its_sentence() -> None:
    text = '"We will rebuild the pier." The harbor master said so on Friday.'
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        '"We will rebuild the pier."',
        "The harbor master said so on Friday.",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_no_split_before_a_lowercase_word() -> None:
    text = "Prices rose 2.5 percent. and then fell back slightly."
    assert _texts(text) == [text]


def test_lines_and_sentences_under_three_words_are_skipped() -> None:
    text = "Breaking News\nBy Staff\n\nThe library reopened today after repairs.\nMore soon."
    assert _texts(text) == ["The library reopened today after repairs."]


def test_each_line_is_split_separately_and_offsets_point_into_the_whole_text() -> None:
    text = "Heading line without a stop\nSecond line has a sentence. It continues here."
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Heading line without a stop",
        "Second line has a sentence.",
        "It continues here.",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_trailing_spaces_are_not_part_of_the_last_sentence() -> None:
    text = "The road was cleared by noon.   "
    (sentence,) = split_sentences(text)
    assert sentence.text == "The road was cleared by noon."
    assert sentence.end == len("The road was cleared by noon.")


def test_empty_text_has_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences("\n\n  \n") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Crews rescued 14 people.", True),
        ("Crews rescued a dozen people.", True),
        ("Thousands of homes lost power.", True),
        ("Crews rescued the stranded people.", False),
        ("Someone left the gate open.", False),  # "one" inside a word is not a figure
    ],
)
def test_has_figure(text: str, expected: bool) -> None:
    assert Sentence(0, len(text), text).has_figure is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The shelter opened on Friday.", True),
        ("The shelter opened at 18:30 sharp.", True),
        ("The shelter opened in 2023 again.", True),
        ("The shelter opened last week.", True),
        ("The shelter opened near the school.", False),
        ("The shelter holds 2500 cots.", False),  # a number is not a year by itself
    ],
)
def test_has_time(text: str, expected: bool) -> None:
    assert Sentence(0, len(text), text).has_time is expected


# --- split_into_chunks ----------------------------------------------------------------------

ARTICLE = (
    "The river crested at noon on Sunday.\n"
    "\n"
    "Volunteers filled sandbags all night. Schools stayed closed.\n"
    "\n"
    "The mayor thanked the crews.\n"
    "Repairs will take weeks."
)


def test_short_text_is_one_chunk() -> None:
    chunks = split_into_chunks(ARTICLE, max_chars=1000)
    assert chunks == [Chunk(index=0, start=0, end=len(ARTICLE), text=ARTICLE)]


@pytest.mark.parametrize("max_chars", [30, 40, 60, 70, 100, 140])
def test_chunks_fit_and_cover_the_text_in_order(max_chars: int) -> None:
    chunks = split_into_chunks(ARTICLE, max_chars=max_chars)
    assert all(len(chunk.text) <= max_chars for chunk in chunks)
    _assert_covers_in_order(ARTICLE, chunks)


def test_chunks_cut_between_paragraphs_when_paragraphs_fit() -> None:
    chunks = split_into_chunks(ARTICLE, max_chars=70)
    assert [c.text for c in chunks] == [
        "The river crested at noon on Sunday.",
        "Volunteers filled sandbags all night. Schools stayed closed.",
        "The mayor thanked the crews.\nRepairs will take weeks.",
    ]


def test_long_paragraph_is_cut_between_sentences() -> None:
    text = "Alpha beta gamma delta. Epsilon zeta eta theta. Iota kappa lambda mu."
    chunks = split_into_chunks(text, max_chars=30)
    assert [c.text for c in chunks] == [
        "Alpha beta gamma delta.",
        "Epsilon zeta eta theta.",
        "Iota kappa lambda mu.",
    ]
    _assert_covers_in_order(text, chunks)


def test_sentence_longer_than_max_chars_is_cut_hard() -> None:
    text = "x" * 25
    chunks = split_into_chunks(text, max_chars=10)
    assert [len(c.text) for c in chunks] == [10, 10, 5]
    _assert_covers_in_order(text, chunks)


def test_empty_text_has_no_chunks() -> None:
    assert split_into_chunks("", max_chars=10) == []
    assert split_into_chunks("\n\n", max_chars=10) == []


def test_max_chars_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        split_into_chunks(ARTICLE, max_chars=0)


# --- halve ----------------------------------------------------------------------------------


def _whole(text: str, start: int = 0, index: int = 3) -> Chunk:
    return Chunk(index=index, start=start, end=start + len(text), text=text)


def test_halve_prefers_the_paragraph_boundary_nearest_the_middle() -> None:
    text = "One short line here.\nA second line of text.\nA third line, the last one."
    chunk = _whole(text, start=100)
    halves = halve(chunk)
    assert halves is not None
    first, second = halves
    assert first.text == "One short line here.\nA second line of text."
    assert second.text == "A third line, the last one."
    for half in (first, second):
        assert half.index == chunk.index
        assert half.end - half.start == len(half.text)
    assert (first.start, second.end) == (chunk.start, chunk.end)
    assert text[first.start - 100 : first.end - 100] == first.text
    assert text[second.start - 100 : second.end - 100] == second.text


def test_halve_drops_the_blank_lines_between_the_halves() -> None:
    text = "First paragraph of the piece.\n\n\nSecond paragraph of the piece."
    halves = halve(_whole(text))
    assert halves is not None
    first, second = halves
    assert first.text == "First paragraph of the piece."
    assert second.text == "Second paragraph of the piece."
    assert second.start == text.index("Second")


def test_halve_uses_sentence_boundaries_within_one_paragraph() -> None:
    text = "Rain fell. The river rose fast. Crews came. Roads shut."
    halves = halve(_whole(text))
    assert halves is not None
    first, second = halves
    assert first.text == "Rain fell. The river rose fast."
    assert second.text == "Crews came. Roads shut."
    assert text[second.start : second.end] == second.text


@pytest.mark.parametrize("text", ["A single sentence with no break.", "Ends with a space. "])
def test_halve_a_single_sentence_is_none(text: str) -> None:
    assert halve(_whole(text)) is None


def test_a_long_paragraph_is_cut_where_its_sentences_end_not_after_an_abbreviation() -> None:
    paragraph = "Dr. Reyne inspected the pier on Sept. 5 at dawn. The crack was long. " * 3
    chunks = split_into_chunks(paragraph.strip(), max_chars=60)

    for chunk in chunks:
        assert not chunk.text.endswith(("Dr.", "Sept."))
