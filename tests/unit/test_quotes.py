"""Quotes carry their scope: one school's own arrangements are said to be that school's."""

from assistant.answering.quotes import one_school_note
from assistant.records import Citation


def _cite(doc_id: str, level: str, issuer: str) -> Citation:
    return Citation(
        number=1,
        doc_id=doc_id,
        title="t",
        issuer=issuer,
        level=level,
        section="",
        quote="q",
        chunk_id="c",
        text="q",
    )


def test_one_schools_practice_is_labelled_unless_the_question_named_that_school():
    school = _cite("report", "school", "某中学")
    assert "出自某中学的文件" in one_school_note([school], named=set())
    assert one_school_note([school], named={"report"}) == ""
    # A county's or the state's rule applies to everyone: no note, even beside a school's quote.
    assert one_school_note([school, _cite("notice", "county", "北票市教育局")], named=set()) == ""
    assert one_school_note([], named=set()) == ""
    assert "出自一所学校的文件" in one_school_note([_cite("plan", "school", "")], named=set())


def test_a_school_restating_a_wider_documents_sentence_gets_no_one_school_note():
    from assistant.answering.quotes import WiderRules

    wider = WiderRules(["小学一二年级不布置家庭书面作业，三至六年级书面作业平均完成时间不超过60分钟。"])
    restated = _cite("plan", "school", "某小学")
    restated.quote = "三至六年级书面作业平均完成时间不超过60分钟。"
    own = _cite("plan", "school", "某小学")
    own.quote = "我校课后服务结束时间是夏季晚六点、冬季晚五点半。"
    assert one_school_note([restated], named=set(), wider=wider) == ""
    assert "出自某小学的文件" in one_school_note([own], named=set(), wider=wider)
    assert not wider.restates("作业")  # too short to tell


def test_the_note_stays_when_only_one_of_the_quotes_restates_a_wider_rule():
    from assistant.answering.quotes import WiderRules

    wider = WiderRules(["初中学生每天书面作业平均完成时间不超过90分钟。"])
    restated = _cite("plan", "school", "某中学")
    restated.quote = "初中学生每天书面作业平均完成时间不超过90分钟。"
    own = _cite("plan", "school", "某中学")
    own.quote = "我校夏季课后服务于晚上六点结束，冬季五点半结束。"
    assert "出自某中学的文件" in one_school_note([restated, own], named=set(), wider=wider)
