"""Question understanding: question words, asked-for values, places (real jieba, real catalog)."""

import pytest

# Integration layer: the real index (built once per session); the fast unit tests are in tests/unit.
pytestmark = pytest.mark.slow


def test_question_words_are_not_search_terms(assistant):
    query = assistant.understand("“无作业日”定在每周哪一天？")
    assert "无作业日" in query.tokens
    assert not {"哪一天", "一天", "哪"} & set(query.tokens)


@pytest.mark.parametrize(
    ("question", "qtype", "value_kind"),
    [
        ("陈特老师认为作业分层包括哪几个方面？", "list", ""),
        ("XX区第二小学把教师分成了几个年级组？", "number", "count:个"),
        ("龙陵县全县校（园）长会议有多少人参会？", "number", "count:人"),
        ("八步区课后服务在哪几天开展？", "time", "date"),
        ("双减政策什么时候会取消？", "time", "time"),
        ("从作业数量上讲，怎样才算合适？", "list", ""),
        ("课后服务每个学生每月收多少钱？", "number", "money"),
        ("赣州一中现任校长是谁？", "who", "role:校长"),
        ("那所学校双减以来一共组织了多少次听评课？", "number", "total:次"),
        ("和平三小一二年级每学期考几次试？", "number", "count:次"),
        ("龙圩区原来审批了几家培训机构？", "number", "count:家"),
    ],
)
def test_what_kind_of_answer_is_asked(assistant, question, qtype, value_kind):
    query = assistant.understand(question)
    assert (query.qtype, query.value_kind) == (qtype, value_kind)


def test_place_words_are_kept_apart(assistant):
    query = assistant.understand("明天北京天气怎么样？")
    assert "北京" in query.places and not query.unknown_places


def test_a_question_word_jieba_tags_as_a_place_names_none(assistant):
    # jieba tags 几科 (how many subjects) as a place; a place the corpus lacks would refuse the question
    query = assistant.understand("我们北票的孩子后年考高中，听说有几科能带着书进考场，是哪几科啊？")
    assert not {"几科", "哪几科"} & set(query.places)
    assert not query.unknown_places


def test_nightfall_is_no_place(assistant):
    # jieba tags 天黑 as a place name: "天黑透了才能去接" was refused as a question about an unknown place
    query = assistant.understand("我们天黑透了才能去接，孩子读初一，学校放学后的托管冬天几点结束？")
    assert "天黑" not in query.places and not query.unknown_places


@pytest.mark.parametrize(
    ("earlier", "followup", "rewritten"),
    [
        ("北票市课后服务第一时段主要做什么？", "第二时段呢？", "北票市课后服务第二时段主要做什么"),
        ("和平三小夏天下午几点上课？", "冬天呢？", "和平三小冬天下午几点上课"),
        ("芙蓉初级中学双减领导小组组长是谁？", "副组长呢？", "芙蓉初级中学双减领导小组副组长是谁"),
        (
            "XX区第二小学没有课的老师几点可以到岗？",
            "那几点可以下班？",
            "XX区第二小学没有课的老师几点可以下班",
        ),
        ("八步区的无作业日是星期几？", "那天能布置什么作业？", "八步区的无作业日那天能布置什么作业"),
        ("三年级每天书面作业不超过多长时间？", "那五年级呢？", "五年级每天书面作业不超过多长时间"),
    ],
)
def test_followups_keep_the_earlier_subject(assistant, earlier, followup, rewritten):
    query = assistant.understand(followup, history=[earlier])
    assert query.rewritten_from_history
    assert query.text.rstrip("？?") == rewritten


def test_other_grades_after_named_grades_are_the_rest_of_that_stage(assistant):
    query = assistant.understand("其他年级呢？", history=["和平三小一二年级每学期考几次试？"])
    assert query.grades == {3, 4, 5, 6}


def test_a_word_the_corpus_never_uses_is_searched_by_its_parts(assistant):
    # "讲新课" is not in any document; "讲授新课" is.
    query = assistant.understand("课后服务老师可以讲新课吗")
    assert "新课" in query.tokens
    answer = assistant.ask("课后服务老师可以讲新课吗")
    assert not answer.abstained and "不得利用课后服务时间讲授新课" in answer.text


