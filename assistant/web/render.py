"""Pure HTML renderers for the web app: typed records in, escaped HTML (or Markdown) out, no gradio."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from ..lexicon import lexicon
from ..records import LEVEL_NAMES, Answer, Chunk, Citation, Hit
from .jobs import JobState

if TYPE_CHECKING:
    from ..index import DocRecord

GRADE_NAMES = list(lexicon().words("grade_names"))
# Longer questions are shortened in the chat bubble so a huge paste does not push the answer off screen.
SHOWN_QUESTION_CHARS = 300
# Shown instead of the rebuild controls when no admin token is configured (and to a refused API call).
ENABLE_ADMIN_HELP = (
    "网页上的“更新索引”未开启：请在服务器上设置环境变量 ASSISTANT_APP_ADMIN_TOKEN（管理口令）后重启本应用；"
    "也可以在服务器上运行“python -m assistant ingest”更新索引。"
)
# Separators a teacher types between keywords; the same split marks every typed word in the results.
KEYWORD_SPLIT = re.compile(r"[\s,，、;；]+")

# A section of a document: (section title, start offset, end offset) in the document's text.
Section = tuple[str, int, int]


def esc(text: object) -> str:
    return html.escape(str(text or ""), quote=True)


def book_title(title: str) -> str:
    """The title in 《》; 《》 already inside it become 〈〉, as Chinese typography nests them."""
    title = (title or "").strip()
    if title.startswith("《") and title.endswith("》") and title.count("《") == 1:
        return title
    return "《" + title.replace("《", "〈").replace("》", "〉") + "》"


def book(title: str) -> str:
    return esc(book_title(title))


def level_name(level: str) -> str:
    return LEVEL_NAMES.get(level or "unknown", level or "未注明")


def grade_label(grades: Sequence[int]) -> str:
    names = [GRADE_NAMES[g - 1] for g in sorted(set(grades)) if 1 <= g <= 9]
    return "、".join(names) + "年级" if names else ""


def highlight(text: str, terms: Sequence[str]) -> str:
    """Escape `text` and wrap every occurrence of any term in <mark>, longest terms first."""
    words = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not words:
        return esc(text)
    pattern = re.compile("|".join(re.escape(w) for w in words))
    out, pos = [], 0
    for match in pattern.finditer(text):
        out.append(esc(text[pos : match.start()]))
        out.append(f"<mark>{esc(match.group())}</mark>")
        pos = match.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def multiline(text: str) -> str:
    # Chatbot messages are HTML blocks; a bare newline would end the block and let Markdown in.
    return esc(text).replace("\n", "<br>")


def format_time(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return stamp or ""


# ---------------------------------------------------------------------------- chat


def render_user(question: str) -> str:
    shown = question.strip()
    if len(shown) > SHOWN_QUESTION_CHARS:
        shown = f"{shown[:SHOWN_QUESTION_CHARS]}…（共 {len(question)} 字，已省略）"
    return f'<div class="user-q">{multiline(shown)}</div>'


def render_thinking() -> str:
    return '<div class="thinking">正在查找相关规定……</div>'


def render_failure() -> str:
    return '<div class="answer-text">抱歉，系统暂时出了点问题，请稍后再试。</div>'


def render_not_ready(state: JobState) -> str:
    """The chat's reply while the index is being built (or failed to build)."""
    if state.error:
        text = "抱歉，资料索引建立失败，暂时无法回答。请联系管理员查看「索引状态」页。"
    elif state.total:
        text = f"资料库正在建立索引（已完成 {state.percent}%），完成后就能回答，请稍等一两分钟再提问。"
    else:
        text = "资料库正在建立索引，完成后就能回答，请稍等一两分钟再提问。"
    return f'<div class="answer-text">{esc(text)}</div>'


def quote_in_chunk(citation: Citation) -> str:
    """The chunk text with the quoted sentence marked, all escaped."""
    text, quote = citation.text or "", citation.quote or ""
    start = citation.quote_start
    if not (0 <= start and text[start : start + len(quote)] == quote):
        start = text.find(quote) if quote else -1
    if start < 0 or not quote:
        return esc(text) + (f"<br><mark>{esc(quote)}</mark>" if quote else "")
    return f"{esc(text[:start])}<mark>{esc(quote)}</mark>{esc(text[start + len(quote) :])}"


