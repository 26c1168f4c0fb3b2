"""👍/👎 votes on answers in a small SQLite file: one vote per session and answer, listed and exported."""

from __future__ import annotations

import hashlib
import json
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
# Columns added after the first release; an older file gains them on open.
_LATER_COLUMNS = {
    "session": "TEXT",
    "answer_key": "TEXT",
    "history": "TEXT NOT NULL DEFAULT '[]'",
}
_UNIQUE = (
    "CREATE UNIQUE INDEX IF NOT EXISTS feedback_one_vote ON feedback (session, answer_key) "
    "WHERE session IS NOT NULL"
)
_FIELDS = ("id", "created_at", "vote", "question", "answer", "citations", "session", "history")


def answer_key(question: str, answer_text: str) -> str:
    """Identifies 'this answer to this question', so a session's repeated votes on it collapse into one."""
    return hashlib.sha256(f"{question}\x00{answer_text}".encode()).hexdigest()[:32]


class FeedbackStore:
    """Vote log. One short-lived connection per call, so web worker threads can share it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute(_SCHEMA)
            have = {row["name"] for row in db.execute("PRAGMA table_info(feedback)")}
            for name, kind in _LATER_COLUMNS.items():
                if name not in have:
                    db.execute(f"ALTER TABLE feedback ADD COLUMN {name} {kind}")
            db.execute(_UNIQUE)

    def _connect(self) -> sqlite3.Connection:
        # The timeout lets concurrent voters wait for each other's write lock instead of failing.
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def record(
        self,
        question: str,
        answer_text: str,
        citations_json: str,
        vote: str,
        created_at: str | None = None,
        *,
        session: str | None = None,
        history: list[str] | None = None,
    ) -> int:
        """Store one vote ("up" or "down"); returns its row id.

        With a `session`, a later vote by the same session on the same answer replaces the earlier one
        (its row id stays), so one visitor cannot stack votes.
        """
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {VOTES}, got {vote!r}")
        created_at = created_at or datetime.now(UTC).isoformat(timespec="seconds")
        key = answer_key(question, answer_text)
        history_json = json.dumps(list(history or []), ensure_ascii=False)
        with closing(self._connect()) as db, db:
            # One statement, so two concurrent votes of one session cannot both insert.
            row = db.execute(
                "INSERT INTO feedback (created_at, vote, question, answer, citations, session, answer_key, "
                "history) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (session, answer_key) WHERE session IS NOT NULL "
                "DO UPDATE SET vote = excluded.vote, created_at = excluded.created_at RETURNING id",
                (created_at, vote, question, answer_text, citations_json, session, key, history_json),
            ).fetchone()
            return int(row["id"])

    def list(
        self,
        limit: int = 100,
        *,
        vote: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[dict]:
        """Newest votes first; `since`/`until` are ISO dates or times (until a bare date includes that day)."""
        where, args = [], []
        if vote is not None:
            where.append("vote = ?")
            args.append(vote)
        if since:
            where.append("created_at >= ?")
            args.append(since)
        if until:
            where.append("created_at < ?")
            args.append(_day_after(until) if len(until) == 10 else until)
        sql = "SELECT * FROM feedback"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        with closing(self._connect()) as db:
            rows = db.execute(sql, (*args, int(limit))).fetchall()
        return [{k: row[k] for k in _FIELDS} for row in rows]

    def count(self, vote: str | None = None) -> int:
        with closing(self._connect()) as db:
            if vote is None:
                return db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
            return db.execute("SELECT COUNT(*) FROM feedback WHERE vote = ?", (vote,)).fetchone()[0]


def _day_after(day: str) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def eval_row(row: dict) -> dict:
    """A vote as a line of the evals/ JSONL schema, for a maintainer to complete with the right answer.

    `answers` and `evidence` stay empty (the voted answer is what was judged wrong, so its quotes are not
    gold); the given answer and its sources ride along in extra fields that the eval loader ignores.
    """
    try:
        citations = json.loads(row.get("citations") or "[]")
    except json.JSONDecodeError:
        citations = []
    try:
        history = json.loads(row.get("history") or "[]")
    except json.JSONDecodeError:
        history = []
    return {
        "id": f"fb{row['id']:05d}",
        "question": row["question"],
        "answers": [],
        "evidence": [],
        "answerable": True,
        "kind": "feedback",
        "history": [h for h in history if isinstance(h, str)],
        "vote": row["vote"],
        "voted_at": row["created_at"],
        "given_answer": row["answer"],
        "given_sources": [
            {k: c.get(k) for k in ("doc_id", "title", "section", "quote") if k in c}
            for c in citations
            if isinstance(c, dict)
        ],
    }


def export_jsonl(rows: list[dict]) -> str:
    """Votes as eval rows, one JSON object per line."""
    return "".join(json.dumps(eval_row(r), ensure_ascii=False) + "\n" for r in rows)
