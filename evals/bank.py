"""The parents'-words question bank: word-overlap report and the frozen train / dev / test split.

python -m evals.bank split PART.jsonl …   # writes evals/parents/{train,dev,test}.jsonl (refuses to overwrite test)
python -m evals.bank overlap FILE.jsonl … # median share of a question's words found in its answering sentence

The split groups questions by the rule they ask about (source + first evidence snippet), so two wordings of one
rule never sit on both sides; unanswerable questions are spread by id. It is a hash of the group key: the same
bank always gives the same split, and nobody has to look at a question to place it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import sys
from pathlib import Path

import jieba

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
OUT = ROOT / "evals" / "parents"
SHARES = (("train", 0.6), ("dev", 0.2), ("test", 0.2))
_SENTENCE_END = re.compile(r"[。！？；!?;\n]")
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def corpus_text(folder: Path = CORPUS) -> str:
    """All corpus text as raw characters (the writers copied their evidence from the raw files)."""
    from assistant.loaders import read_source

    parts = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith(".") and path.suffix != ".toml":
            parts.append(read_source(path))
    return "\n".join(parts)


def answering_sentence(text: str, snippet: str) -> str | None:
    """The sentence of `text` that holds `snippet` (bounded by sentence ends or line breaks)."""
    at = text.find(snippet)
    if at < 0:
        return None
    start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, at)), default=0)
    end_match = _SENTENCE_END.search(text, at + len(snippet))
    return text[start : end_match.start() if end_match else len(text)]


def overlap(question: str, sentence: str) -> float:
    """Share of the question's distinct jieba words (letters/digits/Han only) that occur in the sentence."""
    words = {w for w in jieba.lcut(question) if _WORD.search(w)}
    if not words:
        return 0.0
    return sum(1 for w in words if w in sentence) / len(words)


def overlaps(rows: list[dict], text: str) -> list[float]:
    values = []
    for row in rows:
        if not row.get("answerable", True) or not row.get("evidence"):
            continue
        sentences = [s for s in (answering_sentence(text, e) for e in row["evidence"]) if s]
        if sentences:
            values.append(max(overlap(row["question"], s) for s in sentences))
    return values


def split_of(row: dict) -> str:
    key = row["id"] if not row.get("answerable", True) else f"{row.get('source', '')}|{row['evidence'][0]}"
    fraction = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    total = 0.0
    for name, share in SHARES:
        total += share
        if fraction < total:
            return name
    return SHARES[-1][0]


def cmd_split(paths: list[Path], out: Path) -> int:
    rows = [row for path in paths for row in read_jsonl(path)]
    ids = [r["id"] for r in rows]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate ids in the bank")
    if (out / "test.jsonl").exists():
        raise SystemExit(f"{out / 'test.jsonl'} exists: the test part is frozen; delete it only on purpose")
    parts: dict[str, list[dict]] = {name: [] for name, _ in SHARES}
    for row in rows:
        parts[split_of(row)].append(row)
    for name, part in parts.items():
        write_jsonl(out / f"{name}.jsonl", part)
        unanswerable = sum(1 for r in part if not r.get("answerable", True))
        # counts only: the test part's questions are not printed
        print(f"{name}: {len(part)} questions, {unanswerable} unanswerable → {out / f'{name}.jsonl'}")
    return 0


def cmd_overlap(paths: list[Path]) -> int:
    jieba.setLogLevel(60)
    text = corpus_text()
    for path in paths:
        values = overlaps(read_jsonl(path), text)
        if values:
            print(
                f"{path}: median word overlap {statistics.median(values):.2f} "
                f"(mean {statistics.mean(values):.2f}, {len(values)} answerable questions with evidence)"
            )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("split")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--out", type=Path, default=OUT)
    p = sub.add_parser("overlap")
    p.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "split":
        return cmd_split(args.paths, args.out)
    return cmd_overlap(args.paths)


if __name__ == "__main__":
    sys.exit(main())
