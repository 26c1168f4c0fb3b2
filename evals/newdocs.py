"""Generalisation check: documents the project never shipped, added with no manifest entry and no code change.

python -m evals.newdocs [--output evals/out/newdocs.json]

Copies corpus/ and evals/newdocs/docs/ into a temporary home, ingests it the way a school would (files dropped
into the corpus folder), and runs evals/newdocs/questions.jsonl through the same Assistant.ask() path as every
other eval. `--docs evals/newdocs2/docs --questions evals/newdocs2/questions.jsonl` runs the second, frozen set
(three documents, 45 questions, written after session 3 and run once). The four documents (a primary school's homework rules, a district's after-school notice as a saved
HTML page, a town's tutoring report in GB18030, a middle school's exam rules) and their 48 questions were written
by a helper that never saw the code.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .run import evaluate, load_dataset

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "evals" / "newdocs" / "docs"
QUESTIONS = ROOT / "evals" / "newdocs" / "questions.jsonl"


def build_home(target: Path, docs: Path = DOCS) -> Path:
    """A project folder holding the shipped corpus plus the new documents (no manifest entry for them)."""
    shutil.copytree(ROOT / "corpus", target / "corpus")
    for path in sorted(docs.iterdir()):
        shutil.copy2(path, target / "corpus" / path.name)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", type=Path, default=Path("evals/out/newdocs.json"))
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument(
        "--docs", type=Path, default=DOCS, help="folder of the new documents (evals/newdocs2/docs: frozen)"
    )
    args = parser.parse_args(argv)

    from assistant import Assistant, Settings

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="newdocs-") as tmp:
        home = build_home(Path(tmp), args.docs)
        assistant = Assistant(Settings(home=home))
        report = assistant.ingest()
        print(report.summary(), file=sys.stderr)
        run = evaluate(assistant, load_dataset(args.questions), assistant.settings.retrieval.mode)
        questions = args.questions.resolve()
        run["metrics"]["dataset"] = str(
            questions.relative_to(ROOT) if questions.is_relative_to(ROOT) else questions
        )
        run["metrics"]["documents"] = {
            d.id: {"title": d.title, "issuer": d.issuer, "region": d.region, "level": d.level}
            for d in assistant.documents()
            if d.source in {p.name for p in args.docs.iterdir()}
        }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(run, ensure_ascii=False, indent=1), encoding="utf-8")
    m = run["metrics"]
    print(
        f"{args.questions.parent.name}  hit@1 {m['hit@1']}  hit@5 {m['hit@5']}  answer {m['answer_accuracy']}  "
        f"citation {m['citation_accuracy']}  abst P/R {m['abstention_precision']}/{m['abstention_recall']}  "
        f"wrongly abstained {m['wrongly_abstained']}  answered unanswerable {m['answered_unanswerable']}  → {args.output}"
    )
    for doc_id, meta in m["documents"].items():
        print(f"  {doc_id}: {meta}")
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
