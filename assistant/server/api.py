"""The JSON API: ask, sources, one document's text, votes, health."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request

from ..errors import AssistantError
from ..records import Answer
from ..settings import Settings
from .context import ServerContext
from .limits import ApiError
from .schemas import (
    AskRequest,
    AskResponse,
    DocumentResponse,
    ErrorResponse,
    FeedbackRequest,
    FeedbackResponse,
    HealthResponse,
    JobOut,
    Scope,
    SectionOut,
    SourceOut,
    SourcesResponse,
)

router = APIRouter()
ERRORS = {code: {"model": ErrorResponse} for code in (400, 404, 413, 429, 503)}


def ctx_of(request: Request) -> ServerContext:
    return request.app.state.ctx


def trim_history(history: list[str], settings: Settings) -> list[str]:
    """The newest turns within the configured caps (turns and characters), oldest first."""
    turns = [h for h in history if isinstance(h, str) and h.strip()][-settings.app.max_history_turns :]
    kept: list[str] = []
    budget = settings.app.max_history_chars
    for turn in reversed(turns):
        if budget <= 0:
            break
        kept.append(turn[-budget:] if len(turn) > budget else turn)
        budget -= len(turn)
    return list(reversed(kept))


def scope_doc_ids(ctx: ServerContext, scope: Scope) -> set[str] | None:
    """The documents a scope allows, None for 'everything'; 400 when it names nothing that exists."""
    if not scope.doc_ids and not scope.region:
        return None
    docs = ctx.bot.documents()
    chosen = {d.id for d in docs}
    if scope.doc_ids:
        unknown = [i for i in scope.doc_ids if i not in chosen]
        if unknown:
            raise ApiError(400, "unknown_document", f"没有这些文档：{'、'.join(unknown[:5])}")
        chosen &= set(scope.doc_ids)
    if scope.region:
        region = scope.region.strip()
        chosen = {
            d.id for d in docs if d.id in chosen and region and region in (d.region + d.title + d.issuer)
        }
        if not chosen:
            raise ApiError(400, "empty_scope", f"资料中没有「{region}」的文件，请换一个地区或去掉范围。")
    return chosen


def answer(ctx: ServerContext, question: str, history: list[str], scope: Scope | None) -> Answer:
    """The one call behind /api/ask and /v1/chat/completions (run in a worker thread)."""
    history = trim_history(history, ctx.settings)
    doc_ids = scope_doc_ids(ctx, scope) if scope else None
    if doc_ids is not None:
        return ctx.bot.ask_within(question, doc_ids, history or None)
    return ctx.bot.ask(question, history or None)


def check_question(question: str) -> str:
    question = question.strip()
    if not question:
        raise ApiError(
            400, "empty_question", "请先输入您的问题，例如：“三年级每天的书面作业不超过多长时间？”"
        )
    return question


@router.post("/api/ask", response_model=AskResponse, responses=ERRORS, tags=["问答"])
async def ask(body: AskRequest, request: Request) -> dict:
    """Answer one question (with earlier questions for follow-ups); the same object as `ask --json`."""
    ctx = ctx_of(request)
    ctx.require_ready()
    question = check_question(body.question)
    result = await ctx.run(answer, ctx, question, body.history, body.scope)
    return result.to_json()


@router.get("/api/sources", response_model=SourcesResponse, tags=["文档"])
async def sources(request: Request) -> dict:
    """Every indexed document with its metadata and chunk count."""
    ctx = ctx_of(request)
    ctx.require_ready()
    docs = sorted(ctx.bot.documents(), key=lambda d: d.id)
    fields = SourceOut.model_fields
    return {
        "generation": ctx.bot.status().get("generation"),
        "documents": [{k: getattr(d, k) for k in fields} for d in docs],
    }


@router.get("/api/documents/{doc_id}", response_model=DocumentResponse, responses=ERRORS, tags=["文档"])
async def document(doc_id: str, request: Request) -> dict:
    """One document's cleaned text, with the offsets of its sections (citations point into this text)."""
    ctx = ctx_of(request)
    ctx.require_ready()
    try:
        doc = ctx.bot.document(doc_id)
    except AssistantError as exc:
        raise ApiError(404, "unknown_document", str(exc)) from exc
    runs: list[list] = []
    for chunk in ctx.bot.chunks_of(doc_id):
        if runs and runs[-1][0] == chunk.section:
            runs[-1][2] = max(runs[-1][2], chunk.end)
        else:
            runs.append([chunk.section, chunk.start, chunk.end])
    fields = SourceOut.model_fields
    return {
        **{k: getattr(doc, k) for k in fields},
        "text": doc.text,
        "sections": [SectionOut(section=s, start=a, end=b) for s, a, b in runs],
    }


@router.post("/api/feedback", response_model=FeedbackResponse, responses=ERRORS, tags=["反馈"])
async def feedback(body: FeedbackRequest, request: Request) -> dict:
    """👍/👎 on an answer; one vote per session and answer (a later vote replaces the earlier one)."""
    ctx = ctx_of(request)
    session = body.session_id or f"ip:{(request.client.host if request.client else '?')}"
    row_id = await ctx.run(
        lambda: ctx.feedback.record(
            body.question,
            body.answer,
            json.dumps(body.citations, ensure_ascii=False),
            body.vote,
            session=session,
            history=trim_history(body.history, ctx.settings),
        )
    )
    return {"id": row_id, "vote": body.vote}


@router.get("/healthz", response_model=HealthResponse, tags=["状态"])
async def healthz(request: Request) -> dict:
    """Is the index ready; its generation, document and chunk counts; the background index job."""
    ctx = ctx_of(request)
    state = ctx.job.state()
    info = ctx.bot.status() if state.ready else {}
    return {
        "ready": state.ready,
        "generation": info.get("generation"),
        "documents": info.get("documents", 0),
        "chunks": info.get("chunks", 0),
        "job": JobOut(**vars(state)),
    }
