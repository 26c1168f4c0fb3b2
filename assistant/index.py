"""The on-disk index: one generation (Chroma collection + BM25 + chunks) per ingest, swapped atomically.

Reading lives in `generation`, writing in `ingest`, the folder's low-level pieces in `storage`; this
module joins them into the `IndexStore` the rest of the package uses.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import chromadb

from .embeddings import Embedder
from .generation import FORMAT_VERSION, DocRecord, IndexReader, IngestReport, LoadedIndex, chunker_signature
from .ingest import IndexWriter
from .segment import Segmenter
from .settings import Settings
from .storage import ReaderLeases, collection_names, make_chroma_client

__all__ = [
    "FORMAT_VERSION",
    "DocRecord",
    "IndexStore",
    "IngestReport",
    "LoadedIndex",
    "chunker_signature",
    "make_chroma_client",
]


class IndexStore(IndexReader):
    """Reads and writes generations under settings.index_dir."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        segmenter: Segmenter,
        client: chromadb.ClientAPI | None = None,
    ):
        super().__init__(settings, embedder, client)
        self.segmenter = segmenter
        self.leases = ReaderLeases(self.root)

    def ingest(
        self,
        paths: list[Path] | None = None,
        rebuild: bool = False,
        progress: Callable[[int, int, str], None] | None = None,
    ) -> IngestReport:
        """Bring the index up to date with the corpus (or add/replace just `paths`); atomic, repairs damage."""
        return IndexWriter(self, self.segmenter).ingest(paths=paths, rebuild=rebuild, progress=progress)

    def register_reader(self, generation: str) -> None:
        """Record that this process answers from `generation`, so another process's ingest keeps it."""
        self.leases.register(generation)

    def held_by_readers(self) -> set[str]:
        return self.leases.held()

    def collection_names(self) -> list[str]:
        return collection_names(self.client)