def render_citation(citation: Citation) -> str:
    section = citation.section or "正文"
    return (
        f'<details class="cite" data-n="{citation.number}">'
        f'<summary><span class="cite-n">[{citation.number}]</span> {book(citation.title)}'
        f'<span class="cite-sub">{esc(citation.issuer)} · {esc(level_name(citation.level))}</span></summary>'
        f'<div class="cite-body">'
        f'<div class="cite-meta">发文单位：{esc(citation.issuer)}　层级：{esc(level_name(citation.level))}<br>'
        f"章节：{esc(section)}</div>"
        f'<div class="cite-text">{quote_in_chunk(citation)}</div>'
        f'<div class="cite-id">文档编号 {esc(citation.doc_id)} · 可在「规则查询」页打开原文</div>'
        f"</div></details>"
    )


def render_nearest(hit: Hit, number: int) -> str:
    chunk = hit.chunk
    return (
        f'<details class="cite nearest"><summary><span class="cite-n">{number}.</span> {book(chunk.title)}'
        f'<span class="cite-sub">{esc(chunk.section or "正文")}</span></summary>'
        f'<div class="cite-body"><div class="cite-text">{esc(chunk.text)}</div></div></details>'
    )


def conflict_values(conflicts: Sequence[str]) -> list[str]:
    """'1小时（60分钟）：doc-a、doc-b' -> '1小时（60分钟）': the differing rules without internal ids."""
    return [c.split("：", 1)[0] for c in conflicts if c]


# How the three outcomes look: a direct answer, the most related rule (not a direct answer), nothing found.
OUTCOME_BADGES = {
    "answer": "✅ 资料中的规定",
    "related": "🔎 以下是最相关的规定，未必直接回答您的问题，请对照自己的情况判断",
    "none": "🚫 资料中没有找到相关规定",
}


def render_answer(answer: Answer, shown: int | None = None) -> str:
    """The assistant's message: notices, answer text (the first `shown` characters while streaming), sources."""
    streaming = shown is not None and shown < len(answer.text)
    outcome = answer.outcome or ("none" if answer.abstained else "answer")
    parts = [f'<div class="answer" data-outcome="{esc(outcome)}">']
    badge = OUTCOME_BADGES.get(outcome, "")
    if badge:
        confidence = "" if answer.confidence is None else f"（把握 {round(100 * answer.confidence)}%）"
        parts.append(f'<div class="outcome-badge outcome-{esc(outcome)}">{badge}{confidence}</div>')
    if answer.conflicts:
        values = "；".join(esc(v) for v in conflict_values(answer.conflicts))
        parts.append(
            '<div class="conflict-notice">⚠️ 各文件规定不一致：不同学校或地区的文件对这个问题写法不同'
            f"{'（' + values + '）' if values else ''}，请以孩子所在学校或当地教育部门的规定为准。</div>"
        )
    if answer.notice:
        parts.append(f'<div class="info-notice">ℹ️ {esc(answer.notice)}</div>')
    if answer.rewritten:
        parts.append(f'<div class="rewritten">结合上文，理解为：“{esc(answer.rewritten)}”</div>')
    body = multiline(answer.text[:shown] if streaming else answer.text)
    body = re.sub(r"\[(\d{1,2})\]", r'<sup class="cite-ref">[\1]</sup>', body)
    parts.append(f'<div class="answer-text">{body}{"<span class=caret>▍</span>" if streaming else ""}</div>')
    if not streaming:
        if answer.citations:
            parts.append('<div class="sources"><div class="sources-title">📑 出处（点开可看原文）</div>')
            parts.extend(render_citation(c) for c in answer.citations)
            parts.append("</div>")
        elif answer.abstained and answer.hits:
            parts.append('<div class="sources"><div class="sources-title">📄 最接近的段落（仅供参考）</div>')
            parts.extend(render_nearest(h, i) for i, h in enumerate(answer.hits[:3], 1))
            parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)


# ---------------------------------------------------------------------------- index status


def render_banner(state: JobState, documents: int = 0) -> str:
    if state.error and not state.ready:
        return (
            f'<div class="banner error">❌ 资料索引建立失败，暂时无法回答问题。请联系管理员。<br>'
            f"<small>{esc(state.error)}</small></div>"
        )
    if state.running:
        bar = (
            f'<progress value="{state.done}" max="{state.total}"></progress>'
            if state.total
            else "<progress></progress>"
        )
        done = (
            f"已完成 {state.percent}%（已处理 {state.documents} 份文件，最近：{esc(state.current)}）"
            if state.total
            else "准备中"
        )
        if state.kind == "build":
            return (
                f'<div class="banner building">⏳ 正在建立资料索引：{done} {bar}<br>'
                "建好之前暂时不能回答问题，请稍候一两分钟。</div>"
            )
        return (
            f'<div class="banner building">🔄 正在更新资料索引：{done} {bar}<br>'
            "更新期间照常回答（使用更新前的资料）。</div>"
        )
    if state.error:
        return f'<div class="banner error">⚠️ 上次更新索引失败，仍在使用原有资料：{esc(state.error)}</div>'
    if state.ready:
        return f'<div class="banner ok">✅ 已收录 {documents} 份“双减”相关文件，可以提问了。</div>'
    return '<div class="banner building">⏳ 正在加载资料索引……</div>'


