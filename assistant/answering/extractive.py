"""The default answerer: tries the strategies in order on the retrieved hits and builds the one `Answer`."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..lexicon import lexicon
from ..quantities import find_durations, grades_label
from ..query import Query
from ..records import Answer, Chunk, Citation, Hit
from ..settings import AnswerSettings
from . import quotes
from .definitions import quoted_sentences
from .draft import Draft
from .durations import duration_draft
from .enumerations import list_draft
from .passages import Passages
from .rules import quoted_draft
from .scoring import abstains, evidence, score_sentences
from .sentences import Sentence, SentenceReader

VALUE_NAMES = lexicon().table("value_names")
VALUE_SUPPORT = 0.75  # a sentence holding the asked value must be this relevant relative to the best
SEE_BELOW = "以下是资料中最接近的段落，仅供参考。"
_DIGIT = re.compile(r"\d")

NOT_FOUND = "资料中没有找到能回答这个问题的规定。"


class ExtractiveAnswerer:
    """Grounded answers from the retrieved chunks only; no model is needed. Gets the hits, asks no one for more."""

    def __init__(
        self, reader: SentenceReader, doc_chunks: Mapping[str, list[Chunk]], settings: AnswerSettings
    ):
        self.reader = reader
        self.passages = Passages(reader, doc_chunks)
        self.settings = settings

    def answer(self, query: Query, hits: list[Hit], lenient: bool = False) -> Answer:
        """`lenient`: compose even below the evidence bar, for the learned models to judge (outcome.py); the
        bar was set by hand on document-phrased questions and turns away most parents' own words."""
        bar = 0.0 if lenient else self.settings.abstain_below
        if reason := self.refusal(query):
            return self.build(query, hits, Draft.abstain(reason), 0.0)
        sentences = score_sentences(query, self.reader.read(query, hits))
        if query.doc_ids:
            # The question names a place or school: another place's rule or figure is not its answer.
            sentences = [s for s in sentences if s.hit.chunk.doc_id in query.doc_ids]
        best = sentences[0] if sentences else None
        score = evidence(self.reader, query, hits, best)
        if best is None or abstains(score, bar):
            return self.build(query, hits, Draft.abstain(NOT_FOUND), score)
        if query.value_kind:
            # The question wants a value: answer only from a relevant sentence that has one, never guess.
            with_value = [s for s in sentences if s.type_ok and s.relevance >= best.relevance * VALUE_SUPPORT]
            if with_value:
                score = evidence(self.reader, query, hits, with_value[0])
            if not with_value or abstains(score, bar):
                what = VALUE_NAMES.get(query.value_kind.split(":")[0], "数值")
                return self.build(
                    query, hits, Draft.abstain(f"资料中没有找到这个问题所问的具体{what}。"), score
                )
            best = with_value[0]
            sentences = [best] + [s for s in sentences if s is not best]
        return self.build(query, hits, self.compose(query, best, sentences), score)

    def compose(self, query: Query, best: Sentence, sentences: list[Sentence]) -> Draft:
        """The strategies, in order: durations by grade, the items of a list, the quoted passage."""
        if query.qtype == "duration" and query.grades:
            draft = duration_draft(query, sentences, self.cite, self.settings.max_citations)
            if draft is not None:
                return draft
            if best.grade_fit == 0:
                # The only durations found are for other grades (小学's 10 hours of sleep ≠ 初中's).
                return Draft.abstain(f"资料中没有找到适用于{grades_label(query.grades)}的具体时长。")
        chosen = quoted_sentences(query, best, sentences, self.passages)
        best = chosen[0]
        draft = list_draft(query, chosen, self.passages, self.settings.max_chars)
        return draft or quoted_draft(best, chosen, sentences, self.cite)

    @staticmethod
    def refusal(query: Query) -> str:
        """Why the question cannot be answered from these documents at all, or ''."""
        if query.out_of_scope:
            return (
                f"资料只涉及义务教育阶段（小学一至六年级、初中七至九年级），"
                f"没有关于“{query.out_of_scope}”的规定。"
            )
        if query.unknown_places:
            names = "、".join(query.unknown_places)
            return f"资料中没有找到关于“{names}”的文件，无法回答该地/该校的具体规定。"
        if not query.tokens:
            return "资料中没有找到与这个问题相关的内容。"
        return ""

    def cite(self, number: int, sentences: list[Sentence]) -> Citation:
        """Cite a run of sentences of one chunk; a long run is cut around its first value."""
        first, last = sentences[0], sentences[-1]
        return quotes.cite(number, first.hit.chunk, first.start, last.end, _first_value)

    def build(self, query: Query, hits: list[Hit], draft: Draft, score: float) -> Answer:
        """The one place an extractive `Answer` is made."""
        text = draft.text
        if draft.abstained:
            text += SEE_BELOW if hits else ""
        else:
            text = quotes.fit(text, self.settings.max_chars)
        return Answer(
            question=query.original,
            text=text,
            citations=draft.citations,
            abstained=draft.abstained,
            conflicts=draft.conflicts,
            hits=hits,
            evidence_score=score,
            rewritten=query.text if query.rewritten_from_history else "",
            notice=query.notice,
        )


def _first_value(clauses: list[str]) -> int:
    """The clause a long quote is centred on: the first that holds a duration or a digit."""
    return next((i for i, c in enumerate(clauses) if find_durations(c) or _DIGIT.search(c)), 0)
