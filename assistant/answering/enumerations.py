"""List answers: "哪几个方面 / 四个结合" lists every item of the numbered run, each quoted and cited."""

from __future__ import annotations

from ..lexicon import lexicon
from ..quantities import cn_to_int
from ..query import Query
from ..records import Citation, Hit
from .draft import Draft
from .passages import COLONS, Passages
from .quotes import CLAUSE, marker
from .sentences import Sentence

LEX = lexicon()
MARKERS = [rule.pattern for rule in LEX.enumeration_markers]
CIRCLED = LEX.words("circled_numbers")
# The question asks for several items (哪些, 哪几个, 分别, 四个结合, 五项管理), not one item's content.
MANY = LEX.pattern("many_items")
LIST_ITEM = 48  # characters of an enumerated item quoted in a list answer
NOTE_ROOM = 40  # room kept for the "only the first N" note


def item_marker(text: str) -> tuple[int, int] | None:
    """(marker family, item number) of a sentence that opens with an enumeration marker."""
    for family, pattern in enumerate(MARKERS):
        m = pattern.match(text)
        if m:
            token = m.group(1)
            if token in CIRCLED:
                return family, CIRCLED.index(token) + 1
            number = cn_to_int(token)
            if number is not None:
                return family, number
    return None


def enumeration(sentence: Sentence, passages: Passages) -> list[Sentence]:
    """The numbered run a sentence belongs to (一是…二是…, (1)…(2)…, 1、…2、…), in document order,
    even when the items fall into different chunks; [] when the sentence is not an item."""
    mark = item_marker(sentence.text)
    if mark is None:
        return []
    family = mark[0]
    anchor = sentence.hit.chunk.start + sentence.start
    seen: set[int] = set()
    items: list[tuple[int, int, Sentence]] = []
    for chunk in passages.chunks_of(sentence.hit.chunk.doc_id):
        _, units = passages.reader.units(chunk)
        for start, end, text, _tokens in units:
            position = chunk.start + start
            found = item_marker(text)
            if position in seen or found is None or found[0] != family:
                continue
            seen.add(position)
            items.append((position, found[1], Sentence(Hit(chunk), sentence.rank, start, end, text)))
    items.sort(key=lambda item: item[0])
    at = next((i for i, item in enumerate(items) if item[0] == anchor), None)
    if at is None:
        return []
    lo = hi = at
    while lo > 0 and items[lo - 1][1] == items[lo][1] - 1:
        lo -= 1
    while hi + 1 < len(items) and items[hi + 1][1] == items[hi][1] + 1:
        hi += 1
    return [item[2] for item in items[lo : hi + 1]]


def list_draft(query: Query, chosen: list[Sentence], passages: Passages, max_chars: int) -> Draft | None:
    """Every item of the enumeration the quoted sentences belong to, when the question asks for several."""
    if not MANY.search(query.text):
        return None
    anchor = next((s for s in reversed(chosen) if item_marker(s.text)), None)
    # An item that itself holds the asked term is the answer, not its siblings ("十条" … “踢皮球”).
    one_item = anchor is not None and query.term and query.term in anchor.text
    items = enumeration(anchor, passages) if anchor and not one_item else []
    if len(items) < 2:
        return None
    lead = [s for s in chosen if s.text.endswith(COLONS) and not item_marker(s.text)]
    return _items_draft(lead[:1] + items, max_chars)


def _items_draft(parts: list[Sentence], max_chars: int) -> Draft:
    """Each item quoted and cited on its own line (items may sit in different chunks)."""
    citations = []
    lines = [f"根据《{parts[0].hit.chunk.title}》："]
    budget = max_chars - NOTE_ROOM
    for n, part in enumerate(parts):
        quote = part.text
        if len(quote) > LIST_ITEM:
            # The item's opening clauses name it; the rest is explanation. Cut the text, never re-join it.
            ends = [m.end() for m in CLAUSE.finditer(quote) if m.end() > m.start()]
            cut = next((e for e in ends if e >= LIST_ITEM // 2), ends[0] if ends else LIST_ITEM)
            quote = quote[: min(cut, LIST_ITEM)]
        line = f"「{quote.strip()}」{marker(len(citations) + 1)}"
        if sum(len(x) + 1 for x in lines) + len(line) > budget:
            lines.append(f"（共 {len(parts)} 项，这里列出前 {n} 项，其余见原文。）")
            break
        citations.append(Citation.from_chunk(len(citations) + 1, part.hit.chunk, quote.strip()))
        lines.append(line)
    return Draft(text="\n".join(lines), citations=citations)
