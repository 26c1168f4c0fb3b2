"""Question typing, asked values and follow-up rewriting, without an index."""

import pytest

from assistant.followup import FollowupRewriter
from assistant.query import Catalog, asked_value, question_part, question_type, value_kind
from assistant.segment import canonical


@pytest.mark.parametrize(
    ("question", "qtype", "kind"),
    [
        ("三年级每天的书面作业不超过多长时间？", "duration", "duration"),
        ("课后服务几点结束？", "time", "clock"),
        ("无作业日是哪天？", "time", "date"),
        ("这份计划是哪个学年的？", "time", "year"),
        ("领导小组组长是谁？", "who", "role:组长"),
        ("全县有几所学校参加？", "number", "count:所"),
        ("一共开展了多少次培训？", "number", "total:次"),
        ("学校能要求家长批改作业吗？", "yesno", ""),
        ("作业管理有哪些措施？", "list", ""),
        ("“双减”是什么意思？", "definition", ""),
        ("举报电话是多少？", "number", "phone"),
        ("课后服务收费多少钱？", "number", "money"),
        ("多久检查一次作业？", "duration", "frequency"),
    ],
)
def test_question_type_and_asked_value(question, qtype, kind):
    assert question_type(question) == qtype
    assert value_kind(question, qtype) == kind


def test_a_bare_how_much_asks_in_the_unit_of_the_story():
    story = "孩子每晚写作业要写两个多小时，老师一天到底能布置多少？"
    assert asked_value(story, question_part(story)) == ("duration", "duration")
    # no amount of time in the message, or a thing counted (多少道题): still a number
    assert asked_value("老师一天到底能布置多少？", "老师一天到底能布置多少？") == ("number", "number")
    counted = "孩子每晚写作业要写两个多小时，老师一天布置多少道题？"
    assert asked_value(counted, question_part(counted)) == ("number", "number")


def test_question_part_keeps_the_asking_clause():
    text = "我家孩子今年上三年级，老师每天布置好多作业，经常写到十点多，我想问一下每天作业最多写多久？"
    assert question_part(text) == "我想问一下每天作业最多写多久？"


@pytest.fixture(scope="module")
def rewriter(segmenter):
    return FollowupRewriter(segmenter, lambda text: (set(), []))


@pytest.mark.parametrize(
    ("history", "followup", "expected"),
    [
        (["三年级每天的书面作业不超过多长时间？"], "那五年级呢？", "五年级每天的书面作业不超过多长时间？"),
        (["夏季课后服务几点结束？"], "冬季呢？", "冬季课后服务几点结束？"),
        (["没有课的老师几点可以到岗？"], "那几点可以下班？", "没有课的老师几点可以下班？"),
        (["三年级作业多久？", "那五年级呢？"], "初一呢？", "初一作业多久？"),
        # a new question after a story: the story stays, the earlier asking clause goes
        (
            ["我在二小教美术，上午头一节没课的日子最早几点到校？"],
            "那放学后没事了，几点能走？",
            "我在二小教美术，放学后没事了，几点能走？",
        ),
        # the earlier question's other grade word (低年级) goes too, or its grades would stay
        (["娃读二年级，低年级一学期能统考几回？"], "那升到三年级以后呢", "娃读三年级，一学期能统考几回？"),
    ],
)
def test_followups_are_rewritten(rewriter, history, followup, expected):
    assert rewriter.rewrite(followup, history) == (expected, True)


def test_a_full_question_is_not_rewritten(rewriter):
    question = "学校能要求家长批改作业吗？"
    assert rewriter.rewrite(question, ["三年级作业多久？"]) == (question, False)


def test_several_is_a_quantity_not_a_question():
    # 好几个同学 is story: the question is the clause with 吗, and it asks yes or no, not how many
    message = "我们县的补课班周六周日还能上数学英语吗？孩子好几个同学都还在偷偷上"
    asked = question_part(message)
    assert asked.endswith("吗？")
    assert asked_value(message, asked) == ("yesno", "")
    assert asked_value("十几个人报了名，一共有几家机构？", "十几个人报了名，一共有几家机构？")[1].endswith(
        ":家"
    )


def _titled_catalog() -> Catalog:
    catalog = Catalog()
    catalog.add_title("special", "某校“双减”专项工作总结（作业设计原则与考试管理）", "为推动实施“双减”工作")
    catalog.add_title("six", "作业革命、延时服务、课堂改革、校外减负（双减工作总结6）", "双减工作总结（6）")
    catalog.add_title("ten", "校内外一并治理（双减工作总结10）", "双减工作总结（10）")
    catalog.add_title("plan", "和平三小“减轻学生过重课业负担”工作实施方案", "和平三小")
    return catalog


@pytest.mark.parametrize(
    "question, named",
    [
        ("那份双减专项工作总结里，每学期统一考试考几次？", {"special"}),
        ("「双减工作总结（6）」那所学校是从哪四个方面入手的？", {"six"}),
        ("双减工作总结（10）里延时课程怎么排", {"ten"}),
        # a stretch many titles share names none of them
        ("双减工作总结里作业怎么管", set()),
        # a unique stretch without a word for a kind of document is no title reference
        ("怎么减轻学生过重课业负担", set()),
    ],
)
def test_a_question_names_a_document_by_a_long_enough_stretch_of_its_title(question, named):
    found, names = _titled_catalog().docs_named(canonical(question))
    assert found == named
    assert bool(names) == bool(named)
