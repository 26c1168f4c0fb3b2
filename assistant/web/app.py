"""The web app's event handlers over one shared Assistant, and how to create and launch it."""

from __future__ import annotations

import json
import logging
import time
import uuid

import gradio as gr

from ..feedback import FeedbackStore
from ..records import LEVEL_NAMES, Answer
from ..service import Assistant
from ..settings import Settings
from . import render
from .jobs import IndexJob, JobState
from .layout import build, static_text
from .limits import MAX_MESSAGE_CHARS, UPLOAD_LIMIT, cap_history, check_chat, keep_ends, token_matches

log = logging.getLogger(__name__)

# Streaming is cosmetic (the answer is computed at once), so it is capped to keep queue slots short.
STREAM_STEPS = 30
STREAM_DELAY = 0.02
# What a vote stores of a long paste: enough to read what was asked (opening and final question).
FEEDBACK_QUESTION_CHARS = 4000
THEME_FONTS = ["Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC", "sans-serif"]


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

    @property
    def admin_enabled(self) -> bool:
        token = self.settings.app.admin_token
        return token is not None and bool(token.get_secret_value())

    # ------------------------------------------------------------------ chat

    def respond(self, message: str, chat: list, questions: list, records: dict):
        """Stream one answer. Yields (textbox, chat, questions, records, citation picker)."""
        chat, questions, records = self._session(chat, questions, records)
        text = message if isinstance(message, str) else ""
        if not text.strip():
            gr.Warning("请先输入您的问题，例如：“三年级每天的书面作业不超过多长时间？”", duration=6)
            yield "", chat, questions, records, gr.update()
            return
        if len(text) > MAX_MESSAGE_CHARS:
            # Refused rather than cut: the text stays in the box, so nothing the parent typed is lost.
            gr.Warning(
                f"内容太长（共 {len(text)} 字），请只粘贴和问题有关的部分（{MAX_MESSAGE_CHARS // 10000} 万字以内）。",
                duration=8,
            )
            yield gr.update(), chat, questions, records, gr.update()
            return
        chat.append({"role": "user", "content": render.render_user(text)})
        state = self.job.state()
        if not state.ready:
            chat.append({"role": "assistant", "content": render.render_not_ready(state)})
            yield "", chat, questions, records, gr.update()
            return
        chat.append({"role": "assistant", "content": render.render_thinking()})
        yield "", chat, questions, records, gr.update()

        try:
            answer = self.bot.ask(text, questions or None)
        except Exception:  # a broken index must not take the page down with it
            log.exception("ask failed")
            chat[-1] = {"role": "assistant", "content": render.render_failure()}
            yield "", chat, questions, records, gr.update()
            return

        step = max(4, -(-len(answer.text) // STREAM_STEPS))
        for shown in range(step, len(answer.text), step):
            chat[-1] = {"role": "assistant", "content": render.render_answer(answer, shown)}
            yield "", chat, questions, records, gr.update()
            time.sleep(STREAM_DELAY)
        chat[-1] = {"role": "assistant", "content": render.render_answer(answer)}
        # One rule for a long paste everywhere: its opening and its final question are what matter.
        questions.append(keep_ends(text, self.settings.answer.max_question_chars))
        questions = cap_history(
            questions, self.settings.app.max_history_turns, self.settings.app.max_history_chars
        )
        records[len(chat) - 1] = self._record(text, answer)
        picker = [
            (f"[{c.number}] {render.book_title(c.title)} {c.section}"[:80], f"{c.doc_id}|{c.chunk_id}")
            for c in answer.citations
        ]
        yield "", chat, questions, records, gr.update(choices=picker, value=picker[0][1] if picker else None)

    def _session(self, chat: object, questions: list, records: dict) -> tuple[list, list, dict]:
        """The visitor's conversation as the server keeps it: a checked chat, capped history, matching records."""
        checked = check_chat(chat)
        if checked.forged:
            gr.Warning("对话记录过长或格式不对，较早的对话已不再显示（不影响回答）。", duration=6)
        # records are keyed by the answer's position in the chat: follow the messages that were dropped.
        shift = checked.dropped
        records = {int(k) - shift: v for k, v in (records or {}).items() if int(k) >= shift}
        app = self.settings.app
        questions = cap_history(list(questions or []), app.max_history_turns, app.max_history_chars)
        return checked.messages, questions, records

    @staticmethod
    def _record(text: str, answer: Answer) -> dict:
        """What a vote on this answer stores; `answer_id` tells two answers at the same chat position apart."""
        cited = [{k: v for k, v in c.to_dict().items() if k != "text"} for c in answer.citations]
        return {
            "answer_id": uuid.uuid4().hex,
            "question": keep_ends(text, FEEDBACK_QUESTION_CHARS),
            "answer": answer.text,
            "citations": json.dumps(cited, ensure_ascii=False),
        }

    def new_chat(self):
        return [], [], {}, gr.update(choices=[], value=None), ""

    def vote(self, records: dict, voted: list, data: gr.LikeData, request: gr.Request | None = None):
        """👍/👎 on an answer: one vote per session and answer; returns the session's voted answer ids."""
        voted = list(voted or [])
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        record = (records or {}).get(index)
        if record is None or data.liked not in (True, False):
            return voted  # un-voting, or a message that is not an answer (e.g. "please wait")
        if record["answer_id"] in voted:
            gr.Info("这条回答您已经评价过了，感谢！", duration=3)
            return voted
        session = getattr(request, "session_hash", None) or ""
        self._store_vote(record, "up" if data.liked else "down", session)
        gr.Info("已记录，感谢您的反馈！", duration=3)
        return [*voted, record["answer_id"]]

    def _store_vote(self, record: dict, vote: str, session: str) -> None:
        # The store keeps one vote per (session, answer): a second click replaces the first.
        self.feedback.record(record["question"], record["answer"], record["citations"], vote, session=session)

    # ------------------------------------------------------------------ teachers' lookup

    def lookup(self, keywords: str, grades: list[int], topic: str, level: str):
        """Returns (results HTML, 'open' picker)."""
        keywords = (keywords or "")[:200]
        empty = gr.update(choices=[], value=None)
        if not self.job.state().ready:
            return render.render_hits_empty("资料索引尚未建好，请稍后再查。"), empty
        if not keywords.strip() and not topic:
            return render.render_hits_empty("请输入关键词，或选择一个主题。"), empty
        hits = self.bot.search(
            keywords, grades=set(grades or []) or None, topic=topic or None, level=level or None
        )
        if not hits:
            return render.render_hits_empty("没有找到符合条件的规定，可以换个关键词或放宽筛选条件。"), empty
        picker = [
            (
                f"{i}. {render.book_title(h.chunk.title)} {h.chunk.section}"[:80],
                f"{h.chunk.doc_id}|{h.chunk.id}",
            )
            for i, h in enumerate(hits, 1)
        ]
        return render.render_hits(hits, keywords), gr.update(choices=picker, value=picker[0][1])

    # ------------------------------------------------------------------ document viewer

    def sorted_documents(self) -> list:
        """National documents first, then province, city, county, school; by title within a level."""
        order = list(LEVEL_NAMES)
        return sorted(
            self.bot.documents(), key=lambda d: (order.index(d.level) if d.level in order else 99, d.title)
        )

    def document_choices(self) -> list[tuple[str, str]]:
        return [
            (f"{render.book_title(d.title)}（{render.level_name(d.level)}）", d.id)
            for d in self.sorted_documents()
        ]

    def _sections(self, doc_id: str) -> list[render.Section]:
        return render.sections_of(self.bot.chunks_of(doc_id))

    def section_choices(self, doc_id: str) -> list[tuple[str, int]]:
        return [((s or "（正文）")[:70], start) for s, start, _ in self._sections(doc_id)]

    def render_document(
        self, doc_id: str | None, section_start: int | None = None, chunk_id: str | None = None
    ) -> str:
        if not doc_id:
            return render.render_doc_message("请选择一份文件。")
        try:
            doc = self.bot.document(doc_id)
        except Exception:
            return render.render_doc_message("没有找到这份文件，索引可能刚更新过，请重新选择。")
        span = next((s for s in self._sections(doc_id) if s[1] == section_start), None)
        return render.render_document(doc, span, self.bot.chunk(chunk_id or ""))

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
        info = self.bot.status() if state.ready else {}
        summary = render.status_summary(state, info, self.feedback.count("up"), self.feedback.count("down"))
        return (
            render.render_banner(state, len(docs)),
            summary,
            render.document_rows(docs),
            gr.Timer(active=state.running),
            gr.update(choices=self.document_choices()) if state.ready else gr.update(),
        )

    def refresh_index(self, rebuild: bool, token: str = ""):
        """The admin's 更新索引: only with the configured admin token (never logged)."""
        if not self.admin_enabled:
            gr.Warning(render.ENABLE_ADMIN_HELP, duration=10)
        elif not token_matches(self.settings.app.admin_token, token):
            log.warning("index refresh refused: wrong or missing admin token")
            gr.Warning("管理口令不正确，没有更新索引。", duration=6)
        elif not self.job.start_refresh(rebuild=bool(rebuild)):
            gr.Info("索引正在建立或更新中，请等它完成。")
        return self.status_view()

    def api_status(self) -> dict:
        """For scripts (e.g. evals/load.py): is the index ready to answer?"""
        state: JobState = self.job.state()
        return {**vars(state), "percent": state.percent}


def create_app(bot: Assistant, settings: Settings, start_index_job: bool = True) -> tuple[gr.Blocks, WebApp]:
    """The Blocks (queue configured) and its handlers; starts building/loading the index in the background."""
    web = WebApp(bot, settings)
    demo = build(web)
    demo.queue(max_size=settings.app.max_queue, default_concurrency_limit=settings.app.concurrency_limit)
    if start_index_job:
        web.job.start_initial()
    return demo, web


def launch_options(settings: Settings, host: str | None = None, port: int | None = None) -> dict:
    """Keyword arguments for Blocks.launch() (and mostly for gr.mount_gradio_app): theme, CSS, limits."""
    return {
        "server_name": host or settings.app.host,
        "server_port": port or settings.app.port,
        "theme": gr.themes.Soft(primary_hue="blue", font=THEME_FONTS, font_mono=["monospace"]),
        "css": static_text("app.css"),
        "show_error": False,
        "footer_links": [],
        "max_threads": max(40, settings.app.concurrency_limit * 4),
        # The UI has no file input: gradio's upload route refuses anything bigger than a token size.
        "max_file_size": UPLOAD_LIMIT,
    }
