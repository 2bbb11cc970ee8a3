"""The chunk answer models: one entry per sentence, each opening with its sentence's first words."""

from __future__ import annotations

import json
from typing import Any, Literal, cast

import pytest
from pydantic import BaseModel, Field, ValidationError, create_model
from pydantic.json_schema import model_json_schema

from summarizer.extraction.drafts import (
    MAX_EVENTS,
    Happening,
    SentenceDraft,
    _ChunkFacts,
    _WithFigure,
    event_words,
    figure_choices,
    happening_words,
    opening_of,
    response_model_for,
    schema_of,
    valid_entries,
)
from summarizer.text.sentences import Sentence, split_sentences
from tests.conftest import EXAMPLES

PLAIN = "The river rose quickly. Officials urged calm."
# A figure, a time, both, neither; quotes, an apostrophe, non-ASCII, a backslash.
MIXED = (
    'The minister said "it\'s über — done" on May 5, 2026. '
    "About 1,500 troops left the base at 3pm on Tuesday. "
    "Residents said 300 homes flooded. "
    "A path with a back\\slash was closed."
)


def _pydantic_reference(sentences: list[Sentence]) -> type[BaseModel]:
    """The chunk model written the plain pydantic way: a model per entry, a Literal opening."""
    fields: dict[str, Any] = {}
    for index, sentence in enumerate(sentences, start=1):
        figures = figure_choices(sentence.text)
        base = _WithFigure if len(figures) > 1 else SentenceDraft
        pinned = cast(Any, Literal).__getitem__(opening_of(sentence.text))
        own: dict[str, Any] = {"opening": (pinned, ...)}
        words = event_words(sentence.text)
        if words:
            word = cast(Any, Literal).__getitem__(words if len(words) > 1 else words[0])
            happening = create_model(
                f"Happening{index}",
                __base__=Happening,
                word=(word, Field(description=Happening.model_fields["word"].description)),
            )
            own["events"] = (list[happening], Field(max_length=MAX_EVENTS))
        if len(figures) > 1:
            figure = cast(Any, Literal).__getitem__(figures)
            own["figure"] = (
                figure,
                Field(description=_WithFigure.model_fields["figure"].description),
            )
        entry = create_model(f"Sentence{index}", __base__=base, **own)
        fields[f"s{index}"] = (entry, ...)
    return create_model("ChunkFacts", __base__=_ChunkFacts, **fields)


def _chunks() -> list[list[Sentence]]:
    texts = [path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.iterdir())]
    return [split_sentences(text) for text in [PLAIN, MIXED, *texts]]


@pytest.mark.parametrize("sentences", _chunks(), ids=lambda s: f"{len(s)}-sentences")
def test_the_schema_is_the_one_pydantic_writes_with_each_opening_a_literal(
    sentences: list[Sentence],
) -> None:
    expected = model_json_schema(_pydantic_reference(sentences))
    actual = schema_of(response_model_for(sentences))
    # Byte for byte, key order included: it is the request body and the cache key.
    assert json.dumps(actual) == json.dumps(expected)


def test_the_request_schema_is_the_shared_one() -> None:
    model = response_model_for(split_sentences(MIXED))
    assert model.model_json_schema() is schema_of(model)


def _answer(sentences: list[Sentence], **openings: str) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    for index, sentence in enumerate(sentences, start=1):
        key = f"s{index}"
        entry: dict[str, Any] = {
            "opening": openings.get(key, opening_of(sentence.text)),
            "claimant": "unattributed",
            "subject": "s",
            "predicate": "p",
            "object": "o",
            "stance": "asserted",
            "events": [],
        }
        figures = figure_choices(sentence.text)
        if len(figures) > 1:
            entry["figure"] = figures[-1]
        answer[key] = entry
    return answer


def test_an_answer_opening_every_sentence_validates() -> None:
    sentences = split_sentences(MIXED)
    model = response_model_for(sentences)
    parsed = model.model_validate_json(json.dumps(_answer(sentences)), strict=True)
    assert [getattr(parsed, f"s{i}").opening for i in (1, 2, 3, 4)] == [
        "The minister said \"it's über",
        "About 1,500 troops left the",
        "Residents said 300 homes flooded.",
        "A path with a back\\slash",
    ]


def test_an_opening_is_the_first_five_words_as_written() -> None:
    assert opening_of("Officials  urged calm on the river.") == "Officials  urged calm on the"
    assert opening_of("Officials urged calm.") == "Officials urged calm."


def test_only_a_sentence_with_several_figures_names_its_figure() -> None:
    sentences = split_sentences(
        "Residents said 300 homes flooded. About 1,500 troops and 40 trucks left."
    )
    schema = schema_of(response_model_for(sentences))
    one, several = (schema["$defs"][f"Sentence{i}"]["properties"] for i in (1, 2))
    assert "figure" not in one
    assert several["figure"]["enum"] == ["1,500 troops", "40 trucks left"]


def test_an_opening_that_is_not_its_sentence_is_rejected_by_name() -> None:
    sentences = split_sentences(PLAIN)
    model = response_model_for(sentences)
    with pytest.raises(ValidationError, match=r"s2\.opening should be exactly 'Officials urged"):
        model.model_validate_json(json.dumps(_answer(sentences, s2="Officials")))


def test_chunks_of_the_same_shape_keep_their_own_sentences() -> None:
    first = response_model_for(split_sentences("The river rose. Officials urged calm."))
    second = response_model_for(split_sentences("The pier closed. Boats stayed in port."))
    answer = _answer(split_sentences("The river rose. Officials urged calm."))
    first.model_validate(answer)
    with pytest.raises(ValidationError):
        second.model_validate(answer)
    assert schema_of(first) != schema_of(second)


def test_valid_entries_keeps_each_entry_that_opens_its_sentence() -> None:
    sentences = split_sentences(PLAIN)
    answer = _answer(sentences, s1="The river rose slowly.")
    kept = valid_entries(answer, response_model_for(sentences))
    assert list(kept) == ["s2"]


@pytest.mark.parametrize(
    ("sentence", "words"),
    [
        # A name opens the sentence, another stands inside it.
        (
            "North Korea has sent troops to Russia on Friday.",
            ("sent", "troops"),
        ),
        ("The DPRK denied it.", ("denied",)),
        # A first word alone may be anything.
        ("Troops were sent.", ("Troops", "sent")),
        # A headline capitalises every word: none is read as a name.
        ("British Climber Killed In Fall", ("British", "Climber", "Killed", "Fall")),
    ],
)
def test_a_name_names_no_happening(sentence: str, words: tuple[str, ...]) -> None:
    assert happening_words(sentence) == words
    assert set(words) <= set(event_words(sentence))
