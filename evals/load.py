"""Load test of the web app over loopback: p50/p95 answer latency and errors at 10 and 50 concurrent sessions.

    python evals/load.py                       # starts app.py on a free loopback port, then measures
    python evals/load.py --url http://127.0.0.1:7860
    python evals/load.py --api                 # HTTP API clients instead of gradio sessions

API mode (`--api`): each client is one HTTP connection pool asking its questions one after another, half of
them through `POST /api/ask` and half through the OpenAI-compatible `/v1/chat/completions` with `stream: true`
(read to the final `[DONE]`). All clients come from one loopback address, so the app this script starts runs
with the per-client rate limit off (`ASSISTANT_APP_RATE_LIMIT_PER_MINUTE=0`); against `--url`, start the
server that way too, or the limit's 429s count as errors.

Each session is one gradio_client Client (its own session, as a browser tab would be) asking a few
questions one after another through the chat endpoint, so requests go through gradio's queue and its
concurrency limit exactly as the UI's do. Bounded: a fixed number of requests per level and a wall-clock
limit after which no new request starts; the script stops by itself.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "三年级每天的书面作业不超过多长时间？",
    "课后服务一般几点结束？",
    "学校能不能让家长批改作业？",
    "一二年级还布置书面作业吗？",
    "考试成绩会排名公布吗？",
    "周末还能上学科类校外培训吗？",
    "初中生每天书面作业多长时间？",
    "课后服务收费吗？",
]


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, log_path: Path, api: bool = False) -> subprocess.Popen:
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    if api:  # every client shares 127.0.0.1: one per-client bucket would refuse them all
        env["ASSISTANT_APP_RATE_LIMIT_PER_MINUTE"] = "0"
    with open(log_path, "w", encoding="utf-8") as log:  # the child keeps its own copy of the handle
        return subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_ready(url: str, deadline: float, process: subprocess.Popen | None) -> None:
    """Until the page is served and the index answers (it may be built first, which takes a while)."""
    from gradio_client import Client

    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"app exited with code {process.returncode}")
        try:
            with urlopen(url, timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        time.sleep(1)
    else:
        raise SystemExit(f"{url} did not come up in time")
    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    while time.monotonic() < deadline:
        state = client.predict(api_name="/status")
        if state.get("ready"):
            return
        if state.get("error"):
            raise SystemExit(f"index failed: {state['error']}")
        time.sleep(2)
    raise SystemExit("index was not ready in time")


def answered(outputs) -> bool:
    """The final chat holds a finished answer (not the apology shown when ask() failed)."""
    chat = outputs[1]
    last = chat[-1] if chat else {}
    content = last.get("content") if isinstance(last, dict) else None
    text = content if isinstance(content, str) else str(content)
    return last.get("role") == "assistant" and 'class="answer"' in text and "系统暂时出了点问题" not in text


def ask(client, question: str, timeout: float) -> tuple[str, float]:
    """(error or "", milliseconds) for one question through the chat endpoint."""
    started = time.perf_counter()
    try:
        outputs = client.submit(question, [], api_name="/ask").result(timeout=timeout)
        error = "" if answered(outputs) else "no answer in the final chat"
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:200]
    return error, (time.perf_counter() - started) * 1000


def wait_ready_api(url: str, deadline: float, process: subprocess.Popen | None) -> None:
    """Until /healthz says the index is ready."""
    import httpx

    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"app exited with code {process.returncode}")
        try:
            health = httpx.get(url.rstrip("/") + "/healthz", timeout=5).json()
            if health.get("ready"):
                return
            if health.get("job", {}).get("error"):
                raise SystemExit(f"index failed: {health['job']['error']}")
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit("index was not ready in time")


def ask_api(client, question: str, streaming: bool, timeout: float) -> tuple[str, float]:
    """(error or "", milliseconds) for one question through /api/ask or streamed /v1/chat/completions."""
    started = time.perf_counter()
    try:
        if streaming:
            body = {"model": "shuangjian-assistant", "messages": [{"role": "user", "content": question}]}
            with client.stream(
                "POST", "/v1/chat/completions", json={**body, "stream": True}, timeout=timeout
            ) as r:
                events = [line for line in r.iter_lines() if line.startswith("data: ")]
            error = (
                ""
                if r.status_code == 200 and events and events[-1] == "data: [DONE]"
                else f"HTTP {r.status_code}"
            )
        else:
            r = client.post("/api/ask", json={"question": question}, timeout=timeout)
            error = (
                ""
                if r.status_code == 200 and r.json().get("answer")
                else f"HTTP {r.status_code}: {r.text[:120]}"
            )
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:200]
    return error, (time.perf_counter() - started) * 1000


class ApiSession:
    """One API client, shaped like a gradio_client Client for run_level."""

    def __init__(self, url: str, n: int):
        import httpx

        self.client = httpx.Client(base_url=url.rstrip("/"))
        self.streaming = n % 2 == 1

    def ask(self, question: str, timeout: float) -> tuple[str, float]:
        return ask_api(self.client, question, self.streaming, timeout)

    def close(self) -> None:
        self.client.close()


class UiSession:
    """One gradio_client Client: its own session, as a browser tab would be."""

    def __init__(self, url: str, n: int):
        from gradio_client import Client

        self.client = Client(url, verbose=False, analytics_enabled=False, download_files=False)

    def ask(self, question: str, timeout: float) -> tuple[str, float]:
        return ask(self.client, question, timeout)

    def close(self) -> None:
        self.client.close()


def run_level(
    url: str, sessions: int, per_session: int, stop_at: float, timeout: float, api: bool = False
) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    skipped = 0
    lock = threading.Lock()
    start_gate = threading.Barrier(sessions)

    def session(n: int) -> None:
        nonlocal skipped
        try:
            client = (ApiSession if api else UiSession)(url, n)
        except Exception as exc:
            with lock:
                errors.append(f"connect: {type(exc).__name__}: {exc}")
            start_gate.abort()
            return
        try:
            start_gate.wait(timeout=120)  # all sessions connected: now they really are concurrent
        except threading.BrokenBarrierError:
            pass
        try:
            for i in range(per_session):
                if time.monotonic() >= stop_at:
                    with lock:
                        skipped += per_session - i
                    return
                error, elapsed = client.ask(QUESTIONS[(n + i) % len(QUESTIONS)], timeout)
                with lock:
                    if error:
                        errors.append(error)
                    else:
                        latencies.append(elapsed)
        finally:
            client.close()

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        list(pool.map(session, range(sessions)))
    wall = time.perf_counter() - began
    latencies.sort()
    return {
        "sessions": sessions,
        "ok": len(latencies),
        "errors": len(errors),
        "skipped": skipped,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "max": latencies[-1] if latencies else float("nan"),
        "wall": wall,
        "rps": len(latencies) / wall if wall else 0.0,
        "examples": sorted(set(errors))[:3],
    }


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return float("nan")
    rank = max(1, -(-len(values) * p // 100))
    return values[int(rank) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app on loopback; default: start app.py on a free port")
    parser.add_argument("--api", action="store_true", help="HTTP API clients instead of gradio sessions")
    parser.add_argument(
        "--sessions", default="10,50", help="comma-separated concurrency levels (default 10,50)"
    )
    parser.add_argument("--questions", type=int, default=3, help="questions per session (default 3)")
    parser.add_argument(
        "--time-limit", type=float, default=300, help="seconds per level before no new request"
    )
    parser.add_argument("--request-timeout", type=float, default=120, help="seconds one answer may take")
    parser.add_argument(
        "--startup-timeout", type=float, default=900, help="seconds for app + index to be ready"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

    process = None
    url = args.url
    if url is None:
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        log_path = ROOT / "evals" / "out" / "load-app.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        print(f"starting app.py on {url} (log: {log_path.relative_to(ROOT)})", flush=True)
        process = start_app(port, log_path, api=args.api)
    if not is_loopback(url):
        parser.error(f"{url} is not a loopback address; this script only targets this machine")
    levels = [int(x) for x in args.sessions.split(",") if x.strip()]
    if any(n < 1 or n > 200 for n in levels) or not 1 <= args.questions <= 20:
        parser.error("sessions must be 1–200 and questions 1–20")

    try:
        (wait_ready_api if args.api else wait_ready)(url, time.monotonic() + args.startup_timeout, process)
        # One warm-up request so model and index caches do not count against the first level.
        run_level(url, 1, 1, time.monotonic() + 60, args.request_timeout, args.api)
        rows = [
            run_level(
                url, n, args.questions, time.monotonic() + args.time_limit, args.request_timeout, args.api
            )
            for n in levels
        ]
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    print()
    how = (
        "API clients: half POST /api/ask, half streamed /v1/chat/completions"
        if args.api
        else "answers streamed through gradio's queue"
    )
    print(f"target {url}  ·  {args.questions} questions per session  ·  {how}")
    header = (
        f"{'sessions':>8} {'answered':>8} {'errors':>6} {'skipped':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'max ms':>8} {'wall s':>7} {'ans/s':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['sessions']:>8} {r['ok']:>8} {r['errors']:>6} {r['skipped']:>7} {r['p50']:>8.0f} {r['p95']:>8.0f} "
            f"{r['max']:>8.0f} {r['wall']:>7.1f} {r['rps']:>6.1f}"
        )
        for example in r["examples"]:
            print(f"         error: {example}")
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
