"""Write evals/REPORT.md and evals/modes.png from `evals.run` outputs: modes side by side, every failure listed.

python -m evals.report evals/out/run.*.json [--other evals/out/heldout.json …]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = [
    "hit@1",
    "hit@3",
    "hit@5",
    "hit@10",
    "mrr",
    "answer_accuracy",
    "citation_accuracy",
    "abstention_precision",
    "abstention_recall",
    "wrongly_abstained",
    "answered_unanswerable",
    "latency_p50_ms",
    "latency_p95_ms",
]
ORDER = ["bm25", "dense", "hybrid", "hybrid_qu"]


def _fmt(value) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) and value <= 1 else str(value)


def chart(runs: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["hit@1", "hit@5", "mrr", "answer_accuracy", "citation_accuracy", "abstention_recall"]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / max(1, len(runs))
    for i, (mode, run) in enumerate(runs.items()):
        values = [run["metrics"].get(k) or 0 for k in keys]
        ax.bar([x + i * width for x in range(len(keys))], values, width, label=mode)
    ax.set_xticks([x + width * (len(runs) - 1) / 2 for x in range(len(keys))], keys)
    ax.set_ylim(0, 1.05)
    ax.set_title("evals/qa.jsonl by retrieval mode")
    ax.legend(loc="lower right")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def report(runs: dict[str, dict], others: list[dict] | None = None) -> str:
    others = others or []
    lines = [
        "# Eval report",
        "",
        f"Dataset: `{next(iter(runs.values()))['metrics'].get('dataset', '?')}` — "
        f"{next(iter(runs.values()))['metrics']['questions']} questions. Regenerate: `make eval`.",
        "",
        "![modes](modes.png)",
        "",
        "| mode | " + " | ".join(COLUMNS) + " |",
        "|---" * (len(COLUMNS) + 1) + "|",
    ]
    for mode, run in runs.items():
        lines.append(f"| {mode} | " + " | ".join(_fmt(run["metrics"].get(c)) for c in COLUMNS) + " |")
    if others:
        lines += other_sets(others)
    lines += frozen_sets()
    main = runs.get("hybrid_qu") or next(iter(runs.values()))
    lines += [
        "",
        f"## By kind ({main['metrics']['mode']})",
        "",
        "| kind | n | hit@1 | hit@5 | answer | citation | abstained |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, m in main["metrics"]["by_kind"].items():
        lines.append(
            f"| {kind} | {m['questions']} | {_fmt(m['hit@1'])} | {_fmt(m['hit@5'])} | "
            f"{_fmt(m['answer_accuracy'])} | {_fmt(m['citation_accuracy'])} | {m['abstained']} |"
        )
    lines += ["", f"## Failures ({main['metrics']['mode']})", ""]
    lines += failures(main)
    for run in others:
        lines += ["", f"## Failures (`{run['metrics'].get('dataset', '?')}`, {run['metrics']['mode']})", ""]
        lines += failures(run)
    return "\n".join(lines) + "\n"


# The frozen sets: written by helpers who saw only the corpus, never read by the project, each run once on the
# code named (their questions are not listed here). `make eval` never runs them.
FROZEN = [
    (
        "`evals/parents/test.jsonl`",
        93,
        "eceab9f (session 3)",
        "0.520",
        "0.827",
        "0.600",
        "0.653",
        "7 / 75",
        "8 / 18",
    ),
    (
        "`evals/parents/test2.jsonl`",
        110,
        "caee209 (session 4)",
        "0.535",
        "0.837",
        "0.349",
        "0.372",
        "24 / 86",
        "10 / 24",
    ),
    (
        "`evals/newdocs2/` (3 new documents)",
        45,
        "caee209 (session 4)",
        "0.556",
        "0.806",
        "0.389",
        "0.444",
        "9 / 36",
        "5 / 9",
    ),
    (
        "`evals/parents/test3.jsonl`",
        90,
        "5224c1f (session 4, final code)",
        "0.559",
        "0.824",
        "0.515",
        "0.515",
        "17 / 68",
        "6 / 22",
    ),
    (
        "`evals/parents/test4.jsonl`",
        110,
        "70fe651 (session 5, first question memory)",
        "0.776",
        "0.918",
        "0.529",
        "0.553",
        "20 / 85",
        "2 / 25",
    ),
    (
        "`evals/newdocs3/` (3 new documents, one in Big5)",
        45,
        "70fe651 (session 5, first question memory)",
        "0.176",
        "0.588",
        "0.176",
        "0.147",
        "23 / 34",
        "2 / 11",
    ),
    (
        "`evals/parents/test5.jsonl`",
        80,
        "7ba6097 (session 5, final code)",
        "0.787",
        "0.967",
        "0.770",
        "0.770",
        "6 / 61",
        "0 / 19",
    ),
    (
        "`evals/newdocs4/` (3 new documents, one in GB18030)",
        36,
        "7ba6097 (session 5, final code)",
        "0.679",
        "0.929",
        "0.500",
        "0.536",
        "12 / 28",
        "2 / 8",
    ),
    (
        "`evals/parents/test6.jsonl`",
        80,
        "e4e3182 (session 6, final code)",
        "0.767",
        "0.967",
        "0.783",
        "0.867",
        "3 / 60",
        "0 / 20",
    ),
    (
        "`evals/newdocs5/` (3 new documents, one in GBK, one HTML)",
        36,
        "e4e3182 (session 6, final code)",
        "0.357",
        "0.714",
        "0.357",
        "0.357",
        "1 / 28",
        "6 / 8",
    ),
    (
        "`evals/parents/test7.jsonl`",
        80,
        "6a857e9 (session 7, final models)",
        "0.931",
        "1.000",
        "0.845",
        "0.879",
        "6 / 58",
        "2 / 22",
    ),
    (
        "`evals/newdocs6/` (3 new documents, one in GB18030, one HTML)",
        36,
        "6a857e9 (session 7, final models)",
        "0.423",
        "0.846",
        "0.538",
        "0.462",
        "0 / 26",
        "6 / 10",
    ),
    (
        "`evals/parents/test8.jsonl`",
        80,
        "ad67518 (session 8, final models)",
        "0.867",
        "0.917",
        "0.783",
        "0.783",
        "2 / 60",
        "1 / 20",
    ),
    (
        "`evals/newdocs7/` (3 new documents, one in GBK, one HTML, one UTF-16)",
        36,
        "ad67518 (session 8, final models)",
        "0.444",
        "0.926",
        "0.556",
        "0.630",
        "2 / 27",
        "6 / 9",
    ),
    (
        "`evals/parents/test9.jsonl`",
        80,
        "a1dd5e2 (session 9, final models)",
        "0.770",
        "0.967",
        "0.803",
        "0.820",
        "5 / 61",
        "0 / 19",
    ),
    (
        "`evals/newdocs8/` (3 new documents: GB18030, HTML, docx)",
        36,
        "a1dd5e2 (session 9, final models)",
        "0.741",
        "0.926",
        "0.556",
        "0.704",
        "1 / 27",
        "5 / 9",
    ),
    (
        "`evals/parents/test10.jsonl`",
        80,
        "5dd4a8d (session 10, the word bridge)",
        "0.721",
        "0.934",
        "0.787",
        "0.820",
        "3 / 61",
        "2 / 19",
    ),
    (
        "`evals/newdocs9/` (3 new documents: GBK, HTML, docx)",
        36,
        "5dd4a8d (session 10, the word bridge)",
        "0.786",
        "1.000",
        "0.679",
        "0.821",
        "0 / 28",
        "6 / 8",
    ),
    (
        "`evals/parents/test11.jsonl`",
        80,
        "9ce366a (session 11: grade facts, 哪年 vs 哪天, neighbours' unanswerable share)",
        "0.968",
        "1.000",
        "0.839",
        "0.871",
        "4 / 62",
        "2 / 18",
    ),
    (
        "`evals/newdocs10/` (3 new documents: HTML, GB18030, docx)",
        36,
        "9ce366a (session 11)",
        "0.741",
        "0.963",
        "0.778",
        "0.852",
        "1 / 27",
        "5 / 9",
    ),
    (
        "`evals/parents/test12.jsonl`",
        80,
        "316a992 (session 12: the model's favourite duration, test11 and newdocs10 in training)",
        "0.919",
        "0.968",
        "0.855",
        "0.871",
        "5 / 62",
        "3 / 18",
    ),
    (
        "`evals/newdocs11/` (3 new documents: HTML, GBK with CRLF and page numbers, docx with tables)",
        36,
        "316a992 (session 12)",
        "0.407",
        "0.926",
        "0.593",
        "0.630",
        "3 / 27",
        "3 / 9",
    ),
    (
        "`evals/parents/test13.jsonl`",
        80,
        "d24f6bf (session 13: tables, unwrapped lines, answerability on decide()'s candidates, test12 in training)",
        "0.902",
        "1.000",
        "0.918",
        "0.918",
        "1 / 61",
        "0 / 19",
    ),
    (
        "`evals/newdocs12/` (3 new documents: PDF with running headers, WeChat Markdown with a pipe table, Big5)",
        36,
        "d24f6bf (session 13)",
        "0.607",
        "0.893",
        "0.714",
        "0.714",
        "2 / 28",
        "3 / 8",
    ),
    (
        "`evals/parents/test14.jsonl`",
        80,
        "b8d1781 (session 14: merged table cells, one-school note, a chat keeps its school, test13 in training)",
        "0.812",
        "0.938",
        "0.875",
        "0.891",
        "0 / 64",
        "4 / 16",
    ),
    (
        "`evals/newdocs13/` (3 new documents: HTML with merged table cells, UTF-16 hard-wrapped, docx with a table)",
        36,
        "b8d1781 (session 14)",
        "0.552",
        "0.862",
        "0.621",
        "0.621",
        "1 / 29",
        "4 / 7",
    ),
]


def frozen_sets() -> list[str]:
    lines = [
        "",
        "## Frozen test sets (one run each; the number to expect from parents' own words)",
        "",
        "| dataset | questions | run at | hit@1 | hit@5 | answer | citation | answerable told none | "
        "unanswerable quoted |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in FROZEN]
    return lines


def other_sets(others: list[dict]) -> list[str]:
    """The same pipeline on the question sets written apart from qa.jsonl (see evals/README.md)."""
    keys = [
        "hit@1",
        "hit@5",
        "answer_accuracy",
        "citation_accuracy",
        "abstention_recall",
        "wrongly_abstained",
        "answered_unanswerable",
    ]
    lines = [
        "",
        "## Other question sets",
        "",
        "| dataset | mode | questions | " + " | ".join(keys) + " |",
        "|---" * (len(keys) + 3) + "|",
    ]
    for run in others:
        m = run["metrics"]
        lines.append(
            f"| `{m.get('dataset', '?')}` | {m['mode']} | {m['questions']} | "
            + " | ".join(_fmt(m.get(k)) for k in keys)
            + " |"
        )
    return lines


def failures(run: dict) -> list[str]:
    lines = []
    for row in run["results"]:
        j = row["judgement"]
        problems = []
        if j.get("answer_ok") is False:
            problems.append("answer")
        if j.get("citation_ok") is False:
            problems.append("citation")
        if j.get("hit@5") is False:
            problems.append("retrieval@5")
        if not j["answerable"] and not j["abstained"]:
            problems.append("should abstain")
        if j["answerable"] and j["abstained"]:
            problems.append("wrongly abstained")
        if problems:
            answer = row["answer"].replace("\n", " ")[:220]
            lines.append(
                f"- **{row['id']}** ({row['kind']}; {', '.join(problems)}) {row['question']}  \n  → {answer}"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=HERE / "REPORT.md")
    parser.add_argument("--other", nargs="*", type=Path, default=[], help="runs on other question sets")
    args = parser.parse_args(argv)
    others = [json.loads(p.read_text(encoding="utf-8")) for p in args.other]
    loaded = {}
    for path in args.runs:
        run = json.loads(path.read_text(encoding="utf-8"))
        loaded[run["metrics"]["mode"]] = run
    runs = {m: loaded[m] for m in ORDER if m in loaded} | {m: r for m, r in loaded.items() if m not in ORDER}
    chart(runs, args.out.with_name("modes.png"))
    args.out.write_text(report(runs, others), encoding="utf-8")
    print(f"wrote {args.out} and {args.out.with_name('modes.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
