"""Safe changes to the corpus folder: uploaded files, manifest entries, removals — never outside the folder."""

from __future__ import annotations

import json
import os
import re
import tomllib
import unicodedata
import uuid
from pathlib import Path
from typing import BinaryIO

from ..corpus import infer_meta, load_manifest
from ..errors import ManifestError, SourceRejected
from ..loaders import read_source
from .limits import ApiError

UPLOAD_SUFFIXES = {".txt", ".html", ".htm", ".docx", ".pdf"}
FIELD_ORDER = (
    "id",
    "source",
    "anchor",
    "title",
    "issuer",
    "level",
    "region",
    "year",
    "type",
    "skip",
    "aliases",
)
_BLOCK = re.compile(r"^\[\[documents\]\][ \t]*(?:#.*)?$", re.M)
COPY_BLOCK = 1024 * 1024


def sanitise_name(filename: str | None) -> str:
    """A plain file name: no folders, no control or shell characters, a supported suffix, not hidden."""
    name = unicodedata.normalize("NFKC", filename or "")
    name = re.split(r"[\\/]", name)[-1].strip()
    stem, dot, suffix = name.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in UPLOAD_SUFFIXES:
        raise ApiError(400, "unsupported_type", "只能上传 txt、html、docx 或 pdf 文件。")
    stem = re.sub(r"[^0-9A-Za-z\u4e00-\u9fff_\-（）()]+", "_", stem).strip("._-")[:80]
    return f"{stem or 'upload'}{suffix}"


def inside(folder: Path, name: str) -> Path:
    """folder/name, refusing anything that resolves outside the folder (a link, '..', an absolute name)."""
    base = folder.resolve()
    target = (base / name).resolve()
    if target.parent != base:
        raise ApiError(400, "bad_path", "文件名不合法。")
    return target


def save_upload(
    corpus_dir: Path, filename: str | None, stream: BinaryIO, max_bytes: int, known_ids: set[str]
) -> tuple[Path, str]:
    """Copy an upload into the corpus folder once it is known to be readable; returns (path, document id)."""
    name = sanitise_name(filename)
    target = inside(corpus_dir, name)
    if target.exists():
        raise ApiError(409, "file_exists", f"已有同名文件 {name}：请先删除原文件，或改名后再上传。")
    temp = inside(corpus_dir, f".upload-{uuid.uuid4().hex}{target.suffix}")
    try:
        _copy_capped(stream, temp, max_bytes)
        try:
            text = read_source(temp, max_mb=max_bytes / 1024 / 1024)
        except SourceRejected as exc:
            raise ApiError(400, "unreadable", f"无法收录 {name}：{exc.reason}") from exc
        doc_id = infer_meta(target, text).id
        # Files whose names differ only in punctuation or suffix would get one id and one would be lost.
        on_disk = {infer_meta(p, p.name).id for p in corpus_dir.iterdir() if p.is_file() and p != temp}
        if doc_id in known_ids or doc_id in on_disk:
            raise ApiError(409, "id_exists", f"已有编号为 {doc_id} 的文档：请改个文件名再上传。")
        try:
            os.link(temp, target)  # fails instead of overwriting if the name appeared meanwhile
        except FileExistsError as exc:
            raise ApiError(409, "file_exists", f"已有同名文件 {name}。") from exc
    finally:
        temp.unlink(missing_ok=True)
    return target, doc_id


def _copy_capped(stream: BinaryIO, target: Path, max_bytes: int) -> None:
    written = 0
    with open(target, "xb") as out:
        while block := stream.read(COPY_BLOCK):
            written += len(block)
            if written > max_bytes:
                raise ApiError(413, "body_too_large", f"文件太大：不能超过 {max_bytes / 1024 / 1024:g} MB。")
            out.write(block)
    if written == 0:
        raise ApiError(400, "empty_file", "上传的文件是空的。")


# ---------------------------------------------------------------------------- manifest


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    # JSON string escapes (\" \\ \n \uXXXX) are all valid in TOML basic strings.
    return json.dumps(str(value), ensure_ascii=False)


def render_entry(entry: dict) -> str:
    keys = [k for k in FIELD_ORDER if k in entry] + sorted(k for k in entry if k not in FIELD_ORDER)
    lines = [f"{k} = {toml_value(entry[k])}" for k in keys if entry[k] is not None]
    return "\n" + "\n".join(lines) + "\n\n"


def _blocks(text: str) -> tuple[str, list[str]]:
    """(text before the first entry, the text after each `[[documents]]` line)."""
    parts = _BLOCK.split(text)
    return parts[0], parts[1:]


def _parse(block: str) -> dict:
    return tomllib.loads("[[documents]]" + block)["documents"][0]


def update_manifest(path: Path, edit) -> None:
    """Apply `edit(entries: list[dict]) -> list[dict]` entry by entry; untouched entries keep their text.

    The result is checked with the corpus loader's own rules before it replaces the file (atomically), so a
    bad edit is refused and never leaves a manifest that would stop the next ingest.
    """
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    head, blocks = _blocks(text)
    entries = [_parse(b) for b in blocks]
    changed = edit([dict(e) for e in entries])
    out = [head if head.endswith("\n") or not head else head + "\n"]
    originals = {json.dumps(e, sort_keys=True, default=str): b for e, b in zip(entries, blocks, strict=True)}
    for entry in changed:
        same = originals.get(json.dumps(entry, sort_keys=True, default=str))
        if same is None and out[-1] and not out[-1].endswith("\n\n"):
            out.append("\n")  # a blank line before a new entry, as in the hand-written ones
        out.append("[[documents]]" + (same if same is not None else render_entry(entry)))
    new_text = "".join(out)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    temp.write_text(new_text, encoding="utf-8")
    problems: list[str] = []
    try:
        load_manifest(temp, problems)
    except ManifestError as exc:
        problems.append(str(exc))
    if problems:  # the loader would skip or drop something: refuse the edit instead
        temp.unlink(missing_ok=True)
        raise ApiError(400, "bad_metadata", f"元数据有误：{'；'.join(problems)}")
    os.replace(temp, path)


def set_metadata(path: Path, doc_id: str, source: str, changes: dict) -> None:
    """Create or update the manifest entry of one document with the given fields."""

    def edit(entries: list[dict]) -> list[dict]:
        for entry in entries:
            if entry.get("id") == doc_id:
                entry.update(changes)
                return entries
        return [*entries, {"id": doc_id, "source": source, **changes}]

    update_manifest(path, edit)


def remove_document(corpus_dir: Path, manifest: Path, doc_id: str, source: str, shared: bool) -> str:
    """Delete the file (and its entries), or, when it holds other documents too, skip just this part."""
    if shared:

        def skip(entries: list[dict]) -> list[dict]:
            for entry in entries:
                if entry.get("id") == doc_id:
                    entry["skip"] = True
            return entries

        update_manifest(manifest, skip)
        return "这份文件还包含其他文档，已在清单中跳过这一部分"
    path = inside(corpus_dir, source)
    update_manifest(manifest, lambda entries: [e for e in entries if e.get("source") != source])
    path.unlink(missing_ok=True)
    return f"已删除文件 {source}"
