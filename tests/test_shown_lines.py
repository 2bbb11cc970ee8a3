"""Every shown line is true to its quotes: the model's statement only when its own quote
says all of it, the sentence itself otherwise; claimants and counted things only as far as
the article names them. The adversarial answers come from a scripted endpoint."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from summarizer import render_markdown
from summarizer.briefing.assemble import assemble
from summarizer.briefing.key_points import key_points
from summarizer.extraction.drafts import (
    figure_choices,
    opening_of,
    response_model_for,
    sentence_key,
)
from summarizer.extraction.extract import extract_article
from summarizer.grounding.ground import ground_extraction, grounded_counted
from summarizer.grounding.statement_check import statement_problem
from summarizer.inputs.ingest import article_from_text
from summarizer.models import Actor, Article, ArticleExtraction, Briefing, RunStats
from summarizer.runtime.llm import StructuredLLM
from summarizer.text.sentences import split_sentences
from tests.support import factories
from tests.test_llm_faults import FakeEndpoint, _answer, _client, _completion, _settings

QUOTE = "Fire Chief Marcus Doyle said two workers were killed in the incident on Monday."


@pytest.mark.parametrize(
    "statement",
    [
        "Two workers were killed.",
        "Two workers were killed in the incident on Monday.",
        "Marcus Doyle said two workers were killed.",
    ],
)
def test_a_shortening_of_its_quote_may_be_shown(statement: str) -> None:
    assert statement_problem(statement, QUOTE, "asserted") is None


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ("The president resigned.", "'president' is not in the quote"),
        ("Three workers were killed.", "'three' is not in the quote"),
        ("12 workers were killed.", "'12' is not in the quote"),
        ("Two workers killed two workers.", "'two' more often than the quote"),
        ("Workers were killed by Marcus Doyle.", "'marcus' is out of the quote's order"),
        ("No workers were killed.", "negation 'no'"),
    ],
)
def test_a_statement_its_quote_does_not_say_is_not_shown(statement: str, problem: str) -> None:
    found = statement_problem(statement, QUOTE, "asserted")
    assert found is not None and problem.split("'")[1] in found


def test_a_denial_may_leave_out_the_negation_its_polarity_carries() -> None:
    quote = "The company denied that the inspection had been postponed."
    assert statement_problem("The inspection had been postponed.", quote, "denied") is None
    assert statement_problem("The inspection had been postponed.", quote, "asserted") == (
        "the quote holds a negation the statement leaves out"
    )


def test_what_a_figure_counts_keeps_only_the_names_its_article_holds() -> None:
    words = frozenset("300 homes were flooded in ostervale by tuesday".split())
    assert grounded_counted("homes flooded in Ostervale, Alberta, Canada", words) == (
        "homes flooded in Ostervale"
    )
    assert grounded_counted("homes flooded", words) == "homes flooded"


def test_an_events_place_and_actors_are_kept_only_when_its_article_names_them() -> None:
    article = article_from_text("Police arrested two men in Lowmarsh on Monday.", title="t")
    event = factories.event(article, "Police arrested two men in Lowmarsh on Monday.", date=None)
    invented = event.model_copy(
        update={
            "location": "Lowmarsh, Alberta",
            "actors": [Actor(name="Police", role="agent"), Actor(name="Ana Ruiz", role="agent")],
        }
    )
    named = invented.model_copy(update={"location": "Lowmarsh"})
    extraction = factories.extraction(article, [], [invented, named])

    first, second = ground_extraction(extraction, article).events

    assert first.location is None
    assert second.location == "Lowmarsh"
    assert [actor.name for actor in first.actors] == ["Police"]


ARTICLES = [
    "The river rose two metres overnight. Volunteers filled sandbags near the bridge. "
    "The council said 40 homes were flooded in Lowmarsh.",
    "Shops in the old town stayed shut on Tuesday. The council said 40 homes were flooded "
    "in Lowmarsh. The mayor thanked the volunteers.",
]


def _invented(text: str) -> dict[str, Any]:
    """The model at its worst: every sentence's opening right, every other field made up."""
    sentences = split_sentences(text)
    answer: dict[str, Any] = {}
    for number, sentence in enumerate(sentences, start=1):
        entry: dict[str, Any] = {
            "opening": opening_of(sentence.text),
            "claimant": "Fire Chief Ana Ruiz",
            "subject": "The president",
            "predicate": "resigned",
            "object": "",
            "stance": "asserted",
            "events": [],
        }
        figures = figure_choices(sentence.text)
        if len(figures) > 1:
            entry["figure"] = figures[-1]
        answer[sentence_key(number)] = entry
    response_model_for(sentences).model_validate(answer)
    return answer


