"""Open the SQLite files summarizer keeps (response cache, article store) one safe way.

Two runs may use a file at once: WAL lets readers and a writer proceed together, and a
writer that finds the file locked waits up to `BUSY_TIMEOUT_SECONDS` instead of failing.
Autocommit (`isolation_level=None`): each statement, or each explicit transaction, is
on disk when it returns, so a run killed half-way keeps what it finished.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 30.0


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
