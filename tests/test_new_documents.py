"""A school's own rules dropped into the corpus folder, with no manifest entry and no code change, are answered
from when a parent names the school or its place (the names come from the document's title and signature)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import Assistant, Settings

pytestmark = pytest.mark.slow

# A scraped school page, saved in GBK: the school's city and district appear only in the signature.
RULES = """首页 | 学校概况 | 校务公开 | 联系我们
望湖路小学作业与考试管理细则
发布时间：2024-02-26  来源：教导处  浏览次数：1024
一、作业管理
（一）一、二年级不布置书面家庭作业。
（二）三至六年级书面家庭作业每天不超过60分钟。
（三）学生晚上8:40仍未完成作业的，家长签字说明后可停止作业，教师不得因此批评学生。
二、考试管理
（一）三至六年级每学期只组织一次期末考试。
（二）期末考试时长：语文90分钟、数学85分钟、英语60分钟；三年级语文、数学各70分钟。
（三）考试成绩实行等级评价，不公布分数，不排名次。
三、手机管理
家长要与孩子共同约定规则，小学生每天用于娱乐的手机、平板等电子产品使用时间累计不宜超过1小时。
四、监督
家长对作业量有意见的，可拨打学校监督电话0779-6618203。
云岭市青川区望湖路小学
2024年2月26日
友情链接：国家中小学智慧教育平台
"""


@pytest.fixture(scope="module")
def bot(assistant, tmp_path_factory) -> Assistant:
    """The session's index copied, plus the new file: only it is embedded (ingest is incremental)."""
    home = tmp_path_factory.mktemp("newdoc")
    source = assistant.settings.home
    shutil.copytree(source / "corpus", home / "corpus")
    shutil.copytree(assistant.settings.index_dir, home / "indexes")
    (home / "corpus" / "wanghu_rules.txt").write_bytes(RULES.encode("gbk"))
    new = Assistant(Settings(home=home))
    report = new.ingest()
    assert report.added == ["wanghu-rules"] and not report.updated, report.summary()
    return new


def _doc(bot: Assistant):
    return next(d for d in bot.documents() if d.source == "wanghu_rules.txt")


def test_its_title_and_places_are_read_from_the_text(bot):
    doc = _doc(bot)
    assert doc.title == "望湖路小学作业与考试管理细则"
    assert doc.region == "云岭市"


@pytest.mark.parametrize(
    "question",
    [
        "我是望湖路小学新来的数学老师，带五年级，期末数学卷给孩子多长时间答？",
        "我们青川区的望湖路小学，期末数学考多长时间啊",
        "云岭这边的小学期末数学考试考多久",
        "望湖路那边期末数学卷子要答多久",
    ],
)
def test_a_question_naming_the_school_or_its_place_is_answered_from_it(bot, question):
    answer = bot.ask(question)
    assert answer.outcome in ("answer", "related")
    assert answer.citations and all(c.doc_id == _doc(bot).id for c in answer.citations)
    assert "85分钟" in answer.text


def test_the_models_favourite_is_the_related_rule_even_in_other_words(bot):
    # No word of the question is in the rule (iPad/打游戏/玩 vs 平板/电子产品/使用时间), yet it is the one that
    # answers; a far weaker sentence that happens to share a word is not quoted instead.
    answer = bot.ask("小学的娃周末抱着iPad打游戏，一天玩多久才算不超标？")
    assert answer.outcome in ("answer", "related")
    assert any(c.doc_id == _doc(bot).id and "1小时" in c.quote for c in answer.citations), answer.text


@pytest.fixture(scope="module")
def tonghua(assistant, tmp_path_factory) -> Assistant:
    """The session's index plus a spent new-documents set's school rules (GBK, no manifest entry)."""
    home = tmp_path_factory.mktemp("tonghua")
    shutil.copytree(assistant.settings.home / "corpus", home / "corpus")
    shutil.copytree(assistant.settings.index_dir, home / "indexes")
    docs = Path(__file__).resolve().parent.parent / "evals" / "newdocs7" / "docs"
    shutil.copy2(docs / "tonghualu_xiaoxue_zuoye.txt", home / "corpus")
    new = Assistant(Settings(home=home))
    assert new.ingest().added == ["tonghualu-xiaoxue-zuoye"]
    return new


def test_a_school_after_its_city_and_district_goes_by_its_own_name(tonghua):
    # Titled 榆港市云杉区桐花路小学…: parents say 桐花路小学, and their question is about that school only.
    answer = tonghua.ask("孩子在桐花路小学读五年级，每天的书面作业一般要多长时间写完？")
    assert answer.citations and all(c.doc_id == "tonghualu-xiaoxue-zuoye" for c in answer.citations)
    assert "50分钟" in answer.text


def test_the_models_near_favourite_holding_the_asked_clock_time_is_the_related_rule(tonghua):
    # No word of the question (做功课, 熬, 不写) is in the rule (20:45仍未完成书面作业的，可以停止书写), and
    # the school's short name (桐花小学) is not one it goes by: only the model's choice and the asked kind
    # (几点: a clock time) point to it. Before, this was told "没有找到".
    answer = tonghua.ask("娃做功课慢吞吞，都快九点了还没弄完，桐花小学有没有讲熬到几点就可以不写了？")
    assert answer.outcome in ("answer", "related")
    assert any("20:45" in c.quote for c in answer.citations), answer.text
