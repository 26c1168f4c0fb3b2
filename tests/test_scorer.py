"""The learned sentence scorer: model file, sentence vectors, and the answer / related / none outcome."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.answering.outcome import RELATED_LEAD
from assistant.answering.scorer import (
    FEATURES,
    MODEL_PATH,
    QUESTION_FEATURES,
    TRUST_FEATURES,
    ScorerModel,
    trust_row,
)
from assistant.memory import MEMORY_PATH as MEMORY_FILE
from assistant.memory import load_items
from assistant.sentence_vectors import SentenceVectors
from evals.train import NEWDOCS, holds_evidence, thresholds
from evals.train_ranker import each_item, writer
from evals.train_trust import TRUST_PRECISION, precise_threshold


def _model(**overrides) -> ScorerModel:
    n = len(FEATURES)
    values = dict(
        names=list(FEATURES),
        mean=[0.0] * n,
        scale=[1.0] * n,
        coef=[1.0] + [0.0] * (n - 1),
        intercept=0.0,
        calibration_x=[0.0, 0.5, 1.0],
        calibration_y=[0.0, 0.2, 0.9],
        answer_at=0.6,
        related_at=0.1,
        q_names=list(QUESTION_FEATURES),
    )
    values.update(overrides)
    return ScorerModel(**values)


def test_shipped_model_matches_the_features():
    model = ScorerModel.load(MODEL_PATH)
    assert model is not None, "assistant/data/scorer.json is missing or stale: run python -m evals.train"
    assert "parents/train.jsonl" in model.trained_on["dataset"]
    assert 0.0 <= model.related_at <= model.answer_at <= 1.0
    # calibration is a monotone map onto [0, 1]
    assert all(a <= b for a, b in zip(model.calibration_y, model.calibration_y[1:], strict=False))
    assert 0.0 <= min(model.calibration_y) and max(model.calibration_y) <= 1.0


def test_probabilities_follow_the_weights_and_calibration_maps_to_outcomes():
    model = _model()
    rows = np.zeros((3, len(FEATURES)))
    rows[:, 0] = [-2.0, 0.0, 2.0]
    p = model.probabilities(rows)
    assert p[0] < p[1] < p[2] and abs(p[1] - 0.5) < 1e-9
    assert model.confidence(0.5) == pytest.approx(0.2)
    assert model.outcome(model.confidence(0.05)) == "none"
    assert model.outcome(model.confidence(0.5)) == "related"
    assert model.outcome(model.confidence(0.95)) == "answer"


def test_a_model_for_other_features_is_not_used(tmp_path):
    path = tmp_path / "scorer.json"
    _model().save(path)
    assert ScorerModel.load(path) is not None
    data = json.loads(path.read_text(encoding="utf-8"))
    data["names"] = data["names"][:-1]
    path.write_text(json.dumps(data), encoding="utf-8")
    assert ScorerModel.load(path) is None


def test_an_answerability_model_for_other_question_features_is_not_used(tmp_path):
    path = tmp_path / "scorer.json"
    _model(q_names=list(QUESTION_FEATURES[:-1])).save(path)
    assert ScorerModel.load(path) is None


def test_the_shipped_model_carries_its_word_bridge():
    model = ScorerModel.load(MODEL_PATH)
    assert model is not None and model.bridge
    weights = [w for row in model.bridge.values() for w in row.values()]
    assert all(0.0 < w <= 1.0 for w in weights)


def test_sentence_vectors_embed_once_and_survive_a_restart(assistant, tmp_path):
    path = tmp_path / "vectors.npz"
    vectors = SentenceVectors(assistant.embedder, path)
    texts = ["一、二年级不布置家庭书面作业。", "学生每天睡眠时间小学生应达到10小时。"]
    assert vectors.ensure(texts) == 2
    assert vectors.ensure(texts) == 0
    vectors.save()
    again = SentenceVectors(assistant.embedder, path)
    assert again.ensure(texts) == 0
    query = assistant.embedder.embed_query("一年级有没有书面作业")
    assert again.similarity(query, texts[0]) > again.similarity(query, texts[1])


def test_a_damaged_vector_cache_is_rebuilt_not_trusted(assistant, tmp_path):
    path = tmp_path / "vectors.npz"
    path.write_bytes(b"not an npz file")
    vectors = SentenceVectors(assistant.embedder, path)
    assert vectors.ensure(["课后服务结束时间原则上不早于当地正常下班时间。"]) == 1


def test_a_parents_question_gets_the_rule_not_none(assistant):
    # Parents' words: 补课班 and 周末 are not the documents' words (校外培训机构, 休息日).
    answer = assistant.ask("周末可以送孩子去补课班吗")
    data = answer.to_json()
    assert data["outcome"] in {"answer", "related"}
    assert data["abstained"] is False
    assert 0.0 <= data["confidence"] <= 1.0
    assert any("休息日" in c["quote"] or "双休日" in c["quote"] for c in data["citations"])


def test_related_is_labelled_and_none_is_abstained(assistant):
    out_of_scope = assistant.ask("高中生每天作业最多写多久？")
    assert out_of_scope.to_json()["outcome"] == "none" and out_of_scope.abstained
    for question in ("孩子最近老熬夜刷题，学校对晚上睡觉有啥要求", "娃放学后在学校托管能待到几点"):
        answer = assistant.ask(question)
        data = answer.to_json()
        assert data["outcome"] in {"answer", "related", "none"}
        assert data["abstained"] == (data["outcome"] == "none")
        if data["outcome"] == "related":
            assert answer.text.startswith(RELATED_LEAD)
            assert answer.citations


def test_evidence_labels_accept_a_piece_of_the_marked_sentence():
    evidence = ["三至六年级学生书面作业时间平均每天不超过1小时"]
    assert holds_evidence("三至六年级学生书面作业时间平均每天不超过1小时。", evidence)
    assert holds_evidence("书面作业时间平均每天不超过1小时", evidence)
    assert not holds_evidence("初中学生每天睡眠时间应达到9小时。", evidence)


def test_training_walks_every_source_with_its_own_assistant_and_one_question_index():
    corpus, newdocs = object(), object()
    sources = [(corpus, [{"id": "a"}, {"id": "b"}]), (newdocs, [{"id": "nX001"}])]
    assert [(n, a, item["id"]) for n, a, item in each_item(sources)] == [
        (0, corpus, "a"),
        (1, corpus, "b"),
        (2, newdocs, "nX001"),
    ]


def test_the_spent_new_documents_sets_can_share_one_training_home():
    # They are copied into one folder: two files of the same name would silently drop a document.
    names = [path.name for docs, _ in NEWDOCS for path in docs.iterdir()]
    assert names and len(names) == len(set(names))
    questions = [
        json.loads(line) for _, path in NEWDOCS for line in path.read_text("utf-8").splitlines() if line
    ]
    assert len(questions) >= 250 and len({q["id"] for q in questions}) == len(questions)
    # their documents are not in the shipped index: their questions never join the question memory
    remembered = {item.group for item in load_items(MEMORY_FILE)}
    assert remembered and not remembered & {writer(q) for q in questions}


def test_thresholds_balance_the_two_kinds_of_mistake():
    confidence = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.1])
    answerable = np.array([True, True, True, True, False, False])
    correct = np.array([True, True, False, True, False, False])
    related_at, answer_at = thresholds(confidence, correct, answerable)
    assert 0.2 < related_at <= 0.6  # every answerable one quoted, no unanswerable one
    assert answer_at >= related_at


def test_trust_row_finds_where_the_model_ranks_the_cited_sentence():
    texts = [
        "一、二年级不布置家庭书面作业。",
        "三至六年级书面作业平均完成时间不超过60分钟。",
        "初中不超过90分钟。",
    ]
    probabilities = np.array([0.9, 0.6, 0.2])
    cited = trust_row(["三至六年级书面作业平均完成时间不超过60分钟"], texts, probabilities, 0.4)
    assert dict(zip(TRUST_FEATURES, cited, strict=True)) == pytest.approx(
        {"cited_p": 0.6, "cited_rr": 0.5, "cited_gap": 0.3, "evidence": 0.4, "citations": 1.0}
    )
    missing = trust_row(["课后服务结束时间不早于下班时间"], texts, probabilities, 0.3)
    assert missing[0] == 0.0 and missing[1] == 0.0 and missing[2] == pytest.approx(0.9)


def test_trust_below_is_where_stated_answers_become_precise_enough():
    # ten answers by rising trust: from 0.6 up four of five are right, from 0.55 up only four of six
    trust = np.array([0.1, 0.2, 0.3, 0.4, 0.55, 0.6, 0.7, 0.8, 0.9, 0.95])
    right = np.array([False, True, False, True, False, False, True, True, True, True])
    t = precise_threshold(trust, right)
    assert t == pytest.approx(0.6)
    assert right[trust >= t].mean() >= TRUST_PRECISION > right[trust >= 0.55].mean()
    # never below one half, and nothing is stated when no cut is precise enough
    assert precise_threshold(np.array([0.1, 0.2, 0.3, 0.4, 0.45] * 2), np.ones(10, dtype=bool)) == 1.0
    assert precise_threshold(trust, np.zeros(10, dtype=bool)) == 1.0


def test_trust_follows_its_weights_and_is_one_without_a_model():
    assert _model().trust(np.zeros(len(TRUST_FEATURES))) == 1.0
    n = len(TRUST_FEATURES)
    model = _model(t_mean=[0.0] * n, t_scale=[1.0] * n, t_coef=[4.0] + [0.0] * (n - 1), t_intercept=-2.0)
    low, high = np.zeros(n), np.zeros(n)
    high[0] = 1.0
    assert model.trust(low) < 0.5 < model.trust(high)


def test_an_untrusted_extractive_answer_is_hedged_not_stated(assistant):
    # In parents' words the strategies compose below their evidence bar; trust_below decides.
    question = "周末可以送孩子去补课班吗"
    saved = assistant.scorer.trust_below
    try:
        assistant.scorer.trust_below = 0.0  # every answer is trusted
        stated = assistant.ask(question)
        assistant.scorer.trust_below = 1.01  # none is: every weak stated answer becomes a hedge
        hedged = assistant.ask(question)
        # An answer above the bar needs only to be more likely right than wrong.
        strong = assistant.ask("北票市对不亲自批改作业的老师怎么处理？")
    finally:
        assistant.scorer.trust_below = saved
    assert stated.outcome == "answer" and stated.citations
    assert stated.evidence_score < assistant.settings.answer.abstain_below
    assert hedged.outcome == "related" and not hedged.abstained
    assert hedged.text.startswith(RELATED_LEAD)
    # the rule the strategies cited is still quoted, as they cited it (with the model's best if different)
    assert hedged.citations[0].quote == stated.citations[0].quote
    assert "休息日" in hedged.text
    assert strong.outcome == "answer" and strong.evidence_score >= assistant.settings.answer.abstain_below


def test_the_models_favourite_duration_is_quoted_though_a_homework_rule_passes_the_type_check(assistant):
    # 睡足几个钟头 shares no word with 睡眠时间不少于10小时, and a homework rule (…不超过1小时) passes the
    # strategies' type check too; the learned model's favourite, which holds a duration, is among the quotes.
    answer = assistant.ask(
        "闺女读一年级，晚上磨磨蹭蹭快十点才上床，早上六点四十就得起，小学生一晚上起码得睡足几个钟头才行"
    )
    assert answer.outcome in {"answer", "related"}
    assert any("睡眠" in c.quote and "10小时" in c.quote for c in answer.citations)


def test_a_hedge_quotes_the_more_probable_rule_first(assistant):
    # The strategies cite a sentence on pupils arriving early or leaving late; the learned model's favourite is
    # the winter end time. A parent reads the first quote as the answer, so the likelier rule leads.
    saved = assistant.scorer.trust_below
    try:
        assistant.scorer.trust_below = 1.01  # every weak stated answer becomes a hedge
        answer = assistant.ask("那冬天呢会提前吗", history=["四年级托管延时服务弄到几点"])
    finally:
        assistant.scorer.trust_below = saved
    assert answer.outcome == "related" and len(answer.citations) >= 2
    assert "冬季晚五点半" in answer.citations[0].quote
    assert [c.number for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert answer.text.index("冬季晚五点半") < answer.text.index(answer.citations[1].quote[:10])


def test_a_question_sharing_no_word_with_the_documents_can_still_get_its_rule(assistant):
    # 夏天 / 晚托 / 散 are none of the documents' words (夏季, 课后服务, 结束), so no question word is in the top
    # chunks at all; the answerability model, not that fact alone, decides whether the rule is shown.
    answer = assistant.ask("夏天晚托几点散")
    assert answer.outcome in {"answer", "related"} and not answer.abstained
    assert "夏季晚六点" in answer.citations[0].quote
