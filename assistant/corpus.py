"""The corpus folder: source files + manifest → cleaned Documents, splitting compilations by anchor text."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import re
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .cleaning import clean_text
from .errors import CorpusMissing, ManifestError, SourceRejected
from .loaders import read_source
from .metadata import infer_meta
from .records import Document, DocumentMeta

log = logging.getLogger(__name__)

LEVELS = {"national", "province", "city", "county", "school", "kindergarten", "unknown"}
DOC_TYPES = {"plan", "report", "summary", "notice", "other"}


@dataclass
class ManifestEntry:
    id: str
    source: str
    title: str | None = None
    issuer: str | None = None
    level: str | None = None
    region: str = ""
    year: int | None = None
    type: str | None = None
    anchor: str | None = None
    skip: bool = False
    aliases: list[str] = field(default_factory=list)


@dataclass
class CorpusLoad:
    """Documents read from the corpus plus the files that were rejected (one reason each)."""

    documents: list[Document]
    rejected: list[SourceRejected]
    problems: list[str] = field(default_factory=list)  # manifest entries skipped, ids changed


_FIELDS = {f for f in ManifestEntry.__dataclass_fields__}


def load_manifest(path: Path, problems: list[str] | None = None) -> list[ManifestEntry]:
    """Parse manifest.toml; a missing file means 'no entries'. A bad entry is skipped with a line in `problems`.

    Broken TOML raises ManifestError: without the manifest the compilation files would be indexed under
    other ids, so the ingest stops and the current index stays as it is.
    """
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(
            f"清单文件 {path.name} 格式有误：{exc}。索引保持不变，请修正后再运行 ingest"
        ) from exc
    raw_entries = data.get("documents", [])
    if not isinstance(raw_entries, list):
        raise ManifestError(f"清单文件 {path.name}：documents 必须写成 [[documents]] 条目")
    problems = problems if problems is not None else []
    entries = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_entries, start=1):
        label = f"清单文件 {path.name} 第 {number} 个条目"
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            label += f"（{raw['id']}）"
        reason = _entry_problem(raw, seen)
        if reason:
            problems.append(f"{label}已跳过：{reason}")
            continue
        assert isinstance(raw, dict)
        for name, why in _field_problems(raw):
            # a bad optional value is dropped, not the entry: the document keeps its id and title
            problems.append(f"{label}的 {name} 未使用：{why}")
            raw = {k: v for k, v in raw.items() if k != name}
        entry = ManifestEntry(**raw)
        seen.add(entry.id)
        entries.append(entry)
    return entries


def _entry_problem(raw: object, seen: set[str]) -> str | None:
    """Why a manifest entry cannot be used at all, or None when it can."""
    if not isinstance(raw, dict):
        return "条目格式不对，应写成 [[documents]] 下的 键 = 值"
    for name in ("id", "source"):
        if name not in raw:
            return f"缺少 {name}"
        if not isinstance(raw[name], str) or not raw[name].strip():
            return f"{name} 必须是非空的文字"
    if not re.fullmatch(r"[0-9A-Za-z\u4e00-\u9fff._-]{1,80}", raw["id"]):
        return "id 只能由字母、数字、汉字和 . _ - 组成，最长 80 个字符"
    if raw["id"] in seen:
        return f"编号 {raw['id']} 与前面的条目重复"
    if "anchor" in raw and (not isinstance(raw["anchor"], str) or not raw["anchor"].strip()):
        return "anchor 必须是非空的文字"
    if "skip" in raw and not isinstance(raw["skip"], bool):
        return "skip 必须是 true 或 false"
    return None


def _field_problems(raw: dict) -> list[tuple[str, str]]:
    """(field, reason) for each optional value that cannot be used."""
    found = [
        (name, f"未知字段（可用字段：{'、'.join(sorted(_FIELDS))}）") for name in sorted(set(raw) - _FIELDS)
    ]
    for name in ("title", "issuer", "region"):
        if name in raw and not isinstance(raw[name], str):
            found.append((name, f"{name} 必须是文字"))
    if "level" in raw and raw["level"] not in LEVELS:
        found.append(("level", f"level 必须是 {'、'.join(sorted(LEVELS))} 之一"))
    if "type" in raw and raw["type"] not in DOC_TYPES:
        found.append(("type", f"type 必须是 {'、'.join(sorted(DOC_TYPES))} 之一"))
    year = raw.get("year")
    if "year" in raw and (isinstance(year, bool) or not isinstance(year, int) or not 1949 <= year <= 2100):
        found.append(("year", "year 必须是四位数字的年份，例如 year = 2021"))
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        found.append(("aliases", '别名 aliases 必须是文字列表，例如 aliases = ["芙蓉中学"]'))
    elif any(len(a.strip()) < 2 for a in aliases):
        found.append(("aliases", "每个别名至少要两个字"))
    return found


def load_corpus(
    corpus_dir: Path,
    manifest_name: str = "manifest.toml",
    max_file_mb: float = 20.0,
    paths: list[Path] | None = None,
) -> CorpusLoad:
    """Read every supported file in `corpus_dir` (or just `paths`) into Documents."""
    if not corpus_dir.is_dir():
        raise CorpusMissing(str(corpus_dir))
    problems: list[str] = []
    entries = load_manifest(corpus_dir / manifest_name, problems)
    by_source: dict[str, list[ManifestEntry]] = {}
    for entry in entries:
        by_source.setdefault(entry.source, []).append(entry)
    rejected: list[SourceRejected] = []
    if paths is None:
        files, skipped = corpus_files(corpus_dir, manifest_name)
        rejected.extend(skipped)
        present = {p.name for p in files} | {r.path for r in skipped}
        for source in sorted(set(by_source) - present):
            problems.append(f"清单文件中的 {source} 在语料文件夹里不存在，条目未使用")
    else:
        files = paths
    documents: list[Document] = []
    for path in files:
        try:
            raw = read_source(path, max_mb=max_file_mb)
        except SourceRejected as exc:
            rejected.append(exc)
            continue
        text = clean_text(raw)
        if len(text) < 10:
            rejected.append(SourceRejected(path.name, "清理后几乎没有正文"))
            continue
        documents.extend(_documents_of(path, text, by_source.get(path.name, []), problems))
    _unique_ids(documents, {(e.id, e.source) for e in entries}, problems)
    return CorpusLoad(documents, rejected, problems)


def corpus_files(corpus_dir: Path, manifest_name: str) -> tuple[list[Path], list[SourceRejected]]:
    """Regular files directly in the corpus folder, and one line for each entry that cannot be used.

    A link may point only inside the corpus folder: otherwise anyone who can drop a link there could
    publish /etc/passwd in the document viewer.
    """
    root = corpus_dir.resolve()
    files: list[Path] = []
    skipped: list[SourceRejected] = []
    for entry in sorted(corpus_dir.iterdir()):
        name = entry.name
        if name.startswith(".") or name == manifest_name:
            continue
        try:
            target = entry.resolve(strict=True)
        except RuntimeError:  # Python 3.11 reports a symlink loop this way
            skipped.append(SourceRejected(name, "链接形成了循环，无法读取"))
            continue
        except OSError as exc:
            why = "链接形成了循环，无法读取" if exc.errno == errno.ELOOP else "链接指向的文件不存在"
            skipped.append(SourceRejected(name, why))
            continue
        if entry.is_symlink() and not target.is_relative_to(root):
            skipped.append(SourceRejected(name, "链接指向语料文件夹之外，出于安全考虑不读取"))
            continue
        if target.is_dir():
            skipped.append(SourceRejected(name, "是文件夹；只读取语料文件夹里直接放着的文件"))
            continue
        if not target.is_file():
            skipped.append(SourceRejected(name, "不是普通文件"))
            continue
        files.append(entry)
    return files, skipped


def _unique_ids(documents: list[Document], fixed: set[tuple[str, str]], problems: list[str]) -> None:
    """Two files must never share an id (notice.txt + notice.docx): the later one would silently replace the first.

    Ids the manifest gives (`fixed`, as (id, source)) stay; inferred ones get the file type as a suffix.
    """
    counts: dict[str, int] = {}
    for doc in documents:
        counts[doc.meta.id] = counts.get(doc.meta.id, 0) + 1
    taken = set(counts)
    for n, doc in enumerate(documents):
        meta = doc.meta
        if counts[meta.id] < 2 or (meta.id, meta.source) in fixed:
            continue
        suffix = Path(meta.source).suffix.lstrip(".").lower() or "file"
        new_id, k = f"{meta.id}-{suffix}", 2
        while new_id in taken:
            new_id, k = f"{meta.id}-{suffix}{k}", k + 1
        taken.add(new_id)
        counts[meta.id] -= 1
        problems.append(f"{meta.source} 与另一个文件的编号都是 {meta.id}，这篇改用编号 {new_id}")
        documents[n] = with_id(doc, new_id)


def with_id(doc: Document, new_id: str) -> Document:
    """The same document under another id (its hash changes with it, so the index re-stores it)."""
    return _make(replace(doc.meta, id=new_id), doc.text)


def _documents_of(
    path: Path, text: str, entries: list[ManifestEntry], problems: list[str] | None = None
) -> list[Document]:
    if not entries:
        return [_make(infer_meta(path, text), text)]
    anchored = [e for e in entries if e.anchor]
    if not anchored:
        entry = entries[0]
        return [] if entry.skip else [_make(_meta_from(entry, path, text), text)]
    anchored = _findable(text, anchored, path.name, problems if problems is not None else [])
    if not anchored:
        return [_make(infer_meta(path, text), text)]
    parts = split_by_anchors(text, [e.anchor for e in anchored], path.name)
    docs = []
    for entry, part in zip(anchored, parts, strict=True):
        if not entry.skip:
            docs.append(_make(_meta_from(entry, path, part), part))
    return docs


def _findable(
    text: str, entries: list[ManifestEntry], source: str, problems: list[str]
) -> list[ManifestEntry]:
    """Entries whose anchor is found in order; a missing anchor leaves its text in the part before it."""
    kept = []
    pos = 0
    for entry in entries:
        found = _find_line_start(text, entry.anchor or "", pos)
        if found < 0:
            problems.append(
                f"{source}：在正文中找不到分段标记「{entry.anchor}」，条目 {entry.id} 未使用，这段文字归入前一部分"
            )
            continue
        kept.append(entry)
        pos = found + len(entry.anchor or "")
    return kept


def split_by_anchors(text: str, anchors: list[str | None], source: str) -> list[str]:
    """Cut `text` where each anchor first appears (in order, preferring a line start)."""
    starts = []
    pos = 0
    for anchor in anchors:
        assert anchor
        found = _find_line_start(text, anchor, pos)
        if found < 0:
            raise ManifestError(f"{source}：在正文中找不到分段标记「{anchor}」，请检查清单")
        starts.append(found)
        pos = found + len(anchor)
    ends = starts[1:] + [len(text)]
    return [text[s:e].strip() for s, e in zip(starts, ends, strict=True)]


def _find_line_start(text: str, anchor: str, pos: int) -> int:
    for match in re.finditer(re.escape(anchor), text[pos:]):
        at = pos + match.start()
        if at == 0 or text[at - 1] == "\n":
            return at
    return text.find(anchor, pos)


def _meta_from(entry: ManifestEntry, path: Path, text: str) -> DocumentMeta:
    inferred = infer_meta(path, text)
    return DocumentMeta(
        id=entry.id,
        title=entry.title or inferred.title,
        issuer=entry.issuer or inferred.issuer,
        level=entry.level or inferred.level,
        region=entry.region or inferred.region,
        year=entry.year if entry.year is not None else inferred.year,
        doc_type=entry.type or inferred.doc_type,
        source=path.name,
        aliases=tuple(entry.aliases),
    )


def _make(meta: DocumentMeta, text: str) -> Document:
    payload = json.dumps(asdict(meta), ensure_ascii=False, sort_keys=True) + "\n" + text
    return Document(meta=meta, text=text, sha256=hashlib.sha256(payload.encode("utf-8")).hexdigest())
