"""The article store: which articles earlier briefings already covered.

An SQLite file under the user's data directory keeps one row per briefed article, keyed by
its content id (the hash of its normalized text): so the same text arriving under another
URL is recognised as seen, and an updated text at a known URL is new. Each row keeps the
canonical URL, title, outlet and publication date last seen with it, when it was first and
last briefed (UTC) and how many briefings covered it.

Like the response cache, the file is written in WAL mode with a busy timeout so that two
runs may share it, every write is committed at once, and a store that cannot be opened or
written (a corrupt file, a read-only disk, a file from a newer summarizer) is reported once
in `problem` and the run goes on without it: every article then counts as unseen.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarizer.models import Article, Briefing, Source
from summarizer.storage.sqlite_files import SharedFile

STORE_FILE_NAME = "articles.sqlite"
# Stored as SQLite's user_version; a file with a higher one was written by a newer release.
STORE_FORMAT = 1
# Stays under SQLite's smallest limit on bound parameters (999 before 3.32).
_IDS_PER_QUERY = 500
# Fixed width, so that text order is time order and MIN/MAX work on the column.
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    url TEXT,
    title TEXT NOT NULL,
    outlet TEXT NOT NULL,
    published TEXT,
    first_briefed TEXT NOT NULL,
    last_briefed TEXT NOT NULL,
    times_briefed INTEGER NOT NULL
)
"""

# A row recorded again with a time it already holds is the same briefing recorded twice:
# it does not count again.
_UPSERT = """
INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, 1)
ON CONFLICT (id) DO UPDATE SET
    url = COALESCE(excluded.url, url),
    title = excluded.title,
    outlet = excluded.outlet,
    published = COALESCE(excluded.published, published),
    first_briefed = MIN(first_briefed, excluded.first_briefed),
    last_briefed = MAX(last_briefed, excluded.last_briefed),
    times_briefed = times_briefed
        + (excluded.last_briefed NOT IN (first_briefed, last_briefed))
"""


@dataclass(frozen=True)
class StoredArticle:
    """One briefed article as the store remembers it."""

    id: str
    url: str | None
    title: str
    outlet: str
    published: dt.date | None
    first_briefed: dt.datetime
    last_briefed: dt.datetime
    times_briefed: int


@dataclass(frozen=True)
class StoreSummary:
    """What the store holds, for a `show` command."""

    path: Path
    articles: int
    size_bytes: int
    by_outlet: dict[str, int]
    first_briefed: dt.datetime | None
    last_briefed: dt.datetime | None


