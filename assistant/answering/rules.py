"""The quoted answer (rules, yes/no, definitions, single values): the best passage, and a second document's
when it answers about as well."""

from __future__ import annotations

from .draft import Draft
from .quotes import marker
from .sentences import Sentence

SECOND_SOURCE = 0.92  # a second document is quoted when its sentence scores at least this share of the best
SECOND_DEPTH = 6


def quoted_draft(best: Sentence, chosen: list[Sentence], sentences: list[Sentence], cite) -> Draft:
    """「…」[1] from the best document, and 另据《…》 from a second one that answers about as well."""
    citations = [cite(1, chosen)]
    second = next(
        (
            s
            for s in sentences[1:SECOND_DEPTH]
            if s.hit.chunk.doc_id != best.hit.chunk.doc_id
            and s.score >= SECOND_SOURCE * best.score
            and s.type_ok
            and s.text not in best.text
        ),
        None,
    )
    lines = [f"根据《{best.hit.chunk.title}》：「{citations[0].quote}」{marker(1)}"]
    if second:
        citations.append(cite(2, [second]))
        lines.append(f"另据《{second.hit.chunk.title}》：「{citations[1].quote}」{marker(2)}")
    return Draft(text="\n".join(lines), citations=citations)
