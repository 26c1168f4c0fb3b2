"""FeedbackStore against a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest

from assistant.feedback import FeedbackStore, eval_row, export_jsonl
from evals.run import load_dataset


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
        "session": None,
        "history": "[]",
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


def test_one_vote_per_session_and_answer(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    first = store.record("q", "a[1]", "[]", "up", session="s1")
    for _ in range(51):
        assert store.record("q", "a[1]", "[]", "down", session="s1") == first
    assert store.count() == 1 and store.count("down") == 1, "the last vote of a session counts, once"

    store.record("q", "a[1]", "[]", "up", session="s2")
    store.record("q", "another answer", "[]", "down", session="s1")
    store.record("q", "a[1]", "[]", "up")  # no session (older callers): kept as before
    assert store.count() == 4


def test_one_vote_per_session_under_concurrency(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    threads = [
        threading.Thread(target=store.record, args=("q", "a", "[]", "down"), kwargs={"session": "same"})
        for _ in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count() == 1


def test_an_old_file_gains_the_new_columns(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, "
            "vote TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL)"
        )
        db.execute("INSERT INTO feedback VALUES (1, '2025-01-01T00:00:00+00:00', 'down', 'q', 'a', '[]')")
    store = FeedbackStore(path)
    assert store.list()[0]["question"] == "q"
    store.record("q", "a", "[]", "down", session="s")
    store.record("q", "a", "[]", "up", session="s")
    assert store.count() == 2


def test_filters_by_vote_and_date(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    store.record("old", "a", "[]", "down", created_at="2026-01-01T08:00:00+00:00")
    store.record("mid", "a", "[]", "down", created_at="2026-02-10T23:59:00+00:00")
    store.record("up", "a", "[]", "up", created_at="2026-02-10T09:00:00+00:00")
    store.record("new", "a", "[]", "down", created_at="2026-03-05T08:00:00+00:00")

    def questions(**kw):
        return [r["question"] for r in store.list(**kw)]

    assert questions(vote="down") == ["new", "mid", "old"]
    assert questions(vote="down", since="2026-02-01", until="2026-02-10") == ["mid"]
    assert questions(since="2026-02-11") == ["new"]
    assert questions(until="2026-01-31") == ["old"]


def test_export_is_valid_eval_rows(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    cited = [{"number": 1, "doc_id": "d1", "title": "T", "section": "一、", "quote": "不超过1小时"}]
    store.record(
        "那初中呢？",
        "不超过1小时[1]",
        json.dumps(cited, ensure_ascii=False),
        "down",
        session="s",
        history=["三年级作业多久？"],
    )
    store.record("<b>x</b>", "资料中没有找到", "not json", "down")
    out = tmp_path / "fb.jsonl"
    out.write_text(export_jsonl(store.list(vote="down")), encoding="utf-8")

    items = load_dataset(out)
    assert len(items) == 2
    for item in items:
        assert set(item) >= {"id", "question", "answers", "evidence", "answerable", "kind", "history"}
        assert item["answers"] == [] and item["kind"] == "feedback"
    follow_up = next(i for i in items if i["question"] == "那初中呢？")
    assert follow_up["history"] == ["三年级作业多久？"]
    assert follow_up["given_answer"] == "不超过1小时[1]"
    assert follow_up["given_sources"][0]["quote"] == "不超过1小时"
    assert eval_row(store.list()[0])["given_sources"] == [], "a damaged citations field loses only itself"
