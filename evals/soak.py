"""Soak test: the web app answers many questions from concurrent sessions while another process re-ingests.

    python -m evals.soak                          # 1,000 questions, 10 sessions, 5 ingests of a changed corpus
    python -m evals.soak --questions 200 --ingests 2

app.py runs as its own process on a free loopback port over a copy of the corpus and index; each session
is a gradio_client Client asking through the chat endpoint. Meanwhile this script changes one document
(the hour a school's after-school service ends) and runs `python -m assistant ingest` as a separate
process, 5 times. Every answer counts: an error or the apology is an error; an answer to the probe
question is stale when it names the hour of a generation older than the one the app had already switched
to (its log says when) when the request was sent.
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
from datetime import datetime
from pathlib import Path

from evals.load import QUESTIONS, answered, free_port, percentile, start_app, wait_ready

ROOT = Path(__file__).resolve().parent.parent
PROBE = "阳光小学课后服务几点结束？"
PROBE_FILE = "soak-sunshine.txt"


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
        self.probes: list[tuple[float, float, int | None]] = []  # (request start, end, hour in the answer)
        self.switches: list[tuple[float, str, int]] = []  # (ingest finished, its generation, hour in it)

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
        started = time.time()  # wall clock: compared with the app log's timestamps
        try:
            outputs = client.submit(question, [], api_name="/ask").result(timeout=self.timeout)
            error = "" if answered(outputs) else "no answer: " + last_answer(outputs)[:120]
        except Exception as exc:
            outputs, error = None, f"{type(exc).__name__}: {exc}"[:200]
        ended = time.time()
        elapsed = (ended - started) * 1000
        with self.lock:
            if error:
                self.errors.append(error)
                return
            self.latencies.append(elapsed)
            if question == PROBE:
                hour = re.search(r"下午(\d+)点结束", last_answer(outputs))
                self.probes.append((started, ended, int(hour.group(1)) if hour else None))

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
            generation = (self.home / "indexes" / "CURRENT").read_text().strip()
            with self.lock:
                if done.returncode != 0:
                    self.errors.append(f"ingest exit {done.returncode}: {done.stderr[-200:]}")
                self.switches.append((time.time(), generation, hour))

    def stale(self, first: str, app_log: Path) -> tuple[list[tuple], float]:
        """Probe answers from a generation older than the one the app had switched to when the request
        started (an answer may come from any generation the app switched to while it was being computed),
        and the longest time from an ingest's end to the app's switch to it."""
        hours = {first: 6, **{g: h for _, g, h in self.switches}}
        switched = app_switches(app_log)  # [(time, generation)] in order
        stale = []
        for started, ended, hour in self.probes:
            before = [g for t, g in switched if t <= started]
            active = {before[-1] if before else first} | {g for t, g in switched if started < t <= ended}
            if hour not in {hours.get(g) for g in active}:
                stale.append((round(started, 2), hour, sorted(active)))
        finished = {g: t for t, g, _ in self.switches}
        lags = [t - finished[g] for t, g in switched if g in finished]
        return stale, max(lags, default=float("nan"))


def app_switches(app_log: Path) -> list[tuple[float, str]]:
    """(time, generation) of each "switched to index generation" line of app.py's log."""
    out = []
    pattern = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*switched to index generation (g\d+)")
    for line in app_log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = pattern.match(line)
        if match:
            stamp = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
            out.append((stamp, match.group(2)))
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
    first = (home / "indexes" / "CURRENT").read_text().strip()
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
    stale, lag = soak.stale(first, home / "app.log")
    summary = {
        "questions": args.questions,
        "sessions": args.sessions,
        "answered": len(latencies),
        "errors": len(soak.errors),
        "ingests": len(soak.switches),
        "probe_answers": len(soak.probes),
        "probe_answers_naming_a_new_hour": sum(h not in (None, 6) for _, _, h in soak.probes),
        "app_switches": len(app_switches(home / "app.log")),
        "longest_switch_lag_s": round(lag, 2),
        "stale_answers": len(stale),
        "stale_examples": stale[:3],
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
