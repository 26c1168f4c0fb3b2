"""Benchmark: CLI cold start to first answer, warm query latency, ingest throughput, peak memory, index size —
for the corpus and for a synthetic corpus 10× its size (made here, in a temp folder).

    python -m evals.bench [--scale 10] [--queries evals/qa.jsonl]     (--scale 1: the corpus only)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_synthetic(src: Path, dst: Path, scale: int) -> None:
    """`scale` copies of every corpus file, each copy a distinct document (ids and titles made unique)."""
    dst.mkdir(parents=True)
    manifest = (src / "manifest.toml").read_text(encoding="utf-8")
    parts = []
    for n in range(scale):
        for f in src.glob("*.txt"):
            (dst / f"{f.stem}_x{n}.txt").write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
        parts.append(
            manifest.replace('.txt"', f'_x{n}.txt"')
            .replace('id = "', f'id = "x{n}-')
            .replace('title = "', f'title = "（副本{n}）')
        )
    (dst / "manifest.toml").write_text("\n".join(parts), encoding="utf-8")


def bench_ingest(home: Path) -> dict:
    from assistant.embeddings import build_embedder
    from assistant.index import IndexStore
    from assistant.segment import Segmenter
    from assistant.settings import Settings

    settings = Settings(home=home)
    store = IndexStore(settings, build_embedder(settings.embedding), Segmenter())
    report = store.ingest()
    again = store.ingest()
    return {
        "documents": report.documents,
        "chunks": report.chunks,
        "ingest_s": round(report.seconds, 1),
        "chunks_per_s": round(report.chunks / report.seconds, 1),
        "reingest_unchanged_s": round(again.seconds, 2),
        "index_mb": round(_dir_size(settings.index_dir) / 2**20, 1),
        "peak_rss_mb": round(_peak_mb(), 0),
    }


def bench_queries(home: Path, questions: list[str]) -> dict:
    from assistant import Assistant, Settings

    started = time.perf_counter()
    bot = Assistant(Settings(home=home))
    # warm-up: the first query initialises jieba's and the model's caches and, on a fresh index, embeds every
    # answer sentence once (the sentence vectors are cached beside the index): part of the cost of a new corpus
    bot.ask(questions[0])
    first = time.perf_counter() - started
    latencies = []
    for q in questions:
        started = time.perf_counter()
        bot.ask(q)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {
        "first_answer_s": round(first, 1),
        "queries": len(latencies),
        "warm_p50_ms": round(statistics.median(latencies), 1),
        "warm_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
        "peak_rss_mb": round(_peak_mb(), 0),
    }


def bench_cold_cli(home: Path, runs: int = 3) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["ASSISTANT_HOME"] = str(home)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "assistant", "ask", "三年级每天的书面作业不超过多长时间？", "--json"],
            env=env,
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        times.append(time.perf_counter() - started)
    return {"cli_cold_start_to_answer_s": round(statistics.median(times), 2)}


def _child(kind: str, home: str, questions_file: str) -> None:
    home_path = Path(home)
    if kind == "ingest":
        print(json.dumps(bench_ingest(home_path)))
    else:
        questions = [
            json.loads(line)["question"]
            for line in Path(questions_file).read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        print(json.dumps(bench_queries(home_path, questions)))


def _run_child(kind: str, home: Path, questions: Path) -> dict:
    # Each measurement in its own process, so peak memory is that step's own.
    out = subprocess.run(
        [sys.executable, "-m", "evals.bench", "--child", kind, str(home), str(questions)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--queries", type=Path, default=ROOT / "evals" / "qa.jsonl")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sizes = [("corpus", 1)] + ([(f"synthetic ×{args.scale}", args.scale)] if args.scale > 1 else [])
        for label, scale in sizes:
            home = Path(tmp) / label.split()[0]
            if scale == 1:
                shutil.copytree(ROOT / "corpus", home / "corpus")
            else:
                make_synthetic(ROOT / "corpus", home / "corpus", scale)
            row = {"corpus": label}
            row.update(
                {
                    f"ingest_{k}" if k == "peak_rss_mb" else k: v
                    for k, v in _run_child("ingest", home, args.queries).items()
                }
            )
            row.update(
                {
                    f"query_{k}" if k == "peak_rss_mb" else k: v
                    for k, v in _run_child("query", home, args.queries).items()
                }
            )
            row.update(bench_cold_cli(home))
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    keys = list(rows[0])
    print("\n| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row.get(k, "")) for k in keys) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
