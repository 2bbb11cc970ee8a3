"""The response cache: a model's answer for one chunk is paid for once.

An SQLite file under the user's cache directory maps a content address to the answer.
The address hashes everything that decides the answer: model, endpoint (the backend's
identity: its URL, or the embedded weights), the prompt messages (which carry the chunk's
text), the response schema and the generation parameters. Anything that changes one of
them changes the address, so stale answers are never served; they just stop being used
(`summarizer cache clear` drops them).

Each answer is committed as soon as its chunk is done, so a run that is killed keeps every
finished chunk. WAL mode and a busy timeout let two runs share the file. A cache that
cannot be opened or written (a corrupt file, a read-only disk) is reported once and the run
goes on without it: a cache must never be the reason a briefing fails.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarizer.storage.sqlite_files import SharedFile

# Bumped when the meaning of a stored answer changes, so old rows are never misread.
CACHE_FORMAT = 1
CACHE_FILE_NAME = "responses.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    created REAL NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    answer TEXT NOT NULL
)
"""


def cache_key(
    *,
    model: str,
    endpoint: str,
    messages: Sequence[Mapping[str, str]],
    schema: Mapping[str, Any],
    chunk_text: str,
    parameters: Mapping[str, Any],
) -> str:
    """The content address of one request's answer."""
    material = {
        "format": CACHE_FORMAT,
        "model": model,
        "endpoint": endpoint,
        "prompt": _digest(messages),
        "schema": _digest(schema),
        "chunk": _digest(chunk_text),
        "parameters": dict(sorted(parameters.items())),
    }
    return _digest(material)


@dataclass(frozen=True)
class CachedAnswer:
    """A stored answer and what it cost when it was first paid for."""

    answer: dict[str, Any]
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class CacheSummary:
    """What `summarizer cache show` prints."""

    path: Path
    answers: int
    size_bytes: int
    by_model: dict[str, int]
    saved_tokens: int
    oldest: float | None
    newest: float | None


class ResponseCache(SharedFile):
    """Answers by content address in one SQLite file; safe across processes."""

    kind = "response cache"

    def get(self, key: str) -> CachedAnswer | None:
        """The stored answer for `key`, or None (also when the cache is unusable)."""
        connection = self._connect()
        if connection is None:
            return None
        try:
            row = connection.execute(
                "SELECT answer, prompt_tokens, completion_tokens FROM answers WHERE key = ?",
                (key,),
            ).fetchone()
        except sqlite3.Error as error:
            self._give_up(error)
            return None
        if row is None:
            return None
        try:
            answer = json.loads(row[0])
        except json.JSONDecodeError:
            return None
        return CachedAnswer(answer=answer, prompt_tokens=row[1], completion_tokens=row[2])

    def put(
        self,
        key: str,
        answer: Mapping[str, Any],
        *,
        model: str,
        endpoint: str,
        prompt_tokens: int,
        completion_tokens: int,
    ) -> None:
        """Store an answer now (committed at once, so a killed run keeps it)."""
        connection = self._connect()
        if connection is None:
            return
        try:
            with connection:
                connection.execute(
                    "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        model,
                        endpoint,
                        time.time(),
                        prompt_tokens,
                        completion_tokens,
                        json.dumps(answer, ensure_ascii=False, sort_keys=True),
                    ),
                )
        except sqlite3.Error as error:
            self._give_up(error)

    def summary(self) -> CacheSummary:
        """Counts for `summarizer cache show`; an absent file is an empty cache."""
        empty = CacheSummary(self.path, 0, 0, {}, 0, None, None)
        connection = self._existing()
        if connection is None:
            return empty
        rows = connection.execute(
            "SELECT model, COUNT(*), SUM(prompt_tokens + completion_tokens), MIN(created), "
            "MAX(created) FROM answers GROUP BY model ORDER BY model"
        ).fetchall()
        return CacheSummary(
            path=self.path,
            answers=sum(row[1] for row in rows),
            size_bytes=self.size_on_disk(),
            by_model={row[0]: row[1] for row in rows},
            saved_tokens=sum(row[2] or 0 for row in rows),
            oldest=min((row[3] for row in rows), default=None),
            newest=max((row[4] for row in rows), default=None),
        )

    def clear(self) -> int:
        """Delete every stored answer; return how many there were."""
        return self._delete_all("answers")

    def _prepare(self, connection: sqlite3.Connection) -> None:
        connection.execute(_SCHEMA)


def _digest(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
