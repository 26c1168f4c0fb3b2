"""Writing generations: plan what changed, embed it, write every file durably, swap CURRENT, clean up."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

import chromadb
import numpy as np

from .chunking import chunk_document, chunk_index_text
from .corpus import load_corpus, with_id
from .errors import CorpusEmpty, IndexBusy, IndexMismatch
from .generation import DocRecord, IndexReader, IngestReport, chunker_signature
from .records import Chunk, Document
from .segment import Segmenter
from .storage import (
    ReaderLeases,
    collection_names,
    drop_collection,
    fsync_dir,
    fsync_tree,
    sqlite_problem,
    write_durably,
)

log = logging.getLogger(__name__)

KEEP_GENERATIONS = 2  # the previous one stays, so a query in flight during a swap still finds its collection
Progress = Callable[[int, int, str], None]


class IndexWriter:
    """Brings the index up to date with the corpus; one at a time (a file lock), atomic, crash-safe."""

    def __init__(self, reader: IndexReader, segmenter: Segmenter):
        self.reader = reader
        self.settings = reader.settings
        self.embedder = reader.embedder
        self.segmenter = segmenter
        self.root = reader.root
        self.leases = ReaderLeases(self.root)

    @property
    def client(self) -> chromadb.ClientAPI:
        return self.reader.client

    @contextmanager
    def lock(self) -> Iterator[None]:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle = open(self.root / "ingest.lock", "w")
        except OSError as exc:
            raise IndexBusy(
                f"索引文件夹 {self.root} 不可写（{exc.strerror or exc}），无法建立或更新索引"
            ) from exc
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IndexBusy("另一个建索引任务正在运行，请稍后再试") from exc
            yield

    def ingest(
        self, paths: list[Path] | None = None, rebuild: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        """Bring the index up to date with the corpus (or add/replace just `paths`).

        A damaged current generation is rebuilt from the corpus; `rebuild` works whatever state the
        index folder is in. An empty or unreadable corpus never replaces an index (that would delete
        every document).
        """
        started = time.perf_counter()
        report = IngestReport()
        with self.lock():
            self._remove_staging()
            damage = None if rebuild else self.reader.health()
            if rebuild or damage:
                self._reset_store_if_broken()
                paths = None  # a partial ingest on a damaged index would keep nothing else
            loaded = load_corpus(
                self.settings.corpus_dir,
                self.settings.corpus.manifest,
                self.settings.corpus.max_file_mb,
                paths=[Path(p) for p in paths] if paths else None,
            )
            report.rejected = [str(r) for r in loaded.rejected]
            report.problems = list(loaded.problems)
            if not loaded.documents and not paths:
                raise CorpusEmpty(str(self.settings.corpus_dir), len(loaded.rejected))
            old_meta = None if (rebuild or damage) else self.reader.read_meta()
            if rebuild:
                report.rebuilt = "已按要求从语料全部重建索引"
            elif damage:
                report.rebuilt = f"发现索引损坏（{damage}），已从语料全部重建"
            elif old_meta:
                try:
                    self.reader.check_compatible(old_meta)
                except IndexMismatch:
                    report.rebuilt = "嵌入模型或分块设置已变化，已全部重建"
                    old_meta = None
            self._plan_and_write(old_meta, loaded.documents, bool(paths), progress, report)
            report.orphans_removed = self._remove_orphans()
        report.seconds = time.perf_counter() - started
        return report

    def _plan_and_write(
        self,
        old_meta: dict | None,
        documents: list[Document],
        partial: bool,
        progress: Progress | None,
        report: IngestReport,
    ) -> None:
        old_docs = {d["id"]: d for d in (old_meta or {}).get("documents", [])}
        if partial:
            documents = _keep_other_sources(documents, old_docs, report.problems)
        new_docs = {d.id: d for d in documents}
        keep = {i: d for i, d in old_docs.items() if i not in new_docs} if partial else {}
        unchanged = [i for i, d in new_docs.items() if i in old_docs and old_docs[i]["sha256"] == d.sha256]
        changed = [i for i in new_docs if i in old_docs and i not in unchanged]
        added = [i for i in new_docs if i not in old_docs]
        removed = [] if partial else [i for i in old_docs if i not in new_docs]
        report.unchanged = sorted(unchanged + list(keep))
        report.updated, report.added, report.removed = changed, added, removed
        if old_meta and not (changed or added or removed):
            report.documents = len(old_docs)
            report.chunks = old_meta["chunk_count"]
            report.generation = old_meta["generation"]
            return
        report.generation = self._write_generation(
            old_meta, new_docs, unchanged + list(keep), changed + added, progress, report
        )

    def _write_generation(
        self,
        old_meta: dict | None,
        new_docs: dict[str, Document],
        reuse: list[str],
        fresh: list[str],
        progress: Progress | None,
        report: IngestReport,
    ) -> str:
        number = max(int((old_meta or {}).get("number", 0)), self._highest_number()) + 1
        generation = f"g{number:06d}"
        collection_name = f"{self.settings.index.collection_prefix}_{generation}_{os.getpid()}"
        staging = self.root / "generations" / f".{generation}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        collection = None
        try:
            collection = self.client.create_collection(
                collection_name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
            chunks, records = self._fill(collection, old_meta, new_docs, reuse, fresh, progress)
            self._write_files(staging, chunks)
            meta = {
                "generation": generation,
                "number": number,
                "collection": collection_name,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "embedding": self.embedder.name,
                "chunker": chunker_signature(self.settings),
                "chunk_count": len(chunks),
                "documents": [asdict(r) for r in records],
            }
            write_durably(staging / "meta.json", json.dumps(meta, ensure_ascii=False, indent=1))
            fsync_dir(staging)
            final = self.reader.generation_dir(generation)
            os.replace(staging, final)
            fsync_dir(final.parent)
            self._point_to(generation)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if collection is not None:
                drop_collection(self.client, collection_name)
            raise
        report.documents = len(records)
        report.chunks = len(chunks)
        self._prune(generation)
        return generation

    def _fill(
        self,
        collection: chromadb.Collection,
        old_meta: dict | None,
        new_docs: dict[str, Document],
        reuse: list[str],
        fresh: list[str],
        progress: Progress | None,
    ) -> tuple[list[Chunk], list[DocRecord]]:
        """Vectors into `collection`: carried over for `reuse`, embedded for `fresh`; chunks in reading order."""
        chunks: list[Chunk] = []
        records: list[DocRecord] = []
        now = datetime.now(UTC).isoformat(timespec="seconds")
        if reuse and old_meta:
            old_docs = {d["id"]: d for d in old_meta["documents"]}
            chunks.extend(self._copy_chunks(old_meta, reuse, collection))
            records.extend(DocRecord(**old_docs[i]) for i in reuse)
        total = sum(len(new_docs[i].text) for i in fresh)
        done = 0
        for doc_id in fresh:
            doc = new_docs[doc_id]
            doc_chunks = chunk_document(doc, self.settings.chunk, self.segmenter)
            vectors = self.embedder.embed_passages([chunk_index_text(c) for c in doc_chunks])
            _add(collection, doc_chunks, vectors)
            chunks.extend(doc_chunks)
            m = doc.meta
            records.append(
                DocRecord(
                    m.id,
                    doc.sha256,
                    m.title,
                    m.issuer,
                    m.level,
                    m.region,
                    m.year,
                    m.doc_type,
                    m.source,
                    len(doc_chunks),
                    now,
                    list(m.aliases),
                    doc.text,
                )  # fmt: skip
            )
            done += len(doc.text)
            if progress:
                progress(done, total, doc_id)
        counts: dict[str, int] = {}
        for chunk in chunks:
            counts[chunk.doc_id] = counts.get(chunk.doc_id, 0) + 1
        records = sorted(
            (replace(r, chunks=counts.get(r.id, 0)) for r in records), key=lambda r: (r.source, r.id)
        )
        order = {r.id: n for n, r in enumerate(records)}
        chunks.sort(key=lambda c: (order.get(c.doc_id, 0), c.start))
        return chunks, records

    def _copy_chunks(
        self, old_meta: dict, doc_ids: list[str], collection: chromadb.Collection
    ) -> list[Chunk]:
        """Carry unchanged documents over with their stored vectors: no re-embedding."""
        wanted = set(doc_ids)
        chunks = [c for c in self.reader.read_chunks(old_meta["generation"]) if c.doc_id in wanted]
        old = self.client.get_collection(old_meta["collection"], embedding_function=None)
        for i in range(0, len(chunks), 256):
            batch = chunks[i : i + 256]
            got = old.get(ids=[c.id for c in batch], include=["embeddings"])
            vectors = dict(zip(got["ids"], got["embeddings"], strict=True))
            missing = [c for c in batch if c.id not in vectors]
            if missing:  # the old collection lost vectors: embed those again
                again = self.embedder.embed_passages([chunk_index_text(c) for c in missing])
                vectors.update({c.id: v for c, v in zip(missing, again, strict=True)})
            _add(collection, batch, np.asarray([vectors[c.id] for c in batch], dtype=np.float32))
        return chunks

    def _write_files(self, directory: Path, chunks: list[Chunk]) -> None:
        import bm25s

        write_durably(
            directory / "chunks.jsonl",
            "".join(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n" for chunk in chunks),
        )
        bm25 = bm25s.BM25()
        # bm25s needs at least one token per document; an empty chunk gets a placeholder that no query has.
        bm25.index([c.tokens or ["∅"] for c in chunks] or [["∅"]], show_progress=False)
        bm25.save(str(directory / "bm25"))
        fsync_tree(directory / "bm25")

    def _point_to(self, generation: str) -> None:
        """Swap CURRENT atomically and durably: after a power loss it names the old or the new generation."""
        tmp = self.root / "CURRENT.tmp"
        write_durably(tmp, generation)
        os.replace(tmp, self.root / "CURRENT")
        fsync_dir(self.root)

    def _highest_number(self) -> int:
        gens = self.root / "generations"
        names = [p.name[1:] for p in gens.glob("g*")] if gens.exists() else []
        return max((int(n) for n in names if n.isdigit()), default=0)

    def _prune(self, current: str) -> None:
        """Drop old generations, except the newest few and any a live reader (another process) still uses."""
        gens = sorted(p for p in (self.root / "generations").glob("g*") if p.is_dir())
        held = self.leases.held()
        for old in gens[:-KEEP_GENERATIONS]:
            if old.name == current or old.name in held:
                continue
            try:
                meta = json.loads((old / "meta.json").read_text(encoding="utf-8"))
                drop_collection(self.client, meta["collection"])
            except (OSError, ValueError, KeyError, TypeError):
                pass  # its collection, if any, is an orphan now: _remove_orphans drops it
            shutil.rmtree(old, ignore_errors=True)

    def _remove_staging(self) -> None:
        """Half-written generations from a killed ingest (we hold the lock, so none is in progress)."""
        for staging in (self.root / "generations").glob(".g*.tmp"):
            shutil.rmtree(staging, ignore_errors=True)
        (self.root / "CURRENT.tmp").unlink(missing_ok=True)

    def _remove_orphans(self) -> int:
        """Drop our collections that no generation on disk refers to (left by a killed ingest)."""
        referenced = set()
        for directory in (self.root / "generations").glob("g*"):
            try:
                referenced.add(
                    json.loads((directory / "meta.json").read_text(encoding="utf-8"))["collection"]
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue
        prefix = f"{self.settings.index.collection_prefix}_g"
        orphans = [n for n in collection_names(self.client) if n.startswith(prefix) and n not in referenced]
        for name in orphans:
            drop_collection(self.client, name)
        return len(orphans)

    def _reset_store_if_broken(self) -> None:
        """An embedded store that cannot even list its collections is removed and started anew."""
        if self.settings.index.chroma_host:
            return
        problem = sqlite_problem(self.root / "chroma" / "chroma.sqlite3")
        if problem is None:
            try:
                self.client.list_collections()
                return
            except Exception as exc:  # InternalError / sqlite errors for a damaged chroma.sqlite3
                problem = str(exc)
        log.info("embedded Chroma store unusable (%s); starting a new one", problem)
        from chromadb.api.client import SharedSystemClient

        self.reader._client = None
        SharedSystemClient.clear_system_cache()
        shutil.rmtree(self.root / "chroma", ignore_errors=True)
        # every generation's vectors went with it: nothing old can be reused or opened
        for directory in (self.root / "generations").glob("g*"):
            shutil.rmtree(directory, ignore_errors=True)


def _add(collection: chromadb.Collection, chunks: list[Chunk], vectors: np.ndarray) -> None:
    if not chunks:
        return
    collection.add(
        ids=[c.id for c in chunks],
        embeddings=np.asarray(vectors, dtype=np.float32).tolist(),
        documents=[c.text for c in chunks],
        metadatas=[
            {"doc_id": c.doc_id, "level": c.level, "section": c.section[:500], "grades": c.grades or [0]}
            for c in chunks
        ],
    )


def _keep_other_sources(
    documents: list[Document], old_docs: dict[str, dict], problems: list[str]
) -> list[Document]:
    """In a partial ingest, a new file whose id belongs to another file's document gets its own id."""
    taken = set(old_docs) | {d.id for d in documents}
    out = []
    for doc in documents:
        old = old_docs.get(doc.id)
        if old is not None and old["source"] != doc.meta.source:
            new_id = _free_id(f"{doc.id}-{Path(doc.meta.source).suffix.lstrip('.').lower() or 'file'}", taken)
            problems.append(
                f"{doc.meta.source} 与已索引的 {old['source']} 编号都是 {doc.id}，这篇改用编号 {new_id}"
            )
            doc = with_id(doc, new_id)
        out.append(doc)
    return out


def _free_id(wanted: str, taken: set[str]) -> str:
    new_id, k = wanted, 2
    while new_id in taken:
        new_id, k = f"{wanted}{k}", k + 1
    taken.add(new_id)
    return new_id
