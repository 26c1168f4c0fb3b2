"""Learned chunk ranking: a wide candidate pool, features of each (question, chunk) pair, a logistic model.

Hand-set fusion (reciprocal ranks, place and grade factors, a re-ranking blend) fitted the phrasing of the
questions it was tuned on. Here the pool is wide (both retrievers' top POOL_DEPTH plus the chunks holding the
sentences closest in meaning, plus those that answered the nearest remembered questions), and the order comes
from a model fitted by `python -m evals.train` on the parents'-words bank (assistant/data/ranker.json). Without a
model the hand-set order stays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from . import fitted
from .answering.sentences import SentenceReader
from .embeddings import Embedder
from .index import LoadedIndex
from .memory import VOTE_FEATURES, QuestionMemory, Recall
from .query import Query
from .records import Hit
from .retrieval import EMBED_WINDOW_CHARS, HybridRetriever
from .sentence_vectors import SentenceVectors

MODEL_PATH = Path(__file__).resolve().parent / "data" / "ranker.json"
POOL_DEPTH = 60  # fused candidates from keyword and dense search
SENTENCE_POOL = 10  # chunks of the closest sentences, whatever their chunk-level rank
NAMED_POOL = 30  # chunks of a document the question names (a school's rules), whatever their rank
UNRANKED = 100  # the rank given to a chunk a retriever did not return

# Feature names, in the model's column order.
CHUNK_FEATURES = (
    "bm25_norm",  # keyword score relative to the pool's best
    "bm25_rr",  # 1 / (1 + keyword rank)
    "bm25_found",  # keyword search returned the chunk at all
    "dense",  # cosine between question and chunk
    "dense_gap",  # that minus the pool's best
    "dense_rr",  # 1 / (1 + dense rank)
    "sentence_max",  # cosine between the question and the chunk's closest sentence
    "sentence_gap",  # that minus the best over the whole corpus
    "sentence_rr",  # 1 / rank of the chunk by its closest sentence
    "coverage",  # IDF share of the question's words in the chunk
    "sentence_coverage",  # IDF share of the question's content words in the chunk's best-covered sentence
    "named_doc",  # the question names a place/school and the chunk is from its document
    "other_doc",  # it names one and the chunk is from another document
    "grade_fit",  # the question names grades and the chunk covers them
    "grade_other",  # it names grades and the chunk covers only others
    "length",  # log of the chunk's length
    *VOTE_FEATURES,  # the nearest remembered questions' votes for the chunk (assistant/memory.py)
)


@dataclass
class RankerModel(fitted.FittedLogistic):
    """Standardised logistic regression over CHUNK_FEATURES: P(the chunk holds the answer)."""

    FEATURES: ClassVar[tuple[str, ...]] = CHUNK_FEATURES
    PATH: ClassVar[Path] = MODEL_PATH

    names: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    trained_on: dict = field(default_factory=dict)


class ChunkRanker:
    """Builds the candidate pool of a question, its feature rows, and (with a model) the learned order."""

    def __init__(
        self,
        index: LoadedIndex,
        retriever: HybridRetriever,
        reader: SentenceReader,
        embedder: Embedder,
        vectors: SentenceVectors,
        model: RankerModel | None,
        memory: QuestionMemory,
    ):
        self.index = index
        self.retriever = retriever
        self.reader = reader
        self.embedder = embedder
        self.vectors = vectors
        self.model = model
        self.memory = memory
        self._row = {c.id: i for i, c in enumerate(index.chunks)}
        self._token_sets = {c.id: frozenset(c.tokens) for c in index.chunks}
        self._doc_rows: dict[str, list[int]] = {}
        for i, chunk in enumerate(index.chunks):
            self._doc_rows.setdefault(chunk.doc_id, []).append(i)

    def pool(self, query: Query) -> tuple[list[Hit], np.ndarray]:
        """Candidate chunks (fused order first, then the sentence-search and memory additions) and their
        feature rows."""
        hits = self.retriever.search(query, "hybrid_qu", k=POOL_DEPTH)
        vector = self.embedder.embed_query(query.text[:EMBED_WINDOW_CHARS])
        closest = self.vectors.chunk_maxima(vector, len(self.index.chunks), self._row)
        recall = self.memory.recall(vector, query.doc_ids, query.grades)
        have = {h.chunk.id for h in hits}
        for row in np.argsort(-closest)[:SENTENCE_POOL]:
            chunk = self.index.chunks[row]
            if chunk.id not in have:
                have.add(chunk.id)
                hits.append(Hit(chunk=chunk, boosts=["句子向量"]))
        for chunk_id in recall.pool_chunks():
            if chunk_id not in have and chunk_id in self.index.by_id:
                have.add(chunk_id)
                hits.append(Hit(chunk=self.index.by_id[chunk_id], boosts=["相似提问"]))
        # A question naming a school or county is about its document: a rule of it that neither retriever
        # ranked (期末数学卷多长时间 vs 考试时长：数学80分钟) is still a candidate.
        named = [row for doc_id in sorted(query.doc_ids) for row in self._doc_rows.get(doc_id, [])]
        for row in sorted(named, key=lambda r: -closest[r])[:NAMED_POOL]:
            chunk = self.index.chunks[row]
            if chunk.id not in have:
                have.add(chunk.id)
                hits.append(Hit(chunk=chunk, boosts=["所问文件"]))
        return hits, self.features(query, hits, closest, recall)

    def features(self, query: Query, hits: list[Hit], closest: np.ndarray, recall: Recall) -> np.ndarray:
        if not hits:
            return np.zeros((0, len(CHUNK_FEATURES)), dtype=np.float32)
        by_sentence = {int(row): n for n, row in enumerate(np.argsort(-closest), start=1)}
        tokens = list(dict.fromkeys(query.tokens))
        top_bm25 = max((h.bm25_score or 0.0 for h in hits), default=0.0) or 1e-9
        top_dense = max((h.dense_score or 0.0 for h in hits), default=0.0)
        top_sentence = float(closest.max()) if len(closest) else 0.0
        rows = []
        for hit in hits:
            chunk = hit.chunk
            row = self._row[chunk.id]
            named = bool(query.doc_ids)
            covered = bool(query.grades and chunk.grades)
            fits = covered and bool(query.grades & set(chunk.grades))
            rows.append(
                [
                    (hit.bm25_score or 0.0) / top_bm25,
                    1.0 / (1 + (hit.bm25_rank or UNRANKED)),
                    float(hit.bm25_rank is not None),
                    hit.dense_score or 0.0,
                    (hit.dense_score or 0.0) - top_dense,
                    1.0 / (1 + (hit.dense_rank or UNRANKED)),
                    float(closest[row]),
                    float(closest[row]) - top_sentence,
                    1.0 / by_sentence[row],
                    self.retriever.coverage(tokens, self._token_sets[chunk.id]),
                    self.sentence_coverage(query, chunk),
                    float(named and chunk.doc_id in query.doc_ids),
                    float(named and chunk.doc_id not in query.doc_ids),
                    float(fits),
                    float(covered and not fits),
                    math.log1p(len(chunk.text)),
                    *recall.chunk_row(chunk.id),
                ]
            )
        return np.asarray(rows, dtype=np.float32)

    def sentence_coverage(self, query: Query, chunk) -> float:
        """A rule is stated in one sentence: the question's words spread over a whole chunk say less. (The
        sentences' tokens are cached per chunk; this is cheap enough for the whole pool.)"""
        terms = self.reader.terms_for(query, chunk.doc_id)
        _, units = self.reader.units(chunk)
        return max((self.retriever.coverage(terms, tokens) for *_, tokens in units), default=0.0)

    def rank(self, query: Query, k: int) -> list[Hit]:
        """The top k chunks by the model's probability (its score on each hit)."""
        hits, rows = self.pool(query)
        if self.model is None or not hits:
            return hits[:k]
        for hit, p in zip(hits, self.model.probabilities(rows), strict=True):
            hit.score = float(p)
        return sorted(hits, key=lambda h: (-h.score, self._row[h.chunk.id]))[:k]
