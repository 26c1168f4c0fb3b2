"""How sentence features are combined: the sentence score, the re-ranking value and the evidence score.

Hand-set weights for now; a learned scorer replaces these functions (issue 10) without touching how the
features are computed (sentences.py)."""

from __future__ import annotations

from ..query import Query
from ..records import Hit
from .cues import wants_value
from .sentences import Features, Sentence, SentenceReader, content_terms

# How much the right kind of sentence counts: a value or a rule word is strong evidence of an answer,
# punctuation that looks like a list or a definition is weak.
TYPE_WEIGHT = {"list": 0.08, "definition": 0.08}
VALUE_QTYPES = ("duration", "time", "number")


def base_score(f: Features) -> float:
    """The score of a sentence before the bonus for holding the asked kind of content."""
    return 0.5 * f.relevance + 0.15 * f.grade_fit + 0.15 * f.prior


def type_bonus(query: Query, f: Features, top_relevance: float) -> float:
    """The right kind of sentence (a rule, a list, a value) only counts in proportion to how on-topic it
    is: a rule about something else must not outrank the sentence that answers."""
    # A sentence that defines the very term asked about ("“堵”就是…") is strong evidence.
    weight = 0.2 if query.term and not wants_value(query) else TYPE_WEIGHT.get(query.qtype, 0.2)
    return weight * f.type_ok * min(1.0, f.relevance / (0.8 * top_relevance))


def score_sentences(query: Query, sentences: list[Sentence]) -> list[Sentence]:
    """Score every sentence and return them best first."""
    for s in sentences:
        s.score = base_score(s.features)
    top_relevance = max((s.relevance for s in sentences), default=0.0) or 1.0
    for s in sentences:
        s.score += type_bonus(query, s.features, top_relevance)
    return sorted(sentences, key=lambda s: -s.score)


def rerank_value(f: Features) -> float:
    """How well a sentence answers, for ordering chunks by their best sentence."""
    return 0.6 * f.relevance + 0.25 * float(f.type_ok) + 0.15 * f.grade_fit


def rerank_score(retrieval: float, top: float, best_sentence: float | None) -> float:
    """A chunk's score after re-ranking: its fused retrieval score relative to the top hit's, and the value
    of its best sentence (None beyond the re-ranking depth)."""
    if best_sentence is None:
        return 0.4 * retrieval / top
    return 0.4 * retrieval / top + 0.6 * best_sentence


def evidence(reader: SentenceReader, query: Query, hits: list[Hit], best: Sentence | None) -> float:
    """Monotonic 0–1 relevance of the best evidence: term coverage of the best chunk, damped when the
    question asks for a value (time, duration, number) that the best sentence does not contain."""
    if not hits or best is None:
        return 0.0
    # A place or school name matches its own document everywhere; it is not evidence of an answer
    # ("明天北京天气怎么样" shares only 北京 with a Beijing kindergarten's report).
    cover = 0.0
    for content in (content_terms(query), content_terms(query, asked=True)):
        terms = reader.without(content, query.place_names + query.places)
        cover = max([cover] + [reader.coverage(terms, set(h.chunk.tokens)) for h in hits[:3]])
    score = 0.5 * cover + 0.5 * best.relevance
    if query.qtype in VALUE_QTYPES and not best.type_ok:
        # The question wants a value and the best sentence has none: never guess one.
        score *= 0.5
    return score


def abstains(evidence_score: float, threshold: float) -> bool:
    """The abstain decision: evidence below the calibrated threshold (settings.answer.abstain_below)."""
    return evidence_score < threshold
