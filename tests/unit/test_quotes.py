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
    assert "某中学自己的做法" in one_school_note([school], named=set())
    assert one_school_note([school], named={"report"}) == ""
    # A county's or the state's rule applies to everyone: no note, even beside a school's quote.
    assert one_school_note([school, _cite("notice", "county", "北票市教育局")], named=set()) == ""
    assert one_school_note([], named=set()) == ""
    assert "一所学校自己的做法" in one_school_note([_cite("plan", "school", "")], named=set())