class ArticleStore(SharedFile):
    """Briefed articles by content id in one SQLite file; safe across processes."""

    kind = "article store"

    @classmethod
    def open(cls, directory: Path) -> ArticleStore:
        """The store in `directory` (the file is made on first use, not here).

        Example:
            >>> with ArticleStore.open(default_store_dir()) as store:  # doctest: +SKIP
            ...     store.record_briefing(briefing)

        Args:
            directory: where `articles.sqlite` lives, e.g. `default_store_dir()`.
        """
        return cls(directory / STORE_FILE_NAME)

    def seen_ids(self, ids: Iterable[str]) -> set[str]:
        """The ids among `ids` that an earlier briefing covered (none if the store is unusable).

        Args:
            ids: article content ids (`Article.id`, `Source.article_id`).
        """
        wanted = sorted(set(ids))
        connection = self._existing() if wanted else None
        if connection is None:
            return set()
        seen: set[str] = set()
        try:
            for batch in _batches(wanted):
                placeholders = ", ".join("?" * len(batch))
                rows = connection.execute(
                    f"SELECT id FROM articles WHERE id IN ({placeholders})", batch
                ).fetchall()
                seen.update(row[0] for row in rows)
        except sqlite3.Error as error:
            self._give_up(error)
            return set()
        return seen

    def get(self, article_id: str) -> StoredArticle | None:
        """What the store remembers of one article, or None."""
        connection = self._existing()
        if connection is None:
            return None
        try:
            row = connection.execute(
                "SELECT * FROM articles WHERE id = ?", (article_id,)
            ).fetchone()
        except sqlite3.Error as error:
            self._give_up(error)
            return None
        return None if row is None else _stored_article(row)

    def record(self, articles: Iterable[Article | Source], briefed_at: dt.datetime) -> int:
        """Remember that one briefing at `briefed_at` covered these articles.

        Pass only articles that were actually briefed (a failed article was not). Recording
        the same briefing twice counts it once. Committed at once, in one transaction.

        Args:
            articles: the briefed articles, or the briefing's numbered sources.
            briefed_at: when the briefing was generated; a naive time is taken as UTC.

        Returns:
            How many distinct articles were recorded (0 if the store is unusable).
        """
        when = _stamp(briefed_at)
        rows: dict[str, tuple[str | None, ...]] = {}
        for article in articles:
            key = article.id if isinstance(article, Article) else article.article_id
            published = article.published.isoformat() if article.published else None
            rows[key] = (key, article.url, article.title, article.outlet, published, when, when)
        if not rows:
            return 0
        connection = self._connect()
        if connection is None:
            return 0
        try:
            # IMMEDIATE takes the write lock up front, so a second writer waits its turn
            # (busy timeout) instead of failing half-way through.
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany(_UPSERT, rows.values())
            except sqlite3.Error:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            self._give_up(error)
            return 0
        return len(rows)

    def record_briefing(self, briefing: Briefing) -> int:
        """Remember every source of `briefing` (only briefed articles are its sources).

        Returns:
            How many distinct articles were recorded (0 if the store is unusable).
        """
        return self.record(briefing.sources, briefing.generated_at)

    def summary(self) -> StoreSummary:
        """Counts for a `show` command; an absent file is an empty store."""
        empty = StoreSummary(self.path, 0, 0, {}, None, None)
        connection = self._existing()
        if connection is None:
            return empty
        try:
            rows = connection.execute(
                "SELECT outlet, COUNT(*), MIN(first_briefed), MAX(last_briefed) FROM articles "
                "GROUP BY outlet ORDER BY outlet"
            ).fetchall()
        except sqlite3.Error as error:
            self._give_up(error)
            return empty
        return StoreSummary(
            path=self.path,
            articles=sum(row[1] for row in rows),
            size_bytes=self.size_on_disk(),
            by_outlet={row[0]: row[1] for row in rows},
            first_briefed=min((_parse_stamp(row[2]) for row in rows), default=None),
            last_briefed=max((_parse_stamp(row[3]) for row in rows), default=None),
        )

    def clear(self) -> int:
        """Forget every article; return how many there were."""
        connection = self._existing()
        if connection is None:
            return 0
        try:
            removed = connection.execute("DELETE FROM articles").rowcount
            connection.execute("VACUUM")
        except sqlite3.Error as error:
            self._give_up(error)
            return 0
        return removed

    def _prepare(self, connection: sqlite3.Connection) -> None:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > STORE_FORMAT:
            self._give_up(f"written by a newer summarizer, format {version}")
            return
        connection.execute(_SCHEMA)
        if version < STORE_FORMAT:
            connection.execute(f"PRAGMA user_version = {STORE_FORMAT}")


def _batches(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), _IDS_PER_QUERY):
        yield ids[start : start + _IDS_PER_QUERY]


def _stamp(moment: dt.datetime) -> str:
    # A naive time is taken to be UTC already, as the Markdown renderer does.
    utc = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    return utc.strftime(_TIME_FORMAT)


def _parse_stamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=dt.UTC)


def _stored_article(row: tuple[Any, ...]) -> StoredArticle:
    article_id, url, title, outlet, published, first, last, times = row
    return StoredArticle(
        id=article_id,
        url=url,
        title=title,
        outlet=outlet,
        published=dt.date.fromisoformat(published) if published is not None else None,
        first_briefed=_parse_stamp(first),
        last_briefed=_parse_stamp(last),
        times_briefed=times,
    )
