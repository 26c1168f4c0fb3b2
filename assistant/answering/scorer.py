"""Learned sentence scorer: features of (question, candidate sentence) and a calibrated logistic model.

The model (assistant/data/scorer.json) is fitted by `python -m evals.train` on every spent part of the
parents'-words bank; nothing here is tuned by hand. It gives each candidate sentence the probability that it
answers the question, a question-level model gives the probability that the documents answer it at all, and
the two decide the outcome: answer, related or none.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from .. import fitted
from ..lexicon import lexicon
from ..memory import QUESTION_MEMORY_FEATURES, VOTE_FEATURES, Recall
from ..query import Query
from ..sentence_vectors import SentenceVectors
from . import cues
from .bridge import BRIDGE_FEATURES, Table, bridge_rows
from .sentences import Sentence

MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "scorer.json"
QTYPES = ("yesno", "duration", "time", "number", "who", "list", "definition")

# Feature names, in the model's column order. Each is a fact about the pair that a reader could check.
FEATURES = (
    "relevance",  # IDF coverage of the question's words in the sentence (with its neighbour and headings)
    "relevance_gap",  # relevance minus the best candidate's
    "type_ok",  # the sentence holds what is asked (a value where asked, a definition, a rule)
    "grade_fit",  # the sentence/chunk covers the asked grades
    "grade_named",  # the sentence itself names an asked grade
    "grade_value",  # …in a clause that holds the asked kind of value
    "similarity",  # dense cosine between question and sentence
    "similarity_gap",  # similarity minus the best candidate's
    "similarity_rank",  # 1 / rank of the similarity among the candidates
    "chunk_prior",  # fused retrieval score of the chunk relative to the first
    "chunk_rank",  # 1 / (1 + rank of the chunk)
    "chunk_dense",  # dense cosine between question and chunk
    "keyword_hit",  # the chunk was found by keyword search at all
    "wants_value",  # the question asks for a value (duration, time, count, money…)
    "value_missing",  # it does, and the sentence holds no value of that kind at all (type_ok: none where asked)
    "rule_word",  # the sentence states a rule (lexicon: cue_rule)
    "named_doc",  # the question names a place/school and the sentence is from that document
    "other_doc",  # the question names a place/school and the sentence is from another document
    "length",  # log of the sentence's length
    # Facts about the question as a whole (the same on every candidate): is anything here at all?
    "best_similarity",  # the highest similarity of any candidate
    "chunk_coverage",  # IDF share of the question's words found in the best of the top three chunks
    "unknown_words",  # share of the question's search words the corpus never uses
    *QUESTION_MEMORY_FEATURES,  # how close the nearest remembered questions are, and were they answerable
    *(f"qtype_{q}" for q in QTYPES),
    *VOTE_FEATURES,  # the nearest remembered questions' votes for this sentence (assistant/memory.py)
    *BRIDGE_FEATURES,  # learned parent-word → document-word associations (assistant/answering/bridge.py)
)


@dataclass
class Candidate:
    """One sentence with its features and, once scored, its probability of answering."""

    sentence: Sentence
    features: np.ndarray
    probability: float = 0.0


_RULE = lexicon().pattern("cue_rule")


def features(
    query: Query,
    sentences: list[Sentence],
    query_vector: np.ndarray,
    vectors: SentenceVectors,
    wants_value: bool,
    recall: Recall,
    chunk_coverage: float = 0.0,
    unknown_words: float = 0.0,
    bridge: Table | None = None,
) -> np.ndarray:
    """One row of FEATURES per candidate sentence (the bridge columns are 0 without a fitted table)."""
    if not sentences:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    sims = np.array([vectors.similarity(query_vector, s.text) for s in sentences], dtype=np.float32)
    order = (-sims).argsort().argsort()
    top_relevance = max(s.relevance for s in sentences)
    top_prior = max((s.hit.score for s in sentences), default=0.0) or 1.0
    kind = cues.asked_kind(query)
    rows = []
    for n, s in enumerate(sentences):
        hit = s.hit
        named = bool(query.doc_ids)
        in_named = named and hit.chunk.doc_id in query.doc_ids
        row = [
            s.relevance,
            s.relevance - top_relevance,
            float(s.type_ok),
            s.grade_fit,
            s.grade_named,
            s.grade_value,
            float(sims[n]),
            float(sims[n] - sims.max()),
            1.0 / (1.0 + float(order[n])),
            hit.score / top_prior,
            1.0 / (1.0 + s.rank),
            float(hit.dense_score or 0.0),
            float(hit.bm25_rank is not None),
            float(wants_value),
            # Anywhere in the sentence: whether it is "where asked" is type_ok's (a hand-set notion of focus that
            # misses 玩多久 ~ 电子产品使用时间…不宜超过1小时).
            float(wants_value and not cues.holds(kind, s.text)),
            float(bool(_RULE.search(s.text))),
            float(in_named),
            float(named and not in_named),
            math.log1p(len(s.text)),
            float(sims.max()),
            chunk_coverage,
            unknown_words,
            *recall.question_row(hit.chunk.doc_id),
            *(float(query.qtype == q) for q in QTYPES),
            *recall.sentence_row((hit.chunk.id, s.start)),
        ]
        rows.append(row)
    bridged = bridge_rows(bridge or {}, query.tokens, [s.tokens for s in sentences])
    return np.hstack([np.asarray(rows, dtype=np.float32), bridged])


# Question-level features for "is anything here an answer at all": the sentence model's view of the best
# candidates plus the question-level facts of FEATURES.
QUESTION_FEATURES = (
    "best_p",
    "second_p",
    "top3_p",
    "best_similarity",
    "chunk_coverage",
    "unknown_words",
    "value_missing",
    "relevance",
    *QUESTION_MEMORY_FEATURES,
    "memory_share",  # the best candidate's share of the neighbours' votes
    "bridge",  # how well the best candidate's words answer the question's (learned word bridge)
    "bridge_max",
)
# (Not "did a remembered question vote for any candidate": out of fold it helped (AUC 0.900 → 0.907), but a
# document added later has no votes, so a parent's question on a new school's iPad rule was told none.)


# The sign each answerability weight may take: more evidence in the documents (a likelier best sentence, more of
# the question's words covered, a closer sentence) never makes a question less answerable, and a value missing or
# neighbours the documents did not answer never more. Fitted freely, weights of correlated features flip sign and
# then punish questions worded like the documents, which the parents'-words bank has few of. 0: either sign.
QUESTION_SIGNS = {
    "best_p": 1,
    "top3_p": 1,
    "best_similarity": 1,
    "chunk_coverage": 1,
    "relevance": 1,
    "memory_share": 1,
    "bridge": 1,
    "bridge_max": 1,
    "value_missing": -1,
    "unknown_words": -1,
    "memory_unanswerable": -1,
}


def question_row(probabilities: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """QUESTION_FEATURES of one question from its candidates' probabilities and feature rows."""
    if len(probabilities) == 0:
        return np.zeros(len(QUESTION_FEATURES))
    order = np.argsort(-probabilities)
    best = rows[order[0]]
    col = {name: i for i, name in enumerate(FEATURES)}
    top = probabilities[order]
    return np.array(
        [
            top[0],
            top[1] if len(top) > 1 else 0.0,
            float(top[:3].mean()),
            best[col["best_similarity"]],
            best[col["chunk_coverage"]],
            best[col["unknown_words"]],
            best[col["value_missing"]],
            best[col["relevance"]],
            *(best[col[name]] for name in QUESTION_MEMORY_FEATURES),
            best[col["memory_share"]],
            best[col["bridge"]],
            best[col["bridge_max"]],
        ]
    )


