"""Feeds served by the loopback test site, parsed, and their entries chosen by time window."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from summarizer.errors import InputError
from summarizer.inputs.feeds import (
    EntrySelection,
    Feed,
    FeedEntry,
    parse_feed,
    parse_since,
    select_entries,
)
from summarizer.inputs.fetch import FetchLimits, Page, fetch, http_client
from tests.support.web_server import WebServer, web_server_fixture  # noqa: F401

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])

UTC = dt.UTC
# Noon on the day the Coastal Post reported the reopening date.
NOW = dt.datetime(2026, 5, 13, 12, 0, tzinfo=UTC)


def _fetch_feed(url: str) -> Feed:
    async def run() -> Page:
        limits = FetchLimits(timeout=5)
        async with http_client(limits) as client:
            return await fetch(client, url, limits)

    page = asyncio.run(run())
    return parse_feed(page.body, page.final_url)


@pytest.fixture(scope="module")
def site_feeds(web_server: WebServer) -> tuple[Feed, Feed]:
    return (
        _fetch_feed(web_server.url("feeds/coastal-post.rss")),
        _fetch_feed(web_server.url("feeds/tidewater-times.atom")),
    )


def _entry(url: str, published: dt.datetime | None) -> FeedEntry:
    return FeedEntry(url=url, title=url, published=published, summary="")


def _urls(selection: EntrySelection) -> list[str]:
    return [entry.url for entry in selection.entries]


def test_the_rss_feed_is_read(web_server: WebServer, site_feeds: tuple[Feed, Feed]) -> None:
    coastal, _ = site_feeds
    assert coastal.url == web_server.url("feeds/coastal-post.rss")
    assert coastal.title == "Coastal Post - Latest news"
    assert coastal.entries == (
        FeedEntry(
            url=web_server.url("coastal-post/saltmere-bridge-reopening.html"),
            title="Saltmere Bridge to reopen to cars in September",
            published=dt.datetime(2026, 5, 13, 8, 0, tzinfo=UTC),
            summary="Harwick Council says the Saltmere Bridge will reopen to cars in September.",
        ),
        FeedEntry(
            url=web_server.url("coastal-post/harbour-festival.html"),
            title="Harbour festival returns in June",
            published=dt.datetime(2026, 4, 20, 9, 0, tzinfo=UTC),
            summary="The Harwick harbour festival is back this summer.",
        ),
    )


def test_the_atom_feed_is_read_with_updated_as_its_date(
    web_server: WebServer, site_feeds: tuple[Feed, Feed]
) -> None:
    _, tidewater = site_feeds
    assert tidewater.title == "Tidewater Times"
    (entry,) = tidewater.entries
    assert entry.url == web_server.url("tidewater-times/saltmere-bridge-inspection.html")
    assert entry.title == "Divers find Saltmere Bridge crack runs below waterline"
    assert entry.published == dt.datetime(2026, 5, 12, 7, 30, tzinfo=UTC)
    # The summary was HTML: only its text is kept.
    assert entry.summary.startswith("Divers inspected the damaged pier")


def test_relative_links_resolve_against_the_final_url_and_repeats_are_dropped(
    web_server: WebServer,
) -> None:
    # Fetched through a redirect: links resolve where the feed really is.
    feed = _fetch_feed(web_server.url("redirect?to=/fetch-tests/feed-as-xml.xml"))
    assert feed.url == web_server.url("fetch-tests/feed-as-xml.xml")
    assert [(entry.url, entry.published) for entry in feed.entries] == [
        (web_server.url("fetch-tests/page.html"), dt.datetime(2026, 5, 12, 18, 0, tzinfo=UTC)),
        (web_server.url("fetch-tests/notes.txt"), None),
        # Published at 10:00 +01:00.
        (web_server.url("fetch-tests/fete.html"), dt.datetime(2026, 5, 2, 9, 0, tzinfo=UTC)),
    ]


def test_a_web_page_is_not_a_feed(web_server: WebServer) -> None:
    url = web_server.url("fetch-tests/page.html")
    with pytest.raises(InputError) as caught:
        _fetch_feed(url)
    assert caught.value.message == f"{url}: not an RSS or Atom feed"


@pytest.mark.parametrize("body", [b"", b"plain words", b"<?xml version='1.0'?><sitemap/>"])
def test_documents_that_are_not_feeds_are_refused(body: bytes) -> None:
    with pytest.raises(InputError, match=r"^https://t\.example/x: not an RSS or Atom feed$"):
        parse_feed(body, "https://t.example/x")


def test_a_broken_feed_that_still_has_entries_is_read() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Orrin &amp; Co</title>'
        b"<item><title>Fete</title><link>/fete.html</link></item>"
        b"<item><title>Unclosed & broken</item></channel>"
    )
    feed = parse_feed(body, "https://orrin.example/feed.rss")
    assert feed.title == "Orrin & Co"
    assert [entry.url for entry in feed.entries] == ["https://orrin.example/fete.html"]
    assert feed.without_link == 1


def test_an_empty_feed_is_a_feed_with_no_entries() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    feed = parse_feed(body, "https://quiet.example/feed.rss")
    assert (feed.title, feed.entries) == ("Quiet", ())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", dt.timedelta(hours=24)),
        ("90m", dt.timedelta(minutes=90)),
        ("2d", dt.timedelta(days=2)),
        ("1w", dt.timedelta(weeks=1)),
        (" 36H ", dt.timedelta(hours=36)),
    ],
)
def test_since_reads_a_number_and_a_unit(text: str, expected: dt.timedelta) -> None:
    assert parse_since(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yesterday", "--since 'yesterday': not a time span"),
        ("24", "--since '24': not a time span"),
        ("1.5h", "--since '1.5h': not a time span"),
        ("-2d", "--since '-2d': not a time span"),
        ("0h", "--since '0h': the time span must be longer than zero"),
        ("99999999999w", "--since '99999999999w': the time span is too long"),
    ],
)
def test_since_refuses_anything_else_in_one_line(text: str, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_since(text)
    assert caught.value.message == expected
    assert "\n" not in caught.value.one_line()


def test_since_takes_the_entries_of_the_last_hours(
    web_server: WebServer, site_feeds: tuple[Feed, Feed]
) -> None:
    entries = [entry for feed in site_feeds for entry in feed.entries]
    selection = select_entries(entries, since=parse_since("24h"), on_date=None, now=NOW)
    assert _urls(selection) == [web_server.url("coastal-post/saltmere-bridge-reopening.html")]
    assert (selection.outside_window, selection.undated, selection.repeated) == (2, 0, 0)

    selection = select_entries(entries, since=parse_since("2d"), on_date=None, now=NOW)
    assert _urls(selection) == [
        web_server.url("coastal-post/saltmere-bridge-reopening.html"),
        web_server.url("tidewater-times/saltmere-bridge-inspection.html"),
    ]
    assert selection.outside_window == 1


def test_date_takes_the_entries_of_that_utc_day(
    web_server: WebServer, site_feeds: tuple[Feed, Feed]
) -> None:
    entries = [entry for feed in site_feeds for entry in feed.entries]
    selection = select_entries(entries, since=None, on_date=dt.date(2026, 5, 12), now=NOW)
    assert _urls(selection) == [web_server.url("tidewater-times/saltmere-bridge-inspection.html")]
    assert selection.outside_window == 2


def test_the_utc_day_decides_not_the_publishers_clock() -> None:
    # 00:30 in UTC+2 on 13 May is 22:30 UTC on 12 May.
    late = _entry("https://t.example/late", dt.datetime(2026, 5, 12, 22, 30, tzinfo=UTC))
    selection = select_entries([late], since=None, on_date=dt.date(2026, 5, 12), now=NOW)
    assert selection.entries == (late,)
    selection = select_entries([late], since=None, on_date=dt.date(2026, 5, 13), now=NOW)
    assert (selection.entries, selection.outside_window) == ((), 1)


def test_undated_entries_are_left_out_and_counted_only_when_a_window_is_given() -> None:
    dated = _entry("https://t.example/dated", NOW - dt.timedelta(hours=1))
    undated = _entry("https://t.example/undated", None)
    windowed = select_entries([dated, undated], since=dt.timedelta(hours=2), on_date=None, now=NOW)
    assert (windowed.entries, windowed.undated, windowed.outside_window) == ((dated,), 1, 0)
    everything = select_entries([dated, undated], since=None, on_date=None, now=NOW)
    assert everything == EntrySelection(entries=(dated, undated))


def test_the_window_edge_and_future_dates_are_inside() -> None:
    edge = _entry("https://t.example/edge", NOW - dt.timedelta(hours=24))
    just_before = _entry("https://t.example/before", NOW - dt.timedelta(hours=24, seconds=1))
    future = _entry("https://t.example/future", NOW + dt.timedelta(hours=1))
    selection = select_entries(
        [edge, just_before, future], since=dt.timedelta(hours=24), on_date=None, now=NOW
    )
    assert selection.entries == (edge, future)
    assert selection.outside_window == 1


def test_a_span_reaching_back_past_year_one_takes_every_dated_entry() -> None:
    old = _entry("https://t.example/old", dt.datetime(1990, 1, 1, tzinfo=UTC))
    selection = select_entries([old], since=parse_since("999999w"), on_date=None, now=NOW)
    assert selection.entries == (old,)


def test_since_and_date_together_must_both_hold() -> None:
    morning = _entry("https://t.example/morning", dt.datetime(2026, 5, 13, 6, 0, tzinfo=UTC))
    evening = _entry("https://t.example/evening", dt.datetime(2026, 5, 12, 20, 0, tzinfo=UTC))
    selection = select_entries(
        [morning, evening], since=dt.timedelta(hours=12), on_date=dt.date(2026, 5, 13), now=NOW
    )
    assert (selection.entries, selection.outside_window) == ((morning,), 1)


def test_a_link_in_two_feeds_is_taken_once() -> None:
    first = _entry("https://t.example/story", NOW)
    again = FeedEntry(url=first.url, title="Same story, other feed", published=NOW, summary="")
    selection = select_entries([first, again], since=None, on_date=None, now=NOW)
    assert (selection.entries, selection.repeated) == ((first,), 1)


def test_now_must_carry_a_time_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        select_entries([], since=None, on_date=None, now=dt.datetime(2026, 5, 13, 12, 0))
