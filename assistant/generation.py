"""One index generation on disk: its records, and opening it for search with every file checked."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import IndexChanged, IndexDamaged, IndexMismatch, IndexMissing
from .records import Chunk
from .settings import Settings

if TYPE_CHECKING:  # chromadb and bm25s load only when a generation is opened: `sources` stays fast
    import bm25s
    import chromadb

    from .embeddings import Embedder

FORMAT_VERSION = 6  # bump when chunking, grade parsing or inferred metadata changes what is stored
META_FIELDS = {"generation", "collection", "documents", "chunk_count", "embedding", "chunker"}


def chunker_signature(settings: Settings) -> dict:
    return {"format": FORMAT_VERSION, **settings.chunk.model_dump()}


@dataclass
class DocRecord:
    """What the index remembers about one document."""

    id: str
    sha256: str
    title: str
    issuer: str
    level: str
    region: str
    year: int | None
    doc_type: str
    source: str
    chunks: int
    indexed_at: str
    aliases: list[str] = field(default_factory=list)
    text: str = ""


@dataclass
class IngestReport:
    documents: int = 0
    chunks: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rebuilt: str = ""
    generation: str = ""
    orphans_removed: int = 0

    def summary(self) -> str:
        return (
            f"文档 {self.documents} 篇，分块 {self.chunks} 个；新增 {len(self.added)}，更新 {len(self.updated)}，"
            f"删除 {len(self.removed)}，未变 {len(self.unchanged)}；拒收 {len(self.rejected)}；用时 {self.seconds:.1f} 秒"
        )


class LoadedIndex:
    """One generation, opened for search: chunks in memory, BM25 in memory, dense search in Chroma."""

    def __init__(
        self,
        directory: Path,
        meta: dict,
        chunks: list[Chunk],
        bm25: bm25s.BM25,
        collection: chromadb.Collection,
    ):
        self.directory = directory
        self.meta = meta
        self.chunks = chunks
        self.by_id = {c.id: c for c in chunks}
        self.bm25 = bm25
        self.collection = collection
        self.documents = {d["id"]: DocRecord(**d) for d in meta["documents"]}
        self._vocab = set(bm25.vocab_dict)
        self.gone = False  # set when the vector store no longer holds this generation

    @property
    def generation(self) -> str:
        return self.meta["generation"]

    def keyword_scores(self, tokens: list[str]) -> np.ndarray:
        known = [t for t in tokens if t in self._vocab]
        if not known:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)

    def dense_search(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first; IndexChanged when the generation was removed under us."""
        k = min(k, len(self.chunks))
        if k <= 0:
            return []
        try:
            result = self.collection.query(
                query_embeddings=[vector.tolist()], n_results=k, where=where, include=["distances"]
            )
        except Exception as exc:  # chromadb raises NotFoundError / InternalError when the collection is gone
            self.gone = True  # the Assistant re-opens the current generation on its next call
            raise IndexChanged(self.generation) from exc
        ids = result["ids"][0]
        distances = result["distances"][0] if result.get("distances") else [1.0] * len(ids)
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]


class IndexReader:
    """Finds and opens generations under settings.index_dir; every failure says what to run."""

    def __init__(self, settings: Settings, embedder: Embedder, client: chromadb.ClientAPI | None = None):
        self.settings = settings
        self.embedder = embedder
        self.root = settings.index_dir
        self._client = client

    @property
    def client(self) -> chromadb.ClientAPI:
        if self._client is None:
            from .storage import make_chroma_client

            self._client = make_chroma_client(self.settings)
        return self._client

    def generation_dir(self, generation: str) -> Path:
        return self.root / "generations" / generation

    def current_generation(self) -> str | None:
        """The generation CURRENT names, or None when there is no index yet."""
        pointer = self.root / "CURRENT"
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexDamaged(f"无法读取 {pointer}（{type(exc).__name__}）") from exc
        if not name:
            raise IndexDamaged(f"{pointer} 是空的")
        if "/" in name or not self.generation_dir(name).is_dir():
            raise IndexDamaged(f"{pointer} 指向的版本 {name[:40]} 不存在")
        return name

    def read_meta(self, generation: str | None = None) -> dict | None:
        """meta.json of a generation (default: the current one); IndexDamaged when it cannot be read."""
        generation = generation or self.current_generation()
        if generation is None:
            return None
        path = self.generation_dir(generation) / "meta.json"
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise IndexDamaged(f"版本 {generation} 缺少 meta.json") from exc
        except (OSError, ValueError) as exc:
            raise IndexDamaged(f"版本 {generation} 的 meta.json 无法读取（{type(exc).__name__}）") from exc
        if not isinstance(meta, dict) or META_FIELDS - set(meta):
            raise IndexDamaged(f"版本 {generation} 的 meta.json 内容不完整")
        return meta

    def check_compatible(self, meta: dict) -> None:
        if meta.get("embedding") != self.embedder.name:
            raise IndexMismatch("嵌入模型", meta.get("embedding", "?"), self.embedder.name)
        if meta.get("chunker") != chunker_signature(self.settings):
            raise IndexMismatch(
                "分块设置", json.dumps(meta.get("chunker")), json.dumps(chunker_signature(self.settings))
            )

    def read_chunks(self, generation: str) -> list[Chunk]:
        path = self.generation_dir(generation) / "chunks.jsonl"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
            return [Chunk.from_dict(json.loads(line)) for line in lines if line.strip()]
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise IndexDamaged(f"版本 {generation} 的 chunks.jsonl 无法读取（{type(exc).__name__}）") from exc

    def open(self, generation: str | None = None) -> LoadedIndex:
        """Open a generation (default: the current one); IndexMissing / IndexMismatch / IndexDamaged say what to run."""
        generation = generation or self.current_generation()
        if generation is None:
            raise IndexMissing(str(self.root))
        meta = self.read_meta(generation)
        assert meta is not None
        self.check_compatible(meta)
        chunks = self.read_chunks(generation)
        if len(chunks) != meta["chunk_count"]:
            raise IndexDamaged(f"版本 {generation} 的分块数与 meta.json 不符")
        import bm25s

        try:
            bm25 = bm25s.BM25.load(str(self.generation_dir(generation) / "bm25"))
        except Exception as exc:  # bm25s raises OSError / ValueError / JSONDecodeError for damaged files
            raise IndexDamaged(
                f"版本 {generation} 的关键词索引（bm25）无法读取（{type(exc).__name__}）"
            ) from exc
        try:
            collection = self.client.get_collection(meta["collection"], embedding_function=None)
            stored = collection.count()
        except Exception as exc:  # chromadb raises NotFoundError / InternalError / ValueError by backend
            raise IndexDamaged(
                f"向量库中的集合 {meta['collection']} 无法打开（{type(exc).__name__}）"
            ) from exc
        if stored != len(chunks):
            raise IndexDamaged(f"向量库中的集合 {meta['collection']} 只有 {stored}/{len(chunks)} 个向量")
        return LoadedIndex(self.generation_dir(generation), meta, chunks, bm25, collection)

    def health(self) -> str | None:
        """None when the current generation opens cleanly (or there is none), else what is wrong."""
        try:
            self.open()
        except (IndexMissing, IndexMismatch):
            return None  # not damage: ingest builds it, or rebuilds for a new model or chunker anyway
        except IndexDamaged as exc:
            return exc.what
        return None
