"""Abuse limits and error shape: body size, per-client rate limit, and JSON errors instead of tracebacks."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

LIMITED_PREFIXES = ("/api/", "/v1/")
UPLOAD_PATH = "/api/documents"
# Room for the multipart envelope and form fields around an uploaded file.
UPLOAD_OVERHEAD = 64 * 1024

_STATUS_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "service_unavailable",
}


class ApiError(Exception):
    """Raised by handlers: a status, a short code and a Chinese message fit for the user."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def error_body(status: int, code: str, message: str) -> dict:
    # The OpenAI error shape, so OpenAI clients show our message; our own clients read the same fields.
    return {"error": {"message": message, "type": _STATUS_TYPES.get(status, "api_error"), "code": code}}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(status, code, message), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return error_response(400, "invalid_request", "请求格式不正确：" + explain(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        messages = {404: "没有这个地址", 405: "不支持这种请求方法"}
        message = messages.get(exc.status_code, str(exc.detail))
        code = "body_too_large" if exc.status_code == 413 else "http_error"
        return error_response(exc.status_code, code, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return error_response(500, "internal_error", "抱歉，系统暂时出了点问题，请稍后再试。")


def explain(errors) -> str:
    """The first problem in words a client developer can act on (field path + pydantic's reason)."""
    if not errors:
        return "无法解析"
    first = errors[0]
    if first.get("type") == "json_invalid":
        return "请求体不是合法的 JSON"
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "请求体"
    kind = first.get("type", "")
    reasons = {
        "missing": "缺少这个字段",
        "string_too_short": "不能为空",
        "string_too_long": "太长了",
        "too_long": "条目太多",
        "json_invalid": "不是合法的 JSON",
        "extra_forbidden": "不认识这个字段",
    }
    return f"{where}：{reasons.get(kind, first.get('msg', '取值不对'))}"


class TokenBucket:
    """`per_minute` requests per client, refilled continuously; thread-safe, bounded memory."""

    def __init__(self, per_minute: int, max_clients: int = 10_000):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> float:
        """0 when the request may go ahead, else the seconds until it could."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, stamp = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - stamp) * self.rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                self._trim()
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate

    def _trim(self) -> None:
        if len(self._buckets) > self.max_clients:  # forget the clients seen longest ago
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k][1])[: len(self._buckets) // 2]
            for key in oldest:
                del self._buckets[key]


class _TooLarge(StarletteHTTPException):
    """An HTTPException, so FastAPI's body parsing passes it through instead of turning it into a 400."""

    def __init__(self, message: str):
        super().__init__(413, detail=message)


class LimitsMiddleware:
    """Pure ASGI: refuses over-size bodies before they are read whole, and rate-limits the API paths."""

    def __init__(
        self,
        app,
        *,
        max_body_bytes: int,
        max_upload_bytes: int,
        per_minute: int,
        is_admin: Callable[[str | None], bool] = lambda _: False,
    ):
        self.app = app
        self.is_admin = is_admin
        self.max_body = max_body_bytes
        self.max_upload = max_upload_bytes + UPLOAD_OVERHEAD
        self.bucket = TokenBucket(per_minute) if per_minute > 0 else None
        self.upload_mb = max_upload_bytes / 1024 / 1024

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(LIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        if self.bucket is not None and not self.is_admin(_header(scope, b"authorization")):
            client = (scope.get("client") or ("?", 0))[0]
            wait = self.bucket.take(client)
            if wait:
                retry = str(max(1, math.ceil(wait)))
                await _send(scope, receive, send, 429, "rate_limited", "请求太频繁，请稍后再试。", retry)
                return
        is_upload = path == UPLOAD_PATH and scope.get("method") == "POST"
        limit = self.max_upload if is_upload else self.max_body
        message = (
            f"文件太大：上传的文件不能超过 {self.upload_mb:g} MB。"
            if is_upload
            else f"请求太大：请求内容不能超过 {self.max_body // 1024} KB。"
        )
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send(scope, receive, send, 413, "body_too_large", message)
            return
        await self._counted(scope, receive, send, limit, message)

    async def _counted(self, scope, receive, send, limit: int, message: str):
        """A body without (or lying about) its length is counted as it arrives and cut off at the limit."""
        seen = 0
        started = False

        async def counting_receive():
            nonlocal seen
            event = await receive()
            if event["type"] == "http.request":
                seen += len(event.get("body", b""))
                if seen > limit:
                    raise _TooLarge(message)
            return event

        async def tracking_send(event):
            nonlocal started
            if event["type"] == "http.response.start":
                started = True
            await send(event)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send(scope, receive, send, 413, "body_too_large", message)


def _header(scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return value.decode("latin-1")
    return None


def _content_length(scope) -> int | None:
    value = _header(scope, b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


async def _send(scope, receive, send, status: int, code: str, message: str, retry_after: str | None = None):
    body = json.dumps(error_body(status, code, message), ensure_ascii=False).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after:
        headers.append((b"retry-after", retry_after.encode()))
    # Refused before reading: tell the client the connection ends, so it does not keep sending the body.
    headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
