"""create_app(settings) -> FastAPI: one Assistant behind the API, the OpenAI-compatible chat, /admin and the UI."""

from __future__ import annotations

import anyio
import gradio as gr
from fastapi import FastAPI

from ..feedback import FeedbackStore
from ..service import Assistant
from ..settings import Settings, get_settings
from . import admin, api, openai_compat
from .context import ServerContext
from .limits import ApiError, LimitsMiddleware, install_error_handlers

DESCRIPTION = """
“双减”政策问答助手的 HTTP 接口：回答都摘自政策原文并标明出处。

* `POST /api/ask` 提问（可带 `history` 追问、`scope` 限定文件或地区）
* `POST /v1/chat/completions` OpenAI 兼容（模型名 `shuangjian-assistant`，支持 `stream`）
* 管理接口需在请求头加 `Authorization: Bearer <ASSISTANT_APP_ADMIN_TOKEN>`
"""


def create_app(
    settings: Settings | dict | None = None,
    *,
    bot: Assistant | None = None,
    start_index_job: bool = True,
) -> FastAPI:
    """The whole server; `bot` lets a caller share an Assistant that is already loaded (tests, embedding)."""
    # The one place that imports the gradio UI module (it is moving to assistant/web/; these lines follow it).
    from ..web import create_app as create_ui
    from ..web import launch_options

    settings = get_settings(settings)
    bot = bot or Assistant(settings)
    demo, web = create_ui(bot, settings, start_index_job=start_index_job)
    feedback = getattr(web, "feedback", None) or FeedbackStore(settings.feedback_path)
    ctx = ServerContext(
        settings=settings,
        bot=bot,
        web=web,
        feedback=feedback,
        limiter=anyio.CapacityLimiter(max(1, settings.app.concurrency_limit)),
    )
    app = FastAPI(
        title="“双减”政策问答助手 API",
        version="1.0",
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    app.add_middleware(
        LimitsMiddleware,
        max_body_bytes=settings.app.max_body_kb * 1024,
        max_upload_bytes=int(settings.app.max_upload_mb * 1024 * 1024),
        per_minute=settings.app.rate_limit_per_minute,
        is_admin=ctx.admin_token_ok,
    )
    # Routes first: the UI is mounted at "/" and would otherwise answer every path.
    app.include_router(api.router)
    app.include_router(openai_compat.router)
    app.include_router(admin.router)
    app.add_api_route(
        "/api/{rest:path}",
        _no_such_route,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    app.add_api_route(
        "/v1/{rest:path}",
        _no_such_route,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    options = launch_options(settings)
    return gr.mount_gradio_app(
        app,
        demo,
        path="",
        theme=options.get("theme"),
        css=options.get("css"),
        show_error=False,
        footer_links=[],
        # The chat has no upload control; anything posted to gradio's upload route is refused early.
        max_file_size=options["max_file_size"],
    )


async def _no_such_route(rest: str):
    # Without this, an unknown /api/ path would fall through to the UI mount and get gradio's 404.
    raise ApiError(404, "not_found", "没有这个接口，请查看 /docs。")
