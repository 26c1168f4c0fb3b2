"""Dump every eval question's full `ask --json` answer, and diff two dumps or two eval runs.

python -m evals.compare dump evals/qa.jsonl evals/heldout.jsonl --out-dir /tmp/base   # answers_<name>.jsonl
python -m evals.compare diff /tmp/base/answers_qa.jsonl /tmp/after/answers_qa.jsonl
python -m evals.compare metrics /tmp/base/qa.json /tmp/after/qa.json
python -m evals.compare score /tmp/after/answers_qa.jsonl evals/qa.jsonl              # metrics of a dump

A refactor that must not change behaviour is checked with `diff`: the dumps must be identical apart from the
timing fields (latency_ms), which differ from run to run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evals.run import load_dataset

# Timing differs on every run; everything else an answer holds must not.
IGNORED = ("latency", "cold_start_ms")


def _strip(obj):
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if not k.startswith(IGNORED)}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _extra(answer) -> dict:
    """What `ask --json` leaves out but a behaviour-preserving change must keep too. (The order of
    matched_terms with equal weights follows set iteration, i.e. PYTHONHASHSEED: dump with a fixed seed.)"""
    return {
        "notice": answer.notice,
        "conflicts": answer.conflicts,
        "evidence_score": answer.evidence_score,
        "quote_starts": [c.quote_start for c in answer.citations],
        "hits": [
            [h.chunk.id, h.score, h.bm25_rank, h.dense_rank, h.matched_terms, h.boosts] for h in answer.hits
        ],
    }


def exact_dense(index) -> None:
    """Replace the index's approximate (HNSW) vector search by an exact one over the stored vectors.

    Chroma's embedded store answers a few queries differently as it compacts its log in the background
    (ranks 20 and 21 swap after some minutes under load), so two runs of the same code can differ; with
    exact search a before/after comparison shows only what the code changed. Verification only."""
    import numpy as np

    stored = index.collection.get(include=["embeddings"])
    ids = list(stored["ids"])
    matrix = np.asarray(stored["embeddings"], dtype=np.float64)
    order = np.argsort(ids)  # a fixed order for ties, whatever order the store returns
    ids, matrix = [ids[i] for i in order], matrix[order]

    def search(vector, k, where=None):
        similarity = matrix @ np.asarray(vector, dtype=np.float64)
        best = np.argsort(-similarity, kind="stable")[: min(k, len(ids))]
        return [(ids[i], float(similarity[i])) for i in best]

    index.dense_search = search


def dump(datasets: list[Path], out_dir: Path, mode: str | None, exact: bool = False) -> None:
    """Write answers_<dataset stem>.jsonl: one `ask --json` object per question, in dataset order."""
    from assistant import Assistant, Settings

    assistant = Assistant(Settings())
    assistant.ensure_index()
    if exact:
        exact_dense(assistant.engine().index)
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in datasets:
        out = out_dir / f"answers_{path.stem}.jsonl"
        with out.open("w", encoding="utf-8") as fh:
            for item in load_dataset(path):
                answer = assistant.ask(item["question"], history=item.get("history") or None, mode=mode)
                row = {"id": item["id"], **answer.to_json(), "_extra": _extra(answer)}
                fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
        print(f"{path} → {out}")


def diff_dumps(a: Path, b: Path) -> int:
    """Print the questions whose answers differ (timing ignored); return how many."""
    rows_a = [json.loads(line) for line in a.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows_b = [json.loads(line) for line in b.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(rows_a) != len(rows_b):
        print(f"different lengths: {len(rows_a)} vs {len(rows_b)}")
    differing = 0
    for ra, rb in zip(rows_a, rows_b, strict=False):
        sa, sb = _strip(ra), _strip(rb)
        if sa == sb:
            continue
        differing += 1
        keys = sorted(k for k in set(sa) | set(sb) if sa.get(k) != sb.get(k))
        print(f"- {ra.get('id')}: {', '.join(keys)}")
        for k in keys:
            if k in ("text", "rewritten", "abstained", "outcome", "evidence_score"):
                print(f"    {k}: {json.dumps(sa.get(k), ensure_ascii=False)}")
                print(f"    {' ' * len(k)}→ {json.dumps(sb.get(k), ensure_ascii=False)}")
    print(f"{differing} of {len(rows_a)} answers differ ({a.name} vs {b.name})")
    return differing


def diff_metrics(a: Path, b: Path) -> int:
    """Compare the top-level metrics of two `evals.run` outputs (latency ignored)."""
    ma = json.loads(a.read_text(encoding="utf-8"))["metrics"]
    mb = json.loads(b.read_text(encoding="utf-8"))["metrics"]
    changed = 0
    for key in sorted(set(ma) | set(mb)):
        if key.startswith("latency") or key == "dataset":
            continue
        va, vb = _strip(ma.get(key)), _strip(mb.get(key))
        if va != vb:
            changed += 1
            if key == "by_kind":
                print("  by_kind differs")
            else:
                print(f"  {key}: {va} → {vb}")
    print(f"{changed} metric(s) differ ({a} vs {b})")
    return changed


def score_dump(dump_path: Path, dataset: Path) -> dict:
    """The evals.run metrics of a dump (the same scoring, no second run)."""
    from evals.run import metrics_of, score_one

    items = {item["id"]: item for item in load_dataset(dataset)}
    rows = []
    for line in dump_path.read_text(encoding="utf-8").splitlines():
        result = json.loads(line)
        rows.append({**result, "judgement": score_one(items[result["id"]], result)})
    m = metrics_of(rows)
    print(
        f"{dataset.name}: hit@1 {m['hit@1']}  hit@5 {m['hit@5']}  MRR {m['mrr']}  answer {m['answer_accuracy']}  "
        f"citation {m['citation_accuracy']}  abst P/R {m['abstention_precision']}/{m['abstention_recall']}  "
        f"wrongly abstained {m['wrongly_abstained']}  answered unanswerable {m['answered_unanswerable']}"
    )
    return m


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("dump", help="write answers_<name>.jsonl per dataset")
    p.add_argument("datasets", nargs="+", type=Path)
    p.add_argument("--out-dir", type=Path, required=True)
    p.add_argument("--mode", default=None)
    p.add_argument("--exact-dense", action="store_true", help="exact vector search (see exact_dense)")
    p = sub.add_parser("diff", help="diff two answer dumps, ignoring latency")
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p = sub.add_parser("metrics", help="diff the metrics of two evals.run outputs")
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p = sub.add_parser("score", help="evals.run metrics of an answer dump")
    p.add_argument("dump", type=Path)
    p.add_argument("dataset", type=Path)
    args = parser.parse_args(argv)
    if args.command == "score":
        score_dump(args.dump, args.dataset)
        return 0
    if args.command == "dump":
        dump(args.datasets, args.out_dir, args.mode, exact=args.exact_dense)
        return 0
    if args.command == "diff":
        return 1 if diff_dumps(args.a, args.b) else 0
    return 1 if diff_metrics(args.a, args.b) else 0


if __name__ == "__main__":
    sys.exit(main())
