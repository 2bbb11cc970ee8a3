"""Turn everything a user names into Articles: files, folders, globs, URLs, feeds and stdin.

One source that cannot be read is a reported failure with one line; the others still
run. Pages are fetched a few at a time and come back in the order they were named. The
same article arriving twice (same URL, same text, or a syndicated copy) is kept once,
with every outlet that carried it (dedupe.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import glob
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from summarizer.errors import InputError, UserError
from summarizer.inputs.dedupe import dedupe_articles
from summarizer.inputs.feeds import EntrySelection, Feed, FeedEntry, parse_feed, select_entries
from summarizer.inputs.fetch import FetchLimits, Page, fetch, http_client, is_feed
from summarizer.inputs.html_extract import article_from_html
from summarizer.inputs.ingest import (
    article_files,
    article_from_text,
    collect_articles,
    path_kind,
    read_file_bytes,
)
from summarizer.models import Article, ArticleFailure
from summarizer.runtime.concurrency import all_in_order
from summarizer.runtime.progress import ProgressCallback, ProgressReporter, ProgressStage

ArticleSource = str | Path | Article

FEED_SUFFIXES = frozenset({".rss", ".atom", ".xml"})
# Pages fetched at once: enough to hide latency, few enough to be polite to one site.
FETCHES_AT_ONCE = 8
_GLOB_CHARACTERS = frozenset("*?[")


@dataclass(frozen=True, kw_only=True)
class Window:
    """Which feed entries to take: published in the last `since`, or on `on_date` (UTC)."""

    since: dt.timedelta | None = None
    on_date: dt.date | None = None


@dataclass(kw_only=True)
class Gathered:
    """The articles read, in the order named, and what could not be read."""

    articles: list[Article] = field(default_factory=list)
    failures: list[ArticleFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def gather_articles(
    sources: Iterable[ArticleSource],
    *,
    window: Window | None = None,
    limits: FetchLimits | None = None,
    now: dt.datetime | None = None,
    client: httpx2.AsyncClient | None = None,
    on_progress: ProgressCallback | None = None,
) -> Gathered:
    """Read every source into Articles; duplicates are folded into one with its carriers.

    A `str` is a URL when it has a scheme (`https://...`), `-` for stdin, a glob when it
    holds `*`, `?` or `[` and names no existing path, else a path or article text (see
    `ingest.collect_articles`). A URL or a local `.rss`/`.atom`/`.xml` file that turns out
    to be a feed is read for its entries in `window`, and each entry's page is fetched.

    Args:
        sources: what to read, in the order to keep.
        window: which feed entries to take (default: every entry).
        limits: time, size and redirect caps for each fetch.
        now: the time `window.since` counts back from (default: now).
        client: an `httpx2.AsyncClient` to fetch with (default: one made here).
        on_progress: called with a `ProgressEvent` of stage `reading` for each of the
            `notes` (feeds read, copies folded) once everything is read.
    """
    progress = ProgressReporter(on_progress)
    reader = _Reader(
        window=window or Window(),
        limits=limits or FetchLimits(),
        now=now or dt.datetime.now(dt.UTC),
        client=client,
    )
    async with reader.open():
        gathered = _joined(await all_in_order(reader.read(source) for source in sources))
    kept = dedupe_articles(gathered.articles)
    folded = len(gathered.articles) - len(kept)
    if folded:
        copies = sum(len(article.also_carried_by) for article in kept)
        gathered.notes.append(
            f"{folded} duplicate article(s) folded into the copies kept "
            f"({copies} other carrier(s) listed with their sources)"
        )
    gathered.articles = kept
    for note in gathered.notes:
        progress.report(ProgressStage.READING, note)
    return gathered


class _Reader:
    def __init__(
        self,
        *,
        window: Window,
        limits: FetchLimits,
        now: dt.datetime,
        client: httpx2.AsyncClient | None,
    ) -> None:
        self.window = window
        self.limits = limits
        self.now = now
        self._client = client
        self._owned: httpx2.AsyncClient | None = None
        self._fetches = asyncio.Semaphore(FETCHES_AT_ONCE)

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if self._owned is not None:
                await self._owned.aclose()

    async def read(self, source: ArticleSource) -> Gathered:
        try:
            if isinstance(source, str) and _is_url(source):
                return await self._read_url(source)
            if isinstance(source, str) and _is_glob(source):
                return await self._read_glob(source)
            if not isinstance(source, Article) and path_kind(source) == "folder":
                # File by file: one unreadable file is its own failure, not the folder's.
                return _joined([await self.read(file) for file in article_files(Path(source))])
            feed_file = _local_feed(source)
            if feed_file is not None:
                body = read_file_bytes(feed_file)
                return await self._read_feed(
                    parse_feed(body, feed_file.resolve().as_uri()), str(feed_file)
                )
            # Files, folders, stdin, Articles and article text, as ingest reads them.
            return Gathered(articles=collect_articles([source]))
        except UserError as error:
            return Gathered(failures=[_failure(source_label(source), error)])

    async def _read_glob(self, pattern: str) -> Gathered:
        matches = sorted(glob.glob(pattern, recursive=True))
        if not matches:
            raise InputError(f"{pattern}: no files match")
        return _joined([await self.read(Path(m)) for m in matches if not Path(m).is_dir()])

    async def _read_url(self, url: str) -> Gathered:
        page = await self._fetch(url)
        if is_feed(page):
            return await self._read_feed(parse_feed(page.body, page.final_url), url)
        return Gathered(articles=[_article_from_page(page, fallback_name=page.final_url)])

    async def _read_feed(self, feed: Feed, label: str) -> Gathered:
        chosen = select_entries(
            feed.entries, since=self.window.since, on_date=self.window.on_date, now=self.now
        )
        parts = await all_in_order(self._read_entry(feed, entry) for entry in chosen.entries)
        return _joined([Gathered(notes=[_describe_feed(label, feed, chosen)]), *parts])

    async def _read_entry(self, feed: Feed, entry: FeedEntry) -> Gathered:
        try:
            page = await self._fetch(entry.url)
            article = _article_from_page(page, fallback_name=entry.title or feed.title)
        except UserError as error:
            return Gathered(failures=[_failure(entry.url, error)])
        if article.published is None and entry.published is not None:
            # The page did not say when; the feed did.
            article = article.model_copy(update={"published": entry.published.date()})
        return Gathered(articles=[article])

    async def _fetch(self, url: str) -> Page:
        if self._client is None:
            self._owned = self._client = http_client(self.limits)
        async with self._fetches:
            return await fetch(self._client, url, self.limits)


def _joined(parts: list[Gathered]) -> Gathered:
    return Gathered(
        articles=[article for part in parts for article in part.articles],
        failures=[failure for part in parts for failure in part.failures],
        notes=[note for part in parts for note in part.notes],
    )


def _local_feed(source: ArticleSource) -> Path | None:
    if isinstance(source, Article) or (isinstance(source, str) and "\n" in source):
        return None
    path = Path(source)
    return path if path.suffix.lower() in FEED_SUFFIXES and path_kind(path) == "file" else None


def _failure(source: str, error: UserError) -> ArticleFailure:
    # Input errors name their source first; the failure records it once, apart.
    message = error.one_line().removeprefix(f"{source}: ")
    return ArticleFailure(source=source, message=message)


def _article_from_page(page: Page, *, fallback_name: str) -> Article:
    if page.content_type == "text/plain":
        text = page.body.decode(page.charset or "utf-8", errors="replace")
        return article_from_text(text, url=page.final_url, fallback_name=fallback_name)
    return article_from_html(page.body, url=page.final_url, fallback_name=fallback_name)


def _describe_feed(label: str, feed: Feed, chosen: EntrySelection) -> str:
    left_out = []
    if chosen.outside_window:
        left_out.append(f"{chosen.outside_window} outside the time window")
    if chosen.undated:
        left_out.append(f"{chosen.undated} undated (a time window needs dates)")
    if feed.without_link:
        left_out.append(f"{feed.without_link} without a link")
    rest = f"; left out: {', '.join(left_out)}" if left_out else ""
    taken = len(chosen.entries)
    return f"feed {label} ({feed.title}): {taken} of {len(feed.entries)} entries taken{rest}"


def _is_url(text: str) -> bool:
    stripped = text.strip()
    return "://" in stripped and " " not in stripped and "\n" not in stripped


def _is_glob(text: str) -> bool:
    return (
        "\n" not in text
        and any(character in text for character in _GLOB_CHARACTERS)
        and path_kind(text) is None
    )


def source_label(source: ArticleSource) -> str:
    """How a source is named in progress lines and failures: its path, URL or title."""
    if isinstance(source, Article):
        return source.path or source.url or source.title
    text = str(source)
    # A path, URL or pattern names its input and is kept whole (a shortened one may name
    # none, or two); only article text given as a string is cut to a label.
    if isinstance(source, Path) or len(text.split()) == 1:
        return text
    return text if len(text) <= 80 else text[:79] + "…"
