"""Helpers for the server tests: a private home with a copy of the session index, a real server on loopback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 60_000
TOKEN = "test-admin-token-0123456789"
GRADE3 = "三年级每天的书面作业不超过多长时间？"
JUNIOR_FOLLOW_UP = "那初中呢？"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def private_home(session_home: Path, target: Path) -> Path:
    """A copy of the session's corpus and its built index, so a test may change both freely."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(session_home / "corpus", target / "corpus")
    shutil.copytree(
        session_home / "indexes",
        target / "indexes",
        ignore=shutil.ignore_patterns("ingest.lock", "feedback.sqlite3"),
    )
    return target


def wait_healthy(url: str, process: subprocess.Popen | None = None, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        try:
            last = httpx.get(f"{url}/healthz", timeout=5).json()
            if last.get("ready"):
                return last
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"server at {url} not ready in time: {last}")


@contextmanager
def server_process(home: Path, log_path: Path, **env_overrides: str):
    """`python app.py` as its own process on a free loopback port; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_HOME=str(home),
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        **env_overrides,
    )
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port)],
            cwd=home,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def server_thread(app):
    """A FastAPI app under a real uvicorn server in this process (shares the session's Assistant)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, timeout=120)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def wait_for_generation_change(url: str, before: str, timeout: float = 180) -> dict:
    """Until the background ingest has produced a new generation and finished."""
    deadline = time.monotonic() + timeout
    health = {}
    while time.monotonic() < deadline:
        health = httpx.get(f"{url}/healthz", timeout=5).json()
        if health["generation"] != before and not health["job"]["running"]:
            return health
        time.sleep(0.3)
    raise AssertionError(f"no new index generation in time: {health}")


def gb18030_notice(folder: Path, name: str, school: str, minutes: int) -> Path:
    """A short school notice with a distinctive rule and number, saved in GB18030."""
    text = (
        f"{school}关于午间静息管理的通知\n"
        "一、静息安排\n"
        f"{school}规定，学生每天午间静息时间不少于{minutes}分钟，静息期间教师不得讲授新课。\n"
        "二、家校配合\n"
        "请家长提醒孩子按时到校，配合学校做好午间静息管理。\n"
    )
    path = folder / name
    path.write_bytes(text.encode("gb18030"))
    return path


# ---------------------------------------------------------------------------- browser


def find_chromium() -> str:
    """Debian's Chromium (scripts/install-browser.sh); skipped locally, a failure in CI, when missing."""
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "playwright is not installed (pip install -e '.[dev]')"
    if reason is None and not Path(path).exists():
        reason = f"Chromium not found at {path}: install Debian's with `apt-get install -y chromium`"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def ask_in_chat(page, text: str) -> None:
    """Type a question in the chat, send it, and wait until the streamed answer is complete."""
    answers_before = page.locator("#chat .answer").count()
    page.fill("#question textarea", text)
    page.click("#send")
    page.wait_for_function(
        """n => { const a = document.querySelectorAll('#chat .answer');
                  return a.length > n && !a[a.length - 1].querySelector('.caret'); }""",
        arg=answers_before,
    )


def last_answer(page):
    return page.locator("#chat .answer").last
