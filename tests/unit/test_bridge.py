"""The learned word bridge: fitting from marked sentences and the per-candidate columns."""

import numpy as np
import pytest

from assistant.answering.bridge import BRIDGE_FEATURES, MIN_QUESTIONS, bridge_rows, fit_bridge


def pair(question, gold, others):
    gold = [frozenset(g) for g in gold]
    return question, gold, gold + [frozenset(o) for o in others]


def test_a_parent_word_bridges_to_the_word_its_answers_hold():
    pairs = [
        pair(["娃", "作业"], [["学生", "作业", "分钟"]], [["作业", "家长"], ["作业", "教师"]]),
        pair(["娃", "睡觉"], [["学生", "睡眠", "小时"]], [["睡眠", "家长"]]),
        pair(["娃", "手机"], [["学生", "手机", "带入"]], [["手机", "课堂"], ["手机", "家长"]]),
    ]
    table = fit_bridge(pairs)
    # 学生 is in every answer and rarely elsewhere; 作业 is in every candidate of its question, so it tells
    # nothing about which one answers.
    assert table["娃"]["学生"] > 0.3
    assert table["娃"].get("作业", 0.0) < table["娃"]["学生"]
    assert "家长" not in table["娃"]


def test_rare_question_words_are_shrunk_or_left_out():
    often = [pair(["托管"], [["课后服务"]], [["收费"]]) for _ in range(8)]
    seldom = [pair(["晚托"], [["课后服务"]], [["收费"]]) for _ in range(MIN_QUESTIONS)]
    once = [pair(["鸡娃"], [["课后服务"]], [["收费"]])]
    table = fit_bridge(often + seldom + once)
    assert table["托管"]["课后服务"] > table["晚托"]["课后服务"] > 0
    assert "鸡娃" not in table  # one question's wording is no fact about parents' words


def test_questions_without_an_answering_sentence_teach_nothing():
    assert fit_bridge([(["天气"], [], [frozenset(["北京"])])]) == {}


def test_rows_rank_the_bridged_sentence_first():
    table = {"娃": {"学生": 0.6}, "排名次": {"排名": 0.5, "公布": 0.3}}
    sentences = [frozenset(["教师", "批改"]), frozenset(["公布", "学生", "排名"]), frozenset(["学生"])]
    rows = bridge_rows(table, ["娃", "排名次", "期中"], sentences)
    assert rows.shape == (3, len(BRIDGE_FEATURES))
    mean, best, gap, best_gap = rows.T
    assert mean[1] == pytest.approx((0.6 + 0.5) / 3)  # every question word counts, known or not
    assert best.tolist() == pytest.approx([0.0, 0.6, 0.6])
    assert gap[1] == 0.0 and (gap <= 0).all() and gap[0] < gap[2] < 0
    assert best_gap[1] == best_gap[2] == 0.0


def test_no_table_or_no_known_word_gives_zero_columns():
    sentences = [frozenset(["学生"])]
    assert not bridge_rows({}, ["娃"], sentences).any()
    assert not bridge_rows({"娃": {"学生": 0.6}}, ["天气"], sentences).any()
    assert bridge_rows({"娃": {"学生": 0.6}}, ["娃"], []).shape == (0, len(BRIDGE_FEATURES))
    assert np.isfinite(bridge_rows({"娃": {"学生": 0.6}}, ["娃"], sentences)).all()


def test_training_columns_come_from_tables_without_the_questions_writer():
    from assistant.answering.scorer import FEATURES
    from evals.train import fill_bridge

    questions, labels, groups = [], [], []
    for n, who in enumerate(["pA", "pB", "pC", "pD", "pE", "pF"]):
        word = "鸡娃" if who == "pA" else "娃"  # only pA ever says 鸡娃
        sentences = [frozenset(["学生", "作业"]), frozenset(["教师", "作业"])]
        questions.append({"writer": who, "tokens": [word], "sentence_tokens": sentences})
        labels += [True, False]
        groups += [n, n]
    x = np.zeros((len(labels), len(FEATURES)))
    table = fill_bridge(x, np.array(labels), np.array(groups), questions)
    first = FEATURES.index(BRIDGE_FEATURES[0])
    # everyone else's answers bridge 娃 → 学生 without their own question; pA's 鸡娃 is known only from pA
    assert x[2, first] > x[3, first] and x[2, first + 1] > 0
    assert x[0, first] == x[1, first] == 0.0
    assert table["娃"]["学生"] > 0 and "鸡娃" not in table
