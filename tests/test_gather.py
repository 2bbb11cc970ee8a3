"""Reading what a user names: pages and feeds over loopback HTTP, folders, globs and stdin.

Pages and feeds are the team's own (tests/web/site), served by a real HTTP server on
127.0.0.1. The one CLI run here uses the OpenAI stub as its model (summarizer.testing.stub):
its placeholder answers fit the lantern page, which has no figures, dates or times.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest

from summarizer import Briefing, FetchLimits, Gathered, Window, gather_articles
from summarizer.testing.stub import StubServer
from tests.support.stub_cli import brief_in_process
from tests.support.web_server import SITE, WebServer, web_server_fixture  # noqa: F401

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])

GAZETTE = "harwick-gazette/saltmere-bridge-closed.html"
WIRE = "northfold-wire/saltmere-bridge-closed.html"
TIDEWATER = "tidewater-times/saltmere-bridge-inspection.html"
LANTERN = "fetch-tests/page.html"
REOPENING_TITLE = "Saltmere Bridge to reopen to cars in September"


def _gather(*sources: Any, **options: Any) -> Gathered:
    return asyncio.run(gather_articles(list(sources), **options))


def test_pages_over_http_keep_their_metadata_and_a_syndicated_copy_is_kept_once(
    web_server: WebServer,
) -> None:
    gathered = _gather(web_server.url(WIRE), web_server.url(GAZETTE), web_server.url(TIDEWATER))

    assert [a.outlet for a in gathered.articles] == ["Harwick Gazette", "Tidewater Times"]
    gazette = gathered.articles[0]
    assert gazette.title == "Saltmere Bridge closed after crack found in support pier"
    assert gazette.url == gazette.canonical_url == web_server.url(GAZETTE)
    assert gazette.author
    assert gazette.published == dt.date(2026, 5, 11)
    assert [(c.outlet, c.url) for c in gazette.also_carried_by] == [
        ("Northfold Wire", web_server.url(WIRE))
    ]
    for chrome in ("Advertisement", "cookie", "Related stories", "No comments", "Subscribe"):
        assert chrome.lower() not in gazette.text.lower()
    assert gathered.failures == []
    assert gathered.notes == [
        "1 duplicate article(s) folded into the copies kept (1 other carrier(s) listed "
        "with their sources)"
    ]


def test_a_feed_brings_the_pages_of_its_entries_for_one_day(web_server: WebServer) -> None:
    feed = web_server.url("feeds/coastal-post.rss")

    gathered = _gather(feed, window=Window(on_date=dt.date(2026, 5, 13)))

    assert [a.title for a in gathered.articles] == [REOPENING_TITLE]
    assert gathered.articles[0].url == web_server.url("coastal-post/saltmere-bridge-reopening.html")
    assert gathered.notes == [
        f"feed {feed} (Coastal Post - Latest news): 1 of 2 entries taken; "
        "left out: 1 outside the time window"
    ]


def test_since_counts_back_from_now_across_rss_and_atom(web_server: WebServer) -> None:
    now = dt.datetime(2026, 5, 13, 12, 0, tzinfo=dt.UTC)
    rss, atom = (
        web_server.url("feeds/coastal-post.rss"),
        web_server.url("feeds/tidewater-times.atom"),
    )

    last_day = _gather(rss, atom, window=Window(since=dt.timedelta(hours=24)), now=now)
    two_days = _gather(rss, atom, window=Window(since=dt.timedelta(days=2)), now=now)

    assert [a.outlet for a in last_day.articles] == ["Coastal Post"]
    assert [a.outlet for a in two_days.articles] == ["Coastal Post", "Tidewater Times"]


def test_files_folders_globs_urls_feeds_and_stdin_in_one_call_keep_their_order(
    web_server: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Title: Note\n\nThe ferry ran late on Monday."))

    gathered = _gather(
        SITE / "coastal-post",
        str(SITE / "*" / "saltmere-bridge-inspection.html"),
        web_server.url(LANTERN),
        "-",
        web_server.url("feeds/tidewater-times.atom"),
    )

    assert [a.title for a in gathered.articles] == [
        "Harbour festival returns in June",
        REOPENING_TITLE,
        "Divers find Saltmere Bridge crack runs below waterline",
        "Lantern parade moves indoors",
        "Note",
    ]
    # The feed's page is the file the glob already read: kept once, in the glob's place,
    # as the copy read from its canonical address; the file is listed as a carrier.
    tidewater = gathered.articles[2]
    assert tidewater.url == web_server.url(TIDEWATER)
    assert [c.path for c in tidewater.also_carried_by] == [str(SITE / TIDEWATER)]
    assert gathered.failures == []


def test_each_bad_source_is_one_failure_and_the_rest_are_read(web_server: WebServer) -> None:
    bad = [
        "ftp://example.com/a.html",
        "http://127.0.0.1:1/closed",
        web_server.url("status/404"),
        web_server.url("slow?seconds=5"),
        web_server.url("binary"),
        web_server.url("huge"),
        web_server.url("broken/no-article.html"),
        "no/such/folder",
        "nothing-matches-*.html",
    ]

    gathered = _gather(web_server.url(LANTERN), *bad, limits=FetchLimits(timeout=0.5))

    assert [a.title for a in gathered.articles] == ["Lantern parade moves indoors"]
    assert [f.source for f in gathered.failures] == bad
    for failure in gathered.failures:
        assert "\n" not in failure.message
    messages = " | ".join(f.message for f in gathered.failures)
    for expected in (
        "ftp",
        "refused",
        "404",
        "timed out after 0.5 s",
        "application/pdf",
        "larger than",
        "no article text",
        "no such file or folder",
        "no files match",
    ):
        assert expected in messages


def test_the_cli_gives_one_line_per_bad_url_and_briefs_the_rest(
    web_server: WebServer, tmp_path: Path
) -> None:
    output = tmp_path / "briefing.json"
    bad = [
        "https://",
        web_server.url("status/404"),
        web_server.url("slow?seconds=5"),
        web_server.url("binary"),
        web_server.url("huge"),
    ]

    with StubServer(latency=0) as stub:
        result = brief_in_process(
            stub, web_server.url(LANTERN), *bad, "--fetch-timeout", "0.5", "-o", str(output)
        )

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == len(bad), result.stderr
    for line, url in zip(warnings, bad, strict=True):
        assert line.startswith(f"warning: {url}: ")
    briefing = Briefing.model_validate_json(output.read_text())
    assert [s.title for s in briefing.sources] == ["Lantern parade moves indoors"]
    assert len(briefing.stats.failures) == len(bad)


def test_one_unreadable_file_in_a_folder_is_its_own_failure(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("The mayor said 300 homes were flooded on Monday.\n")
    (tmp_path / "b.txt").write_bytes(b"\x01\x02\x03 ### ++\n")
    (tmp_path / "c.md").write_bytes(b"\xff\xfe not UTF-8\n")

    gathered = _gather(tmp_path)

    assert [Path(article.path or "").name for article in gathered.articles] == ["a.txt"]
    assert [(Path(f.source).name, f.message) for f in gathered.failures] == [
        ("b.txt", "not an article's text (no letters)"),
        ("c.md", "not UTF-8 text (hint: convert the file to UTF-8)"),
    ]


def test_one_line_of_text_longer_than_a_file_name_is_an_article() -> None:
    text = "The mayor said that " + "very " * 80 + "many homes were flooded."

    gathered = _gather(text)

    assert [article.text for article in gathered.articles] == [text]
    assert gathered.failures == []


def test_a_long_path_is_named_whole_in_its_failure(tmp_path: Path) -> None:
    folder = tmp_path / ("a-folder-with-a-long-name-" * 4)
    folder.mkdir()
    noise = folder / "noise.txt"
    noise.write_bytes(b"\x01\x02 ### 12")

    gathered = _gather(str(noise), noise)

    assert len(str(noise)) > 80
    assert [failure.source for failure in gathered.failures] == [str(noise)] * 2