def test_parents_words_also_search_the_documents_words(assistant):
    # 周末 occurs in the corpus, so it stays; 双休日 (the rules' word) is searched as well.
    query = assistant.understand("孩子五年级，周末作业能多布置一些吗？")
    assert "周末" in query.tokens and "双休日" in query.tokens
    answer = assistant.ask("孩子五年级，周末作业能多布置一些吗？")
    assert not answer.abstained and "不得加大作业量" in answer.text


def test_a_long_message_is_searched_by_its_question(assistant):
    message = "我家孩子今年上三年级，老师每天布置好多作业，孩子经常写到晚上十点多，我想问一下学校规定每天作业最多写多久？"
    query = assistant.understand(message)
    assert query.grades == {3} and query.qtype == "duration"
    assert "十点" not in query.asked_tokens and "作业" in query.asked_tokens
    answer = assistant.ask(message)
    assert not answer.abstained and "1小时" in answer.text and "半小时" in answer.text


@pytest.mark.parametrize(
    "history",
    [
        ["一二年级有书面作业吗？", ""],
        ["一二年级有书面作业吗？", None],
        ["一二年级作业多久？", "那周末呢？"],
    ],
)
def test_other_grades_survive_odd_history(assistant, history):
    assert assistant.understand("其他年级呢？", history=history).grades == {3, 4, 5, 6}


def test_a_followup_swap_keeps_the_earlier_wording_intact(assistant):
    query = assistant.understand("冬季呢？", history=["课后服务 夏季几点结束？"])
    assert query.text.rstrip("？?") == "课后服务 冬季几点结束"


@pytest.mark.parametrize(
    ("question", "out_of_scope"),
    [
        ("我家老大读高中，周末补课行不行", "高中"),
        ("高一的作业一天写多久", "高一"),
        # 高中 as where a 初中 pupil goes next is a grade 7–9 matter (admission quotas are in the corpus)
        ("听说好高中得把录取的位置分一部分给各个初中，分下去的起码占几成？", ""),
        ("学校会不会按我们班考上好高中的人数给老师发奖金？", ""),
    ],
)
def test_only_a_question_about_high_school_itself_is_out_of_scope(assistant, question, out_of_scope):
    assert assistant.understand(question).out_of_scope == out_of_scope


def test_a_question_names_a_document_by_its_title_and_a_follow_up_switches_to_another(assistant):
    # No alias names these parts of the compilation; a long enough stretch of their titles does.
    query = assistant.understand("那份“双减”专项工作总结里，每学期统一考试考几次？")
    assert query.doc_ids == {"school-special-work"}
    # the earlier title, written there with its quotes, gives way to the new one
    switched = assistant.understand(
        "双减工作总结（6）呢", ["那份“双减”专项工作总结里，每学期统一考试考几次？"]
    )
    assert switched.doc_ids == {"summary-6-four-aspects"}
    # a stretch that many titles share names none of them
    assert not assistant.understand("双减工作总结里一般都写些什么").doc_ids


def test_a_chat_about_one_school_stays_about_it_until_a_wider_scope_is_asked(assistant):
    earlier = ["芙蓉初级中学初二每天作业多久"]
    # a whole sentence, no 那…呢: not rewritten, but still about the school the parent named
    carried = assistant.understand("可我家孩子每天写到十一点，这正常吗", earlier)
    assert carried.doc_ids == {"furong-2021-plan"}
    assert not assistant.understand("可我家孩子每天写到十一点，这正常吗").doc_ids
    # asking about the country's rules, or naming another place, leaves the school behind
    assert not assistant.understand("教育部对初中作业时间怎么规定的", earlier).doc_ids
    assert "furong-2021-plan" not in assistant.understand("北票市对作业怎么规定的", earlier).doc_ids
    # a school the documents do not know, a place, a general question: not the earlier school's
    for message in ("向阳小学作业多久", "杭州的学校作业多久", "市里规定作业多久", "初中作业一般多长时间"):
        assert "furong-2021-plan" not in assistant.understand(message, earlier).doc_ids, message
    # only the turn just before scopes: a wider question in between ends the school's chat
    assert not assistant.understand("三年级作业多久", [*earlier, "国家规定作业多久"]).doc_ids
