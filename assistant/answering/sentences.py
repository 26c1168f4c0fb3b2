"""Sentences of the retrieved chunks and their features for a question (split once, read many times)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..chunking import sentence_spans
from ..lexicon import lexicon
from ..quantities import parse_grades
from ..query import Query
from ..records import Chunk, Hit
from ..segment import Segmenter
from . import cues

LEX = lexicon()
# Grammar characters (到, 去, 能…) carry no topic; rare as tokens, they would weigh like rare words.
FUNCTION_CHARS = frozenset(LEX.words("function_chars"))
# Sentences over ~1.6× this are scored clause-group by clause-group, so length does not win.
SENTENCE_UNIT = 90
MIN_SENTENCE = 4  # shorter pieces (a lone heading number) are not sentences

Coverage = Callable[[list[str], "set[str] | frozenset[str]"], float]
Unit = tuple[int, int, str, frozenset[str]]  # start, end, text, tokens


@dataclass
class Features:
    """What is known of one (question, sentence, hit): the inputs of the score and the abstain decision."""

    relevance: float = 0.0  # 0–1 coverage of the question's words, by the sentence and its context
    type_ok: float = 0.0  # 0–1: has the asked kind of content (value, rule, list); 1 = right where asked
    grade_fit: float = 0.5  # 1 the asked grades, 0 other grades, 0.5 unknown
    grade_named: float = 0.0  # the sentence itself names an asked grade (not only its chunk)
    grade_value: float = 0.0  # a clause naming an asked grade holds the asked kind of value
    prior: float = 0.0  # the hit's retrieval score relative to the top hit
    values: list[tuple[float, str]] = field(default_factory=list)  # (minutes, bound) of on-topic durations


@dataclass
class Sentence:
    """One sentence of a retrieved chunk (offsets into chunk.text), its features and its score."""

    hit: Hit
    rank: int
    start: int
    end: int
    text: str
    features: Features = field(default_factory=Features)
    score: float = 0.0
    tokens: frozenset[str] = frozenset()  # its search words (segmented once per chunk)

    @property
    def relevance(self) -> float:
        return self.features.relevance

    @property
    def type_ok(self) -> float:
        return self.features.type_ok

    @property
    def grade_fit(self) -> float:
        return self.features.grade_fit

    @property
    def grade_named(self) -> float:
        return self.features.grade_named

    @property
    def grade_value(self) -> float:
        return self.features.grade_value

    @property
    def values(self) -> list[tuple[float, str]]:
        return self.features.values


def split_sentences(text: str, unit: int = SENTENCE_UNIT) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, line by line; over-long sentences cut at about `unit`."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        spans.extend(sentence_spans(line, pos, unit))
        pos += len(line) + 1
    return spans


def content_terms(query: Query, asked: bool = False) -> list[str]:
    """The words that coverage is measured on (the whole question, or only its asking clause when the
    message is longer); grade words are left to the grade fit."""
    tokens = (query.asked_tokens or query.tokens) if asked else query.tokens
    rest = [t for t in tokens if t not in query.grade_tokens and t not in FUNCTION_CHARS]
    return rest or tokens


def grade_fit(query: Query, text_grades: set[int], chunk_grades: list[int]) -> float:
    if not query.grades:
        return 0.5
    grades = text_grades or set(chunk_grades)
    if not grades:
        return 0.5
    return 1.0 if grades & query.grades else 0.0


class SentenceReader:
    """Splits chunks into sentences and computes their features; built once per index, caches per chunk."""

    def __init__(self, segmenter: Segmenter, coverage: Coverage):
        self.segmenter = segmenter
        self.coverage = coverage
        self._unit_cache: dict[str, tuple[frozenset[str], list[Unit]]] = {}
        self._clause_cache: dict[str, frozenset[str]] = {}
        self._name_tokens: dict[str, frozenset[str]] = {}
        self._joined: dict[frozenset[str], str] = {}  # a token set as one string, for substring tests

    def read(self, query: Query, hits: list[Hit], depth: int = 6, dedupe: bool = True) -> list[Sentence]:
        """The sentences of the top `depth` hits with their features (unscored, in reading order)."""
        out: list[Sentence] = []
        top = hits[0].score if hits else 1.0
        seen: set[str] = set()
        for rank, hit in enumerate(hits[:depth]):
            context, units = self.units(hit.chunk)
            # Words naming this very document (北票市, 芙蓉初级中学…) are satisfied by the document itself;
            # counting them would favour any sentence that happens to repeat the name.
            terms = self.terms_for(query, hit.chunk.doc_id)
            # In a longer message the asking clause alone may be the better match (story words dilute).
            asked = self.terms_for(query, hit.chunk.doc_id, asked=True)
            previous: frozenset[str] = frozenset()
            for s, e, text, tokens in units:
                if dedupe and text in seen:
                    continue
                seen.add(text)
                sentence = Sentence(hit, rank, s, e, text, tokens=tokens)
                key = (hit.chunk.id, s, previous)
                known = query.memo.get(key)
                if known is None:
                    known = query.memo[key] = self.features(
                        query, sentence, (terms, asked), tokens, previous, context
                    )
                sentence.features = replace(known, prior=hit.score / top if top else 0.0)
                previous = tokens
                out.append(sentence)
        return out

    def features(
        self,
        query: Query,
        sentence: Sentence,
        words: tuple[list[str], list[str]],
        tokens: frozenset[str],
        previous: frozenset[str],
        context: frozenset[str],
    ) -> Features:
        """Features of one sentence: coverage (own, with the sentence before, with the chunk's title and
        section), whether it holds what is asked, and grade fit."""
        terms, asked = words
        text, chunk = sentence.text, sentence.hit.chunk
        # A rule often names its topic one sentence earlier ("推行无作业日制度。每周三…").
        own = max(
            self.loose_coverage(group, seen_tokens) * factor
            for group in (terms, asked)
            for seen_tokens, factor in ((tokens, 1.0), (tokens | previous, 0.85))
        )
        ctx = max(self.coverage(group, tokens | context) for group in (content_terms(query), asked))
        f = Features(relevance=0.65 * own + 0.35 * ctx)
        kind = cues.asked_kind(query)
        if cues.wants_value(query):
            # Only a duration names what it measures (睡眠时间 vs 作业时间); 结束时间 is just "几点".
            # A duration must measure what the asking clause is about: in "孩子睡眠不足，三年级作业最多写
            # 多久？" the question is about 作业, and 睡眠时间不少于10小时 does not answer it.
            measured = asked if query.qtype == "duration" else None
            clauses, focus = self.focus(terms, text, previous, measured=measured)
            f.type_ok = cues.value_in_focus(kind, clauses, focus)
            if query.qtype == "duration":
                f.values = cues.durations_for(query, clauses, focus, chunk.grades)
        elif query.term:
            f.type_ok = float(cues.defines(query.term, text))
        else:
            f.type_ok = float(cues.holds(kind, text))
        own_grades = parse_grades(text)
        f.grade_fit = grade_fit(query, own_grades, chunk.grades)
        if query.grades and own_grades & query.grades:
            # "七年级每天不超过70分钟，八年级…" answers 初一 more surely than a rule for no grade in particular
            f.grade_named = 1.0
            if cues.wants_value(query):
                f.grade_value = float(
                    any(parse_grades(c) & query.grades and cues.holds(kind, c) for c in cues.clauses(text))
                )
        return f

    def units(self, chunk: Chunk) -> tuple[frozenset[str], list[Unit]]:
        """A chunk's sentences with their tokens, segmented once per chunk (this is on every query's path)."""
        cached = self._unit_cache.get(chunk.id)
        if cached is None:
            context = frozenset(self.segmenter.tokens(f"{chunk.title} {chunk.section}"))
            units = []
            for s, e in split_sentences(chunk.text):
                text = chunk.text[s:e].strip()
                if len(text) >= MIN_SENTENCE:
                    units.append((s, e, text, frozenset(self.segmenter.tokens(text))))
            cached = self._unit_cache[chunk.id] = (context, units)
        return cached

    def terms_for(self, query: Query, doc_id: str, asked: bool = False) -> list[str]:
        content = content_terms(query, asked)
        if doc_id not in query.doc_ids or not query.place_names:
            return content
        return self.without(content, query.place_names)

    def without(self, content: list[str], names: list[str]) -> list[str]:
        """The question's words minus those naming a place or school (unless nothing else is left)."""
        naming: set[str] = set()
        for name in names:
            if name not in self._name_tokens:
                self._name_tokens[name] = frozenset(self.segmenter.tokens(name))
            naming |= self._name_tokens[name]
        return [t for t in content if t not in naming] or content

    def focus(
        self, terms: list[str], text: str, previous: frozenset[str], measured: list[str] | None = None
    ) -> tuple[list[str], list[float]]:
        """The sentence's clauses, and how surely each (with the clause before) is about what is asked:
        1 within the sentence, 0.8 when only the previous sentence names the topic, 0 not about it.
        With `measured` (the asked topic's words), a clause timing something else (睡眠时间) is 0.

        A value only answers a question when it sits where the question's topic is: in "每天书面作业不超过
        90分钟，周末书面作业总量不超过分钟" a question about 周末 is not answered by the 90."""
        clauses = cues.clauses(text)
        topic = cues.topic_terms(terms)
        if not topic:
            return clauses, [1.0] * len(clauses)
        tokens = [self.clause_tokens(c) for c in clauses]
        own = [self.loose_coverage(topic, t) for t in tokens]
        best = max(own, default=0.0)
        focus = []
        for i, toks in enumerate(tokens):
            inside = max(own[i], self.loose_coverage(topic, toks | tokens[i - 1]) if i else 0.0)
            carried = 0.0 if i else self.loose_coverage(topic, toks | previous)
            if measured is not None and self.measures_other(clauses[i], measured):
                focus.append(0.0)
            elif inside > 0 and inside >= cues.FOCUS_RATIO * best:
                focus.append(1.0)
            elif carried > 0 and carried >= cues.FOCUS_RATIO * best:
                focus.append(0.8)
            else:
                focus.append(0.0)
        return clauses, focus

    def loose_coverage(self, terms: list[str], tokens: frozenset[str]) -> float:
        """Coverage where a question word inside a longer text word counts (睡 ~ 睡眠, 收费 ~ 收费标准)."""
        joined = self._joined.get(tokens)
        if joined is None:
            if len(self._joined) > 50_000:
                self._joined.clear()
            joined = self._joined[tokens] = "\x00".join(tokens)
        found = [t for t in terms if t in tokens or (t not in cues.GENERIC and t in joined)]
        return self.coverage(terms, frozenset(found))

    def measures_other(self, clause: str, terms: list[str]) -> bool:
        """The clause says whose time it measures (睡眠时间, 锻炼时间) and the question is about something else."""
        for what in cues.measured_words(clause):
            words = [t for t in self.clause_tokens(what) if t not in cues.GENERIC]
            if words and not any(w in terms or any(w in t or t in w for t in terms) for w in words):
                return True
        return False

    def clause_tokens(self, clause: str) -> frozenset[str]:
        tokens = self._clause_cache.get(clause)
        if tokens is None:
            tokens = self._clause_cache[clause] = frozenset(self.segmenter.tokens(clause))
        return tokens