def _extracted(article: Article) -> ArticleExtraction:
    return ground_extraction(_extract_with(_invented(article.text), article), article)


def _extract_with(answer: dict[str, Any], article: Article) -> ArticleExtraction:
    endpoint = FakeEndpoint([_completion(answer)])

    async def run() -> ArticleExtraction:
        client = _client(endpoint)
        try:
            return await extract_article(StructuredLLM(client, _settings()), article)
        finally:
            await client.close()

    return asyncio.run(run())


def _adversarial_briefing() -> Briefing:
    articles = [
        article_from_text(text, title=f"Flood {n}", outlet=f"Outlet {n}")
        for n, text in enumerate(ARTICLES, start=1)
    ]
    parts = assemble(articles, [_extracted(article) for article in articles])
    return Briefing(
        generated_at="2026-03-03T09:00:00Z",
        sources=parts.sources,
        stories=parts.stories,
        key_points=key_points(
            parts.claims, parts.events, parts.disagreements, parts.sources, top=10
        ),
        events=parts.events,
        claims=parts.claims,
        disagreements=parts.disagreements,
        stats=RunStats(
            model="m",
            endpoint="e",
            articles=2,
            llm_calls=2,
            reasks=0,
            prompt_tokens=0,
            completion_tokens=0,
            wall_seconds=0.0,
        ),
    )


def test_an_invented_statement_backed_by_real_quotes_is_never_shown() -> None:
    briefing = _adversarial_briefing()

    for rendered in (render_markdown(briefing), render_markdown(briefing, full=True)):
        assert "president" not in rendered.lower()
        assert "resigned" not in rendered.lower()
        assert "Ana Ruiz" not in rendered
        assert "Alberta" not in rendered
    # Each claim shows its own sentence instead, as the source's words.
    for claim in briefing.claims:
        assert claim.shown is not None and claim.shown.kind == "verbatim"
        assert claim.shown.text in ARTICLES[claim.shown.source - 1]  # type: ignore[operator]
        assert claim.corroboration.claimants == []  # the made-up name is nobody's
    assert briefing.key_points
    assert all(point.line.kind != "unchecked" for point in briefing.key_points)
    shared = "The council said 40 homes were flooded in Lowmarsh."
    assert any(
        point.line.text == shared and point.sources == [1, 2] for point in briefing.key_points
    )
    # What a figure counts is read from its sentence, whatever the model's predicate says.
    counted = {c.quantity.counted for c in briefing.claims if c.quantity is not None}
    assert counted == {"homes flooded", "metres"}


def test_a_sentence_its_article_repeats_is_grounded_at_its_own_place() -> None:
    text = (
        "Officials said the bridge was closed. Crews worked through the night. "
        "Officials said the bridge was closed."
    )
    article = article_from_text(text, title="Bridge")
    answer = _answer(text)
    extraction = ground_extraction(_extract_with(answer, article), article)

    first, _, last = extraction.claims
    repeated = "Officials said the bridge was closed."
    assert (first.evidence[0].start, last.evidence[0].start) == (0, text.rindex(repeated))
    for claim in (first, last):
        evidence = claim.evidence[0]
        assert evidence.status == "verified"
        assert text[evidence.start : evidence.end] == repeated
