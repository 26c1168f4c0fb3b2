"""FeedbackStore against a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest

from assistant.feedback import FeedbackStore


def test_record_list_count(tmp_path):
    path = tmp_path / "nested" / "feedback.sqlite3"
    store = FeedbackStore(path)
    citations = json.dumps(
        [{"n": 1, "doc_id": "primary-2024-plan", "quote": "三至六年级……不超过1小时"}], ensure_ascii=False
    )

    first = store.record(
        "三年级作业多久？", "不超过1小时[1]", citations, "up", created_at="2026-01-01T08:00:00+00:00"
    )
    second = store.record("<script>x</script>", "资料中没有找到", "[]", "down")

    assert path.is_file()
    assert second > first
    assert store.count() == 2
    assert store.count("up") == 1
    assert store.count("down") == 1

    rows = store.list()
    assert [r["id"] for r in rows] == [second, first], "newest first"
    assert rows[1] == {
        "id": first,
        "created_at": "2026-01-01T08:00:00+00:00",
        "vote": "up",
        "question": "三年级作业多久？",
        "answer": "不超过1小时[1]",
        "citations": citations,
    }
    assert rows[0]["question"] == "<script>x</script>", "stored verbatim; escaping is the UI's job"
    assert rows[0]["created_at"].endswith("+00:00")
    assert json.loads(rows[1]["citations"])[0]["doc_id"] == "primary-2024-plan"
    assert len(store.list(limit=1)) == 1


def test_survives_reopen_and_is_plain_sqlite(tmp_path):
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore(path).record("q", "a", "[]", "up")

    assert FeedbackStore(path).count() == 1
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT question, vote FROM feedback").fetchall() == [("q", "up")]


def test_rejects_unknown_vote(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    with pytest.raises(ValueError):
        store.record("q", "a", "[]", "maybe")
    assert store.count() == 0


def test_concurrent_writers(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")

    def vote(i: int) -> None:
        for j in range(10):
            store.record(f"q{i}-{j}", "a", "[]", "up" if j % 2 else "down")

    threads = [threading.Thread(target=vote, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count() == 80
    assert store.count("up") == 40
