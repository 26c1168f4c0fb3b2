"""Split cleaned documents at section headings and sentence ends into citable chunks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .headings import HEADINGS
from .quantities import parse_grades
from .records import Chunk, Document
from .segment import Segmenter
from .settings import ChunkSettings

SOFT_HEADING_LEVEL = 7
_SENTENCE = re.compile(r"[^。！？；!?;]*(?:[。！？；!?;]+[”’」』)）]*|$)")
_TITLE_END = re.compile(r"[。！？；:：]")
MAX_TITLE = 36
SECTION_SEP = " > "


@dataclass
class _Span:
    start: int
    end: int
    section: str
    line: int = 0


def heading_level(line: str) -> int | None:
    """The nesting level of a heading line, or None for body text."""
    if "_" in line[:6]:
        return None  # placeholders such as "20_年" and "_中央办公厅" are never headings
    for level, pattern in HEADINGS:
        if pattern.match(line):
            if level == 4 and len(line) > 40:
                return None  # "一是…" opening a long paragraph is a list item, not a heading
            return level
    stripped = line.rstrip()
    if (
        4 <= len(stripped) <= 24
        and not re.search(r"[。！？；，,：:_]|年级", stripped)
        and not stripped[0].isdigit()
        and not stripped[-1].isdigit()
    ):
        return SOFT_HEADING_LEVEL
    return None


def heading_title(line: str) -> str:
    match = _TITLE_END.search(line)
    title = line[: match.start()] if match and match.start() >= 2 else line
    title = title.strip()
    return title if len(title) <= MAX_TITLE else title[:MAX_TITLE] + "…"


def sentence_spans(line: str, offset: int, max_chars: int) -> list[tuple[int, int]]:
    """Sentence boundaries inside one line; an over-long sentence is cut at commas so it fits the model."""
    spans = []
    for match in _SENTENCE.finditer(line):
        if match.start() == match.end():
            continue
        s, e = match.start(), match.end()
        while e - s > max_chars * 1.6:
            cut = max((line.rfind(c, s, s + max_chars) for c in "，,、"), default=-1)
            if cut <= s:
                cut = s + max_chars
            spans.append((offset + s, offset + cut + 1))
            s = cut + 1
        if s < e:
            spans.append((offset + s, offset + e))
    return spans


def _sections(doc: Document, max_chars: int) -> list[_Span]:
    stack: list[tuple[int, str]] = []
    spans: list[_Span] = []
    pos = 0
    for number, line in enumerate(doc.text.split("\n")):
        start = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        level = heading_level(line)
        if level is not None:
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading_title(line)))
        section = SECTION_SEP.join(title for _, title in stack)
        for s, e in sentence_spans(line, start, max_chars):
            spans.append(_Span(s, e, section, number))
    return spans


def same_list(section: str, following: str) -> bool:
    """`following` is a sibling item of `section` (二 > 1. then 二 > 2.) or its first item (二 then 二 > 1.)."""
    a, b = section.split(SECTION_SEP), following.split(SECTION_SEP)
    return len(b) >= 2 and (b[:-1] == a[:-1] and len(a) == len(b) or b[:-1] == a)


def shared_section(spans: list[_Span]) -> str:
    """The section path all spans of a chunk are under (the list's heading for several of its items)."""
    parts = [s.section.split(SECTION_SEP) for s in spans]
    common = []
    for level in zip(*parts, strict=False):
        if len(set(level)) > 1:
            break
        common.append(level[0])
    return SECTION_SEP.join(common) or spans[-1].section


def doc_grades(doc: Document) -> set[int]:
    """Grades implied by who issued a document (初级中学 → 7–9), used when a chunk names none."""
    return parse_grades(doc.meta.issuer + doc.meta.title)


def chunk_document(doc: Document, settings: ChunkSettings, segmenter: Segmenter) -> list[Chunk]:
    """Chunks never cross a section or cut a sentence; short pieces join the next chunk."""
    spans = _sections(doc, settings.max_chars)
    groups: list[tuple[str, list[_Span]]] = []
    current: list[_Span] = []
    size = 0
    for span in spans:
        length = span.end - span.start
        new_section = bool(current) and span.section != current[-1].section
        too_big = bool(current) and size + length > settings.max_chars
        if new_section and not too_big and same_list(current[-1].section, span.section):
            # One-line items of one list (1.…。 2.…。) share a chunk while they fit: alone, a 40-character item
            # is too short to be found. Items with a body under their heading (1、校级管理 + lines) stay apart.
            item_lines = {s.line for s in current if s.section == current[-1].section}
            new_section = len(item_lines) > 1
        if new_section or too_big:
            if new_section and size < settings.min_chars:
                pass  # a bare heading or a one-liner: carry it into the next chunk
            else:
                lead_in = None
                if len(current) > 1 and doc.text[current[-1].start : current[-1].end].rstrip().endswith(
                    ("：", ":")
                ):
                    # "…教师布置作业要有分层：" belongs with the items after it, not at the end of this chunk.
                    lead_in = current.pop()
                    size -= lead_in.end - lead_in.start
                groups.append((shared_section(current), current))
                keep = current[-settings.overlap_sentences :] if (too_big and not new_section) else []
                keep = (
                    keep
                    if settings.overlap_sentences and sum(s.end - s.start for s in keep) < size // 2
                    else []
                )
                current, size = list(keep), sum(s.end - s.start for s in keep)
                if lead_in is not None:
                    current, size = [lead_in], lead_in.end - lead_in.start
        current.append(span)
        size += length
    if current:
        if groups and size < settings.min_chars and groups[-1][0] == shared_section(current):
            section, last = groups.pop()
            current = last + [s for s in current if s.start >= last[-1].end]
        groups.append((shared_section(current), current))

    fallback = doc_grades(doc)
    chunks = []
    for n, (section, members) in enumerate(groups):
        start, end = members[0].start, members[-1].end
        text = doc.text[start:end]
        grades = parse_grades(text) or fallback
        chunks.append(
            Chunk(
                id=f"{doc.id}#{n:03d}",
                doc_id=doc.id,
                title=doc.meta.title,
                issuer=doc.meta.issuer,
                level=doc.meta.level,
                section=section,
                start=start,
                end=end,
                text=text,
                tokens=segmenter.tokens(index_text_of(doc.meta.title, doc.meta.issuer, section, text)),
                grades=sorted(grades),
                region=doc.meta.region,
            )
        )
    return chunks


def index_text_of(title: str, issuer: str, section: str, text: str) -> str:
    """What gets embedded and keyword-indexed: the chunk with its document and section names."""
    head = " ".join(x for x in (title, issuer if issuer not in title else "", section) if x)
    return f"{head}\n{text}"


def chunk_index_text(chunk: Chunk) -> str:
    return index_text_of(chunk.title, chunk.issuer, chunk.section, chunk.text)
