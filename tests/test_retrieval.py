"""Hybrid retrieval and its LangChain view, on the real index."""

import pytest
from langchain_core.retrievers import BaseRetriever

# Integration layer: the real index (built once per session); the fast unit tests are in tests/unit.
pytestmark = pytest.mark.slow


def test_modes_return_ranked_hits(assistant):
    for mode in ("bm25", "dense", "hybrid", "hybrid_qu"):
        hits = assistant.retrieve("课后服务结束时间", mode=mode)
        assert hits and all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))
    fused = assistant.retrieve("课后服务结束时间", mode="hybrid")
    assert any(h.bm25_rank and h.dense_rank for h in fused)


def test_grade_question_reaches_range_chunks(assistant):
    texts = [h.chunk.text for h in assistant.retrieve("三年级书面作业时间")[:5]]
    assert any("三至六年级" in t or "三、四年级" in t or "3、4年级" in t or "其他年级" in t for t in texts)
    junior = assistant.retrieve("七年级书面作业时间")[:3]
    assert all(not h.chunk.grades or {7, 8, 9} & set(h.chunk.grades) for h in junior)


def test_langchain_retriever(assistant):
    retriever = assistant.as_langchain_retriever(k=3)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("北票市作业检查")
    assert len(docs) == 3 and docs[0].metadata["doc_id"] == "beipiao-3year-plan"


def test_teacher_search_filters(assistant):
    hits = assistant.search("书面作业", grades={3}, topic="作业")
    assert hits and all(not h.chunk.grades or 3 in h.chunk.grades for h in hits)
    county = assistant.search("课后服务", level="county")
    assert county and {h.chunk.level for h in county} == {"county"}
