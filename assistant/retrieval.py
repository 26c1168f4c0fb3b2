"""Hybrid retrieval: BM25 and dense candidates fused by reciprocal rank, then adjusted by what the question names."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .answering.scoring import rerank_score, rerank_value
from .answering.sentences import SentenceReader
from .embeddings import Embedder
from .index import LoadedIndex
from .query import Query
from .records import Chunk, Hit
from .settings import MODES, RetrievalSettings

RERANK_DEPTH = 20
# e5's window is 512 tokens and this corpus runs at about 0.8 token per character (README "Chunk size"):
# the model never sees more, and a longer text (a rewritten follow-up of a long history) only costs time.
EMBED_WINDOW_CHARS = 500


class TermWeights:
    """IDF weights of the index's tokens, and the weighted coverage of a question's terms by a text."""

    def __init__(self, chunks: list[Chunk]):
        df = Counter(t for c in chunks for t in set(c.tokens))
        n = max(1, len(chunks))
        self.idf = {t: math.log(1 + n / d) for t, d in df.items()}
        self.max_idf = math.log(1 + n)
        self._group_cache: dict[tuple[str, ...], tuple[float, list[list[tuple[str, float]]]]] = {}

    def term_weight(self, token: str) -> float:
        """Rarer terms say more; unknown terms weigh the most (they can only lower coverage). A lone
        character (份, 里, 考) is mostly grammar in a question, so it counts half."""
        weight = self.idf.get(token, self.max_idf)
        return weight * 0.5 if len(token) == 1 and not token.isdigit() else weight

    def coverage(self, tokens: list[str], text_tokens: set[str] | frozenset[str]) -> float:
        """IDF-weighted share of the question's terms that a text contains (0–1, higher = more relevant)."""
        total, singles, groups = self._weighted_groups(tuple(tokens))
        if not total:
            return 0.0
        # Most question words have no search pieces; they are summed without a max (this runs ~1,000 times
        # per question).
        found = sum(w for t, w in singles if t in text_tokens)
        for group in groups:
            found += max((w for t, w in group if t in text_tokens), default=0.0)
        return found / total

    def _weighted_groups(
        self, tokens: tuple[str, ...]
    ) -> tuple[float, list[tuple[str, float]], list[list[tuple[str, float]]]]:
        """One question word counts once: 考试成绩 and its search pieces 考试/试成/成绩 are one term, fully
        found when the whole word is, partly when only a piece is. Cached: the same terms are scored
        against every candidate sentence. Returns the total weight, the one-token words, the pieced words."""
        cached = self._group_cache.get(tokens)
        if cached is None:
            unique = list(dict.fromkeys(t for t in tokens if not t.startswith("⏱")))
            groups = [[(t, self.term_weight(t)) for t in group] for group in _word_groups(unique)]
            total = sum(max(w for _, w in group) for group in groups)
            singles = [group[0] for group in groups if len(group) == 1]
            pieced = [group for group in groups if len(group) > 1]
            if len(self._group_cache) > 10_000:
                self._group_cache.clear()
            cached = self._group_cache[tokens] = (total, singles, pieced)
        return cached


