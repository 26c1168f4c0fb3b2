"""What every route shares: settings, the one Assistant, the web app's index job, votes, and auth."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from dataclasses import dataclass, field

import anyio
from fastapi import Request

from ..feedback import FeedbackStore
from ..service import Assistant
from ..settings import Settings
from .limits import ApiError

log = logging.getLogger(__name__)

ENABLE_HINT = "管理功能未开启：请在启动前设置环境变量 ASSISTANT_APP_ADMIN_TOKEN（一串只有管理员知道的长口令），然后重启服务。"


@dataclass
class ServerContext:
    settings: Settings
    bot: Assistant
    web: object  # the gradio WebApp; only its `job` (the background index job) is used here
    feedback: FeedbackStore
    limiter: anyio.CapacityLimiter
    manifest_lock: threading.Lock = field(default_factory=threading.Lock)
    _pending: bool = False
    _pending_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def job(self):
        return self.web.job

    def require_ready(self) -> None:
        state = self.job.state()
        if state.ready:
            return
        if state.error:
            raise ApiError(503, "index_failed", "资料索引建立失败，暂时无法回答，请联系管理员。")
        raise ApiError(
            503,
            "index_building",
            "资料库正在建立索引，完成后就能回答，请稍等一两分钟再试。",
            {"Retry-After": "10"},
        )

    async def run(self, fn, *args):
        """CPU-bound work in a worker thread, at most `concurrency_limit` at once (like the web chat)."""
        return await anyio.to_thread.run_sync(fn, *args, limiter=self.limiter)

    # ------------------------------------------------------------------ admin

    def admin_token_ok(self, header: str | None) -> bool:
        token = self.settings.app.admin_token
        given = _bearer(header)
        if token is None or not given:
            return False
        return hmac.compare_digest(given.encode("utf-8"), token.get_secret_value().encode("utf-8"))

    def require_admin(self, request: Request) -> None:
        """401 without credentials, 403 with wrong ones or when no token is configured. Never logs the token."""
        header = request.headers.get("authorization") or _as_bearer(request.headers.get("x-admin-token"))
        if self.settings.app.admin_token is None:
            status = 401 if not _bearer(header) else 403
            raise ApiError(status, "admin_disabled", ENABLE_HINT)
        if not _bearer(header):
            raise ApiError(
                401,
                "admin_token_required",
                "需要管理令牌：请在请求头加上 Authorization: Bearer <令牌>。",
                {"WWW-Authenticate": "Bearer"},
            )
        if not self.admin_token_ok(header):
            raise ApiError(403, "admin_token_invalid", "管理令牌不正确。")

    def request_ingest(self) -> bool:
        """Start a background re-ingest now, or as soon as the running one ends. True = started now."""
        with self._pending_lock:
            if self.job.start_refresh():
                return True
            if self._pending:
                return False
            self._pending = True
        threading.Thread(target=self._ingest_after_current, name="index-pending", daemon=True).start()
        return False

    def _ingest_after_current(self) -> None:
        # Changes made while an ingest runs may have been read before they were written: run once more.
        while True:
            self.job.wait()
            with self._pending_lock:
                state = self.job.state()
                if self.job.start_refresh():
                    self._pending = False
                    return
                if not state.running and not state.ready:
                    log.warning("a pending re-ingest was dropped: the index is not ready")
                    self._pending = False
                    return
            time.sleep(0.2)


def _as_bearer(token: str | None) -> str | None:
    return f"Bearer {token}" if token else None


def _bearer(header: str | None) -> str:
    if not header or not header[:7].lower() == "bearer ":
        return ""
    return header[7:].strip()
