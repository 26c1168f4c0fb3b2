"""Chunks follow section headings and sentence ends and carry what a citation needs."""

import re

import pytest

from assistant.chunking import chunk_document, heading_level
from assistant.corpus import load_corpus
from assistant.records import Document, DocumentMeta
from assistant.segment import Segmenter
from assistant.settings import ChunkSettings
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def chunks():
    segmenter = Segmenter()
    out = []
    for doc in load_corpus(CORPUS).documents:
        out.extend((doc, c) for c in chunk_document(doc, ChunkSettings(), segmenter))
    return out


def test_offsets_point_into_the_cleaned_document(chunks):
    for doc, chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text


def test_chunks_never_end_mid_sentence(chunks):
    for doc, chunk in chunks:
        after = doc.text[chunk.end : chunk.end + 1]
        assert (
            chunk.end == len(doc.text)
            or after == "\n"
            or chunk.text[-1] in "。！？；!?;”」）)"
            or len(chunk.text) > 300
        )


def test_section_path_follows_heading_levels(chunks):
    sections = {c.section for d, c in chunks if d.id == "furong-2021-plan"}
    assert (
        "二、具体实施 > 4.增效提质，标本兼治创新推进双减工作 > （2）全面压减作业总量和时长，减轻学生过重作业负担"
        in sections
    )


def test_grades_are_parsed_into_metadata(chunks):
    rule = next(c for d, c in chunks if "三至六年级学生书面作业时间平均每天不超过1小时" in c.text)
    assert {3, 4, 5, 6} <= set(rule.grades)
    junior = next(c for d, c in chunks if "每天语数外三科书面作业总共完成时间不超过90分钟" in c.text)
    assert set(junior.grades) == {7, 8, 9}  # from the issuer, 芙蓉初级中学


def test_domain_terms_and_numbers_stay_findable(chunks):
    tokens = {t for _, c in chunks for t in c.tokens}
    for term in ("双减", "课后服务", "一科一辅", "五项管理", "无作业日", "90", "⏱60"):
        assert term in tokens


def test_placeholders_and_grade_lists_are_not_headings():
    assert heading_level("20_年7月，_中央办公厅印发了意见") is None
    assert (
        heading_level("一、二年级不布置课外书面作业，三至六年级学生书面作业时间平均每天不超过1小时。") is None
    )
    assert heading_level("一、指导思想") == 1
    assert heading_level("（二）实施细则") == 2
    assert heading_level("⑴不定期抽查：教导处") == 6


def test_a_lead_in_line_stays_with_the_items_it_introduces(chunks):
    lead_in = "陈特认为作业布置要因人而异，教师布置作业要有分层："
    [holder] = [c for _d, c in chunks if lead_in in c.text]
    assert "(1)作业量的分层" in holder.text
    for _doc, chunk in chunks:
        body = chunk.text.rstrip()
        if body.endswith(("：", ":")):
            # A chunk may end at a colon only when the lead-in is all it holds (nothing to move it away from).
            later = [c for d, c in chunks if d.id == chunk.doc_id and c.start > chunk.start]
            assert not later or len(re.findall(r"[。！？；\n]", body)) == 0, (chunk.id, body[-30:])


def test_one_line_items_of_a_list_share_a_chunk_and_items_with_a_body_do_not():
    text = "\n".join(
        [
            "二、课后服务",
            "（二）服务时间。",
            "1.第一时段为下午放学后至17:00，主要安排学生完成书面作业。",
            "2.第二时段为17:00至18:00，开展体育、艺术、阅读等社团活动。",
            "3.每年11月1日至次年3月31日执行冬季作息，第二时段结束时间提前至17:30。",
            "（三）作业管理",
            "1、校级管理",
            "学校成立作业管理领导小组，每月检查一次各班作业记录单，对超量布置作业的班级通报批评并责令整改。",
            "2、年级组管理",
            "年级组长每周汇总本年级各科作业时长，确保一二年级不布置书面作业，三至六年级不超过60分钟。",
        ]
    )
    doc = Document(meta=DocumentMeta(id="t", title="某县课后服务通知"), text=text, sha256="x")
    chunks = chunk_document(doc, ChunkSettings(), Segmenter())
    [times] = [c for c in chunks if "冬季作息" in c.text]
    # alone, a 40-character item is too short to be found: the list's items travel together, under its heading
    assert "第一时段" in times.text and "第二时段为17:00至18:00" in times.text
    assert times.section == "二、课后服务"  # the path every line of it is under (it opens at that heading)
    assert "3.每年" not in times.section
    # an item whose rule is on the lines under its heading does not share its chunk with the next item
    [school] = [c for c in chunks if "每月检查一次" in c.text]
    [grade] = [c for c in chunks if "年级组长" in c.text]
    assert school is not grade and grade.section.endswith("2、年级组管理")
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
