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


# Levels whose documents set one school's own arrangements, not a rule for everyone; and those above them.
ONE_SCHOOL = {"school", "kindergarten"}
WIDER = {"national", "province", "city", "county"}


# A school's sentence restates a wider rule when this share of its character pairs is in one sentence of a
# district's, city's, province's or the nation's documents (学校重申：校外培训机构不得占用…寒暑假…).
RESTATED_SHARE = 0.7


class WiderRules:
    """The sentences of documents above one school, to tell a school's own arrangement (夏季晚六点放学) from a
    wider rule it restates."""

    def __init__(self, sentences: list[str]):
        self._posting: dict[str, list[int]] = {}
        for n, sentence in enumerate(sentences):
            for pair in _pairs(sentence):
                self._posting.setdefault(pair, []).append(n)

    def restates(self, quote: str) -> bool:
        pairs = _pairs(quote)
        if len(pairs) < 4:
            return False
        counts: dict[int, int] = {}
        for pair in pairs:
            for n in self._posting.get(pair, ()):
                counts[n] = counts.get(n, 0) + 1
        return max(counts.values(), default=0) >= RESTATED_SHARE * len(pairs)


def _pairs(text: str) -> set[str]:
    chars = [c for c in text if c.isalnum()]
    return {a + b for a, b in zip(chars, chars[1:], strict=False)}


def one_school_note(citations: list[Citation], named: set[str], wider: WiderRules | None = None) -> str:
    """A note that the answer is one school's own practice, when every quote is from a school's document the
    question did not name: a parent asking 托管几点结束 must not take 某中学's 夏季晚六点 for the rule. A quote
    restating a wider rule (found in a district's or the nation's document) is not one school's practice; the note
    goes only when every quote does."""
    if not citations or any(c.level not in ONE_SCHOOL or c.doc_id in named for c in citations):
        return ""
    if wider is not None and all(wider.restates(c.quote) for c in citations):
        return ""
    schools = list(dict.fromkeys(c.issuer for c in citations if c.issuer))
    who = "、".join(schools[:2]) if schools else "一所学校"
    # "出自…的文件", not "…自己的做法": a school often restates a national rule (“双减”政策明确规定：…).
    return f"（注：以上出自{who}的文件，各校具体做法可能不同，请以孩子学校的通知为准。）"
