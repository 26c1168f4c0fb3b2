"""Duration answers: grade-matched durations grouped by value; more than one value across documents is a
conflict, listed value by value with its sources."""

from __future__ import annotations

from ..quantities import duration_label, grades_label
from ..query import Query
from ..records import Citation
from .draft import Draft
from .quotes import marker
from .sentences import Sentence

Value = tuple[float, str]  # (minutes, bound)
MAX_PER_VALUE = 3  # sources quoted for a value all documents agree on


def on_topic_values(sentences: list[Sentence]) -> dict[Value, list[Sentence]]:
    """Relevant, grade-fitting sentences grouped by their first duration value (one sentence per document)."""
    floor = max(0.25, sentences[0].relevance * 0.6)
    by_value: dict[Value, list[Sentence]] = {}
    for s in sentences:
        if s.values and s.relevance >= floor and s.grade_fit > 0:
            group = by_value.setdefault(s.values[0], [])
            if all(g.hit.chunk.doc_id != s.hit.chunk.doc_id for g in group):
                group.append(s)
    # "1小时" said without a bound is the same rule as "不超过1小时" said elsewhere.
    for minutes, bound in [k for k in by_value if not k[1]]:
        bounded = [k for k in by_value if k[0] == minutes and k[1]]
        if len(bounded) == 1:
            group = by_value[bounded[0]]
            for s in by_value.pop((minutes, bound)):
                if all(g.hit.chunk.doc_id != s.hit.chunk.doc_id for g in group):
                    group.append(s)
    return by_value


def duration_draft(query: Query, sentences: list[Sentence], cite, max_citations: int) -> Draft | None:
    """The asked grades' duration(s), or None when no on-topic sentence states one."""
    by_value = on_topic_values(sentences)
    if not by_value:
        return None
    groups = sorted(by_value.items(), key=lambda kv: (-len(kv[1]), -max(s.score for s in kv[1])))
    grade = grades_label(query.grades)
    citations: list[Citation] = []
    if len(groups) == 1:
        value, group = groups[0]
        lines = [f"{grade}：资料中的规定是{duration_label(*value)}。"]
        for s in group[:MAX_PER_VALUE]:
            c = cite(len(citations) + 1, [s])
            citations.append(c)
            lines.append(f"《{s.hit.chunk.title}》：「{c.quote}」{marker(c.number)}")
        return Draft(text="\n".join(lines), citations=citations)
    docs_per_value = {v: {s.hit.chunk.doc_id for s in g} for v, g in groups}
    lines = [f"{grade}：各文件对这一时长的规定不一致："]
    conflicts = []
    for value, group in groups:
        for s in group[: max(1, max_citations // len(groups))]:
            if len(citations) >= max_citations:
                break
            c = cite(len(citations) + 1, [s])
            citations.append(c)
            lines.append(
                f"· {duration_label(*value)}：《{s.hit.chunk.title}》「{c.quote}」{marker(c.number)}"
            )
        conflicts.append(f"{duration_label(*value)}：" + "、".join(sorted(docs_per_value[value])))
    lines.append("学校之间规定不同，请以孩子所在学校的规定为准。")
    return Draft(text="\n".join(lines), citations=citations, conflicts=conflicts)
