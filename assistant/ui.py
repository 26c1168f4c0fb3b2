"""Gradio web app: parents' chat, teachers' rule lookup, index status, feedback and rebuild."""

from __future__ import annotations

import html
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime

import gradio as gr

from .errors import IndexMismatch
from .feedback import FeedbackStore
from .records import LEVEL_NAMES, Answer, Chunk, Citation, Hit
from .service import TOPICS, Assistant
from .settings import Settings

log = logging.getLogger(__name__)

EXAMPLES = [
    "三年级每天的书面作业不超过多长时间？",
    "课后服务一般几点结束？",
    "学校能不能让家长批改作业？",
    "一二年级还布置书面作业吗？",
    "考试成绩会排名公布吗？",
]
GRADE_NAMES = ["一", "二", "三", "四", "五", "六", "七", "八", "九"]
# A paste longer than this is cut before anything else sees it; the service cuts further (with a notice).
MAX_INPUT_CHARS = 4000
# Longer questions are shortened in the chat bubble so a huge paste does not push the answer off screen.
SHOWN_QUESTION_CHARS = 300
# Streaming is cosmetic (the answer is computed at once), so it is capped to keep queue slots short.
STREAM_STEPS = 30
STREAM_DELAY = 0.02
THEME_FONTS = ["Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC", "sans-serif"]


# ---------------------------------------------------------------------------- index job


@dataclass
class JobState:
    """A snapshot of the index job that every session can render."""

    ready: bool = False
    running: bool = False
    kind: str = ""
    done: int = 0  # work units as the index reports them (characters embedded), not documents
    total: int = 0
    documents: int = 0
    current: str = ""
    message: str = ""
    error: str = ""


class IndexJob:
    """Builds (at start) or refreshes (admin button) the index in a background thread with progress.

    During a refresh the Assistant keeps answering from the old generation, so `ready` stays true.
    """

    def __init__(self, bot: Assistant):
        self.bot = bot
        self._lock = threading.Lock()
        self._state = JobState()
        self._thread: threading.Thread | None = None

    def state(self) -> JobState:
        with self._lock:
            return JobState(**vars(self._state))

    def start_initial(self) -> bool:
        return self._start("build", self._build_or_load)

    def _build_or_load(self):
        try:
            return self.bot.ensure_index(progress=self._progress)
        except IndexMismatch:
            # Models or chunking changed since the index was built: it has to be rebuilt anyway, so do it
            # here with progress rather than leave the app unable to answer.
            log.warning("index does not match the current settings; rebuilding it")
            return self.bot.ingest(progress=self._progress)

    def start_refresh(self, rebuild: bool = False) -> bool:
        if not self.state().ready:
            return False
        return self._start("refresh", lambda: self.bot.ingest(progress=self._progress, rebuild=rebuild))

    def wait(self, timeout: float | None = None) -> JobState:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.state()

    def _start(self, kind: str, work) -> bool:
        with self._lock:
            if self._state.running:
                return False
            self._state = JobState(ready=self._state.ready, running=True, kind=kind)
            self._thread = threading.Thread(target=self._run, args=(work,), name=f"index-{kind}", daemon=True)
            self._thread.start()
            return True

    def _run(self, work) -> None:
        try:
            report = work()
            message = report.summary() if report is not None else ""
            with self._lock:
                self._state.ready, self._state.running, self._state.message = True, False, message
        except Exception as exc:  # the app must stay up and say what went wrong
            log.exception("index job failed")
            with self._lock:
                self._state.running, self._state.error = False, f"{type(exc).__name__}: {exc}"

    def _progress(self, done: int, total: int, doc_id: str) -> None:
        with self._lock:
            self._state.done, self._state.total, self._state.current = done, total, doc_id
            self._state.documents += 1


# ---------------------------------------------------------------------------- HTML rendering


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


def grade_label(grades: list[int]) -> str:
    names = [GRADE_NAMES[g - 1] for g in sorted(set(grades)) if 1 <= g <= 9]
    return "、".join(names) + "年级" if names else ""


def highlight(text: str, terms: list[str]) -> str:
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


