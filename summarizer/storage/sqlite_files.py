"""Open the SQLite files summarizer keeps (response cache, article store) one safe way.

Two runs may use a file at once: WAL lets readers and a writer proceed together, and a
writer that finds the file locked waits up to `BUSY_TIMEOUT_SECONDS` instead of failing.
Autocommit (`isolation_level=None`): each statement, or each explicit transaction, is
on disk when it returns, so a run killed half-way keeps what it finished.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Self

BUSY_TIMEOUT_SECONDS = 30.0
# A check waits this long for a run that is writing the file, not the run's 30 s.
CHECK_BUSY_TIMEOUT_MS = 2000


def open_shared(path: Path) -> sqlite3.Connection:
    """Connect to `path`, creating its folder, in WAL mode with a busy timeout.

    Raises:
        OSError: the folder cannot be created.
        sqlite3.Error: the file cannot be opened as a database.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error:
        connection.close()
        raise
    return connection


class SharedFile:
    """One SQLite file shared by runs, opened on first use.

    A file that cannot be opened or prepared is never an error: `problem` says why, once,
    and the run goes on without the file (every read finds nothing, writes are dropped).
    Subclasses name what they are (`kind`) and create their tables in `_prepare`.
    """

    kind = "file"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: str | None = None
        self._connection: sqlite3.Connection | None = None

    def close(self) -> None:
        """Close the connection; using the file again reopens it."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _prepare(self, connection: sqlite3.Connection) -> None:
        """Create or check the tables; raise `sqlite3.Error`, or call `_give_up`."""

    def check(self) -> str | None:
        """Why a run could not use the file (as `problem` words it), or None if it can.

        An existing file must open, be one this release reads, and take a write, which is
        rolled back. An absent file is not created: the nearest existing folder on its
        path must be writable, for a run to create it there.
        """
        if not self.path.exists():
            folder = _nearest_existing(self.path.parent)
            if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
                self._give_up(f"cannot be created: {folder} is not a writable folder")
            return self.problem
        connection = self._connect()
        if connection is None:
            return self.problem
        try:
            connection.execute(f"PRAGMA busy_timeout = {CHECK_BUSY_TIMEOUT_MS}")
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute("CREATE TABLE summarizer_write_check (x)")
            finally:
                connection.execute("ROLLBACK")
        except sqlite3.Error as error:
            self._give_up(f"cannot be written: {error}")
        return self.problem

    def size_on_disk(self) -> int:
        """Bytes of the file, its write-ahead log and shared-memory index included."""
        path = self.path
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
        return sum(f.stat().st_size for f in files if f.exists())

    def _delete_all(self, table: str) -> int:
        """Delete every row of `table` and shrink the file; return how many there were."""
        connection = self._existing()
        if connection is None:
            return 0
        with connection:
            removed: int = connection.execute(f"DELETE FROM {table}").rowcount
        connection.execute("VACUUM")
        return removed

    def _existing(self) -> sqlite3.Connection | None:
        """The connection for reading or clearing: None if the file is absent (a read does
        not create it) or unusable."""
        if not self.path.exists():
            return None
        return self._connect()

    def _connect(self) -> sqlite3.Connection | None:
        if self._connection is not None or self.problem is not None:
            return self._connection
        try:
            self._connection = open_shared(self.path)
            self._prepare(self._connection)
        except (OSError, sqlite3.Error) as error:
            self._give_up(error)
        return self._connection

    def _give_up(self, error: Exception | str) -> None:
        self.problem = f"{self.kind} {self.path} unusable ({error}); running without it"
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None


def _nearest_existing(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder
