"""The learned chunk ranker: model file, candidate pool and features, and the order users get."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.ranking import CHUNK_FEATURES, MODEL_PATH, NAMED_POOL, SENTENCE_POOL, RankerModel
from evals.train_ranker import hit_at

pytestmark = pytest.mark.slow


def _model(coef: list[float]) -> RankerModel:
    n = len(CHUNK_FEATURES)
    return RankerModel(names=list(CHUNK_FEATURES), mean=[0.0] * n, scale=[1.0] * n, coef=coef, intercept=0.0)


def test_shipped_ranker_matches_the_features():
    model = RankerModel.load(MODEL_PATH)
    assert model is not None, "assistant/data/ranker.json is missing or stale: run python -m evals.train"
    assert "parents/train.jsonl" in model.trained_on["dataset"]
    assert len(model.coef) == len(CHUNK_FEATURES)


def test_a_ranker_for_other_features_is_not_used(tmp_path):
    path = tmp_path / "ranker.json"
    _model([0.0] * len(CHUNK_FEATURES)).save(path)
    assert RankerModel.load(path) is not None
    data = json.loads(path.read_text(encoding="utf-8"))
    data["names"] = data["names"][1:]
    data["mean"], data["scale"], data["coef"] = data["mean"][1:], data["scale"][1:], data["coef"][1:]
    path.write_text(json.dumps(data), encoding="utf-8")
    assert RankerModel.load(path) is None


def test_pool_adds_the_chunks_of_the_closest_sentences(assistant):
    engine = assistant.engine()
    query = assistant.understand("周末可以送孩子去补课班吗")
    hits, rows = engine.ranker.pool(query)
    assert rows.shape == (len(hits), len(CHUNK_FEATURES))
    assert len({h.chunk.id for h in hits}) == len(hits)  # no chunk twice
    col = {name: i for i, name in enumerate(CHUNK_FEATURES)}
    # the best sentence-level match in the whole corpus is in the pool, at sentence rank 1
    assert rows[:, col["sentence_rr"]].max() == 1.0
    assert (rows[:, col["sentence_gap"]] <= 1e-6).all()
    added = [h for h in hits if "句子向量" in h.boosts]
    assert len(added) <= SENTENCE_POOL
    assert all(h.bm25_rank is None and h.dense_rank is None for h in added)


def test_named_school_feature_marks_its_own_document(assistant):
    engine = assistant.engine()
    query = assistant.understand("芙蓉初中每天作业最多多久")
    assert query.doc_ids
    hits, rows = engine.ranker.pool(query)
    col = {name: i for i, name in enumerate(CHUNK_FEATURES)}
    for hit, row in zip(hits, rows, strict=True):
        own = hit.chunk.doc_id in query.doc_ids
        assert row[col["named_doc"]] == float(own) and row[col["other_doc"]] == float(not own)


def test_users_get_the_learned_order(assistant):
    # The same path as ask(): retrieve() returns the ranker's top chunks, scored by its probability.
    hits = assistant.retrieve("孩子上三年级，每天的书面作业最多写多长时间？")
    assert assistant.engine().ranker.model is not None
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and all(0.0 <= s <= 1.0 for s in scores)
    assert any("60分钟" in h.chunk.text or "1小时" in h.chunk.text for h in hits[:3])


def test_an_inverted_model_inverts_the_order(assistant):
    # The order really comes from the model: weights on dense similarity alone, then their negation.
    engine = assistant.engine()
    query = assistant.understand("晚上几点以后不能补课")
    col = CHUNK_FEATURES.index("dense")
    weights = [0.0] * len(CHUNK_FEATURES)
    weights[col] = 1.0
    saved = engine.ranker.model
    try:
        engine.ranker.model = _model(weights)
        up = [h.dense_score or 0.0 for h in engine.ranker.rank(query, 5)]
        weights[col] = -1.0
        engine.ranker.model = _model(weights)
        down = [h.dense_score or 0.0 for h in engine.ranker.rank(query, 5)]
    finally:
        engine.ranker.model = saved
    assert up == sorted(up, reverse=True) and down == sorted(down)
    assert min(up) >= max(down)


def test_hit_at_counts_questions_with_a_gold_chunk_in_their_top_k():
    scores = np.array([0.9, 0.1, 0.5, 0.2, 0.8])
    labels = np.array([False, True, False, True, False])
    groups = np.array([0, 0, 1, 1, 1])
    assert hit_at(scores, labels, groups, 1) == 0.0
    assert hit_at(scores, labels, groups, 2) == 0.5  # question 1: 0.8, 0.5 — gold 0.2 is third
    assert hit_at(scores, labels, groups, 3) == 1.0


def test_every_chunk_of_a_named_school_is_a_candidate(assistant):
    # Neither retriever need rank a school's rule for it to be considered when the question names the school.
    engine = assistant.engine()
    query = assistant.understand("芙蓉初中的老师家访有什么要求")
    assert query.doc_ids
    hits, _ = engine.ranker.pool(query)
    pooled = {h.chunk.id for h in hits}
    own = [c.id for c in engine.index.chunks if c.doc_id in query.doc_ids]
    assert len(own) <= NAMED_POOL
    assert set(own) <= pooled
    unnamed, _ = engine.ranker.pool(assistant.understand("老师家访有什么要求"))
    assert not any("所问文件" in h.boosts for h in unnamed)
