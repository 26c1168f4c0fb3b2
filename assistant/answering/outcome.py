"""Answer, related rule, or none: the learned scorer's decision around the extractive answer.

The extractive strategies keep their answers. Where they found nothing, the learned scorer looks at the
candidate sentences (the top chunks plus the chunks of the closest sentences in the whole corpus): when the
documents probably do answer, the best sentences are quoted, as the answer when the calibrated confidence is
high, else labelled "资料中最相关的规定" so a parent learns the rule exists; otherwise the outcome is none.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..embeddings import Embedder
from ..index import LoadedIndex
from ..memory import QuestionMemory
from ..query import Query
from ..records import Answer, Hit
from ..retrieval import EMBED_WINDOW_CHARS
from ..sentence_vectors import SentenceVectors
from .cues import asked_kind, holds, wants_value
from .draft import Draft
from .extractive import NOT_FOUND, ExtractiveAnswerer
from .scorer import (
    FEATURES,
    Candidate,
    ScorerModel,
    features,
    question_row,
    same_sentence,
    trust_row,
)
from .scoring import score_sentences
from .sentences import Sentence, content_terms

CANDIDATE_DEPTH = 6  # retrieved chunks whose sentences are candidates
SENTENCE_SEARCH_CHUNKS = 3  # chunks of the closest sentences, added when retrieval ranked them lower
MEMORY_CHUNKS = 2  # chunks that answered the closest remembered questions, likewise
RUNNER_UP = 0.8  # a second quote when its probability is this close to the best's
SHORT = 30  # a shorter sentence is quoted with the one after it
STATE_FROM = 0.5  # trust from which an answer above the evidence bar is stated: more likely right than wrong
MAX_HEDGED_CITATIONS = 2  # a list answer (more items) is not hedged: it is not one sentence's claim
_VOTED = FEATURES.index("memory_rr")
NAMED_VALUES = ("role:", "phone", "money", "clock", "date", "year", "percent")  # value kinds a question names
# Not "no rule answers this": a hedged answer may well quote the rule that does, the models are just unsure.
RELATED_LEAD = "资料中最相关的规定如下，未必直接回答您的问题，请对照原文判断："


class OutcomeDecider:
    """Scores candidate sentences with the learned model and decides answer / related / none."""

    def __init__(
        self,
        index: LoadedIndex,
        embedder: Embedder,
        vectors: SentenceVectors,
        answerer: ExtractiveAnswerer,
        scorer: ScorerModel | None,
        memory: QuestionMemory,
    ):
        self.index = index
        self.embedder = embedder
        self.vectors = vectors
        self.answerer = answerer
        self.scorer = scorer
        self.memory = memory

    def candidates(self, query: Query, hits: list[Hit]) -> list[Candidate]:
        """Candidate sentences with their features, best first when a model is loaded."""
        vector = self.embedder.embed_query(query.text[:EMBED_WINDOW_CHARS])  # as retrieval does: cached
        pool = list(hits[:CANDIDATE_DEPTH])
        have = {h.chunk.id for h in pool}
        recall = self.memory.recall(vector, query.doc_ids, query.grades)
        for chunk_id in self.vectors.top_chunks(vector, SENTENCE_SEARCH_CHUNKS):
            if chunk_id not in have and chunk_id in self.index.by_id:
                have.add(chunk_id)
                pool.append(Hit(chunk=self.index.by_id[chunk_id], boosts=["句子向量"]))
        for chunk_id in recall.pool_chunks()[:MEMORY_CHUNKS]:
            if chunk_id not in have and chunk_id in self.index.by_id:
                have.add(chunk_id)
                pool.append(Hit(chunk=self.index.by_id[chunk_id], boosts=["相似提问"]))
        reader = self.answerer.reader
        sentences = score_sentences(query, reader.read(query, pool, depth=len(pool)))
        tokens = list(dict.fromkeys(query.tokens))
        coverage = max((reader.coverage(tokens, set(h.chunk.tokens)) for h in hits[:3]), default=0.0)
        vocab = self.index.bm25.vocab_dict
        unknown = sum(1 for t in tokens if t not in vocab) / len(tokens) if tokens else 1.0
        bridge = self.scorer.bridge if self.scorer is not None else None
        rows = features(
            query,
            sentences,
            vector,
            self.vectors,
            wants_value(query),
            recall,
            coverage,
            unknown,
            bridge,
        )
        out = [Candidate(s, row) for s, row in zip(sentences, rows, strict=True)]
        if self.scorer is not None:
            for candidate, p in zip(out, self.scorer.probabilities(rows), strict=True):
                candidate.probability = float(p)
            out.sort(key=lambda c: -c.probability)
        return out

    def decide(self, query: Query, hits: list[Hit], answer: Answer) -> Answer:
        """The extractive answer with its outcome and confidence, or the learned scorer's quote instead."""
        if self.scorer is None:
            return answer
        candidates = self.candidates(query, hits)
        if query.doc_ids:  # a named place or school is answered from its own document only
            candidates = [c for c in candidates if c.sentence.hit.chunk.doc_id in query.doc_ids]
        confidence = self.scorer.confidence(candidates[0].probability) if candidates else 0.0
        answer.confidence = confidence
        row = question_row(
            np.array([c.probability for c in candidates]), np.array([c.features for c in candidates])
        )
        if not answer.abstained:
            return self.checked(query, hits, answer, candidates, row)
        answer.outcome = "none"
        if self.answerer.refusal(query) or not candidates:
            return answer  # a grade outside the documents, an unknown place, nothing to search for
        # A related rule shares a word with the question (place names aside): 明天北京天气怎么样 shares only
        # 北京 with a Beijing report.
        # Or a remembered question close to this one was answered by it: parents' words for a rule are often
        # none of its own (教孩子干活的课 ~ 劳动教育必修课). Or the question names the sentence's document (a
        # school, a county): it is about that document, and one added later has no remembered questions.
        related = [
            c
            for c in candidates
            if self.shares_a_word(query, c)
            or c.features[_VOTED] > 0
            or c.sentence.hit.chunk.doc_id in query.doc_ids
        ]
        if related and related[0].probability < RUNNER_UP * candidates[0].probability:
            # The model's clear favourite says the rule in other words than the parent's (平板…1.5小时 for
            # 抱着iPad打游戏): it, not a far weaker sentence that happens to share a word, is the related rule.
            related.insert(0, candidates[0])
        if query.value_kind.startswith(NAMED_VALUES):
            # The model all but prefers a sentence holding the named kind of value asked for (20:45仍未完成…停止
            # 书写 for 熬到几点就可以不写了): parents' words need not be its words for it to be the related rule.
            # (A duration's type check does not weigh grades; fitting() keeps its own favourite rule for those.)
            near = [c for c in candidates if c.probability >= RUNNER_UP * candidates[0].probability]
            typed = next(iter(self.fitting(query, near)), None)
            if typed is not None and typed not in related:
                related = sorted([typed, *related], key=lambda c: -c.probability)
        related = self.fitting(query, related)
        # (No question word in the top chunks at all used to mean none here: 夏天晚托几点放 shares no word with
        # 夏季晚六点 yet is answered by it. The answerability model decides; off-topic questions are in its data.)
        if not related:
            return answer
        confidence = self.scorer.confidence(related[0].probability)
        outcome = self.scorer.outcome(confidence, self.scorer.answerable(row))
        if outcome == "none":
            return answer
        candidates = related
        if (
            outcome == "answer"
            and wants_value(query)
            and not self.holds_asked_value(query, candidates[0].sentence)
        ):
            outcome = "related"  # never stated as the answer without the value asked for
        chosen = [candidates[0].sentence]
        if outcome == "related":
            best = candidates[0]
            quoted_texts = {s.text for s in self.run_of(best.sentence)}
            runner = next(
                (
                    c
                    for c in candidates[1:4]
                    if c.sentence.text not in quoted_texts and c.probability >= RUNNER_UP * best.probability
                ),
                None,
            )
            if runner is not None:
                chosen.append(runner.sentence)
        quoted = self.answerer.build(
            query, hits, self.draft(chosen, related=outcome == "related"), answer.evidence_score
        )
        quoted.outcome, quoted.confidence = outcome, confidence
        return quoted

    def checked(
        self, query: Query, hits: list[Hit], answer: Answer, candidates: list[Candidate], row: np.ndarray
    ) -> Answer:
        """An extractive answer, stated when the learned models back it. One they do not (trust below
        trust_below) is hedged as the most relevant rule, or withdrawn when the question does not look
        answerable from the documents at all (怎么给手机换电池 is not answered by a rule on phones in class)."""
        defined = bool(query.term) and any(query.term in c.quote for c in answer.citations)
        weak = answer.evidence_score < self.answerer.settings.abstain_below
        if not defined and weak and (not candidates or self.scorer.answerable(row) < self.scorer.none_below):
            # The strategies composed below the hand-set evidence bar (the answerer was lenient), and the
            # answerability model does not back the question either (我家猫不吃东西一直睡觉 is not asked of
            # a rule on children's sleep): no answer. Either signal alone keeps it.
            return self.withdrawn(query, hits, answer)
        if candidates and len(answer.citations) <= MAX_HEDGED_CITATIONS:
            trust = self.scorer.trust(
                trust_row(
                    [c.quote for c in answer.citations],
                    [c.sentence.text for c in candidates],
                    np.array([c.probability for c in candidates]),
                    answer.evidence_score,
                )
            )
            # Stated when more likely right than wrong; one composed below the evidence bar (mostly parents'
            # own words, where the strategies are most often wrong) must clear trust_below, fitted so that
            # such answers are right 80% of the time when stated.
            if trust < (self.scorer.trust_below if weak else STATE_FROM):
                # Withdrawn only when more likely wrong than right and the question does not look answerable.
                unlikely = trust < STATE_FROM and self.scorer.answerable(row) < self.scorer.none_below
                if unlikely and not defined:
                    return self.withdrawn(query, hits, answer)
                return self.hedge(query, hits, answer, candidates)
        answer.outcome = "answer"
        return answer

    def withdrawn(self, query: Query, hits: list[Hit], answer: Answer) -> Answer:
        """An extractive answer taken back: the documents do not look like answering the question."""
        withdrawn = self.answerer.build(query, hits, Draft.abstain(NOT_FOUND), 0.0)
        withdrawn.outcome, withdrawn.confidence = "none", answer.confidence
        return withdrawn

    def hedge(self, query: Query, hits: list[Hit], answer: Answer, candidates: list[Candidate]) -> Answer:
        """An extractive answer not trusted enough to state: the strategies' own quotes (as they cited them:
        their sentence may be outside the model's candidates) and the learned model's best sentence of the
        kind asked for are quoted as the most relevant rules, the more probable first."""
        citations = list(answer.citations)
        favourite = (self.fitting(query, candidates) or candidates)[0]
        best = favourite.sentence
        if not any(same_sentence(c.quote, best.text) for c in citations):
            # A parent reads the first quote as the answer: the model's favourite leads unless it rates the
            # strategies' sentence at least as high (a sentence it never scored counts as rated lowest).
            strategies = (
                max(
                    (c.probability for c in candidates if same_sentence(citations[0].quote, c.sentence.text)),
                    default=0.0,
                )
                if citations
                else 0.0
            )
            mine = self.answerer.cite(0, self.run_of(best))
            citations = [mine, *citations] if favourite.probability > strategies else [*citations, mine]
        citations = [replace(c, number=n) for n, c in enumerate(citations, start=1)]
        lines = [f"《{c.title}》：「{c.quote}」[{c.number}]" for c in citations]
        draft = Draft(text=RELATED_LEAD + "\n" + "\n".join(lines), citations=citations)
        hedged = self.answerer.build(query, hits, draft, answer.evidence_score)
        hedged.outcome, hedged.confidence = "related", answer.confidence
        return hedged

    def fitting(self, query: Query, candidates: list[Candidate]) -> list[Candidate]:
        """The candidates that can be quoted as the most relevant rule for what the question asks."""
        if query.value_kind.startswith(NAMED_VALUES):
            # A question asking for a named kind of value (多少钱, 几点, 电话, 校长是谁) is not answered by a
            # rule without one, and quoting such a rule as "the most relevant" tells a parent nothing. (Counts
            # and plain numbers are left to the models: 几节课 is often not what a message asks.)
            candidates = [c for c in candidates if self.holds_asked_value(query, c.sentence)]
        if query.qtype == "duration" and candidates:
            # The strategies' own type check puts sentences whose duration is tied to the question's words
            # first: 21:30仍未完成作业的…停笔 (a clock time) does not say how long homework may take.
            typed = [c for c in candidates if c.sentence.type_ok] or candidates
            favourite = candidates[0]
            if typed[0] is not favourite and holds("duration", favourite.sentence.text):
                # But it only reorders a favourite without a duration. The model weighs the type check as one
                # feature among others; its favourite holding a duration stays first even when the check
                # prefers another (平板…不宜超过1小时 for 抱着iPad打游戏一天玩多久, 睡眠时间不少于10小时 for
                # 睡够几个钟头, where the homework rule passes the check).
                typed = [favourite, *typed]
            candidates = typed
        return candidates

    def holds_asked_value(self, query: Query, sentence: Sentence) -> bool:
        """What quoting the sentence shows holds a value of the kind the question asks for."""
        kind = asked_kind(query)
        return any(holds(kind, s.text) for s in self.run_of(sentence))

    def shares_a_word(self, query: Query, candidate: Candidate) -> bool:
        """The sentence, or the passage around it, holds one of the question's words (as a jieba word, place
        names aside): the learned model's best sentence often says the rule in the documents' words while the
        passage's heading or neighbours share the parent's (睡够 ~ 睡眠时间 under 作息管理)."""
        reader = self.answerer.reader
        terms = reader.without(content_terms(query), query.place_names + query.places)
        words = {t for t in terms if len(t) >= 2} or set(terms)
        sentence = candidate.sentence
        _, units = reader.units(sentence.hit.chunk)
        tokens = next((tok for start, _end, _text, tok in units if start == sentence.start), frozenset())
        return bool(words & tokens) or bool(words & set(sentence.hit.chunk.tokens))

    def run_of(self, sentence: Sentence) -> list[Sentence]:
        """What quoting a sentence shows: a short one with the sentence after it."""
        if len(sentence.text) < SHORT:
            return [sentence, *self.answerer.passages.items_after(sentence)[:1]]
        return [sentence]

    def draft(self, sentences: list[Sentence], related: bool) -> Draft:
        """Each sentence quoted and cited (a short one with the sentence after it)."""
        citations, lines = [], []
        for number, sentence in enumerate(sentences, start=1):
            run = self.run_of(sentence)
            citation = self.answerer.cite(number, run)
            citations.append(citation)
            lines.append(f"《{sentence.hit.chunk.title}》：「{citation.quote}」[{number}]")
        text = RELATED_LEAD + "\n" + "\n".join(lines) if related else "根据" + "\n".join(lines)
        return Draft(text=text, citations=citations)
