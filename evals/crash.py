"""Crash test: kill -9 an ingest at random moments; the index must keep answering and clean up after itself.

    python -m evals.crash                 # 20 kills of an ingest on a copy of the real corpus
    python -m evals.crash --rebuild       # kill `ingest --rebuild` instead (each one re-embeds everything)
    python -m evals.crash --kills 3 --files 000_f513dab035cd72a0.txt --question "…"

Before each kill one document is added to the corpus, so the killed ingest does everything an ingest
does (load models, carry the other documents' vectors over, embed, write, swap CURRENT, prune) in a
fraction of a full rebuild's time; the kill moment is uniform over that ingest's measured duration.
After each kill: `ask` answers the question from a complete generation (the same answer as before any
kill, every cited document listed by `sources`, no document lost), and a plain `ingest` leaves no
orphan Chroma collection and no half-written generation behind. Every step is a separate real process.
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
    payload["documents_listed"] = sorted(d["id"] for d in docs)
    cited = {c["doc_id"] for c in payload["citations"]}
    if not cited <= {d["id"] for d in docs}:
        return False, "cites a document the current generation does not list", payload
    return True, "", payload


def add_document(home: Path, n: int, run: int = 0) -> None:
    """One more (small, real-looking) document, so the next ingest has work to do (new in every run)."""
    (home / "corpus" / f"crash-{n:03d}.txt").write_text(
        f"第{n}号临时通知（第{run}批）\n各校于第{n}周组织一次家长开放日，具体时间另行通知。", encoding="utf-8"
    )


def one_kill(
    home: Path, moment: float, question: str, expected: str, documents: list[str], rebuild: bool = False
) -> dict:
    """Start an ingest, kill -9 it after `moment` seconds, then check and clean up."""
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", "--quiet", *(["--rebuild"] if rebuild else [])],
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
    whole = set(documents) <= set(payload.get("documents_listed", []))  # nothing lost
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
    """A corpus copy in `keep` (or a new temporary folder); an index already there is kept and reused."""
    home = keep or Path(tempfile.mkdtemp(prefix="assistant-crash-"))
    corpus = home / "corpus"
    if (home / "indexes" / "CURRENT").exists() and corpus.is_dir():
        return home
    shutil.rmtree(home / "indexes", ignore_errors=True)
    shutil.rmtree(corpus, ignore_errors=True)
    if files:
        corpus.mkdir(parents=True)
        for name in [*files, "manifest.toml"]:
            shutil.copy(ROOT / "corpus" / name, corpus / name)
    else:
        shutil.copytree(ROOT / "corpus", corpus)
    return home


def run(
    kills: int,
    seed: int,
    question: str,
    files: list[str] | None,
    keep: Path | None = None,
    rebuild: bool = False,
) -> dict:
    home = prepare(files, keep)
    started = time.monotonic()
    built = cli(home, "ingest", "--quiet")
    if built.returncode != 0:
        raise SystemExit(f"first ingest failed: {built.stderr}")
    add_document(home, 0, seed)
    timed = time.monotonic()
    measured = cli(home, "ingest", "--quiet", *(["--rebuild"] if rebuild else []))
    duration = time.monotonic() - timed
    if measured.returncode != 0:
        raise SystemExit(f"the timed ingest failed: {measured.stderr}")
    print(f"one ingest takes {duration:.1f} s: {measured.stdout.strip()}", flush=True)
    ok, why, baseline = check_answers(home, question, None)
    if not ok:
        raise SystemExit(f"the undamaged index does not answer: {why}")
    rng = random.Random(seed)
    rows = []
    for n in range(kills):
        # what the index held before this kill: the start plus the documents the earlier repairs added
        documents = [*baseline["documents_listed"], *(f"crash-{k:03d}" for k in range(1, n + 1))]
        add_document(home, n + 1, seed)
        moment = rng.uniform(0.3, duration * 0.9)  # an ingest that finished first proves less
        row = one_kill(home, moment, question, baseline["answer"], documents, rebuild)
        rows.append(row)
        print(json.dumps({"kill": n + 1, **row}, ensure_ascii=False), flush=True)
    summary = summarise(rows, duration, len(baseline["documents_listed"]))
    summary["wall_seconds"] = round(time.monotonic() - started, 1)
    if keep is None:
        shutil.rmtree(home, ignore_errors=True)
    return {"summary": summary, "rows": rows}


def summarise(rows: list[dict], duration: float, documents: int) -> dict:
    return {
        "kills": len(rows),
        "killed_mid_ingest": sum(not r["finished_before_kill"] for r in rows),
        "ingest_seconds": round(duration, 1),
        "documents_at_start": documents,
        "answered_after_kill": sum(r["answered"] for r in rows),
        "no_document_lost": sum(r["all_documents"] for r in rows),
        "orphans_left_by_kills": sum(r["orphans_left"] for r in rows),
        "staging_left_by_kills": sum(r["staging_left"] for r in rows),
        "orphans_after_ingest": sum(r["orphans_after_ingest"] for r in rows),
        "staging_after_ingest": sum(r["staging_after_ingest"] for r in rows),
        "ingest_failures": sum(r["ingest_exit"] != 0 for r in rows),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--question", default=GRADE3)
    parser.add_argument("--files", nargs="*", help="corpus files to copy (default: the whole corpus)")
    parser.add_argument(
        "--home", type=Path, help="work folder, reused if it holds an index (default: temporary)"
    )
    parser.add_argument("--rebuild", action="store_true", help="kill `ingest --rebuild` instead")
    args = parser.parse_args(argv)
    result = run(args.kills, args.seed, args.question, args.files, args.home, args.rebuild)
    print(json.dumps(result["summary"], ensure_ascii=False, indent=1))
    s = result["summary"]
    good = s["answered_after_kill"] == s["kills"] == s["no_document_lost"]
    good = good and not (s["orphans_after_ingest"] or s["staging_after_ingest"] or s["ingest_failures"])
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
