"""The web app's page: three tabs (parents' chat, teachers' lookup, index status) wired to WebApp handlers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr

from ..records import LEVEL_NAMES
from ..service import TOPICS
from .render import ENABLE_ADMIN_HELP, GRADE_NAMES, render_banner

if TYPE_CHECKING:
    from .app import WebApp

EXAMPLES = [
    "三年级每天的书面作业不超过多长时间？",
    "课后服务一般几点结束？",
    "学校能不能让家长批改作业？",
    "一二年级还布置书面作业吗？",
    "考试成绩会排名公布吗？",
]
STATIC = Path(__file__).resolve().parent / "static"


def static_text(name: str) -> str:
    """A file of web/static (CSS, JS) as text."""
    return (STATIC / name).read_text(encoding="utf-8")


def build(web: WebApp) -> gr.Blocks:
    """The Blocks with every event wired; the queue is configured by create_app()."""
    with gr.Blocks(title="“双减”政策问答助手", analytics_enabled=False) as demo:
        gr.HTML(
            '<div class="app-title"><h1>📘 “双减”政策问答助手</h1>'
            "<p>用大白话问“双减”政策，回答都摘自政策原文并标明出处。</p></div>"
        )
        ui: dict = {
            "banner": gr.HTML(render_banner(web.job.state()), elem_id="status-banner"),
            "timer": gr.Timer(1.0, active=True),
            "questions": gr.State([]),
            "records": gr.State({}),
            "voted": gr.State([]),
        }
        with gr.Tabs(selected="chat") as ui["tabs"]:
            with gr.Tab("💬 家长问答", id="chat", elem_id="chat-tab"):
                _chat_tab(ui)
            with gr.Tab("🔎 规则查询", id="lookup", elem_id="lookup-tab"):
                _lookup_tab(ui, static_text("app.js"))
            with gr.Tab("📚 索引状态", id="status", elem_id="status-tab"):
                _status_tab(ui, web.admin_enabled)
        _wire(web, ui, demo)
    return demo


def _chat_tab(ui: dict) -> None:
    ui["chatbot"] = gr.Chatbot(
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
        # No max_length: a long paste reaches the question parser whole, which keeps its opening and its
        # final question (the browser would cut the end, where the question is).
        ui["box"] = gr.Textbox(
            placeholder="请输入您的问题，按回车发送",
            show_label=False,
            scale=6,
            max_lines=6,
            elem_id="question",
            submit_btn=False,
            autofocus=True,
        )
        ui["send"] = gr.Button("发送", variant="primary", scale=1, min_width=80, elem_id="send")
    gr.Examples(EXAMPLES, inputs=[ui["box"]], label="常见问题（点击填入）", examples_per_page=10)
    with gr.Row(equal_height=True):
        ui["clear"] = gr.Button("🆕 新对话", scale=1, min_width=100, elem_id="new-chat")
        ui["cite_pick"] = gr.Dropdown(
            choices=[], label="出处原文（回答后可选，在「规则查询」页打开）", scale=4, elem_id="cite-pick"
        )
        ui["open_cite"] = gr.Button("📄 查看出处原文", scale=1, min_width=120, elem_id="open-cite")
    gr.Markdown(
        "<small>回答由程序从政策文件中摘录，仅供参考；具体安排请以孩子所在学校和当地"
        "教育部门的通知为准。每条回答下方可点 👍/👎 告诉我们是否有帮助。</small>"
    )


def _lookup_tab(ui: dict, viewer_js: str) -> None:
    gr.Markdown("给老师用：按关键词查政策条文，可按年级、主题、文件层级筛选。")
    with gr.Row():
        ui["keywords"] = gr.Textbox(
            label="关键词", placeholder="例如：作业 时长、课后服务、考试 排名", scale=3, elem_id="kw"
        )
        ui["topic"] = gr.Dropdown(
            [("全部主题", "")] + [(t, t) for t in TOPICS], value="", label="主题", scale=1, elem_id="topic"
        )
        ui["level"] = gr.Dropdown(
            [("全部层级", "")] + [(n, k) for k, n in LEVEL_NAMES.items()],
            value="",
            label="文件层级",
            scale=1,
            elem_id="level",
        )
    ui["grades"] = gr.CheckboxGroup(
        [(f"{n}年级", i) for i, n in enumerate(GRADE_NAMES, 1)],
        label="年级（可多选，不选即全部）",
        elem_id="grades",
    )
    ui["search"] = gr.Button("🔎 查询", variant="primary", elem_id="search")
    with gr.Row():
        with gr.Column(scale=1):
            ui["results"] = gr.HTML('<div class="hits-empty">输入关键词后点“查询”。</div>', elem_id="hits")
        with gr.Column(scale=1):
            gr.Markdown("### 📄 文件原文")
            with gr.Row(equal_height=True):
                ui["hit_pick"] = gr.Dropdown(
                    label="打开查询结果中的第几条", choices=[], scale=4, elem_id="hit-pick"
                )
                ui["open_hit"] = gr.Button("打开", scale=1, min_width=70, elem_id="open-hit")
            with gr.Row():
                ui["doc_pick"] = gr.Dropdown(label="或直接选文件", choices=[], scale=1, elem_id="doc-pick")
                ui["section_pick"] = gr.Dropdown(label="章节", choices=[], scale=1, elem_id="section-pick")
            ui["viewer"] = gr.HTML(
                '<div class="doc-empty">请选择一份文件，或从查询结果、对话出处中打开原文。</div>',
                elem_id="viewer",
                js_on_load=viewer_js,
            )


def _status_tab(ui: dict, admin_enabled: bool) -> None:
    ui["summary"] = gr.Markdown(elem_id="status-summary")
    ui["table"] = gr.Dataframe(
        headers=["标题", "发文单位", "层级", "年份", "分块数", "入库时间", "文档编号"],
        interactive=False,
        wrap=True,
        elem_id="doc-table",
        max_height=620,
        column_widths=["32%", "17%", "7%", "6%", "7%", "13%", "18%"],
    )
    # Rebuilding is an admin's job: without a configured token the controls are not shown at all.
    with gr.Row(visible=admin_enabled, elem_id="rebuild-row"):
        ui["rebuild_all"] = gr.Checkbox(label="全部重建（较慢；默认只处理有变化的文件）", value=False)
        ui["token"] = gr.Textbox(
            label="管理口令", type="password", max_lines=1, scale=1, elem_id="admin-token"
        )
        ui["refresh"] = gr.Button("🔄 更新索引", elem_id="rebuild")
    gr.Markdown(f"<small>{ENABLE_ADMIN_HELP}</small>", visible=not admin_enabled, elem_id="rebuild-help")
    ui["reload"] = gr.Button("刷新状态", size="sm")


def _wire(web: WebApp, ui: dict, demo: gr.Blocks) -> None:
    limit = web.settings.app.concurrency_limit
    status_outputs = [ui["banner"], ui["summary"], ui["table"], ui["timer"], ui["doc_pick"]]
    demo.load(web.status_view, outputs=status_outputs, queue=False)
    ui["timer"].tick(web.status_view, outputs=status_outputs, queue=False, show_progress="hidden")
    ui["reload"].click(web.status_view, outputs=status_outputs, queue=False)
    ui["refresh"].click(
        web.refresh_index,
        inputs=[ui["rebuild_all"], ui["token"]],
        outputs=status_outputs,
        concurrency_limit=1,
        api_name="refresh_index",
    )

    chat_state = [ui["chatbot"], ui["questions"], ui["records"]]
    gr.on(
        [ui["box"].submit, ui["send"].click],
        web.respond,
        inputs=[ui["box"], *chat_state],
        outputs=[ui["box"], *chat_state, ui["cite_pick"]],
        api_name="ask",
        trigger_mode="once",
        show_progress="minimal",
        concurrency_limit=limit,
        concurrency_id="retrieval",
    )
    forget = [*chat_state, ui["cite_pick"], ui["box"]]
    ui["clear"].click(web.new_chat, outputs=forget, queue=False)
    # The chatbot's own 🗑 button empties the messages; forget the conversation behind them too.
    ui["chatbot"].clear(web.new_chat, outputs=forget, queue=False)
    # Queued (toasts need the queue) but outside the answer limit: a vote is one quick SQLite insert.
    ui["chatbot"].like(
        web.vote,
        inputs=[ui["records"], ui["voted"]],
        outputs=[ui["voted"]],
        concurrency_limit=None,
        show_progress="hidden",
    )

    gr.on(
        [ui["search"].click, ui["keywords"].submit],
        web.lookup,
        inputs=[ui["keywords"], ui["grades"], ui["topic"], ui["level"]],
        outputs=[ui["results"], ui["hit_pick"]],
        api_name="search",
        concurrency_limit=limit,
        concurrency_id="retrieval",
    )
    open_outputs = [ui["tabs"], ui["doc_pick"], ui["section_pick"], ui["viewer"]]
    ui["open_cite"].click(web.open_target, inputs=[ui["cite_pick"]], outputs=open_outputs, queue=False)
    ui["open_hit"].click(web.open_target, inputs=[ui["hit_pick"]], outputs=open_outputs, queue=False)
    ui["doc_pick"].input(
        web.pick_document, inputs=[ui["doc_pick"]], outputs=[ui["section_pick"], ui["viewer"]], queue=False
    )
    ui["section_pick"].input(
        web.render_document, inputs=[ui["doc_pick"], ui["section_pick"]], outputs=[ui["viewer"]], queue=False
    )
    gr.api(web.api_status, api_name="status", concurrency_limit=None)
