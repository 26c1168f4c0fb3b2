"""Follow-ups without history, history caps and the one long-paste rule (issue 12), without an index."""

import time

import pytest

from assistant.followup import FollowupRewriter
from assistant.query import Catalog, QueryParser, QuestionProblem, trim_question


@pytest.fixture(scope="module")
def parser(segmenter):
    return QueryParser(
        segmenter, Catalog(full_text="三年级书面作业时间不超过1小时。课后服务"), max_history_turns=20
    )


@pytest.mark.parametrize(
    ("message", "subject"), [("那五年级呢", "五年级"), ("初中呢？", "初中"), ("那呢", "")]
)
def test_a_followup_with_nothing_to_follow_asks_what_it_refers_to(parser, message, subject):
    with pytest.raises(QuestionProblem) as problem:
        parser.parse(message)
    assert str(problem.value).startswith(
        f"请问您想问{subject}的哪方面规定？" if subject else "请问您想问哪方面"
    )


def test_a_full_question_opening_with_na_is_still_answered(parser):
    assert parser.parse("那课后服务几点结束呢？").qtype == "time"


def test_the_same_followup_with_history_is_rewritten(parser):
    query = parser.parse("那五年级呢", history=["三年级每天的书面作业不超过多长时间？"])
    assert query.rewritten_from_history and query.text.startswith("五年级")


def test_a_long_history_does_not_exhaust_the_stack(segmenter):
    rewriter = FollowupRewriter(segmenter, lambda text: (set(), []))
    history = ["三年级每天的书面作业不超过多长时间？"] + ["那五年级呢？", "那六年级呢？"] * 600
    text, rewritten = rewriter.rewrite("那四年级呢？", history)
    assert rewritten and text == "四年级每天的书面作业不超过多长时间？"


def test_the_rewritten_question_does_not_grow_turn_after_turn(segmenter):
    rewriter = FollowupRewriter(segmenter, lambda text: (set(), []))
    history = ["课后服务几点结束？"]
    lengths = []
    for n in range(24):
        text, _ = rewriter.rewrite(f"那第{n}周呢？", history)
        lengths.append(len(text))
        history.append(f"那第{n}周呢？")
    assert max(lengths) <= len("课后服务几点结束，第23周？")


def test_history_is_capped_by_turns_and_characters(parser):
    history = [f"第{n}个问题：三年级作业多久？" for n in range(100)]
    kept = parser.recent(history)
    assert len(kept) == 20 and kept[-1] == history[-1]
    long = ["作" * 3000, "课" * 3000, "三年级作业多久？"]
    kept = parser.recent(long)
    assert sum(map(len, kept)) <= 4000 and kept[-1] == "三年级作业多久？"


def test_forty_thousand_characters_of_history_answer_fast(parser):
    started = time.perf_counter()
    query = parser.parse("那五年级呢？", history=["三年级每天的书面作业不超过多长时间？" * 40] * 50)
    assert time.perf_counter() - started < 5
    assert query.rewritten_from_history and len(query.text) <= 600


def test_one_rule_cuts_an_overlong_paste_keeping_opening_and_question():
    paste = "我家孩子上三年级。" + "老师每天布置很多作业，" * 100 + "请问每天作业最多写多久？"
    text, notice = trim_question(paste, 500)
    assert (
        len(text) <= 500
        and text.startswith("我家孩子上三年级。")
        and text.endswith("请问每天作业最多写多久？")
    )
    assert "开头和最后的提问" in notice
    assert trim_question("三年级作业多久？", 500) == ("三年级作业多久？", "")


def test_a_paste_without_punctuation_keeps_its_last_words():
    # Nothing marks where the question starts; keeping only the first 500 characters lost it.
    paste = "老师每天布置很多作业孩子写到很晚" * 300 + "三年级每天作业最多多久？"
    text, notice = trim_question(paste, 500)
    assert len(text) <= 500 and text.endswith("三年级每天作业最多多久？")
    assert text.startswith("老师每天布置很多作业") and "问题太长" in notice
