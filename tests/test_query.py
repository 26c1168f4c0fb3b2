"""Question understanding: question words, asked-for values, places (real jieba, real catalog)."""

import pytest


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
    ],
)
def test_what_kind_of_answer_is_asked(assistant, question, qtype, value_kind):
    query = assistant.understand(question)
    assert (query.qtype, query.value_kind) == (qtype, value_kind)


def test_place_words_are_kept_apart(assistant):
    query = assistant.understand("明天北京天气怎么样？")
    assert "北京" in query.places and not query.unknown_places
