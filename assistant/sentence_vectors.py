"""Sentence vectors: every answer sentence of the index embedded once (cached on disk by text hash), for
sentence-level similarity and sentence-level dense search over the whole corpus."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .embeddings import Embedder


class SentenceVectors:
    """Passage vectors of answer sentences, keyed by a hash of their text; embedded once and kept on disk."""

    def __init__(self, embedder: Embedder, path: Path | None = None):
        self.embedder = embedder
        self.path = path
        self._vectors: dict[str, np.ndarray] = {}
        if path is not None and path.exists():
            try:
                data = np.load(path)
                self._vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
            except (OSError, ValueError, KeyError):
                self._vectors = {}  # a damaged cache is rebuilt, never trusted

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]

    def ensure(self, texts: list[str]) -> int:
        """Embed the texts not seen yet; returns how many were embedded."""
        missing = sorted({t for t in texts if self.key(t) not in self._vectors})
        if missing:
            vectors = self.embedder.embed_passages(missing)
            self._vectors.update({self.key(t): v for t, v in zip(missing, vectors, strict=True)})
        return len(missing)

    def build_search(self, units: list[tuple[str, str]]) -> None:
        """Index (chunk id, sentence) pairs for sentence-level dense search over the whole corpus."""
        self._owners = [chunk_id for chunk_id, _ in units]
        self._owner_rows: np.ndarray | None = None
        self._matrix = np.asarray([self._vectors[self.key(text)] for _, text in units], dtype=np.float32)

    def top_chunks(self, query_vector: np.ndarray, n: int) -> list[str]:
        """Chunks holding the sentences closest to the question: a short question matches one sentence of a
        long chunk better than the whole chunk."""
        if getattr(self, "_matrix", None) is None or not len(self._matrix):
            return []
        out: list[str] = []
        for i in np.argsort(-(self._matrix @ query_vector)):
            if self._owners[i] not in out:
                out.append(self._owners[i])
                if len(out) >= n:
                    break
        return out

    def chunk_maxima(self, query_vector: np.ndarray, chunks: int, rows: dict[str, int]) -> np.ndarray:
        """Per chunk (by its row in the index), the similarity of its closest sentence; -1 for none."""
        out = np.full(chunks, -1.0, dtype=np.float32)
        if getattr(self, "_matrix", None) is None or not len(self._matrix):
            return out
        if self._owner_rows is None:
            self._owner_rows = np.array([rows[c] for c in self._owners], dtype=np.int64)
        np.maximum.at(out, self._owner_rows, self._matrix @ query_vector)
        return out

    def save(self) -> None:
        if self.path is None:
            return
        keys = sorted(self._vectors)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(
            tmp, keys=np.array(keys), vectors=np.array([self._vectors[k] for k in keys], dtype=np.float32)
        )
        tmp.replace(self.path)

    def similarity(self, query_vector: np.ndarray, text: str) -> float:
        vector = self._vectors.get(self.key(text))
        if vector is None:  # a sentence not embedded at ingest (should not happen): embed it now
            self.ensure([text])
            vector = self._vectors[self.key(text)]
        return float(np.dot(query_vector, vector))