def status_summary(state: JobState, info: dict, up: int, down: int) -> str:
    """The status tab's Markdown: index version, last job, votes. `info` is Assistant.status() (or {})."""
    lines = []
    if info.get("indexed"):
        lines.append(
            f"**索引版本** {info['generation']}　**建立时间** {format_time(info['created'])}　"
            f"**文件** {info['documents']} 份　**分块** {info['chunks']} 个　"
            f"**向量模型** `{info['embedding']}`"
        )
    else:
        lines.append("**索引尚未建好。**")
    if state.message:
        lines.append(f"上次建立/更新：{state.message}")
    lines.append(f"家长反馈：👍 {up}　👎 {down}")
    return "\n\n".join(lines)


def document_rows(docs: Sequence[DocRecord]) -> list[list]:
    """The status tab's table, one row per document."""
    return [
        [d.title, d.issuer, level_name(d.level), d.year or "", d.chunks, format_time(d.indexed_at), d.id]
        for d in docs
    ]


# ---------------------------------------------------------------------------- teachers' lookup


def render_hits(hits: Sequence[Hit], keywords: str) -> str:
    """Result cards, every typed keyword and every matched term marked."""
    typed = [w for w in KEYWORD_SPLIT.split(keywords or "") if w]
    cards = []
    for i, hit in enumerate(hits, 1):
        chunk = hit.chunk
        grades_text = grade_label(chunk.grades)
        cards.append(
            f'<div class="hit"><div class="hit-head"><span class="hit-n">{i}</span> {book(chunk.title)}'
            f'<span class="badge">{esc(level_name(chunk.level))}</span>'
            f'<span class="hit-issuer">{esc(chunk.issuer)}</span></div>'
            f'<div class="hit-section">📍 {esc(chunk.section or "正文")}'
            f"{'　适用：' + esc(grades_text) if grades_text else ''}</div>"
            f'<div class="hit-text">{highlight(chunk.text, list(hit.matched_terms) + typed)}</div></div>'
        )
    summary = f'<div class="hits-summary">找到 {len(hits)} 条相关规定（按相关程度排序）</div>'
    return summary + "".join(cards)


def render_hits_empty(message: str) -> str:
    return f'<div class="hits-empty">{esc(message)}</div>'


# ---------------------------------------------------------------------------- document viewer


def sections_of(chunks: Sequence[Chunk]) -> list[Section]:
    """(section, start, end) for each run of consecutive chunks sharing a section, in reading order."""
    runs: list[list] = []
    for chunk in chunks:
        if runs and runs[-1][0] == chunk.section:
            runs[-1][2] = max(runs[-1][2], chunk.end)
        else:
            runs.append([chunk.section, chunk.start, chunk.end])
    return [(s, a, b) for s, a, b in runs]


def render_doc_message(message: str) -> str:
    return f'<div class="doc-empty">{esc(message)}</div>'


def render_document(doc: DocRecord, section: Section | None = None, focus: Chunk | None = None) -> str:
    """The document's whole text; `section` marked, and inside it the `focus` chunk (a cited one)."""
    text = doc.text
    meta = " · ".join(x for x in [doc.issuer, level_name(doc.level), str(doc.year or "")] if x)
    head = f'<div class="doc-head"><b>{book(doc.title)}</b><br><small>{esc(meta)}</small></div>'
    if section is None:
        return head + f'<div class="doc-text">{esc(text)}</div>'
    name, start, end = section
    marks = [(start, '<mark class="doc-section">'), (end, "</mark>")]
    if focus is not None and focus.doc_id == doc.id and start <= focus.start < end:
        marks[1:1] = [(focus.start, '<mark class="doc-cited">'), (min(focus.end, end), "</mark>")]
    out, pos = [], 0
    for offset, tag in marks:
        out.append(esc(text[pos:offset]))
        out.append(tag)
        pos = offset
    out.append(esc(text[pos:]))
    label = f'<div class="doc-where">📍 {esc(name or "正文")}</div>'
    return head + label + f'<div class="doc-text">{"".join(out)}</div>'
