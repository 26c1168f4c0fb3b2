"""Command line: `python -m assistant ingest | sources | ask`."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from pathlib import Path

from .errors import AssistantError

# Terminal escape sequences (CSI "ESC [ … m", OSC "ESC ] … BEL", two-byte "ESC x") as a whole, then any
# other C0/C1 control character: nothing from a question or a document is ever echoed to a terminal.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _strip_controls(text: str) -> str:
    return _CONTROL.sub("", _ESCAPES.sub("", text))


def clean_arg(value: str) -> str:
    """A command-line argument as text: bytes that are not UTF-8 (a GBK terminal) decoded, controls removed."""
    raw = value.encode("utf-8", "surrogateescape")
    for encoding in ("utf-8", "gb18030"):
        try:
            value = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        value = raw.decode("utf-8", "replace")
    return _strip_controls(value)


def safe(text: object) -> str:
    """Text fit for a terminal: no control characters, nothing that cannot be encoded."""
    return _strip_controls(str(text)).encode("utf-8", "replace").decode("utf-8")


def _settings():
    from .settings import Settings

    return Settings()


def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .service import Assistant

    paths = [Path(p).resolve() for p in args.paths] if args.paths else None
    if paths:
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            print(f"找不到文件：{safe('、'.join(missing))}", file=sys.stderr)
            return 2
    assistant = Assistant(_settings())
    bar = tqdm(total=1, unit="字", unit_scale=True, desc="建立索引", file=sys.stderr, disable=args.quiet)

    def progress(done: int, total: int, doc_id: str) -> None:
        bar.total = total
        bar.n = done
        bar.set_postfix_str(doc_id[:24])
        bar.refresh()

    try:
        report = assistant.ingest(paths=paths, rebuild=args.rebuild, progress=progress)
    finally:
        bar.close()
    # one unwrapped line each, so a log can be searched for a file name
    for line in report.rejected + report.problems + ([report.rebuilt] if report.rebuilt else []):
        print(safe(line), file=sys.stderr)
    if report.orphans_removed:
        print(f"已清理 {report.orphans_removed} 个残留的向量集合（上次建索引被中断时留下）", file=sys.stderr)
    print(report.summary())
    if paths and len(report.rejected) >= len(paths):
        return 1  # every named file was refused: a script must notice
    return 0


SOURCE_FIELDS = (
    "id",
    "title",
    "issuer",
    "level",
    "region",
    "year",
    "doc_type",
    "source",
    "chunks",
    "indexed_at",
)


def cmd_sources(args: argparse.Namespace) -> int:
    from .generation import IndexReader

    class _NoEmbedder:  # listing needs no model; only the recorded metadata
        name = ""

    store = IndexReader(_settings(), _NoEmbedder())  # type: ignore[arg-type]
    meta = store.read_meta()  # IndexDamaged is an AssistantError: main() prints it
    if meta is None:
        print("还没有建立索引。请先运行：python -m assistant ingest", file=sys.stderr)
        return 1
    docs = [{k: d[k] for k in SOURCE_FIELDS} for d in meta["documents"]]
    if args.json:
        print(
            json.dumps(
                {"documents": docs, "generation": meta["generation"], "created": meta["created"]},
                ensure_ascii=False,
                indent=1,
            )
        )
        return 0
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from .records import LEVEL_NAMES

    table = Table(title=f"已索引文档 {len(docs)} 篇（{meta['created']}）")
    for col in ("编号", "标题", "发布单位", "级别", "地区", "年份", "分块"):
        table.add_column(col)
    for d in docs:
        cells = (
            d["id"],
            d["title"],
            d["issuer"],
            LEVEL_NAMES.get(d["level"], d["level"]),
            d["region"] or "",
            str(d["year"] or ""),
            str(d["chunks"]),
        )
        # titles come from documents: never read as rich markup ([/b]) or emoji codes (:x:)
        table.add_row(*(escape(safe(c)) for c in cells))
    Console(width=200, emoji=False).print(table)
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from .service import Assistant

    started = time.perf_counter()
    question = clean_arg(" ".join(args.question))
    history = [clean_arg(h) for h in args.history or []]
    if not question.strip():
        print("请输入您的问题，例如：三年级每天的书面作业不超过多长时间？", file=sys.stderr)
        return 2
    assistant = Assistant(_settings())
    built = assistant.ensure_index(repair=False)  # damage is reported with the command that repairs it
    if built is not None:
        print(f"（首次使用，已建立索引：{built.summary()}）", file=sys.stderr)
    answer = assistant.ask(question, history=history or None, mode=args.mode)
    if args.json:
        payload = answer.to_json()
        payload["cold_start_ms"] = round((time.perf_counter() - started) * 1000, 1)
        print(json.dumps(payload, ensure_ascii=False, indent=1))
        return 0
    out = _printer()
    out(answer.text)
    if answer.notice:
        out(f"（{answer.notice}）")
    if answer.rewritten:
        out(f"（按上文理解为：{answer.rewritten}）")
    if answer.citations:
        out("\n出处：")
        for c in answer.citations:
            out(f"[{c.number}] 《{c.title}》 {c.issuer} · {c.section or '正文'}  〔{c.chunk_id}〕")
            out(f"    「{c.quote}」")
    elif answer.abstained and answer.hits:
        out("\n最接近的段落：")
        for h in answer.hits[:3]:
            out(f"- 《{h.chunk.title}》 {h.chunk.section or '正文'}：{h.chunk.text[:80]}…")
    if args.explain:
        print("\n检索过程（关键词排名 / 匹配词 / 向量排名 / 相似度 / 融合分）：")
        for n, h in enumerate(answer.hits, start=1):
            bm = f"#{h.bm25_rank}" if h.bm25_rank else "—"
            dn = f"#{h.dense_rank} {h.dense_score:.3f}" if h.dense_rank else "—"
            terms = "、".join(h.matched_terms[:6]) or "—"
            boosts = f" [{'，'.join(h.boosts)}]" if h.boosts else ""
            print(
                f"{n:2d}. {h.chunk.id:38s} 关键词 {bm:>4s} ({terms}) 向量 {dn:>10s} 融合 {h.score:.4f}{boosts}"
            )
        print(
            f"证据分 {answer.evidence_score:.3f}（低于 {assistant.settings.answer.abstain_below} 时不作答）"
        )
    print(f"\n（用时 {answer.latency_ms:.0f} 毫秒）", file=sys.stderr)
    return 0


def _printer():
    def out(text: str = "") -> None:
        print(safe(text))

    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m assistant", description="“双减”政策问答助手")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="把 corpus/ 中的文档建立或更新为索引（增量）")
    p.add_argument("paths", nargs="*", help="只加入/更新这些文件（默认：整个 corpus/ 目录）")
    p.add_argument("--rebuild", action="store_true", help="忽略已有索引，全部重建")
    p.add_argument("--quiet", action="store_true", help="不显示进度条")
    p.set_defaults(func=cmd_ingest)
    p = sub.add_parser("sources", help="列出已索引的文档")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sources)
    p = sub.add_parser("ask", help="提一个问题")
    p.add_argument("question", nargs="+")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--explain", action="store_true", help="显示每个候选段落的检索得分")
    p.add_argument("--history", action="append", help="之前的提问（可重复，按时间顺序），用于追问")
    p.add_argument("--mode", choices=["bm25", "dense", "hybrid", "hybrid_qu"], default=None)
    p.set_defaults(func=cmd_ask)
    return parser


def main(argv: list[str] | None = None) -> int:
    level = os.environ.get("ASSISTANT_LOG_LEVEL", "WARNING")
    logging.basicConfig(level=level)
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)  # libraries that lower their own logger's level (bm25s) stay quiet too
    for noisy in ("bm25s", "chromadb", "httpx", "jieba", "pypdf"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except AssistantError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("已中断；原有索引保持不变。", file=sys.stderr)
        return 130
    except Exception as exc:  # a last resort: a message and the log, never a traceback on the terminal
        logging.getLogger(__name__).debug("unexpected error", exc_info=True)
        print(
            f"出现意外错误（{type(exc).__name__}）：{safe(exc)[:300]}\n"
            "原有索引保持不变。若问题持续，请运行：python -m assistant ingest --rebuild",
            file=sys.stderr,
        )
        return 1
