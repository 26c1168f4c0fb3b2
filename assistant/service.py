"""The Assistant: builds models and opens the index once, then answers, searches and re-ingests."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from threadpoolctl import threadpool_limits

from .answering import ExtractiveAnswerer, SentenceReader
from .answering.outcome import OutcomeDecider
from .answering.quotes import WIDER, WiderRules, one_school_note
from .answering.scorer import Candidate, ScorerModel
from .embeddings import Embedder, QueryCache, build_embedder
from .errors import AssistantError, IndexDamaged, IndexMissing
from .index import DocRecord, IndexStore, IngestReport, LoadedIndex
from .lexicon import lexicon
from .memory import OTHER_STAGE, QuestionMemory, Remembered, load_items
from .quantities import OUT_OF_SCOPE
from .query import Catalog, Query, QueryParser, QuestionProblem
from .ranking import ChunkRanker, RankerModel
from .records import Answer, Chunk, Hit
from .retrieval import EMBED_WINDOW_CHARS, HybridRetriever, rerank
from .segment import Segmenter
from .sentence_vectors import SentenceVectors
from .settings import Settings, get_settings

TITLE_LINE_CHARS = 80  # a document's first line counts as a title up to this length

log = logging.getLogger(__name__)

# The teachers' lookup topics and the words that put a passage under each (from the lexicon).
TOPICS: dict[str, list[str]] = {topic: list(words) for topic, words in lexicon().topics.items()}


@dataclass
class _Engine:
    """Everything that depends on one index generation; swapped as a whole after a re-ingest."""

    index: LoadedIndex
    retriever: HybridRetriever
    parser: QueryParser
    reader: SentenceReader
    answerer: ExtractiveAnswerer
    decider: OutcomeDecider
    ranker: ChunkRanker
    memory: QuestionMemory
    wider: WiderRules


class Assistant:
    """Library entry point. Build once per process (models load here), then call ask() many times."""

    def __init__(
        self,
        settings: Settings | dict | None = None,
        *,
        embedder: Embedder | None = None,
        segmenter: Segmenter | None = None,
        store: IndexStore | None = None,
        scorer: ScorerModel | None | str = "default",
        ranker: RankerModel | None | str = "default",
        memory: list[Remembered] | None | str = "default",
    ):
        self.settings = get_settings(settings)
        if self.settings.blas_threads:
            # A question's algebra is small (one vector against a few thousand rows). BLAS threads it wakes
            # keep spinning against the embedding model's own threads: on a 2-core laptop warm p50 went 44 → 91
            # ms once the question memory passed OpenBLAS's threading size (evals.bench, session 11).
            threadpool_limits(limits=self.settings.blas_threads, user_api="blas")
        # Retrieval and the outcome model embed the same question: embed it once.
        self.embedder = QueryCache(embedder or build_embedder(self.settings.embedding))
        # "default": the model fitted by `python -m evals.train`; None: features only (what training uses)
        self.scorer = ScorerModel.load() if scorer == "default" else scorer
        # …and the chunk ranker fitted beside it; None keeps the hand-set fusion and re-ranking order
        self.ranker = RankerModel.load() if ranker == "default" else ranker
        # …and the labelled questions whose nearest neighbours vote for sentences (features of both models)
        self.memory_items: list[Remembered] = load_items() if memory == "default" else list(memory or [])
        self.segmenter = segmenter or Segmenter()
        self.store = store or IndexStore(self.settings, self.embedder, self.segmenter)
        self._engine: _Engine | None = None
        self._lock = threading.RLock()
        self._checked_at = 0.0
        self.llm = None
        if self.settings.answer.llm_enabled:
            from .answering.llm import LLMAnswerer

            self.llm = LLMAnswerer(self.settings.answer)

    # ------------------------------------------------------------------ index

    def ensure_index(
        self, progress: Callable[[int, int, str], None] | None = None, repair: bool = True
    ) -> IngestReport | None:
        """Build the index if there is none (or, with `repair`, if it is damaged); the report when it built."""
        try:
            self.engine()
            return None
        except (IndexMissing, IndexDamaged) as exc:
            if isinstance(exc, IndexDamaged) and not repair:
                raise
            report = self.store.ingest(progress=progress)
            with self._lock:
                self._engine = None
            self.engine()
            return report

    def ingest(
        self,
        progress: Callable[[int, int, str], None] | None = None,
        rebuild: bool = False,
        paths: list | None = None,
    ) -> IngestReport:
        """Re-ingest; queries keep using the old generation until the new one is complete."""
        report = self.store.ingest(paths=paths, rebuild=rebuild, progress=progress)
        if self._engine is not None:  # a process that answers switches now; a CLI ingest opens nothing
            fresh = self._build_engine(self.store.open())
            with self._lock:
                self._engine = fresh
                self.store.register_reader(fresh.index.generation)
        return report

    def engine(self) -> _Engine:
        """The engine of the current generation; switches when another process has ingested a newer one."""
        engine = self._engine
        if engine is not None and not engine.index.gone and not self._newer_generation(engine):
            return engine
        with self._lock:
            engine = self._engine
            if engine is None or engine.index.gone or self._newer_generation(engine, force=True):
                try:
                    self._engine = self._build_engine(self.store.open())
                except AssistantError:
                    if engine is None or engine.index.gone:
                        raise
                    # the new generation cannot be opened (yet): keep answering from the one we have
                    log.warning(
                        "could not switch to the new index generation; keeping %s", engine.index.generation
                    )
                    self._checked_at = time.monotonic()
                    return engine
                self.store.register_reader(self._engine.index.generation)
                if engine is not None:
                    log.info(
                        "switched to index generation %s (was %s)",
                        self._engine.index.generation,
                        engine.index.generation,
                    )
            return self._engine

    def _newer_generation(self, engine: _Engine, force: bool = False) -> bool:
        """Whether CURRENT names another generation; read at most once a second (a stat and a tiny read)."""
        now = time.monotonic()
        if not force and now - self._checked_at < 1.0:
            return False
        self._checked_at = now
        try:
            return self.store.current_generation() not in (None, engine.index.generation)
        except AssistantError:
            return False

    def _build_engine(self, index: LoadedIndex) -> _Engine:
        catalog = Catalog(
            full_text="\n".join(d.text + d.title + d.issuer + d.region for d in index.documents.values())
        )
        names: list[str] = []
        for doc in index.documents.values():
            # its title, and the heading it starts with (a compilation's part: 双减工作总结（6）)
            catalog.add_title(doc.id, doc.title, doc.text.lstrip().split("\n", 1)[0][:TITLE_LINE_CHARS])
            for alias in doc.aliases:
                catalog.aliases.setdefault(alias, set()).add(doc.id)
                names.append(alias)
        self.segmenter.add_words(names)
        retriever = HybridRetriever(index, self.embedder, self.settings.retrieval)
        app = self.settings.app
        parser = QueryParser(
            self.segmenter,
            catalog,
            self.settings.answer.max_question_chars,
            max_history_turns=app.max_history_turns,
            max_history_chars=app.max_history_chars,
        )
        # One sentence reader serves the re-ranker and the answerer (its per-chunk caches are shared).
        reader = SentenceReader(self.segmenter, retriever.coverage)
        doc_chunks: dict[str, list[Chunk]] = {}
        for chunk in index.chunks:
            doc_chunks.setdefault(chunk.doc_id, []).append(chunk)
        answerer = ExtractiveAnswerer(reader, doc_chunks, self.settings.answer)
        units = [(chunk.id, unit[2]) for chunk in index.chunks for unit in reader.units(chunk)[1]]
        vectors = SentenceVectors(self.embedder, self._vector_cache())
        if vectors.ensure([text for _, text in units]):
            try:
                vectors.save()
            except OSError:  # a read-only index folder: the vectors stay in memory
                pass
        vectors.build_search(units)

        def understand(item: Remembered) -> tuple[str, set[int]] | None:
            try:  # embedded as retrieval embeds a question: understood, with its earlier turns
                query = parser.parse(item.question, list(item.history))
            except QuestionProblem:
                return None
            if query.out_of_scope or OUT_OF_SCOPE.search(item.question):
                # 高中…: about none of the grades a question on grades 1–9 names, so never its neighbour
                return query.text[:EMBED_WINDOW_CHARS], {OTHER_STAGE}
            return query.text[:EMBED_WINDOW_CHARS], query.grades

        memory = QuestionMemory(
            self.memory_items,
            self.embedder,
            understand,
            [
                (chunk.id, start, text)
                for chunk in index.chunks
                for start, _, text, _ in reader.units(chunk)[1]
            ],
            self._vector_cache().with_name(self._vector_cache().name.replace("sentence-", "memory-")),
            document_of=lambda chunk_id: index.by_id[chunk_id].doc_id,
        )
        decider = OutcomeDecider(index, self.embedder, vectors, answerer, self.scorer, memory)
        ranker = ChunkRanker(index, retriever, reader, self.embedder, vectors, self.ranker, memory)
        wider = WiderRules([text for chunk_id, text in units if index.by_id[chunk_id].level in WIDER])
        return _Engine(index, retriever, parser, reader, answerer, decider, ranker, memory, wider)

    def _vector_cache(self) -> Path:
        """Sentence vectors live beside the generations, shared by all of them (keyed by text)."""
        name = "".join(c if c.isalnum() else "-" for c in self.embedder.name)
        return Path(self.store.root) / f"sentence-vectors-{name}.npz"

    # ------------------------------------------------------------------ questions

    def understand(self, question: str, history: list[str] | None = None, mode: str | None = None) -> Query:
        mode = mode or self.settings.retrieval.mode
        return self.engine().parser.parse(question, history, understand=(mode == "hybrid_qu"))

    def retrieve(self, question: str, history: list[str] | None = None, mode: str | None = None) -> list[Hit]:
        return self._ranked(self.engine(), self.understand(question, history, mode), mode)

    def _ranked(self, engine: _Engine, query: Query, mode: str | None) -> list[Hit]:
        """Hybrid candidates; with question understanding, in the learned ranker's order (or, without a
        fitted ranker, re-ranked by their best answering sentence)."""
        mode = mode or self.settings.retrieval.mode
        k = self.settings.retrieval.top_k
        if mode != "hybrid_qu":
            return engine.retriever.search(query, mode, k=k)
        if engine.ranker.model is not None:
            return engine.ranker.rank(query, k)
        return self.hand_ranked(query, engine)

    def hand_ranked(self, query: Query, engine: _Engine | None = None) -> list[Hit]:
        """The hand-set order: fused retrieval re-ranked by each chunk's best sentence (the ranker's baseline)."""
        engine = engine or self.engine()
        k = self.settings.retrieval.top_k
        return rerank(query, engine.retriever.search(query, "hybrid_qu", k=2 * k), engine.reader)[:k]

    def ask(self, question: str, history: list[str] | None = None, mode: str | None = None) -> Answer:
        """Answer one question (with earlier user turns for follow-ups). Never raises for bad input."""
        started = time.perf_counter()
        engine = self.engine()
        try:
            query = self.understand(question, history, mode)
        except QuestionProblem as problem:
            return Answer(
                question=question or "",
                text=str(problem),
                abstained=True,
                latency_ms=(time.perf_counter() - started) * 1000,
            )
        answer = self._answer(engine, query, self._ranked(engine, query, mode), mode)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    def _answer(self, engine: _Engine, query: Query, hits: list[Hit], mode: str | None) -> Answer:
        """The extractive answer, its outcome (answer / related / none), then the optional LLM's wording."""
        learned = (mode or self.settings.retrieval.mode) == "hybrid_qu"
        answer = engine.answerer.answer(query, hits, lenient=learned and engine.decider.scorer is not None)
        if learned:
            answer = engine.decider.decide(query, hits, answer)
        if answer.outcome == "answer":
            note = one_school_note(answer.citations, query.doc_ids, engine.wider)
            if note and len(answer.text) + 1 + len(note) <= self.settings.answer.max_chars:
                answer.text += "\n" + note
        if self.llm is not None and not answer.abstained:
            # The LLM words an accepted answer itself; a rejected one falls back to the text above, note included.
            answer = self.llm.rewrite(query, hits, answer)
        return answer

    def candidates(self, question: str, history: list[str] | None = None) -> list[Candidate]:
        """The learned scorer's candidate sentences with their features (evals.train fits on these)."""
        engine = self.engine()
        try:
            query = self.understand(question, history)
        except QuestionProblem:
            return []
        return engine.decider.candidates(query, self._ranked(engine, query, None))

    # ------------------------------------------------------------------ teachers' lookup

    def search(
        self,
        keywords: str,
        grades: set[int] | None = None,
        topic: str | None = None,
        level: str | None = None,
        k: int = 20,
    ) -> list[Hit]:
        """Keyword lookup with filters; ranking is the same hybrid retrieval the chat uses."""
        engine = self.engine()
        text = (keywords or "").strip()
        if not text:
            text = topic or ""
        if not text:
            return []
        try:
            query = engine.parser.parse(text)
        except QuestionProblem:
            return []
        if grades:
            query.grades = set(grades)
        hits = engine.retriever.search(query, k=len(engine.index.chunks))
        words = TOPICS.get(topic or "", [])
        out = []
        for hit in hits:
            chunk = hit.chunk
            if grades and chunk.grades and not (set(chunk.grades) & set(grades)):
                continue
            if level and chunk.level != level:
                continue
            if words and not any(w in chunk.text or w in chunk.section for w in words):
                continue
            if not hit.matched_terms and not _contains_any(chunk.text, text):
                continue
            out.append(hit)
            if len(out) >= k:
                break
        return out

    def documents(self) -> list[DocRecord]:
        return list(self.engine().index.documents.values())

    def document(self, doc_id: str) -> DocRecord:
        docs = self.engine().index.documents
        if doc_id not in docs:
            raise AssistantError(f"没有编号为 {doc_id} 的文档")
        return docs[doc_id]

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        """The chunks of one document in reading order (for viewers and list answers)."""
        return sorted((c for c in self.engine().index.chunks if c.doc_id == doc_id), key=lambda c: c.start)

    def chunk(self, chunk_id: str) -> Chunk | None:
        """One chunk by id, or None when the current generation does not hold it."""
        return self.engine().index.by_id.get(chunk_id)

    def status(self) -> dict:
        try:
            meta = self.store.read_meta()
        except IndexDamaged as exc:
            return {"indexed": False, "documents": 0, "chunks": 0, "error": str(exc)}
        if meta is None:
            return {"indexed": False, "documents": 0, "chunks": 0}
        return {
            "indexed": True,
            "generation": meta["generation"],
            "created": meta["created"],
            "documents": len(meta["documents"]),
            "chunks": meta["chunk_count"],
            "embedding": meta["embedding"],
        }

    def as_langchain_retriever(self, k: int = 10):
        from .retrieval import PolicyRetriever

        return PolicyRetriever(assistant=self, k=k)

    def ask_within(self, question: str, doc_ids: set[str], history: list[str] | None = None) -> Answer:
        """Like ask(), but answered only from `doc_ids` (an API client's scope, e.g. "my school")."""
        started = time.perf_counter()
        engine = self.engine()
        try:
            query = self.understand(question, history)
        except QuestionProblem as problem:
            return Answer(question=question or "", text=str(problem), abstained=True)
        # The scope is a named set of documents: the learned decision looks at their sentences only (remembered
        # questions may vote for sentences elsewhere).
        query.doc_ids = (query.doc_ids & set(doc_ids)) if query.doc_ids else set(doc_ids)
        mode = self.settings.retrieval.mode
        pool = engine.retriever.search(query, mode, k=len(engine.index.chunks))
        hits = [h for h in pool if h.chunk.doc_id in doc_ids]
        if mode == "hybrid_qu":
            hits = rerank(query, hits, engine.reader)
        answer = self._answer(engine, query, hits[: self.settings.retrieval.top_k], mode)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer


def _contains_any(text: str, query: str) -> bool:
    return any(part and part in text for part in re.split(r"[\s,，、;；]+", query))
