"""Read RSS and Atom feeds, and choose the entries inside a time window (`--since`, `--date`).

Publication times are aware UTC datetimes. An entry the feed gives no date for cannot be
placed in a window: with a window it is left out and counted, so the caller can say so;
without one, every entry is taken.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from summarizer.errors import InputError

_SPAN = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_SPAN_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_SPAN_HINT = "a number and a unit: 90m (minutes), 24h (hours), 2d (days) or 1w (weeks)"


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedEntry:
    """One item of a feed: the article's address and what the feed says about it."""

    url: str
    title: str
    published: dt.datetime | None
    summary: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Feed:
    """A parsed feed. Each link appears once; entries without a link are only counted."""

    url: str
    title: str
    entries: tuple[FeedEntry, ...]
    without_link: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class EntrySelection:
    """The entries inside the window, and how many were left out and why.

    Attributes:
        entries: Taken, in the order given, each link once.
        outside_window: Dated entries published outside the window.
        undated: Entries left out because they have no date and a window was given.
        repeated: Entries whose link was already taken.
    """

    entries: tuple[FeedEntry, ...]
    outside_window: int = 0
    undated: int = 0
    repeated: int = 0


def parse_feed(body: bytes, url: str) -> Feed:
    """Parse an RSS (0.9x, 1.0, 2.0) or Atom feed.

    A feed with small errors is still read when its entries can be. Relative entry links
    are resolved against `url` (or the feed's own `xml:base`); an entry whose link repeats
    an earlier one is dropped.

    Args:
        body: The feed document as fetched.
        url: Where it was fetched from (after redirects).

    Raises:
        InputError: the document is not an RSS or Atom feed.
    """
    # Imported on the first feed, like trafilatura for pages: most runs read no feed.
    import feedparser  # type: ignore[import-untyped]  # ships no type information

    parsed = feedparser.parse(body, response_headers={"content-location": url})
    if not parsed.get("entries") and not parsed.get("version"):
        raise InputError(f"{url}: not an RSS or Atom feed")
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    without_link = 0
    for raw in parsed.entries:
        link = str(raw.get("link") or "").strip()
        if not link:
            without_link += 1
            continue
        entry_url = urljoin(url, link)
        if entry_url in seen:
            continue
        seen.add(entry_url)
        entries.append(
            FeedEntry(
                url=entry_url,
                title=_text_of(raw, "title"),
                published=_published(raw),
                summary=_text_of(raw, "summary"),
            )
        )
    return Feed(
        url=url,
        title=_text_of(parsed.feed, "title") or url,
        entries=tuple(entries),
        without_link=without_link,
    )


def parse_since(text: str) -> dt.timedelta:
    """Read a time span such as "90m", "24h", "2d" or "1w".

    Raises:
        InputError: anything else, or a span of zero.
    """
    match = _SPAN.match(text)
    if match is None:
        raise InputError(f"--since {text!r}: not a time span", hint=_SPAN_HINT)
    amount = int(match.group(1))
    if amount == 0:
        raise InputError(f"--since {text!r}: the time span must be longer than zero")
    try:
        return dt.timedelta(**{_SPAN_UNITS[match.group(2).lower()]: amount})
    except OverflowError:  # more than about 2.7 million years
        raise InputError(f"--since {text!r}: the time span is too long") from None


def select_entries(
    entries: Iterable[FeedEntry],
    *,
    since: dt.timedelta | None,
    on_date: dt.date | None,
    now: dt.datetime,
) -> EntrySelection:
    """Choose the entries published in a window.

    `since` takes entries published at or after `now - since` (a date in the future,
    usually a publisher's time-zone slip, is kept); `on_date` takes entries published on
    that calendar day in UTC. Given both, an entry must satisfy both. Given neither,
    every entry is taken, dated or not.

    Args:
        entries: From one or more feeds, in the order to keep.
        since: How far back from `now` to look.
        on_date: The UTC calendar day to take.
        now: The current time, timezone-aware.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    windowed = since is not None or on_date is not None
    cutoff = _cutoff(now, since)
    taken: list[FeedEntry] = []
    seen: set[str] = set()
    outside = undated = repeated = 0
    for entry in entries:
        if entry.url in seen:
            repeated += 1
            continue
        if windowed and entry.published is None:
            undated += 1
            continue
        if entry.published is not None and not _in_window(entry.published, cutoff, on_date):
            outside += 1
            continue
        seen.add(entry.url)
        taken.append(entry)
    return EntrySelection(
        entries=tuple(taken), outside_window=outside, undated=undated, repeated=repeated
    )


def _cutoff(now: dt.datetime, since: dt.timedelta | None) -> dt.datetime | None:
    if since is None:
        return None
    try:
        return now - since
    except OverflowError:  # further back than year 1: every dated entry is inside
        return None


def _in_window(published: dt.datetime, cutoff: dt.datetime | None, on_date: dt.date | None) -> bool:
    if cutoff is not None and published < cutoff:
        return False
    return on_date is None or published.astimezone(dt.UTC).date() == on_date


def _published(raw: Any) -> dt.datetime | None:
    # feedparser gives both already converted to UTC; Atom entries often have only `updated`.
    for key in ("published_parsed", "updated_parsed"):
        value = raw.get(key)
        if isinstance(value, time.struct_time):
            return dt.datetime.fromtimestamp(calendar.timegm(value), tz=dt.UTC)
    return None


def _text_of(item: Any, key: str) -> str:
    """A feed field as plain text on one line; feedparser says whether it holds HTML."""
    value = str(item.get(key) or "")
    detail = item.get(f"{key}_detail") or {}
    if detail.get("type") in {"text/html", "application/xhtml+xml"}:
        collector = _TextCollector()
        collector.feed(value)
        collector.close()
        value = "".join(collector.parts)
    return " ".join(value.split())


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # Block elements separate words that would otherwise run together.
        self.parts.append(" ")
