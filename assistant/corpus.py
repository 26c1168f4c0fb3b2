"""The corpus folder: source files + manifest → cleaned Documents, splitting compilations by anchor text."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .cleaning import clean_text
from .errors import ManifestError, SourceRejected
from .loaders import SUPPORTED, read_source
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


def load_manifest(path: Path) -> list[ManifestEntry]:
    """Parse manifest.toml; a missing file means 'no entries'."""
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"清单文件 {path.name} 格式有误：{exc}") from exc
    entries = []
    seen: set[str] = set()
    for raw in data.get("documents", []):
        try:
            entry = ManifestEntry(**raw)
        except TypeError as exc:
            raise ManifestError(
                f"清单文件 {path.name} 中的条目 {raw.get('id', '?')} 有未知字段：{exc}"
            ) from exc
        if entry.id in seen:
            raise ManifestError(f"清单文件 {path.name} 中的编号 {entry.id} 重复")
        if entry.level and entry.level not in LEVELS:
            raise ManifestError(f"{entry.id}：level 必须是 {sorted(LEVELS)} 之一")
        if entry.type and entry.type not in DOC_TYPES:
            raise ManifestError(f"{entry.id}：type 必须是 {sorted(DOC_TYPES)} 之一")
        seen.add(entry.id)
        entries.append(entry)
    return entries


def load_corpus(
    corpus_dir: Path,
    manifest_name: str = "manifest.toml",
    max_file_mb: float = 20.0,
    paths: list[Path] | None = None,
) -> CorpusLoad:
    """Read every supported file in `corpus_dir` (or just `paths`) into Documents."""
    entries = load_manifest(corpus_dir / manifest_name)
    by_source: dict[str, list[ManifestEntry]] = {}
    for entry in entries:
        by_source.setdefault(entry.source, []).append(entry)
    files = (
        paths
        if paths is not None
        else sorted(
            p
            for p in corpus_dir.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.name != manifest_name
        )
    )
    documents: list[Document] = []
    rejected: list[SourceRejected] = []
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
        documents.extend(_documents_of(path, text, by_source.get(path.name, [])))
    return CorpusLoad(documents, rejected)


def supported_files(corpus_dir: Path) -> list[Path]:
    return sorted(p for p in corpus_dir.iterdir() if p.suffix.lower() in SUPPORTED)


def _documents_of(path: Path, text: str, entries: list[ManifestEntry]) -> list[Document]:
    if not entries:
        return [_make(infer_meta(path, text), text)]
    anchored = [e for e in entries if e.anchor]
    if not anchored:
        entry = entries[0]
        return [] if entry.skip else [_make(_meta_from(entry, path, text), text)]
    parts = split_by_anchors(text, [e.anchor for e in anchored], path.name)
    docs = []
    for entry, part in zip(anchored, parts, strict=True):
        if not entry.skip:
            docs.append(_make(_meta_from(entry, path, part), part))
    return docs


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


_ISSUER = re.compile(
    r"([\u4e00-\u9fffA-Za-z]{2,12}?(?:初级中学|中心小学|中心幼儿园|第[一二三四五六七八九十\d]+(?:中学|小学)|"
    r"中学|小学|幼儿园|教育体育局|教育局|教体局))"
)
_PLACE = re.compile(r"(?:^|[于关印发《“])([\u4e00-\u9fff]{2,4}(?:省|自治区|市|区|县))(?=[\u4e00-\u9fff])")


def infer_meta(path: Path, text: str) -> DocumentMeta:
    """Metadata for a file the manifest does not describe: title from its first line, the rest guessed."""
    first = text.strip().split("\n", 1)[0].strip()
    title = first if len(first) <= 60 else first[:60] + "…"
    head = text[:600]
    issuer_match = _ISSUER.search(head)
    issuer = issuer_match.group(1) if issuer_match else "未注明"
    if issuer.endswith(("幼儿园",)):
        level = "kindergarten"
    elif issuer.endswith(("中学", "小学")):
        level = "school"
    elif issuer.endswith(("局",)):
        level = "county" if re.search(r"[区县]", issuer) else "city"
    else:
        level = "unknown"
    year_match = re.search(r"(20\d\d)\s*[年—-]", head)
    place = _PLACE.search(title)  # the title names the place reliably; body text gives false matches
    doc_type = "other"
    for words, kind in (
        (("方案", "计划"), "plan"),
        (("总结",), "summary"),
        (("汇报", "报告"), "report"),
        (("通知",), "notice"),
    ):
        if any(w in title for w in words):
            doc_type = kind
            break
    slug = re.sub(r"[^0-9A-Za-z\u4e00-\u9fff]+", "-", path.stem).strip("-").lower() or "doc"
    return DocumentMeta(
        id=slug,
        title=title,
        issuer=issuer,
        level=level,
        region=re.sub(r"^(?:关于|印发|转发|于|发)+", "", place.group(1)) if place else "",
        year=int(year_match.group(1)) if year_match else None,
        doc_type=doc_type,
        source=path.name,
    )


def _make(meta: DocumentMeta, text: str) -> Document:
    payload = json.dumps(asdict(meta), ensure_ascii=False, sort_keys=True) + "\n" + text
    return Document(meta=meta, text=text, sha256=hashlib.sha256(payload.encode("utf-8")).hexdigest())
