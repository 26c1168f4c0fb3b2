"""Admin API (token only): upload, edit and remove documents, re-ingest, read and export votes; the /admin page."""

from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import ValidationError

from ..errors import AssistantError
from ..feedback import export_jsonl
from .admin_page import render_admin_page
from .api import ctx_of
from .context import ServerContext
from .corpus_files import remove_document, save_upload, set_metadata
from .limits import ApiError
from .limits import explain as _explain
from .schemas import ChangeResponse, ErrorResponse, FeedbackRow, JobOut, MetadataPatch

log = logging.getLogger(__name__)
ERRORS = {code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 413, 429, 503)}


def admin(request: Request) -> ServerContext:
    """Dependency: the context, once the request has shown the admin token."""
    ctx = ctx_of(request)
    ctx.require_admin(request)
    return ctx


Admin = Annotated[ServerContext, Depends(admin)]
router = APIRouter(responses=ERRORS, tags=["管理（需令牌）"])


def _manifest(ctx: ServerContext):
    return ctx.settings.corpus_dir / ctx.settings.corpus.manifest


def _changed(ctx: ServerContext, doc_id: str, message: str) -> dict:
    started = ctx.request_ingest()
    note = "正在后台更新索引" if started else "索引正在更新中，完成后会再更新一次"
    log.info("admin change to %s: %s", doc_id, message)
    return {
        "doc_id": doc_id,
        "message": f"{message}；{note}（更新期间照常用原有资料回答）。",
        "ingest_started": started,
        "job": JobOut(**vars(ctx.job.state())),
    }


@router.get("/api/admin/check")
async def check(ctx: Admin) -> dict:
    """200 when the token is right (the admin page's sign-in)."""
    return {"ok": True}


@router.post("/api/documents", response_model=ChangeResponse, status_code=202)
async def upload(
    ctx: Admin,
    file: Annotated[UploadFile, File(description="txt / html / docx / pdf, any encoding")],
    title: Annotated[str | None, Form()] = None,
    issuer: Annotated[str | None, Form()] = None,
    level: Annotated[str | None, Form()] = None,
    region: Annotated[str | None, Form()] = None,
    year: Annotated[int | None, Form()] = None,
    type: Annotated[str | None, Form()] = None,
) -> dict:
    """Add a document to the corpus folder and index it in the background."""
    ctx.require_ready()
    fields = {"title": title, "issuer": issuer, "level": level, "region": region, "year": year, "type": type}
    try:
        patch = MetadataPatch(**{k: v for k, v in fields.items() if v not in (None, "")})
    except ValidationError as exc:
        raise ApiError(400, "bad_metadata", "元数据有误：" + _explain(exc.errors())) from exc
    max_bytes = int(ctx.settings.app.max_upload_mb * 1024 * 1024)
    known = {d.id for d in ctx.bot.documents()}
    args = (ctx, file.filename, file.file, max_bytes, known, patch.model_dump(exclude_none=True))
    name, doc_id = await ctx.run(_store_upload, *args)
    return _changed(ctx, doc_id, f"已收到 {name}（编号 {doc_id}）")


def _store_upload(ctx: ServerContext, filename, stream, max_bytes: int, known: set[str], changes: dict):
    with ctx.manifest_lock:
        path, doc_id = save_upload(ctx.settings.corpus_dir, filename, stream, max_bytes, known)
        if changes:
            try:
                set_metadata(_manifest(ctx), doc_id, path.name, changes)
            except ApiError:
                path.unlink(missing_ok=True)  # a refused upload leaves nothing behind
                raise
    return path.name, doc_id


@router.patch("/api/documents/{doc_id}", response_model=ChangeResponse)
async def edit(doc_id: str, body: MetadataPatch, ctx: Admin) -> dict:
    """Change a document's metadata (written to its manifest entry), then re-index it."""
    ctx.require_ready()
    doc = _document(ctx, doc_id)
    changes = body.model_dump(exclude_none=True)
    if not changes:
        raise ApiError(400, "nothing_to_change", "没有要修改的字段。")
    await ctx.run(_locked, ctx, set_metadata, _manifest(ctx), doc_id, doc.source, changes)
    return _changed(ctx, doc_id, f"已更新 {doc_id} 的元数据")


@router.delete("/api/documents/{doc_id}", response_model=ChangeResponse)
async def delete(doc_id: str, ctx: Admin) -> dict:
    """Remove a document: its file is deleted (or, in a file of several documents, its part skipped)."""
    ctx.require_ready()
    doc = _document(ctx, doc_id)
    shared = any(d.source == doc.source and d.id != doc_id for d in ctx.bot.documents())
    corpus = ctx.settings.corpus_dir
    message = await ctx.run(_locked, ctx, remove_document, corpus, _manifest(ctx), doc_id, doc.source, shared)
    return _changed(ctx, doc_id, message)


@router.post("/api/admin/ingest", response_model=ChangeResponse)
async def reingest(ctx: Admin) -> dict:
    """Bring the index up to date with the corpus folder (e.g. after copying files in by hand)."""
    ctx.require_ready()
    return _changed(ctx, "", "已请求更新索引")


@router.get("/api/feedback", response_model=list[FeedbackRow])
async def feedback(
    ctx: Admin,
    vote: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 200,
    format: str = "json",
):
    """Votes, newest first; `vote=down`, `since`/`until` (YYYY-MM-DD); `format=jsonl` = eval rows."""
    if vote not in (None, "up", "down"):
        raise ApiError(400, "bad_filter", "vote 只能是 up 或 down。")
    for day in (since, until):
        if day and not _is_date(day):
            raise ApiError(400, "bad_filter", f"日期格式应为 YYYY-MM-DD：{day}")
    rows = ctx.feedback.list(max(1, min(limit, 5000)), vote=vote, since=since or None, until=until or None)
    if format == "jsonl":
        return PlainTextResponse(
            export_jsonl(rows),
            media_type="application/x-ndjson; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="feedback-eval.jsonl"'},
        )
    return [
        {
            **{k: r[k] for k in ("id", "created_at", "vote", "question", "answer")},
            "citations": _json_list(r["citations"]),
            "history": _json_list(r["history"]),
        }
        for r in rows
    ]


@router.get("/admin", response_class=HTMLResponse, include_in_schema=False)
async def admin_page(request: Request) -> HTMLResponse:
    ctx = ctx_of(request)
    return HTMLResponse(
        render_admin_page(enabled=ctx.settings.app.admin_token is not None),
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"},
    )


def _locked(ctx: ServerContext, fn, *args):
    """One corpus change at a time (runs in a worker thread, so the lock never blocks the event loop)."""
    with ctx.manifest_lock:
        return fn(*args)


def _document(ctx: ServerContext, doc_id: str):
    try:
        return ctx.bot.document(doc_id)
    except AssistantError as exc:
        raise ApiError(404, "unknown_document", str(exc)) from exc


def _is_date(text: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(text)
        return len(text) == 10
    except ValueError:
        return False


def _json_list(text: str | None) -> list:
    try:
        value = json.loads(text or "[]")
    except json.JSONDecodeError:
        return []
    return value if isinstance(value, list) else []
