"""What to quote around the best sentence: the items after a lead-in, or the sentences that explain a
short sentence or an asked term (“堵”是什么意思)."""

from __future__ import annotations

from ..query import Query
from .cues import defines
from .passages import COLONS, Passages
from .quotes import MAX_QUOTE
from .sentences import Sentence

SHORT = 30  # a sentence shorter than this is explained by the one after it
SHORT_EXPLAINING = 60  # … for a list or definition question


def quoted_sentences(
    query: Query, best: Sentence, sentences: list[Sentence], passages: Passages
) -> list[Sentence]:
    """The sentences to quote, starting from the best one."""
    chosen = [best]
    short = SHORT_EXPLAINING if query.qtype in ("list", "definition") else SHORT
    if best.text.endswith(COLONS):
        return passages.with_items(best)  # "…要有分层：" is answered by the items below it
    if len(best.text) < short or (
        query.term and query.term in best.text and not defines(query.term, best.text)
    ):
        # A short sentence, or one that only names the asked term ("“主题研学”作业给我留下了深刻印象"),
        # is explained by the sentence after it.
        follow = passages.next_sentence(best, sentences) or next(iter(passages.items_after(best)[:1]), None)
        if follow:
            chosen.append(follow)
        if query.term and follow and not defines(query.term, follow.text):
            # Still not explained: one more sentence, if it fits in the quote.
            more = passages.items_after(follow)[:1]
            if more and sum(len(s.text) for s in chosen + more) <= MAX_QUOTE:
                chosen.extend(more)
    return chosen
