"""Unit tests for quote location and grounding: exact, repaired and unverified evidence."""

from __future__ import annotations

import pytest

from summarizer.briefing.merge import citation_for
from summarizer.grounding.ground import ground_evidence, ground_extraction
from summarizer.models import (
    Article,
    ArticleExtraction,
    Claim,
    Event,
    Evidence,
    Source,
    TokenUsage,
)
from summarizer.text.quotes import locate_quote

TEXT = (
    "The council met on Tuesday.\n"
    'Mayor Lena Ortiz said "the bridge will reopen in May" after the vote.\n'
    "The bridge has been closed since the storm."
)


def _article(text: str = TEXT, article_id: str = "art1") -> Article:
    return Article(id=article_id, title="Bridge vote", outlet="Town Gazette", text=text)


def _evidence(proposed: str, article_id: str = "art1") -> Evidence:
    return Evidence(
        article_id=article_id, quote=proposed, proposed_quote=proposed, status="unverified"
    )


# --- locate_quote ---------------------------------------------------------------------------


def test_exact_quote_is_verified_with_offsets_of_the_text() -> None:
    quote = "the bridge will reopen in May"
    match = locate_quote(TEXT, quote)
    assert match is not None
    assert match.status == "verified"
    assert TEXT[match.start : match.end] == quote


def test_whitespace_run_in_text_is_repaired_and_spans_the_texts_characters() -> None:
    text = "Officials said the   road\nwas closed."
    match = locate_quote(text, "the road was closed")
    assert match is not None
    assert match.status == "repaired"
    assert text[match.start : match.end] == "the   road\nwas closed"


def test_non_breaking_space_in_text_is_repaired() -> None:
    text = "The fire burned 40\u00a0hectares of forest."
    match = locate_quote(text, "burned 40 hectares")
    assert match is not None
    assert match.status == "repaired"
    assert text[match.start : match.end] == "burned 40\u00a0hectares"


def test_curly_and_straight_quote_marks_are_folded() -> None:
    text = "She called it \u201ca turning point\u201d and the town\u2019s best day."
    match = locate_quote(text, 'it "a turning point" and the town\'s best day')
    assert match is not None
    assert match.status == "repaired"
    assert text[match.start : match.end] == (
        "it \u201ca turning point\u201d and the town\u2019s best day"
    )


@pytest.mark.parametrize(
    "wrapped",
    [
        '"the bridge will reopen in May"',
        "\u201cthe bridge will reopen in May\u201d",
        "'the bridge will reopen in May'",
        "  the bridge will reopen in May ",
    ],
)
def test_quote_marks_wrapped_around_the_whole_quote_are_stripped(wrapped: str) -> None:
    text = "Officials expect the bridge will reopen in May this year."
    match = locate_quote(text, wrapped)
    assert match is not None
    assert match.status == "repaired"
    assert text[match.start : match.end] == "the bridge will reopen in May"


@pytest.mark.parametrize(
    "changed",
    [
        "the bridge will reopen in June",  # a changed word
        "The Bridge Will Reopen In May",  # case
        "the bridge will reopen, in May",  # added punctuation
        "the bridge reopens in May",  # paraphrase
    ],
)
def test_changed_quote_is_not_found(changed: str) -> None:
    assert locate_quote(TEXT, changed) is None


@pytest.mark.parametrize("blank", ["", "   ", "\n", '""', "\u201c\u201d"])
def test_blank_or_only_quote_marks_is_not_found(blank: str) -> None:
    assert locate_quote(TEXT, blank) is None


def test_near_prefers_the_occurrence_at_or_after_it() -> None:
    text = "Water rose fast. Later, water rose fast again."
    second = text.index("water rose fast", 1)
    match = locate_quote(text, "water rose fast", near=second)
    assert match is not None
    assert match.start == second


def test_near_falls_back_to_an_earlier_occurrence() -> None:
    text = "Water rose fast. Nothing else happened here."
    match = locate_quote(text, "Water rose fast", near=20)
    assert match is not None
    assert match.start == 0


def test_near_also_applies_to_repaired_matches() -> None:
    text = "roads  were shut. Then roads  were shut again."
    later = text.index("Then")
    match = locate_quote(text, "roads were shut", near=later)
    assert match is not None
    assert match.status == "repaired"
    assert match.start == text.index("roads", later)


# --- ground_evidence / ground_extraction ----------------------------------------------------


def test_ground_verified_evidence_records_offsets() -> None:
    grounded = ground_evidence(_evidence("The council met on Tuesday."), _article())
    assert grounded.status == "verified"
    assert (grounded.start, grounded.end) == (0, len("The council met on Tuesday."))
    assert grounded.quote == "The council met on Tuesday."


