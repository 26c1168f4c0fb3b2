"""Crash test: kill -9 an ingest at random moments; the index must keep answering and clean up after itself.

    python -m evals.crash                 # 20 kills of `ingest --rebuild` on a copy of the real corpus
    python -m evals.crash --kills 3 --files 000_f513dab035cd72a0.txt --question "…"

After each kill: `ask` answers the question from a complete generation (the same answer as before any
kill, and `sources` lists every document of that generation), and a plain `ingest` leaves no orphan
Chroma collection and no half-written generation behind. Every step is a separate real process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRADE3 = "三年级每天的书面作业不超过多长时间？"

INSPECT = """
import json, sys
from pathlib import Path
import chromadb
from chromadb.config import Settings
root = Path(sys.argv[1])
gens = root / "generations"
referenced = set()
for d in gens.glob("g*"):
    try:
        referenced.add(json.loads((d / "meta.json").read_text())["collection"])
    except Exception:
        pass
client = chromadb.PersistentClient(str(root / "chroma"), settings=Settings(anonymized_telemetry=False))
names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
print(json.dumps({
    "current": (root / "CURRENT").read_text().strip() if (root / "CURRENT").exists() else None,
    "staging": sorted(p.name for p in gens.glob(".g*")),
    "generations": sorted(p.name for p in gens.glob("g*")),
    "orphans": sorted(n for n in names if n not in referenced),
}))
"""


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_HOME=str(home), HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    return env


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        env=_env(home),
        cwd=ROOT,
        timeout=900,
    )


def inspect(home: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", INSPECT, str(home / "indexes")],
        capture_output=True,
        text=True,
        env=_env(home),
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-500:])
    return json.loads(done.stdout)


def check_answers(home: Path, question: str, expected: str | None) -> tuple[bool, str, dict]:
    """(ok, why not, answer payload): a cited answer equal to the expected one, from a whole generation."""
    asked = cli(home, "ask", question, "--json")
    if asked.returncode != 0:
        return False, f"ask exit {asked.returncode}: {asked.stderr.strip()[-200:]}", {}
    payload = json.loads(asked.stdout)
    if payload["abstained"] or not payload["citations"]:
        return False, "no cited answer", payload
    if expected is not None and payload["answer"] != expected:
        return False, "answer differs from the one before the kills", payload
    listed = cli(home, "sources", "--json")
    if listed.returncode != 0:
        return False, f"sources exit {listed.returncode}", payload
    docs = json.loads(listed.stdout)["documents"]
    payload["documents_listed"] = len(docs)
    cited = {c["doc_id"] for c in payload["citations"]}
    if not cited <= {d["id"] for d in docs}:
        return False, "cites a document the current generation does not list", payload
    return True, "", payload


def one_kill(home: Path, moment: float, question: str, expected: str, documents: int) -> dict:
    """Start `ingest --rebuild`, kill -9 it after `moment` seconds, then check and clean up."""
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", "--quiet", "--rebuild"],
        env=_env(home),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(moment)
    finished = process.poll() is not None
    if not finished:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    left = inspect(home)
    ok, why, payload = check_answers(home, question, expected)
    whole = payload.get("documents_listed") == documents
    repaired = cli(home, "ingest", "--quiet")
    after = inspect(home)
    return {
        "moment_s": round(moment, 2),
        "finished_before_kill": finished,
        "staging_left": len(left["staging"]),
        "orphans_left": len(left["orphans"]),
        "answered": ok,
        "why": why,
        "all_documents": whole,
        "ingest_exit": repaired.returncode,
        "orphans_after_ingest": len(after["orphans"]),
        "staging_after_ingest": len(after["staging"]),
    }


def prepare(files: list[str] | None, keep: Path | None) -> Path:
    home = keep or Path(tempfile.mkdtemp(prefix="assistant-crash-"))
    corpus = home / "corpus"
    shutil.rmtree(home / "indexes", ignore_errors=True)
    shutil.rmtree(corpus, ignore_errors=True)
    if files:
        corpus.mkdir(parents=True)
        for name in [*files, "manifest.toml"]:
            shutil.copy(ROOT / "corpus" / name, corpus / name)
    else:
        shutil.copytree(ROOT / "corpus", corpus)
    return home


def run(kills: int, seed: int, question: str, files: list[str] | None, keep: Path | None = None) -> dict:
    home = prepare(files, keep)
    started = time.monotonic()
    built = cli(home, "ingest", "--quiet")
    if built.returncode != 0:
        raise SystemExit(f"first ingest failed: {built.stderr}")
    timed = time.monotonic()
    cli(home, "ingest", "--quiet", "--rebuild")
    duration = time.monotonic() - timed
    ok, why, baseline = check_answers(home, question, None)
    if not ok:
        raise SystemExit(f"the undamaged index does not answer: {why}")
    documents = baseline["documents_listed"]
    rng = random.Random(seed)
    rows = []
    for n in range(kills):
        row = one_kill(home, rng.uniform(0.3, duration * 1.05), question, baseline["answer"], documents)
        rows.append(row)
        print(json.dumps({"kill": n + 1, **row}, ensure_ascii=False), flush=True)
    killed = [r for r in rows if not r["finished_before_kill"]]
    summary = {
        "kills": len(rows),
        "killed_mid_ingest": len(killed),
        "rebuild_seconds": round(duration, 1),
        "documents": documents,
        "answered_after_kill": sum(r["answered"] for r in rows),
        "all_documents_after_kill": sum(r["all_documents"] for r in rows),
        "orphans_left_by_kills": sum(r["orphans_left"] for r in rows),
        "staging_left_by_kills": sum(r["staging_left"] for r in rows),
        "orphans_after_ingest": sum(r["orphans_after_ingest"] for r in rows),
        "staging_after_ingest": sum(r["staging_after_ingest"] for r in rows),
        "ingest_failures": sum(r["ingest_exit"] != 0 for r in rows),
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    if keep is None:
        shutil.rmtree(home, ignore_errors=True)
    return {"summary": summary, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--question", default=GRADE3)
    parser.add_argument("--files", nargs="*", help="corpus files to copy (default: the whole corpus)")
    parser.add_argument("--home", type=Path, help="work folder (default: a new temporary folder)")
    args = parser.parse_args(argv)
    result = run(args.kills, args.seed, args.question, args.files, args.home)
    print(json.dumps(result["summary"], ensure_ascii=False, indent=1))
    s = result["summary"]
    good = s["answered_after_kill"] == s["kills"] == s["all_documents_after_kill"]
    good = good and not (s["orphans_after_ingest"] or s["staging_after_ingest"] or s["ingest_failures"])
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
