"""Soak test: the web app answers many questions from concurrent sessions while another process re-ingests.

    python -m evals.soak                          # 1,000 questions, 10 sessions, 5 ingests of a changed corpus
    python -m evals.soak --questions 200 --ingests 2

app.py runs as its own process on a free loopback port over a copy of the corpus and index; each session
is a gradio_client Client asking through the chat endpoint. Meanwhile this script changes one document
(the hour a school's after-school service ends) and runs `python -m assistant ingest` as a separate
process, 5 times. Every answer counts: an error or the apology is an error; an answer to the probe
question that still names an old hour once the app has had time to see the new generation is stale.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from evals.load import QUESTIONS, answered, free_port, percentile, start_app, wait_ready

ROOT = Path(__file__).resolve().parent.parent
PROBE = "阳光小学课后服务几点结束？"
PROBE_FILE = "soak-sunshine.txt"
SWITCH_GRACE_S = 2.0  # readers look at CURRENT once a second; a request started this long after is late


def probe_text(hour: int) -> str:
    return (
        f"阳光小学课后服务实施方案\n一、服务时间\n阳光小学课后服务于每天下午{hour}点结束，家长可按时接孩子。"
    )


def last_answer(outputs) -> str:
    chat = outputs[1]
    last = chat[-1] if chat else {}
    content = last.get("content") if isinstance(last, dict) else ""
    return content if isinstance(content, str) else str(content)


class Soak:
    def __init__(self, home: Path, url: str, timeout: float):
        self.home, self.url, self.timeout = home, url, timeout
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.probes: list[tuple[float, int | None]] = []  # (request start, hour in the answer)
        self.switches: list[tuple[float, int]] = []  # (ingest finished, hour now in the corpus)

    def session(self, n: int, count: int) -> None:
        from gradio_client import Client

        client = Client(self.url, verbose=False, analytics_enabled=False, download_files=False)
        try:
            for i in range(count):
                question = PROBE if i % 5 == 0 else QUESTIONS[(n + i) % len(QUESTIONS)]
                self.ask(client, question)
        finally:
            client.close()

    def ask(self, client, question: str) -> None:
        started = time.monotonic()
        try:
            outputs = client.submit(question, [], api_name="/ask").result(timeout=self.timeout)
            error = "" if answered(outputs) else "no answer: " + last_answer(outputs)[:120]
        except Exception as exc:
            outputs, error = None, f"{type(exc).__name__}: {exc}"[:200]
        elapsed = (time.monotonic() - started) * 1000
        with self.lock:
            if error:
                self.errors.append(error)
                return
            self.latencies.append(elapsed)
            if question == PROBE:
                hour = re.search(r"下午(\d+)点结束", last_answer(outputs))
                self.probes.append((started, int(hour.group(1)) if hour else None))

    def ingester(self, times: int, pause: float, stop: threading.Event) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        env.update(ASSISTANT_HOME=str(self.home), HF_HUB_OFFLINE="1")
        for n in range(times):
            if stop.wait(pause):
                return
            hour = 6 + (n + 1) % 4
            (self.home / "corpus" / PROBE_FILE).write_text(probe_text(hour), encoding="utf-8")
            done = subprocess.run(
                [sys.executable, "-m", "assistant", "ingest", "--quiet"],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=900,
            )
            with self.lock:
                if done.returncode != 0:
                    self.errors.append(f"ingest exit {done.returncode}: {done.stderr[-200:]}")
                self.switches.append((time.monotonic(), hour))

    def expected_hour(self, started: float, first_hour: int) -> int:
        expected = first_hour
        for finished, new_hour in self.switches:
            if finished + SWITCH_GRACE_S <= started:
                expected = new_hour
        return expected

    def stale(self, first_hour: int) -> list[tuple[float, int | None]]:
        """Probe answers that name an hour other than the one in the corpus a grace period earlier."""
        out = []
        for started, hour in self.probes:
            expected = first_hour
            for finished, new_hour in self.switches:
                if finished + SWITCH_GRACE_S <= started:
                    expected = new_hour
            in_flight = any(abs(started - finished) < SWITCH_GRACE_S for finished, _ in self.switches)
            if hour != expected and not in_flight:
                out.append((started, hour))
        return out


def prepare(home: Path | None) -> Path:
    home = home or Path(tempfile.mkdtemp(prefix="assistant-soak-"))
    if not (home / "corpus").exists():
        shutil.copytree(ROOT / "corpus", home / "corpus")
    (home / "corpus" / PROBE_FILE).write_text(probe_text(6), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_HOME=str(home), HF_HUB_OFFLINE="1")
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", "--quiet"], env=env, cwd=ROOT, timeout=1800
    )
    if done.returncode != 0:
        raise SystemExit("the first ingest failed")
    return home


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--ingests", type=int, default=5)
    parser.add_argument("--pause", type=float, default=15, help="seconds between ingests")
    parser.add_argument("--home", type=Path, help="work folder (default: a new temporary folder)")
    parser.add_argument("--request-timeout", type=float, default=120)
    args = parser.parse_args(argv)
    home = prepare(args.home)
    os.environ["ASSISTANT_HOME"] = str(home)  # start_app passes the environment on to app.py
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    process = start_app(port, home / "app.log")
    try:
        wait_ready(url, time.monotonic() + 900, process)
        soak = Soak(home, url, args.request_timeout)
        stop = threading.Event()
        ingest = threading.Thread(target=soak.ingester, args=(args.ingests, args.pause, stop))
        began = time.monotonic()
        ingest.start()
        per = [
            args.questions // args.sessions + (n < args.questions % args.sessions)
            for n in range(args.sessions)
        ]
        with ThreadPoolExecutor(max_workers=args.sessions) as pool:
            list(pool.map(soak.session, range(args.sessions), per))
        ingest.join()  # the ingests always all run; questions may finish first
        wall = time.monotonic() - began
    finally:
        process.terminate()
        process.wait(timeout=60)
    latencies = sorted(soak.latencies)
    stale = soak.stale(6)
    summary = {
        "questions": args.questions,
        "sessions": args.sessions,
        "answered": len(latencies),
        "errors": len(soak.errors),
        "ingests": len(soak.switches),
        "probe_answers": len(soak.probes),
        "probe_answers_after_a_switch": sum(soak.expected_hour(t, 6) != 6 for t, _ in soak.probes),
        "stale_answers": len(stale),
        "p50_ms": round(percentile(latencies, 50)),
        "p95_ms": round(percentile(latencies, 95)),
        "max_ms": round(latencies[-1]) if latencies else None,
        "wall_s": round(wall, 1),
        "error_examples": sorted(set(soak.errors))[:3],
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if args.home is None:
        shutil.rmtree(home, ignore_errors=True)
    return 0 if not soak.errors and not stale and len(soak.switches) == args.ingests else 1


if __name__ == "__main__":
    sys.exit(main())