class HybridRetriever:
    """Ranks the chunks of one LoadedIndex for a Query; the one code path for CLI, web app and eval."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: RetrievalSettings):
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.weights = TermWeights(index.chunks)
        self.term_weight = self.weights.term_weight
        self.coverage = self.weights.coverage
        self._row = {c.id: i for i, c in enumerate(index.chunks)}

    def search(self, query: Query, mode: str | None = None, k: int | None = None) -> list[Hit]:
        mode = mode or self.settings.mode
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}; choose from {MODES}")
        k = k or self.settings.top_k
        depth = self.settings.candidates
        hits: dict[str, Hit] = {}
        chunks = self.index.chunks

        if mode != "dense":
            scores = self.index.keyword_scores(query.tokens)
            order = np.argsort(-scores, kind="stable")[:depth]
            qset = set(query.tokens)
            for rank, row in enumerate(order, start=1):
                if scores[row] <= 0:
                    break
                chunk = chunks[row]
                hit = hits.setdefault(chunk.id, Hit(chunk=chunk))
                hit.bm25_rank, hit.bm25_score = rank, float(scores[row])
                hit.matched_terms = sorted(qset & set(chunk.tokens), key=lambda t: -self.term_weight(t))
        if mode != "bm25":
            vector = self.embedder.embed_query(query.text[:EMBED_WINDOW_CHARS])
            for rank, (chunk_id, similarity) in enumerate(self.index.dense_search(vector, depth), start=1):
                chunk = self.index.by_id.get(chunk_id)
                if chunk is None:
                    continue
                hit = hits.setdefault(chunk_id, Hit(chunk=chunk))
                hit.dense_rank, hit.dense_score = rank, similarity
                if not hit.matched_terms:
                    hit.matched_terms = sorted(
                        set(query.tokens) & set(chunk.tokens), key=lambda t: -self.term_weight(t)
                    )

        rrf = self.settings.rrf_k
        for hit in hits.values():
            score = 0.0
            if hit.bm25_rank is not None:
                score += self.settings.bm25_weight / (rrf + hit.bm25_rank)
            if hit.dense_rank is not None:
                score += self.settings.dense_weight / (rrf + hit.dense_rank)
            hit.score = score * (rrf + 1)  # 1.0 = ranked first by one retriever
            if mode == "hybrid_qu":
                self._adjust(hit, query)
        ranked = sorted(hits.values(), key=lambda h: (-h.score, self._row[h.chunk.id]))
        return ranked[:k]

    def _adjust(self, hit: Hit, query: Query) -> None:
        s = self.settings
        if query.doc_ids:
            if hit.chunk.doc_id in query.doc_ids:
                hit.score *= 1 + s.place_boost
                hit.boosts.append("地点/学校匹配")
            else:
                hit.score *= 1 / (1 + s.place_boost)
        if query.grades and hit.chunk.grades:
            overlap = query.grades & set(hit.chunk.grades)
            if overlap:
                # A chunk about exactly the asked grades beats one that merely includes them (小学 = 1–6).
                hit.score *= 1 + s.grade_boost * len(overlap) / len(hit.chunk.grades) + s.grade_boost / 2
                hit.boosts.append("年级匹配")
            else:
                hit.score *= s.grade_penalty
                hit.boosts.append("年级不符")


def rerank(query: Query, hits: list[Hit], reader: SentenceReader, depth: int = RERANK_DEPTH) -> list[Hit]:
    """Second stage: order the top chunks by how well their best sentence answers the question, with the
    same sentence features the answerer uses (coverage, asked-for value, grade fit)."""
    head, tail = hits[:depth], hits[depth:]
    if len(head) < 2:
        return hits
    top = head[0].score or 1.0
    best: dict[str, float] = {}
    for s in reader.read(query, head, depth=depth, dedupe=False):
        best[s.hit.chunk.id] = max(best.get(s.hit.chunk.id, 0.0), rerank_value(s.features))
    for hit in head:
        hit.score = rerank_score(hit.score, top, best.get(hit.chunk.id, 0.0))
    for hit in tail:
        hit.score = rerank_score(hit.score, top, None)
    head.sort(key=lambda h: -h.score)
    return head + tail


def _word_groups(tokens: list[str]) -> list[list[str]]:
    """Search tokens grouped under the longest token containing them (cut_for_search emits both)."""
    heads = [t for t in tokens if not any(t != o and t in o for o in tokens)]
    groups = {h: [h] for h in heads}
    for t in tokens:
        if t not in groups:
            head = max((h for h in heads if t in h), key=len)
            groups[head].append(t)
    return list(groups.values())


class PolicyRetriever(BaseRetriever):
    """LangChain view of the assistant's retrieval (question understanding included)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    assistant: object
    k: int = 10

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        hits = self.assistant.retrieve(query)[: self.k]  # type: ignore[attr-defined]
        return [
            LCDocument(
                page_content=h.chunk.text,
                metadata={
                    "chunk_id": h.chunk.id,
                    "doc_id": h.chunk.doc_id,
                    "title": h.chunk.title,
                    "issuer": h.chunk.issuer,
                    "section": h.chunk.section,
                    "score": h.score,
                },
            )
            for h in hits
        ]
