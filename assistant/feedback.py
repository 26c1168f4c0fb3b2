"""👍/👎 votes on answers, kept in a small SQLite file next to the index."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

VOTES = ("up", "down")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL
)
"""


class FeedbackStore:
    """Append-only vote log. One short-lived connection per call, so web worker threads can share it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # The timeout lets concurrent voters wait for each other's write lock instead of failing.
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def record(
        self, question: str, answer_text: str, citations_json: str, vote: str, created_at: str | None = None
    ) -> int:
        """Store one vote ("up" or "down"); returns its row id."""
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {VOTES}, got {vote!r}")
        created_at = created_at or datetime.now(UTC).isoformat(timespec="seconds")
        with closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT INTO feedback (created_at, vote, question, answer, citations) VALUES (?, ?, ?, ?, ?)",
                (created_at, vote, question, answer_text, citations_json),
            )
            return int(cursor.lastrowid)

    def list(self, limit: int = 100) -> list[dict]:
        """Newest votes first."""
        with closing(self._connect()) as db:
            rows = db.execute("SELECT * FROM feedback ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [dict(row) for row in rows]

    def count(self, vote: str | None = None) -> int:
        with closing(self._connect()) as db:
            if vote is None:
                return db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
            return db.execute("SELECT COUNT(*) FROM feedback WHERE vote = ?", (vote,)).fetchone()[0]