# Features of an extractive answer for "is it right": where the learned model ranks the sentence it cites.
TRUST_FEATURES = ("cited_p", "cited_rr", "cited_gap", "evidence", "citations")


def same_sentence(quote: str, text: str) -> bool:
    """A citation quotes (a window of) the candidate sentence."""
    quote, text = quote.strip(), text.strip()
    return bool(quote and text) and (quote in text or text in quote or quote[:15] in text)


def trust_row(quotes: list[str], texts: list[str], probabilities: np.ndarray, evidence: float) -> np.ndarray:
    """TRUST_FEATURES of an extractive answer citing `quotes`, against candidates `texts` sorted by
    `probabilities` (best first)."""
    top = float(probabilities[0]) if len(probabilities) else 0.0
    cited = next((i for i, t in enumerate(texts) if any(same_sentence(q, t) for q in quotes)), None)
    if cited is None:
        return np.array([0.0, 0.0, top, evidence, float(len(quotes))])
    p = float(probabilities[cited])
    return np.array([p, 1.0 / (1.0 + cited), top - p, evidence, float(len(quotes))])


@dataclass
class ScorerModel(fitted.FittedLogistic):
    """Standardised logistic regression + isotonic calibration of the best candidate's probability."""

    FEATURES: ClassVar[tuple[str, ...]] = FEATURES
    PATH: ClassVar[Path] = MODEL_PATH

    names: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    calibration_x: list[float] = field(default_factory=list)
    calibration_y: list[float] = field(default_factory=list)
    answer_at: float = 0.5  # calibrated confidence from which the best sentence is given as the answer
    related_at: float = 0.2  # …from which it is shown as the most relevant rule; below: none
    # the answerability model: P(the documents answer this question) from QUESTION_FEATURES
    q_mean: list[float] = field(default_factory=list)
    q_scale: list[float] = field(default_factory=list)
    q_coef: list[float] = field(default_factory=list)
    q_names: list[str] = field(default_factory=list)  # QUESTION_FEATURES it was fitted for
    q_intercept: float = 0.0
    none_below: float = 0.0  # answerability under which the outcome is none
    # the trust model: P(an extractive answer is right) from TRUST_FEATURES; below trust_below it is hedged
    t_mean: list[float] = field(default_factory=list)
    t_scale: list[float] = field(default_factory=list)
    t_coef: list[float] = field(default_factory=list)
    t_intercept: float = 0.0
    trust_below: float = 0.0
    # question word → {sentence word: weight}: the learned word bridge (bridge.py)
    bridge: dict[str, dict[str, float]] = field(default_factory=dict)
    trained_on: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None):
        """The shipped model, or None when either of its models was fitted for other features."""
        model = super().load(path)
        return model if model is not None and tuple(model.q_names) == QUESTION_FEATURES else None

    def save(self, path: Path | None = None) -> None:
        """As JSON, the word bridge one question word per line (≈100k weights: readable diffs, small file)."""
        data = dict(self.__dict__)
        bridge = data.pop("bridge")
        head = json.dumps(data, ensure_ascii=False, indent=1)[:-2]
        rows = ",\n".join(
            f"  {json.dumps(word, ensure_ascii=False)}: "
            f"{json.dumps(row, ensure_ascii=False, separators=(',', ':'))}"
            for word, row in sorted(bridge.items())
        )
        (path or self.PATH).write_text(f'{head},\n "bridge": {{\n{rows}\n }}\n}}\n', encoding="utf-8")

    def confidence(self, probability: float) -> float:
        """Calibrated chance that the best candidate answers the question."""
        if not self.calibration_x:
            return float(probability)
        return float(np.interp(probability, self.calibration_x, self.calibration_y))

    def answerable(self, question_features: np.ndarray) -> float:
        """P(the documents answer the question); 1.0 where no answerability model was fitted."""
        if not self.q_coef:
            return 1.0
        return float(
            fitted.logistic(question_features, self.q_mean, self.q_scale, self.q_coef, self.q_intercept)
        )

    def trust(self, row: np.ndarray) -> float:
        """P(the extractive answer is right); 1.0 where no trust model was fitted."""
        if not self.t_coef:
            return 1.0
        return float(fitted.logistic(row, self.t_mean, self.t_scale, self.t_coef, self.t_intercept))

    def outcome(self, confidence: float, answerable: float = 1.0) -> str:
        if answerable < self.none_below or confidence < self.related_at:
            return "none"
        if confidence >= self.answer_at:
            return "answer"
        return "related"