def test_ground_repaired_evidence_quotes_the_article_and_keeps_the_proposal() -> None:
    text = "The council met on\u00a0Tuesday  evening."
    proposed = "\u201cmet on Tuesday evening\u201d"
    grounded = ground_evidence(_evidence(proposed), _article(text))
    assert grounded.status == "repaired"
    assert grounded.quote == "met on\u00a0Tuesday  evening"
    assert grounded.quote == text[grounded.start : grounded.end]
    assert grounded.proposed_quote == proposed


def test_ground_unverified_evidence_keeps_no_offsets() -> None:
    stale = Evidence(
        article_id="art1",
        quote="the council never met",
        proposed_quote="the council never met",
        start=3,
        end=9,
        status="verified",
    )
    grounded = ground_evidence(stale, _article())
    assert grounded.status == "unverified"
    assert grounded.start is None
    assert grounded.end is None
    assert grounded.proposed_quote == "the council never met"


def _claim(evidence: list[Evidence]) -> Claim:
    return Claim(
        id="c1",
        article_id="art1",
        statement="The bridge will reopen in May.",
        subject="the bridge",
        predicate="will reopen",
        object="in May",
        claimant="Mayor Lena Ortiz",
        certainty="probable",
        polarity="asserted",
        evidence=evidence,
    )


def _event(evidence: list[Evidence]) -> Event:
    return Event(
        id="e1",
        article_id="art1",
        type="meeting",
        description="The council met.",
        actors=[],
        date_precision="unknown",
        evidence=evidence,
    )


def _extraction(
    claims: list[Claim], events: list[Event], article_id: str = "art1"
) -> ArticleExtraction:
    return ArticleExtraction(
        article_id=article_id, claims=claims, events=events, chunks=1, usage=TokenUsage()
    )


def test_ground_extraction_grounds_every_claim_and_event() -> None:
    extraction = _extraction(
        claims=[_claim([_evidence("the bridge will reopen in May"), _evidence("made up")])],
        events=[_event([_evidence("The council  met on Tuesday.")])],
    )
    grounded = ground_extraction(extraction, _article())
    claim_statuses = [e.status for e in grounded.claims[0].evidence]
    assert claim_statuses == ["verified", "unverified"]
    assert grounded.events[0].evidence[0].status == "repaired"
    assert grounded.events[0].evidence[0].quote == "The council met on Tuesday."
    # Grounding returns copies; the input stays as the model proposed it.
    assert extraction.claims[0].evidence[0].start is None


@pytest.mark.parametrize(
    ("claimant", "kept"),
    [
        ("Mayor Lena Ortiz", True),
        ("Mayor Ortis", False),  # a short name must match as written
        ("city officials", True),  # lower-case words may paraphrase the article
        ("unattributed", True),
        # The prompt's own example, which the model once gave as a real article's source.
        ("Fire Chief Ana Ruiz", False),
    ],
)
def test_a_claimant_the_article_does_not_name_becomes_unattributed(
    claimant: str, kept: bool
) -> None:
    article = _article("Mayor Lena Ortiz said the bridge will reopen in May.")
    claim = _claim([_evidence("the bridge will reopen in May")]).model_copy(
        update={"claimant": claimant}
    )
    grounded = ground_extraction(_extraction(claims=[claim], events=[]), article)
    assert grounded.claims[0].claimant == (claimant if kept else "unattributed")


def test_a_long_name_spelt_a_little_differently_is_the_articles() -> None:
    article = _article("President Volodymyr Zelenskyy warned on Monday.")
    claim = _claim([_evidence("warned")]).model_copy(update={"claimant": "President Zelensky"})
    grounded = ground_extraction(_extraction(claims=[claim], events=[]), article)
    assert grounded.claims[0].claimant == "President Zelensky"


def test_ground_extraction_refuses_another_articles_text() -> None:
    extraction = _extraction(claims=[], events=[], article_id="art1")
    with pytest.raises(ValueError, match="art1"):
        ground_extraction(extraction, _article(article_id="art2"))


# --- citations ------------------------------------------------------------------------------


def _source() -> Source:
    return Source(number=1, article_id="art1", title="Bridge vote", outlet="Town Gazette")


def test_citation_of_unverified_evidence_shows_no_quote() -> None:
    evidence = ground_evidence(_evidence("the council never met"), _article())
    citation = citation_for(_claim([evidence]), _source(), evidence)
    assert citation.status == "unverified"
    assert citation.quote is None
    assert citation.start is None
    assert citation.end is None


def test_citation_of_grounded_evidence_shows_the_articles_quote() -> None:
    evidence = ground_evidence(_evidence("\u201cthe bridge will reopen in May\u201d"), _article())
    citation = citation_for(_claim([evidence]), _source(), evidence, claimant="Mayor Lena Ortiz")
    assert citation.status == "repaired"
    assert citation.quote == "the bridge will reopen in May"
    assert (citation.start, citation.end) == (evidence.start, evidence.end)
    assert citation.source == 1
    assert citation.claim_or_event_id == "c1"
    assert citation.claimant == "Mayor Lena Ortiz"