def render_user(question: str) -> str:
    shown = question.strip()
    if len(shown) > SHOWN_QUESTION_CHARS:
        shown = f"{shown[:SHOWN_QUESTION_CHARS]}…（共 {len(question)} 字，已省略）"
    return f'<div class="user-q">{multiline(shown)}</div>'


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


def conflict_values(conflicts: list[str]) -> list[str]:
    """'1小时（60分钟）：doc-a、doc-b' -> '1小时（60分钟）': the differing rules without internal ids."""
    return [c.split("：", 1)[0] for c in conflicts if c]


def render_answer(answer: Answer, shown: int | None = None) -> str:
    """The assistant's message: notices, answer text (the first `shown` characters while streaming), sources."""
    streaming = shown is not None and shown < len(answer.text)
    parts = ['<div class="answer">']
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
            f"已完成 {progress_percent(state)}%（已处理 {state.documents} 份文件，"
            f"最近：{esc(state.current)}）"
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


def progress_percent(state: JobState) -> int:
    return int(100 * state.done / state.total) if state.total else 0


def format_time(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return stamp or ""


# ---------------------------------------------------------------------------- the app


class WebApp:
    """Event handlers over one shared Assistant; per-visitor data lives in gr.State, never here."""

    def __init__(
        self,
        bot: Assistant,
        settings: Settings,
        job: IndexJob | None = None,
        feedback: FeedbackStore | None = None,
    ):
        self.bot = bot
        self.settings = settings
        self.job = job or IndexJob(bot)
        self.feedback = feedback or FeedbackStore(settings.feedback_path)

    # ------------------------------------------------------------------ chat

    def respond(self, message: str, chat: list, questions: list, records: dict):
        """Stream one answer. Yields (textbox, chat, questions, records, citation picker)."""
        chat, questions, records = list(chat or []), list(questions or []), dict(records or {})
        text = (message or "")[:MAX_INPUT_CHARS]
        if not text.strip():
            gr.Warning("请先输入您的问题，例如：“三年级每天的书面作业不超过多长时间？”", duration=6)
            yield "", chat, questions, records, gr.update()
            return
        chat.append({"role": "user", "content": render_user(text)})
        state = self.job.state()
        if not state.ready:
            chat.append({"role": "assistant", "content": self._not_ready_message(state)})
            yield "", chat, questions, records, gr.update()
            return
        chat.append({"role": "assistant", "content": '<div class="thinking">正在查找相关规定……</div>'})
        yield "", chat, questions, records, gr.update()

        try:
            answer = self.bot.ask(text, questions or None)
        except Exception:  # a broken index must not take the page down with it
            log.exception("ask failed")
            chat[-1] = {
                "role": "assistant",
                "content": '<div class="answer-text">抱歉，系统暂时出了点问题，请稍后再试。</div>',
            }
            yield "", chat, questions, records, gr.update()
            return

        step = max(4, -(-len(answer.text) // STREAM_STEPS))
        for shown in range(step, len(answer.text), step):
            chat[-1] = {"role": "assistant", "content": render_answer(answer, shown)}
            yield "", chat, questions, records, gr.update()
            time.sleep(STREAM_DELAY)
        chat[-1] = {"role": "assistant", "content": render_answer(answer)}
        questions.append(text[: self.settings.answer.max_question_chars])
        cited = [{k: v for k, v in c.to_dict().items() if k != "text"} for c in answer.citations]
        records[len(chat) - 1] = {
            "question": text,
            "answer": answer.text,
            "citations": json.dumps(cited, ensure_ascii=False),
        }
        picker = [
            (f"[{c.number}] {book_title(c.title)} {c.section}"[:80], f"{c.doc_id}|{c.chunk_id}")
            for c in answer.citations
        ]
        yield "", chat, questions, records, gr.update(choices=picker, value=picker[0][1] if picker else None)

    def _not_ready_message(self, state: JobState) -> str:
        if state.error:
            text = "抱歉，资料索引建立失败，暂时无法回答。请联系管理员查看「索引状态」页。"
        elif state.total:
            text = (
                f"资料库正在建立索引（已完成 {progress_percent(state)}%），"
                "完成后就能回答，请稍等一两分钟再提问。"
            )
        else:
            text = "资料库正在建立索引，完成后就能回答，请稍等一两分钟再提问。"
        return f'<div class="answer-text">{esc(text)}</div>'

    def new_chat(self):
        return [], [], {}, gr.update(choices=[], value=None), ""

    def vote(self, records: dict, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        record = (records or {}).get(index)
        if record is None or data.liked not in (True, False):
            return  # un-voting, or a message that is not an answer (e.g. "please wait")
        self.feedback.record(
            record["question"], record["answer"], record["citations"], "up" if data.liked else "down"
        )
        gr.Info("已记录，感谢您的反馈！", duration=3)

    # ------------------------------------------------------------------ teachers' lookup

    def lookup(self, keywords: str, grades: list[int], topic: str, level: str):
        """Returns (results HTML, 'open' picker)."""
        keywords = (keywords or "")[:200]
        if not self.job.state().ready:
            return '<div class="hits-empty">资料索引尚未建好，请稍后再查。</div>', gr.update(
                choices=[], value=None
            )
        if not keywords.strip() and not topic:
            return '<div class="hits-empty">请输入关键词，或选择一个主题。</div>', gr.update(
                choices=[], value=None
            )
        hits = self.bot.search(
            keywords, grades=set(grades or []) or None, topic=topic or None, level=level or None
        )
        if not hits:
            return (
                '<div class="hits-empty">没有找到符合条件的规定，可以换个关键词或放宽筛选条件。</div>',
                gr.update(choices=[], value=None),
            )
        typed = [w for w in re.split(r"[\s,，、;；]+", keywords) if w]
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
        picker = [
            (f"{i}. {book_title(h.chunk.title)} {h.chunk.section}"[:80], f"{h.chunk.doc_id}|{h.chunk.id}")
            for i, h in enumerate(hits, 1)
        ]
        return summary + "".join(cards), gr.update(choices=picker, value=picker[0][1])

    # ------------------------------------------------------------------ document viewer

    def sorted_documents(self) -> list:
        """National documents first, then province, city, county, school; by title within a level."""
        order = list(LEVEL_NAMES)
        return sorted(
            self.bot.documents(), key=lambda d: (order.index(d.level) if d.level in order else 99, d.title)
        )

    def document_choices(self) -> list[tuple[str, str]]:
        return [(f"{book_title(d.title)}（{level_name(d.level)}）", d.id) for d in self.sorted_documents()]

    def _doc_chunks(self, doc_id: str) -> list[Chunk]:
        return self.bot.chunks_of(doc_id)

    def _sections(self, doc_id: str) -> list[tuple[str, int, int]]:
        """(section, start, end) for each run of consecutive chunks sharing a section, in reading order."""
        runs: list[list] = []
        for chunk in self._doc_chunks(doc_id):
            if runs and runs[-1][0] == chunk.section:
                runs[-1][2] = max(runs[-1][2], chunk.end)
            else:
                runs.append([chunk.section, chunk.start, chunk.end])
        return [tuple(r) for r in runs]

    def section_choices(self, doc_id: str) -> list[tuple[str, int]]:
        return [((s or "（正文）")[:70], start) for s, start, _ in self._sections(doc_id)]

    def render_document(
        self, doc_id: str | None, section_start: int | None = None, chunk_id: str | None = None
    ) -> str:
        if not doc_id:
            return '<div class="doc-empty">请选择一份文件。</div>'
        try:
            doc = self.bot.document(doc_id)
        except Exception:
            return '<div class="doc-empty">没有找到这份文件，索引可能刚更新过，请重新选择。</div>'
        text = doc.text
        span = next(((s, a, b) for s, a, b in self._sections(doc_id) if a == section_start), None)
        focus = self.bot.chunk(chunk_id or "")
        meta = " · ".join(x for x in [doc.issuer, level_name(doc.level), str(doc.year or "")] if x)
        head = f'<div class="doc-head"><b>{book(doc.title)}</b><br><small>{esc(meta)}</small></div>'
        if span is None:
            return head + f'<div class="doc-text">{esc(text)}</div>'
        section, start, end = span
        marks = [(start, '<mark class="doc-section">'), (end, "</mark>")]
        if focus is not None and focus.doc_id == doc_id and start <= focus.start < end:
            marks[1:1] = [(focus.start, '<mark class="doc-cited">'), (min(focus.end, end), "</mark>")]
        out, pos = [], 0
        for offset, tag in marks:
            out.append(esc(text[pos:offset]))
            out.append(tag)
            pos = offset
        out.append(esc(text[pos:]))
        label = f'<div class="doc-where">📍 {esc(section or "正文")}</div>'
        return head + label + f'<div class="doc-text">{"".join(out)}</div>'

    def pick_document(self, doc_id: str | None):
        """Dropdown change: list the document's sections and show it from the top section."""
        if not doc_id:
            return gr.update(choices=[], value=None), self.render_document(None)
        sections = self.section_choices(doc_id)
        first = sections[0][1] if sections else None
        return gr.update(choices=sections, value=first), self.render_document(doc_id, first)

    def open_target(self, target: str | None):
        """'doc_id|chunk_id' from a citation or a search hit -> viewer at that chunk's section."""
        if not target or "|" not in target:
            return gr.update(), gr.update(), gr.update(), gr.update()
        doc_id, chunk_id = target.split("|", 1)
        chunk = self.bot.chunk(chunk_id)
        sections = self.section_choices(doc_id)
        start = None
        if chunk is not None:
            start = next((a for s, a, b in self._sections(doc_id) if a <= chunk.start < b), None)
        return (
            gr.Tabs(selected="lookup"),
            gr.update(choices=self.document_choices(), value=doc_id),
            gr.update(choices=sections, value=start),
            self.render_document(doc_id, start, chunk_id),
        )

    # ------------------------------------------------------------------ status

    def status_view(self):
        """(banner, summary, documents table, timer, document picker) for the page load and each tick."""
        state = self.job.state()
        docs = self.sorted_documents() if state.ready else []
        rows = [
            [d.title, d.issuer, level_name(d.level), d.year or "", d.chunks, format_time(d.indexed_at), d.id]
            for d in docs
        ]
        info = self.bot.status() if state.ready else {}
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
        lines.append(f"家长反馈：👍 {self.feedback.count('up')}　👎 {self.feedback.count('down')}")
        return (
            render_banner(state, len(docs)),
            "\n\n".join(lines),
            rows,
            gr.Timer(active=state.running),
            gr.update(choices=self.document_choices()) if state.ready else gr.update(),
        )

    def refresh_index(self, rebuild: bool):
        if not self.job.start_refresh(rebuild=bool(rebuild)):
            gr.Info("索引正在建立或更新中，请等它完成。")
        return self.status_view()

    def api_status(self) -> dict:
        """For scripts (e.g. evals/load.py): is the index ready to answer?"""
        return vars(self.job.state())

    # ------------------------------------------------------------------ layout

    def build(self) -> gr.Blocks:
        limit = self.settings.app.concurrency_limit
        with gr.Blocks(title="“双减”政策问答助手", analytics_enabled=False) as demo:
            gr.HTML(
                '<div class="app-title"><h1>📘 “双减”政策问答助手</h1>'
                "<p>用大白话问“双减”政策，回答都摘自政策原文并标明出处。</p></div>"
            )
            banner = gr.HTML(render_banner(self.job.state()), elem_id="status-banner")
            timer = gr.Timer(1.0, active=True)
            questions = gr.State([])
            records = gr.State({})
            with gr.Tabs(selected="chat") as tabs:
                with gr.Tab("💬 家长问答", id="chat", elem_id="chat-tab"):
                    chatbot = gr.Chatbot(
                        elem_id="chat",
                        height=560,
                        show_label=False,
                        layout="bubble",
                        feedback_options=["Like", "Dislike"],
                        buttons=[],
                        autoscroll=True,
                        placeholder="<div class='placeholder'>👋 您好！我可以回答关于作业、课后服务、考试、"
                        "校外培训等“双减”问题。<br>下面有几个常见问题，点一下就能填入。</div>",
                    )
                    with gr.Row(equal_height=True):
                        box = gr.Textbox(
                            placeholder="请输入您的问题，按回车发送",
                            show_label=False,
                            scale=6,
                            max_lines=6,
                            max_length=MAX_INPUT_CHARS,
                            elem_id="question",
                            submit_btn=False,
                            autofocus=True,
                        )
                        send = gr.Button("发送", variant="primary", scale=1, min_width=80, elem_id="send")
                    gr.Examples(EXAMPLES, inputs=[box], label="常见问题（点击填入）", examples_per_page=10)
                    with gr.Row(equal_height=True):
                        clear = gr.Button("🆕 新对话", scale=1, min_width=100, elem_id="new-chat")
                        cite_pick = gr.Dropdown(
                            choices=[],
                            label="出处原文（回答后可选，在「规则查询」页打开）",
                            scale=4,
                            elem_id="cite-pick",
                        )
                        open_cite = gr.Button("📄 查看出处原文", scale=1, min_width=120, elem_id="open-cite")
                    gr.Markdown(
                        "<small>回答由程序从政策文件中摘录，仅供参考；具体安排请以孩子所在学校和当地"
                        "教育部门的通知为准。每条回答下方可点 👍/👎 告诉我们是否有帮助。</small>"
                    )
                with gr.Tab("🔎 规则查询", id="lookup", elem_id="lookup-tab"):
                    gr.Markdown("给老师用：按关键词查政策条文，可按年级、主题、文件层级筛选。")
                    with gr.Row():
                        keywords = gr.Textbox(
                            label="关键词",
                            placeholder="例如：作业 时长、课后服务、考试 排名",
                            scale=3,
                            elem_id="kw",
                        )
                        topic = gr.Dropdown(
                            [("全部主题", "")] + [(t, t) for t in TOPICS],
                            value="",
                            label="主题",
                            scale=1,
                            elem_id="topic",
                        )
                        level = gr.Dropdown(
                            [("全部层级", "")] + [(n, k) for k, n in LEVEL_NAMES.items()],
                            value="",
                            label="文件层级",
                            scale=1,
                            elem_id="level",
                        )
                    grades = gr.CheckboxGroup(
                        [(f"{n}年级", i) for i, n in enumerate(GRADE_NAMES, 1)],
                        label="年级（可多选，不选即全部）",
                        elem_id="grades",
                    )
                    search = gr.Button("🔎 查询", variant="primary", elem_id="search")
                    with gr.Row():
                        with gr.Column(scale=1):
                            results = gr.HTML(
                                '<div class="hits-empty">输入关键词后点“查询”。</div>', elem_id="hits"
                            )
                        with gr.Column(scale=1):
                            gr.Markdown("### 📄 文件原文")
                            with gr.Row(equal_height=True):
                                hit_pick = gr.Dropdown(
                                    label="打开查询结果中的第几条", choices=[], scale=4, elem_id="hit-pick"
                                )
                                open_hit = gr.Button("打开", scale=1, min_width=70, elem_id="open-hit")
                            with gr.Row():
                                doc_pick = gr.Dropdown(
                                    label="或直接选文件", choices=[], scale=1, elem_id="doc-pick"
                                )
                                section_pick = gr.Dropdown(
                                    label="章节", choices=[], scale=1, elem_id="section-pick"
                                )
                            viewer = gr.HTML(
                                '<div class="doc-empty">请选择一份文件，或从查询结果、对话出处中打开原文。</div>',
                                elem_id="viewer",
                                js_on_load=SCROLL_TO_SECTION_JS,
                            )
                with gr.Tab("📚 索引状态", id="status", elem_id="status-tab"):
                    summary = gr.Markdown(elem_id="status-summary")
                    table = gr.Dataframe(
                        headers=["标题", "发文单位", "层级", "年份", "分块数", "入库时间", "文档编号"],
                        interactive=False,
                        wrap=True,
                        elem_id="doc-table",
                        max_height=620,
                        column_widths=["32%", "17%", "7%", "6%", "7%", "13%", "18%"],
                    )
                    with gr.Row():
                        rebuild_all = gr.Checkbox(
                            label="全部重建（较慢；默认只处理有变化的文件）", value=False
                        )
                        refresh = gr.Button("🔄 更新索引", elem_id="rebuild")
                        reload = gr.Button("刷新状态", size="sm")

            status_outputs = [banner, summary, table, timer, doc_pick]
            demo.load(self.status_view, outputs=status_outputs, queue=False)
            timer.tick(self.status_view, outputs=status_outputs, queue=False, show_progress="hidden")
            reload.click(self.status_view, outputs=status_outputs, queue=False)
            refresh.click(
                self.refresh_index,
                inputs=[rebuild_all],
                outputs=status_outputs,
                concurrency_limit=1,
                api_name="refresh_index",
            )

            chat_outputs = [box, chatbot, questions, records, cite_pick]
            gr.on(
                [box.submit, send.click],
                self.respond,
                inputs=[box, chatbot, questions, records],
                outputs=chat_outputs,
                api_name="ask",
                trigger_mode="once",
                show_progress="minimal",
                concurrency_limit=limit,
                concurrency_id="retrieval",
            )
            clear.click(self.new_chat, outputs=[chatbot, questions, records, cite_pick, box], queue=False)
            # The chatbot's own 🗑 button empties the messages; forget the conversation behind them too.
            chatbot.clear(self.new_chat, outputs=[chatbot, questions, records, cite_pick, box], queue=False)
            # Queued (toasts need the queue) but outside the answer limit: a vote is one quick SQLite insert.
            chatbot.like(
                self.vote, inputs=[records], outputs=None, concurrency_limit=None, show_progress="hidden"
            )

            gr.on(
                [search.click, keywords.submit],
                self.lookup,
                inputs=[keywords, grades, topic, level],
                outputs=[results, hit_pick],
                api_name="search",
                concurrency_limit=limit,
                concurrency_id="retrieval",
            )
            open_outputs = [tabs, doc_pick, section_pick, viewer]
            open_cite.click(self.open_target, inputs=[cite_pick], outputs=open_outputs, queue=False)
            open_hit.click(self.open_target, inputs=[hit_pick], outputs=open_outputs, queue=False)
            doc_pick.input(self.pick_document, inputs=[doc_pick], outputs=[section_pick, viewer], queue=False)
            section_pick.input(
                self.render_document, inputs=[doc_pick, section_pick], outputs=[viewer], queue=False
            )
            gr.api(self.api_status, api_name="status", concurrency_limit=None)
        return demo


# Scroll the viewer's own box (not the page) so the highlighted section sits near its top.
SCROLL_TO_SECTION_JS = """
const go = () => {
  const box = element.querySelector('.doc-text');
  const mark = element.querySelector('.doc-cited') || element.querySelector('.doc-section');
  if (box && mark) box.scrollTop += mark.getBoundingClientRect().top - box.getBoundingClientRect().top - 24;
};
watch('value', () => requestAnimationFrame(() => {
  go();
  // Opened from another tab or far down the page: bring the viewer itself into sight too.
  const top = element.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight * 0.6) element.scrollIntoView({block: 'start', behavior: 'smooth'});
}));
requestAnimationFrame(go);
"""

CSS = """
.app-title h1 { font-size: 1.6rem; margin: 0.2rem 0; }
.app-title p { color: var(--body-text-color-subdued); margin: 0 0 0.3rem; }
.banner { padding: 0.5rem 0.8rem; border-radius: 8px; font-size: 0.95rem; }
.banner.ok { background: #ecfdf5; color: #065f46; border: 1px solid #a7f3d0; }
.banner.building { background: #fffbeb; color: #92400e; border: 1px solid #fcd34d; }
.banner.error { background: #fef2f2; color: #991b1b; border: 1px solid #fca5a5; }
.banner progress { vertical-align: middle; width: 180px; accent-color: #d97706; }
.user-q { white-space: normal; word-break: break-word; }
.answer-text { line-height: 1.75; }
.cite-ref { color: #2563eb; font-weight: 600; }
.conflict-notice { background: #fef9c3; border: 1px solid #facc15; color: #713f12; border-radius: 8px;
  padding: 0.5rem 0.7rem; margin-bottom: 0.5rem; }
.info-notice { background: #eff6ff; border: 1px solid #bfdbfe; border-radius: 8px; padding: 0.4rem 0.6rem;
  margin-bottom: 0.5rem; }
.rewritten, .thinking { color: var(--body-text-color-subdued); font-size: 0.9em; margin-bottom: 0.3rem; }
.sources { margin-top: 0.7rem; border-top: 1px dashed var(--border-color-primary); padding-top: 0.5rem; }
.sources-title { font-weight: 600; margin-bottom: 0.3rem; }
details.cite { border: 1px solid var(--border-color-primary); border-radius: 8px; margin: 0.35rem 0;
  padding: 0.35rem 0.6rem; background: var(--background-fill-secondary); }
details.cite summary { cursor: pointer; }
.cite-n { color: #2563eb; font-weight: 700; }
.cite-sub { color: var(--body-text-color-subdued); font-size: 0.85em; margin-left: 0.5em; }
.cite-meta, .cite-id { color: var(--body-text-color-subdued); font-size: 0.85em; margin: 0.3rem 0; }
.cite-text { line-height: 1.7; }
mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
#hits { max-height: 900px; overflow-y: auto; }
.hits-summary { font-weight: 600; margin: 0.4rem 0; }
.hits-empty, .doc-empty { color: var(--body-text-color-subdued); padding: 0.6rem 0; }
.hit { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.6rem 0.8rem; margin: 0.5rem 0; }
.hit-head { font-weight: 600; }
.hit-n { display: inline-block; min-width: 1.6em; color: #2563eb; }
.badge { display: inline-block; font-size: 0.75em; font-weight: 500; background: #e0e7ff; color: #3730a3;
  border-radius: 999px; padding: 0 0.55em; margin-left: 0.5em; }
.hit-issuer { font-weight: 400; color: var(--body-text-color-subdued); font-size: 0.85em; margin-left: 0.5em; }
.hit-section { color: var(--body-text-color-subdued); font-size: 0.85em; margin: 0.2rem 0; }
.hit-text { line-height: 1.7; }
.doc-head { margin-bottom: 0.3rem; }
.doc-where { color: #92400e; font-size: 0.9em; margin-bottom: 0.3rem; }
.doc-text { white-space: pre-wrap; line-height: 1.8; max-height: 640px; overflow-y: auto; padding: 0.6rem 0.8rem;
  border: 1px solid var(--border-color-primary); border-radius: 8px; }
mark.doc-section { background: #fef3c7; }
mark.doc-cited { background: #fcd34d; outline: 2px solid #f59e0b; }
/* gradio 6.31 titles toasts with their English type name and ignores title=; show Chinese instead. */
.toast-title.info, .toast-title.warning { font-size: 0 !important; }
.toast-title.info::before { content: "提示"; font-size: var(--text-md); }
.toast-title.warning::before { content: "请注意"; font-size: var(--text-md); }
.placeholder { text-align: center; color: var(--body-text-color-subdued); line-height: 1.8; }
"""


def create_app(bot: Assistant, settings: Settings, start_index_job: bool = True) -> tuple[gr.Blocks, WebApp]:
    """The Blocks (queue configured) and its handlers; starts building/loading the index in the background."""
    web = WebApp(bot, settings)
    demo = web.build()
    demo.queue(max_size=settings.app.max_queue, default_concurrency_limit=settings.app.concurrency_limit)
    if start_index_job:
        web.job.start_initial()
    return demo, web


def launch_options(settings: Settings, host: str | None = None, port: int | None = None) -> dict:
    """Keyword arguments for Blocks.launch(); gradio 6 takes theme and CSS here, not in Blocks()."""
    return {
        "server_name": host or settings.app.host,
        "server_port": port or settings.app.port,
        "theme": gr.themes.Soft(primary_hue="blue", font=THEME_FONTS, font_mono=["monospace"]),
        "css": CSS,
        "show_error": False,
        "footer_links": [],
        "max_threads": max(40, settings.app.concurrency_limit * 4),
    }
