"""Run the eval set through the same Assistant.ask() the CLI and web app use, and score it.

python -m evals.run --dataset evals/qa.jsonl --output evals/out/hybrid_qu.json --mode hybrid_qu
python -m evals.run --mode all --output evals/out/run.json      # one file per mode: run.<mode>.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from assistant.cleaning import comparable
from assistant.settings import MODES

KS = (1, 3, 5, 10)
MAX_ANSWER_CHARS = 400


def norm(text: str) -> str:
    """Comparison form (the product's own): Simplified, half-width, lower case, no whitespace or quotes."""
    return comparable(text)


def load_dataset(path: Path) -> list[dict]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        item = json.loads(line)
        if "id" not in item or "question" not in item:
            raise SystemExit(f"{path}:{n}: every line needs 'id' and 'question'")
        item.setdefault("answers", [])
        item.setdefault("evidence", [])
        item.setdefault("answerable", True)
        item.setdefault("kind", "unknown")
        item.setdefault("history", [])
        items.append(item)
    return items


def score_one(item: dict, result: dict) -> dict:
    """Per-question judgements; None where the dataset has no gold for it."""
    evidence = [norm(e) for e in item.get("evidence", []) if e]
    retrieved = [norm(r["text"]) for r in result["retrieved"]]
    first = next((i + 1 for i, text in enumerate(retrieved) if any(e in text for e in evidence)), None)
    answer = norm(result["answer"])
    groups = item.get("answers") or []
    out: dict = {"first_hit_rank": first if evidence else None}
    if evidence:
        for k in KS:
            out[f"hit@{k}"] = bool(first and first <= k)
        out["rr"] = 1.0 / first if first else 0.0
        cited = [norm(c["text"]) for c in result["citations"]]
        out["citation_ok"] = (not result["abstained"]) and any(e in c for c in cited for e in evidence)
    if item.get("answerable", True) and groups:
        matched = all(any(norm(alt) in answer for alt in group) for group in groups)
        out["answer_ok"] = (not result["abstained"]) and matched and len(result["answer"]) <= MAX_ANSWER_CHARS
    out["answerable"] = bool(item.get("answerable", True))
    out["abstained"] = bool(result["abstained"])
    return out


def _mean(values: list) -> float | None:
    values = [float(v) for v in values if v is not None]
    return round(sum(values) / len(values), 4) if values else None


def metrics_of(rows: list[dict]) -> dict:
    judged = [r["judgement"] for r in rows]
    m: dict = {"questions": len(rows)}
    for k in KS:
        m[f"hit@{k}"] = _mean([j.get(f"hit@{k}") for j in judged])
    m["mrr"] = _mean([j.get("rr") for j in judged])
    m["answer_accuracy"] = _mean([j.get("answer_ok") for j in judged])
    m["citation_accuracy"] = _mean([j.get("citation_ok") for j in judged])
    abstained = [j for j in judged if j["abstained"]]
    unanswerable = [j for j in judged if not j["answerable"]]
    m["abstained"] = len(abstained)
    m["abstention_precision"] = _mean([not j["answerable"] for j in abstained]) if abstained else None
    m["abstention_recall"] = _mean([j["abstained"] for j in unanswerable]) if unanswerable else None
    m["unanswerable"] = len(unanswerable)
    m["wrongly_abstained"] = sum(1 for j in judged if j["answerable"] and j["abstained"])
    m["answered_unanswerable"] = sum(1 for j in judged if not j["answerable"] and not j["abstained"])
    latencies = sorted(r["latency_ms"] for r in rows)
    if latencies:
        m["latency_p50_ms"] = round(statistics.median(latencies), 1)
        m["latency_p95_ms"] = round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1)
    return m


def evaluate(assistant, items: list[dict], mode: str) -> dict:
    rows = []
    for item in items:
        answer = assistant.ask(item["question"], history=item.get("history") or None, mode=mode)
        result = answer.to_json()
        row = {"id": item["id"], "question": item["question"], "kind": item.get("kind", "unknown"), **result}
        row["judgement"] = score_one(item, result)
        rows.append(row)
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_kind[row["kind"]].append(row)
    metrics = metrics_of(rows)
    metrics["by_kind"] = {kind: metrics_of(group) for kind, group in sorted(by_kind.items())}
    metrics["mode"] = mode
    return {"results": rows, "metrics": metrics}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", type=Path, default=Path("evals/qa.jsonl"))
    parser.add_argument("--output", type=Path, default=Path("evals/out/run.json"))
    parser.add_argument("--mode", default="hybrid_qu", help=f"one of {MODES}, a comma list, or 'all'")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    args = parser.parse_args(argv)

    from assistant import Assistant, Settings

    modes = MODES if args.mode == "all" else [m.strip() for m in args.mode.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise SystemExit(f"unknown mode(s) {bad}; choose from {MODES}")
    items = load_dataset(args.dataset)
    if args.limit:
        items = items[: args.limit]
    started = time.perf_counter()
    assistant = Assistant(Settings())
    assistant.ensure_index()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    for mode in modes:
        run = evaluate(assistant, items, mode)
        run["metrics"]["dataset"] = str(args.dataset)
        out = args.output if len(modes) == 1 else args.output.with_name(f"{args.output.stem}.{mode}.json")
        out.write_text(json.dumps(run, ensure_ascii=False, indent=1), encoding="utf-8")
        m = run["metrics"]
        print(
            f"{mode:10s} hit@1 {m['hit@1']}  hit@5 {m['hit@5']}  MRR {m['mrr']}  answer {m['answer_accuracy']}  "
            f"citation {m['citation_accuracy']}  abst P/R {m['abstention_precision']}/{m['abstention_recall']}  "
            f"wrongly abstained {m['wrongly_abstained']}  p50 {m.get('latency_p50_ms')} ms  → {out}"
        )
    print(f"({len(items)} questions, {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
