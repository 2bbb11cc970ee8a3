"""The vector cache: a sentence's embedding is computed (or paid for) once.

An SQLite file beside the response cache (`vectors.sqlite`) maps (the embedder's identity,
a SHA-256 of the text) to the vector, stored as little-endian float32. The identity names
everything that decides a vector: the local model's weights and runtime, or the endpoint
and the model it serves; vectors of another embedder are never read, only left unused
(`summarizer cache clear` drops them).

It shares the response cache's handling (`sqlite_files.SharedFile`): WAL and a busy
timeout for two runs at once, each write committed at once, and a file that cannot be used
reported once while the run goes on computing every vector.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from summarizer.storage.sqlite_files import SharedFile

__all__ = ["VECTOR_CACHE_FILE_NAME", "VectorCache", "VectorCacheSummary"]

VECTOR_CACHE_FILE_NAME = "vectors.sqlite"
# Bumped when the meaning of a stored vector changes, so old rows are never misread.
VECTOR_FORMAT = 1
_STORED = np.dtype("<f4")
# Well under SQLite's limit on variables in one statement (999 in older builds).
_LOOKUP_ROWS = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    embedder TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    created REAL NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (embedder, text_hash)
) WITHOUT ROWID
"""

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class VectorCacheSummary:
    """What `summarizer cache show` prints about vectors."""

    path: Path
    vectors: int
    size_bytes: int
    by_embedder: dict[str, int]


class VectorCache(SharedFile):
    """Sentence vectors by embedder and text in one SQLite file; safe across processes.

    A connection belongs to the thread that opened it: use one instance from one thread.
    """

    kind = "vector cache"

    def get(self, embedder: str, texts: Sequence[str]) -> dict[str, Vector]:
        """The stored vectors of those `texts` that have one (none when the file is unusable)."""
        connection = self._connect()
        if connection is None or not texts:
            return {}
        by_hash = {_text_hash(text): text for text in texts}
        hashes = list(by_hash)
        found: dict[str, Vector] = {}
        try:
            for start in range(0, len(hashes), _LOOKUP_ROWS):
                part = hashes[start : start + _LOOKUP_ROWS]
                rows = connection.execute(
                    "SELECT text_hash, vector FROM vectors WHERE embedder = ? AND text_hash IN "
                    f"({', '.join('?' * len(part))})",
                    (embedder, *part),
                ).fetchall()
                for text_hash, blob in rows:
                    found[by_hash[text_hash]] = np.frombuffer(blob, dtype=_STORED).astype(
                        np.float32
                    )
        except sqlite3.Error as error:
            self._give_up(error)
            return {}
        return found

    def put(self, embedder: str, texts: Sequence[str], vectors: npt.NDArray[np.floating]) -> None:
        """Store one vector per text now (one transaction, so a killed run keeps it)."""
        connection = self._connect()
        if connection is None or not texts:
            return
        created = time.time()
        rows = [
            (embedder, _text_hash(text), created, np.asarray(vector, dtype=_STORED).tobytes())
            for text, vector in zip(texts, vectors, strict=True)
        ]
        try:
            with connection:
                connection.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)
        except sqlite3.Error as error:
            self._give_up(error)

    def summary(self) -> VectorCacheSummary:
        """Counts for `summarizer cache show`; an absent file is an empty cache."""
        empty = VectorCacheSummary(self.path, 0, 0, {})
        connection = self._existing()
        if connection is None:
            return empty
        rows = connection.execute(
            "SELECT embedder, COUNT(*) FROM vectors GROUP BY embedder ORDER BY embedder"
        ).fetchall()
        return VectorCacheSummary(
            path=self.path,
            vectors=sum(row[1] for row in rows),
            size_bytes=self.size_on_disk(),
            by_embedder={row[0]: row[1] for row in rows},
        )

    def clear(self) -> int:
        """Delete every stored vector; return how many there were."""
        return self._delete_all("vectors")

    def _prepare(self, connection: sqlite3.Connection) -> None:
        connection.execute(_SCHEMA)


def _text_hash(text: str) -> str:
    return hashlib.sha256(f"{VECTOR_FORMAT}\0{text}".encode()).hexdigest()
