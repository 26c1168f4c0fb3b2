"""Quotes: one window algorithm (a verbatim run of clauses around a key clause), the citation marker, the
length limit — shared by the extractive and the LLM answerers."""

from __future__ import annotations

from ..records import Chunk, Citation
from .cues import CLAUSE

MAX_QUOTE = 110  # characters of one quote


def marker(number: int) -> str:
    """The citation marker after a quoted sentence: [1]."""
    return f"[{number}]"


def clause_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause of `text` (a colon between digits is a clock, not a break)."""
    return [(m.start(), m.end()) for m in CLAUSE.finditer(text) if m.end() > m.start()]


def window(text: str, key_of, limit: int = MAX_QUOTE) -> tuple[int, str]:
    """(offset, quote): the clause `key_of(clauses)` picks, grown one clause at a time on both sides while
    the verbatim run stays within `limit`; `text[:limit]` when there are no clauses."""
    spans = clause_spans(text)
    if not spans:
        return 0, text[:limit]
    lo = hi = key_of([text[s:e] for s, e in spans])
    while True:
        grown = False
        if lo > 0 and spans[hi][1] - spans[lo - 1][0] <= limit:
            lo -= 1
            grown = True
        if hi < len(spans) - 1 and spans[hi + 1][1] - spans[lo][0] <= limit:
            hi += 1
            grown = True
        if not grown:
            break
    s, e = spans[lo][0], spans[hi][1]
    return s, text[s:e].strip()


def cite(number: int, chunk: Chunk, start: int, end: int, key_of) -> Citation:
    """Cite chunk.text[start:end] as source `number`; a longer passage is cut to the window around the
    clause `key_of` picks."""
    quote = chunk.text[start:end].strip()
    if len(quote) > MAX_QUOTE:
        _, quote = window(chunk.text[start:end], key_of)
    return Citation.from_chunk(number, chunk, quote)


def fit(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
