"""OpenAI-compatible chat: `/v1/chat/completions` (plain and SSE streaming) and `/v1/models`."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from ..records import Answer
from .api import ERRORS, answer, check_question, ctx_of
from .limits import ApiError
from .schemas import MODEL_ID, ChatMessage, ChatRequest

router = APIRouter(prefix="/v1", tags=["OpenAI 兼容"])
# Characters per streamed piece: small enough to look like typing, few enough events to stay cheap.
STREAM_PIECE = 16


def message_text(message: ChatMessage) -> str:
    """A message's text, whether sent as a string or as OpenAI content parts."""
    content = message.content
    if isinstance(content, str):
        return content
    if not content:
        return ""
    return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")


def split_messages(messages: list[ChatMessage]) -> tuple[str, list[str]]:
    """The last user message is the question; the user messages before it are the history."""
    if messages[-1].role != "user":
        raise ApiError(400, "last_message_not_user", "最后一条消息必须是用户的提问（role 为 user）。")
    users = [message_text(m) for m in messages if m.role == "user"]
    return check_question(users[-1]), [u for u in users[:-1] if u.strip()]


def reply_text(result: Answer) -> str:
    """What a chat client shows: the answer with its numbered quotes, then the sources list."""
    lines = [result.text]
    if result.notice:
        lines.append(f"（{result.notice}）")
    if result.rewritten:
        lines.append(f"（按上文理解为：{result.rewritten}）")
    if result.citations:
        lines.append("\n出处：")
        for c in result.citations:
            lines.append(f"[{c.number}] 《{c.title}》 {c.issuer} · {c.section or '正文'}：「{c.quote}」")
    return "\n".join(lines)


def extras(result: Answer) -> dict:
    """The structured citations (and the rest of the `ask --json` object) beside the OpenAI fields."""
    details = result.to_json()
    details.pop("retrieved", None)
    return {"citations": details["citations"], "answer_details": details}


@router.get("/models")
async def models() -> dict:
    """The one model this server offers."""
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 1735689600, "owned_by": "shuangjian"}],
    }


@router.post("/chat/completions", responses=ERRORS)
async def chat_completions(body: ChatRequest, request: Request):
    """Any OpenAI client can use the assistant as a model; set `stream: true` for server-sent events."""
    ctx = ctx_of(request)
    question, history = split_messages(body.messages)
    ctx.require_ready()
    result = await ctx.run(answer, ctx, question, history, body.scope)
    text = reply_text(result)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if body.stream:
        return StreamingResponse(
            _events(completion_id, created, text, result),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": _usage(question, history, text),
        **extras(result),
    }


def _usage(question: str, history: list[str], text: str) -> dict:
    # Characters, not tokens: there is no tokenizer behind an extractive answer; clients only display it.
    prompt = len(question) + sum(len(h) for h in history)
    return {"prompt_tokens": prompt, "completion_tokens": len(text), "total_tokens": prompt + len(text)}


def _events(completion_id: str, created: int, text: str, result: Answer) -> Iterator[str]:
    def chunk(delta: dict, finish: str | None = None, **more) -> str:
        payload = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **more,
        }
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for start in range(0, len(text), STREAM_PIECE):
        yield chunk({"content": text[start : start + STREAM_PIECE]})
    yield chunk({}, "stop", **extras(result))
    yield "data: [DONE]\n\n"
