"""A daily briefing from where news lives: a folder and a glob of HTML pages plus two feeds.

The pages and feeds (tests/web/site, written by the team) are served over loopback by a
real HTTP server; the model's answers are replayed from a cassette recorded from the
embedded model. Only requests to the model are recorded: fetching pages and feeds goes
to the live local server in every run (tests/support/cassette_format.scrub_request).

Re-record with `make record`.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from summarizer import Briefing
from summarizer.cli import app
from summarizer.config import Settings
from tests.conftest import SCHEMAS
from tests.support.web_server import SITE, WebServer, web_server_fixture  # noqa: F401

pytestmark = [
    pytest.mark.vcr,
    pytest.mark.default_cassette("html_and_feeds_briefing.yaml"),
    pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"]),
]


def _brief(settings: Settings, *arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        [
            "brief",
            *arguments,
            "--base-url",
            str(settings.base_url),
            "--model",
            settings.model,
            "--mode",
            settings.mode,
        ],
    )
    return result.exit_code, result.output


def test_a_folder_a_glob_and_two_feeds_give_one_cited_briefing(
    recorded_settings: Settings, web_server: WebServer, tmp_path: Path
) -> None:
    output = tmp_path / "briefing.json"
    rss = web_server.url("/feeds/coastal-post.rss")
    atom = web_server.url("/feeds/tidewater-times.atom")

    code, log = _brief(
        recorded_settings,
        str(SITE / "harwick-gazette"),
        str(SITE / "*" / "saltmere-bridge-closed.html"),
        rss,
        atom,
        "-o",
        str(output),
    )

    assert code == 0, log
    briefing = Briefing.model_validate_json(output.read_text())
    schema = json.loads((SCHEMAS / "briefing.schema.json").read_text())
    jsonschema.validate(json.loads(output.read_text()), schema)
    # The Gazette page came twice from disk and once as the wire's syndicated copy: one
    # source, carried by both outlets. The feed's pages are fetched and briefed.
    outlets = {source.outlet: source for source in briefing.sources}
    assert sorted(outlets) == ["Coastal Post", "Harwick Gazette", "Tidewater Times"]
    assert len(briefing.sources) == 4
    gazette = outlets["Harwick Gazette"]
    assert [carrier.outlet for carrier in gazette.also_carried_by] == ["Northfold Wire"]
    assert gazette.author and gazette.published is not None
    assert briefing.stats.llm_calls == 4
    assert briefing.stats.failures == []
    assert any("coastal-post.rss" in note and "2 of 2" in note for note in briefing.stats.notes)
    # Every quote shown is verbatim in the text extracted from its page.
    quotes = [c.quote for claim in briefing.claims for c in claim.citations if c.quote is not None]
    assert len(quotes) >= 15
    assert not any("Advertisement" in quote or "cookie" in quote.lower() for quote in quotes)

    # The same feed again, for one day, new articles only: nothing new, no model call.
    code, log = _brief(recorded_settings, rss, "--date", "2026-05-13", "--new-only")

    assert code == 0, log
    assert "1 of 2 entries taken; left out: 1 outside the time window" in log
    assert "nothing new: all 1 article(s) were briefed before" in log
