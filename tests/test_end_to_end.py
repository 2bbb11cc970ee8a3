"""The whole product against recorded responses of the embedded model: API and CLI.

Both tests brief `examples/articles` and share one cassette. Re-record with
`rm -r cassettes/test_end_to_end && python -m pytest tests/test_end_to_end.py --record-mode=once`.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from summarizer import Briefing, brief, render_html, render_markdown
from summarizer.cli import app
from summarizer.config import Settings
from summarizer.inputs.ingest import read_path
from tests.conftest import EXAMPLES, SCHEMAS
from tests.support.gold_check import score
from tests.test_render_html import Report

pytestmark = [pytest.mark.vcr, pytest.mark.default_cassette("examples_briefing.yaml")]
# Measured on the recorded cassette (see the closing notes); a drop means a regression.
MIN_GOLD_CLAIMS = 11
MIN_GOLD_EVENTS = 4
# Issue 12's targets for the default Markdown of the examples.
MIN_GOLD_KEY_POINTS = 7
MAX_SHARE_OF_ARTICLE_WORDS = 0.40


def _texts_by_article() -> dict[str, str]:
    return {article.id: article.text for article in read_path(EXAMPLES)}


def _assert_quotes_verbatim(briefing: Briefing) -> int:
    texts = _texts_by_article()
    shown = 0
    citations = [c for claim in briefing.claims for c in claim.citations]
    citations += [c for event in briefing.events for c in event.citations]
    for citation in citations:
        if citation.quote is None:
            assert citation.status == "unverified"
            continue
        assert citation.start is not None and citation.end is not None
        assert texts[citation.article_id][citation.start : citation.end] == citation.quote
        shown += 1
    return shown


def test_briefing_of_examples_through_the_python_api(recorded_settings: Settings) -> None:
    briefing = brief([EXAMPLES], settings=recorded_settings)

    assert len(briefing.sources) == 5
    assert briefing.stats.failures == []
    assert briefing.stats.llm_calls >= 5
    assert briefing.stats.completion_tokens > 0
    assert len(briefing.claims) >= 20
    assert _assert_quotes_verbatim(briefing) >= 20
    schema = json.loads((SCHEMAS / "briefing.schema.json").read_text())
    jsonschema.validate(json.loads(briefing.model_dump_json()), schema)
    assert "## Disagreements" in render_markdown(briefing)


def test_briefing_of_examples_matches_the_gold_file(recorded_settings: Settings) -> None:
    report = score(brief([EXAMPLES], settings=recorded_settings))

    # Every planted disagreement (time, true conflict, scope) is in the ledger, each
    # figure cited from its source; most gold claims and events are found.
    assert report.disagreements_missed == [], report.lines()
    assert len(report.claims_found) >= MIN_GOLD_CLAIMS, report.lines()
    assert len(report.events_found) >= MIN_GOLD_EVENTS, report.lines()


def test_the_default_briefing_is_short_and_leads_with_the_gold_claims(
    recorded_settings: Settings,
) -> None:
    briefing = brief([EXAMPLES], settings=recorded_settings)
    short = render_markdown(briefing)
    article_words = sum(len(article.text.split()) for article in read_path(EXAMPLES))
    report = score(briefing)

    assert len(short.split()) <= MAX_SHARE_OF_ARTICLE_WORDS * article_words
    assert len(briefing.key_points) == 10
    assert len(report.key_points_found) >= MIN_GOLD_KEY_POINTS, report.lines()
    assert report.disagreements_missed == [], report.lines()
    # Every disputed slot of the ledger is in the short Markdown, with every figure.
    for slot in briefing.disagreements:
        assert f"**{slot.slot}**" in short
    assert "## Run statistics" not in short
    assert "## Run statistics" in render_markdown(briefing, full=True)


def test_the_ledger_classifies_the_planted_disagreements(recorded_settings: Settings) -> None:
    briefing = brief([EXAMPLES], settings=recorded_settings)
    kinds = {
        slot.slot: {difference.kind for difference in slot.differences}
        for slot in briefing.disagreements
    }

    assert "different_time" in kinds["people evacuated"]
    assert "conflict" in kinds["tonnes leaked"]
    assert kinds["people killed, injured or hospitalised"] == {"different_scope"}


def test_briefing_of_examples_through_the_cli(recorded_settings: Settings, tmp_path: Path) -> None:
    output = tmp_path / "briefing.json"
    result = CliRunner().invoke(
        app,
        [
            "brief",
            str(EXAMPLES),
            "-o",
            str(output),
            "--base-url",
            str(recorded_settings.base_url),
            "--model",
            recorded_settings.model,
            "--mode",
            recorded_settings.mode,
        ],
    )

    assert result.exit_code == 0, result.output
    briefing = Briefing.model_validate_json(output.read_text())
    assert len(briefing.sources) == 5
    assert _assert_quotes_verbatim(briefing) >= 20


def test_the_html_report_of_examples_opens_every_quote_in_its_article(
    recorded_settings: Settings,
) -> None:
    briefing = brief([EXAMPLES], settings=recorded_settings)
    report = Report(render_html(briefing))

    texts = _texts_by_article()
    articles = report.articles()
    assert {int(n) for n in articles} == {s.number for s in briefing.sources}
    for source in briefing.sources:
        assert articles[str(source.number)]["text"] == texts[source.article_id]
    citations = [c for claim in briefing.claims for c in claim.citations]
    citations += [c for event in briefing.events for c in event.citations]
    quotes = {(c.source, c.start, c.end): c.quote for c in citations if c.quote is not None}
    assert report.openings() == set(quotes)
    for (number, start, end), quote in quotes.items():
        text = articles[str(number)]["text"]
        assert text is not None and text[start:end] == quote
    charts = [
        attrs
        for tag, attrs in report.elements
        if tag == "svg" and attrs["aria-label"].startswith("Each source's figure")
    ]
    assert len(charts) == len(briefing.disagreements) == 3
