"""The on-disk index: a Chroma collection + a BM25 index per generation, swapped atomically on ingest."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import bm25s
import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from .chunking import chunk_document, chunk_index_text
from .corpus import load_corpus
from .embeddings import Embedder
from .errors import AssistantError, CorpusEmpty, IndexDamaged, IndexMismatch, IndexMissing
from .records import Chunk, Document
from .segment import Segmenter
from .settings import Settings

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # bump when chunking or grade parsing changes what is stored
KEEP_GENERATIONS = 2  # the previous one stays, so a query in flight during a swap still finds its collection


def make_chroma_client(settings: Settings) -> chromadb.ClientAPI:
    """Embedded PersistentClient by default; a Chroma server when ASSISTANT_INDEX_CHROMA_HOST is set."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.index.chroma_host:
        return chromadb.HttpClient(
            host=settings.index.chroma_host, port=settings.index.chroma_port, settings=chroma_settings
        )
    path = settings.index_dir / "chroma"
    if path.is_dir() and not os.access(path, os.W_OK):
        # The embedded store writes even when only reading (locks, WAL): a read-only deployment answers
        # from a private copy instead.
        copy = Path(tempfile.mkdtemp(prefix="assistant-ro-chroma-"))
        shutil.copytree(path, copy, dirs_exist_ok=True)
        path = copy
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in `path` survive a power loss."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_durably(path: Path, text: str) -> None:
    """Write, flush and fsync a small file, so a crash never leaves it empty after a rename."""
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())


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

    def summary(self) -> str:
        line = (
            f"文档 {self.documents} 篇，分块 {self.chunks} 个；新增 {len(self.added)}，更新 {len(self.updated)}，"
            f"删除 {len(self.removed)}，未变 {len(self.unchanged)}；拒收 {len(self.rejected)}；用时 {self.seconds:.1f} 秒"
        )
        return line


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

    @property
    def generation(self) -> str:
        return self.meta["generation"]

    def keyword_scores(self, tokens: list[str]) -> np.ndarray:
        known = [t for t in tokens if t in self._vocab]
        if not known:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)

    def dense_search(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first."""
        k = min(k, len(self.chunks))
        if k <= 0:
            return []
        result = self.collection.query(
            query_embeddings=[vector.tolist()], n_results=k, where=where, include=["distances"]
        )
        ids = result["ids"][0]
        distances = result["distances"][0] if result.get("distances") else [1.0] * len(ids)
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]


class IndexStore:
    """Reads and writes generations under settings.index_dir."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        segmenter: Segmenter,
        client: chromadb.ClientAPI | None = None,
    ):
        self.settings = settings
        self.embedder = embedder
        self.segmenter = segmenter
        self.root = settings.index_dir
        self._client = client

    @property
    def client(self) -> chromadb.ClientAPI:
        if self._client is None:
            self._client = make_chroma_client(self.settings)
        return self._client

    # ------------------------------------------------------------------ reading

    def current_generation(self) -> str | None:
        """The generation CURRENT names, or None when there is no index yet."""
        pointer = self.root / "CURRENT"
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise IndexDamaged(f"无法读取 {pointer}（{exc.strerror or exc}）") from exc
        if not name:
            raise IndexDamaged(f"{pointer} 是空的")
        if not (self.root / "generations" / name).is_dir():
            raise IndexDamaged(f"{pointer} 指向的版本 {name} 不存在")
        return name

    def read_meta(self, generation: str | None = None) -> dict | None:
        """meta.json of a generation (default: the current one); IndexDamaged when it cannot be read."""
        generation = generation or self.current_generation()
        if generation is None:
            return None
        path = self.root / "generations" / generation / "meta.json"
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise IndexDamaged(f"版本 {generation} 缺少 meta.json") from exc
        except (OSError, ValueError) as exc:
            raise IndexDamaged(f"版本 {generation} 的 meta.json 无法读取（{type(exc).__name__}）") from exc
        needed = {"generation", "collection", "documents", "chunk_count", "embedding", "chunker"}
        if not isinstance(meta, dict) or needed - set(meta):
            raise IndexDamaged(f"版本 {generation} 的 meta.json 内容不完整")
        return meta

    def check_compatible(self, meta: dict) -> None:
        if meta.get("embedding") != self.embedder.name:
            raise IndexMismatch("嵌入模型", meta.get("embedding", "?"), self.embedder.name)
        if meta.get("chunker") != chunker_signature(self.settings):
            raise IndexMismatch(
                "分块设置", json.dumps(meta.get("chunker")), json.dumps(chunker_signature(self.settings))
            )

    def open(self, generation: str | None = None) -> LoadedIndex:
        """Open a generation (default: the current one); IndexMissing / IndexMismatch / IndexDamaged say what to run."""
        generation = generation or self.current_generation()
        if generation is None:
            raise IndexMissing(str(self.root))
        directory = self.root / "generations" / generation
        meta = self.read_meta(generation)
        assert meta is not None
        self.check_compatible(meta)
        try:
            chunks = [
                Chunk.from_dict(json.loads(line))
                for line in (directory / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()
            ]
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise IndexDamaged(f"版本 {generation} 的 chunks.jsonl 无法读取（{type(exc).__name__}）") from exc
        if len(chunks) != meta["chunk_count"]:
            raise IndexDamaged(f"版本 {generation} 的分块数与 meta.json 不符")
        try:
            bm25 = bm25s.BM25.load(str(directory / "bm25"))
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
        return LoadedIndex(directory, meta, chunks, bm25, collection)

    def health(self) -> str | None:
        """None when the current generation opens cleanly (or there is none), else what is wrong."""
        try:
            self.open()
        except IndexMissing:
            return None
        except IndexMismatch:
            return None  # not damage: ingest rebuilds for a new model or chunker anyway
        except IndexDamaged as exc:
            return str(exc)
        return None

    # ------------------------------------------------------------------ writing

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "ingest.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise AssistantError("另一个建索引任务正在运行，请稍后再试") from exc
            yield

    def ingest(
        self,
        paths: list[Path] | None = None,
        rebuild: bool = False,
        progress: Callable[[int, int, str], None] | None = None,
    ) -> IngestReport:
        """Bring the index up to date with the corpus (or add/replace just `paths`); atomic.

        A damaged current generation is rebuilt from the corpus; `rebuild` works whatever state the
        index folder is in. An empty or unreadable corpus never replaces an index (that would delete
        every document).
        """
        started = time.perf_counter()
        report = IngestReport()
        with self._lock():
            self._remove_staging()
            damage = None if rebuild else self.health()
            if rebuild or damage:
                self._reset_store_if_broken()
            if damage:
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
            old_meta = None if (rebuild or damage) else self.read_meta()
            if rebuild:
                report.rebuilt = "按要求全部重建"
            elif damage:
                report.rebuilt = f"{damage.removesuffix('。请运行：python -m assistant ingest --rebuild')}；已从语料全部重建"
            elif old_meta:
                try:
                    self.check_compatible(old_meta)
                except IndexMismatch:
                    report.rebuilt = "嵌入模型或分块设置已变化，已全部重建"
                    old_meta = None
            self._plan_and_write(old_meta, loaded.documents, bool(paths), progress, report)
            self._remove_orphans()
        report.seconds = time.perf_counter() - started
        return report

    def _plan_and_write(
        self,
        old_meta: dict | None,
        documents: list[Document],
        partial: bool,
        progress: Callable[[int, int, str], None] | None,
        report: IngestReport,
    ) -> None:
        old_docs = {d["id"]: d for d in (old_meta or {}).get("documents", [])}
        new_docs = {d.id: d for d in documents}
        keep = {i: d for i, d in old_docs.items() if i not in new_docs} if partial else {}
        plan_unchanged = [
            i for i, d in new_docs.items() if i in old_docs and old_docs[i]["sha256"] == d.sha256
        ]
        plan_changed = [i for i in new_docs if i in old_docs and i not in plan_unchanged]
        plan_added = [i for i in new_docs if i not in old_docs]
        plan_removed = [] if partial else [i for i in old_docs if i not in new_docs]
        report.unchanged = sorted(plan_unchanged + list(keep))
        report.updated, report.added, report.removed = plan_changed, plan_added, plan_removed
        if old_meta and not (plan_changed or plan_added or plan_removed):
            report.documents = len(old_docs)
            report.chunks = old_meta["chunk_count"]
            report.generation = old_meta["generation"]
            return
        report.generation = self._write_generation(
            old_meta, new_docs, plan_unchanged + list(keep), plan_changed + plan_added, progress, report
        )

    def _write_generation(
        self,
        old_meta: dict | None,
        new_docs: dict[str, Document],
        reuse: list[str],
        fresh: list[str],
        progress: Callable[[int, int, str], None] | None,
        report: IngestReport,
    ) -> str:
        number = int((old_meta or {}).get("number", 0)) + 1
        if not old_meta:
            number = self._next_free_number()
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
            chunks: list[Chunk] = []
            records: list[DocRecord] = []
            now = datetime.now(UTC).isoformat(timespec="seconds")
            old_docs = {d["id"]: d for d in (old_meta or {}).get("documents", [])}
            if reuse and old_meta:
                chunks.extend(self._copy_chunks(old_meta, reuse, collection))
                records.extend(DocRecord(**old_docs[i]) for i in reuse)
            total = sum(len(new_docs[i].text) for i in fresh)
            done = 0
            for doc_id in fresh:
                doc = new_docs[doc_id]
                doc_chunks = chunk_document(doc, self.settings.chunk, self.segmenter)
                self._add(
                    collection,
                    doc_chunks,
                    self.embedder.embed_passages([chunk_index_text(c) for c in doc_chunks]),
                )
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
                    )
                )
                done += len(doc.text)
                if progress:
                    progress(done, total, doc_id)
            for record in records:
                record.chunks = sum(1 for c in chunks if c.doc_id == record.id)
            order = {r.id: n for n, r in enumerate(sorted(records, key=lambda r: (r.source, r.id)))}
            chunks.sort(key=lambda c: (order.get(c.doc_id, 0), c.start))
            self._write_files(staging, chunks)
            meta = {
                "generation": generation,
                "number": number,
                "collection": collection_name,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "embedding": self.embedder.name,
                "chunker": chunker_signature(self.settings),
                "chunk_count": len(chunks),
                "documents": [asdict(r) for r in sorted(records, key=lambda r: (r.source, r.id))],
            }
            write_durably(staging / "meta.json", json.dumps(meta, ensure_ascii=False, indent=1))
            fsync_dir(staging)
            final = self.root / "generations" / generation
            shutil.rmtree(final, ignore_errors=True)
            os.replace(staging, final)
            fsync_dir(final.parent)
            self._point_to(generation)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if collection is not None:
                self._drop_collection(collection_name)
            raise
        report.documents = len(records)
        report.chunks = len(chunks)
        self._prune(generation)
        return generation

    def _copy_chunks(
        self, old_meta: dict, doc_ids: list[str], collection: chromadb.Collection
    ) -> list[Chunk]:
        """Carry unchanged documents over with their stored vectors: no re-embedding."""
        old_dir = self.root / "generations" / old_meta["generation"]
        wanted = set(doc_ids)
        chunks = [
            c
            for c in (
                Chunk.from_dict(json.loads(line))
                for line in (old_dir / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()
            )
            if c.doc_id in wanted
        ]
        old = self.client.get_collection(old_meta["collection"], embedding_function=None)
        for i in range(0, len(chunks), 256):
            batch = chunks[i : i + 256]
            got = old.get(ids=[c.id for c in batch], include=["embeddings"])
            vectors = dict(zip(got["ids"], got["embeddings"], strict=True))
            missing = [c for c in batch if c.id not in vectors]
            if missing:  # the old collection lost vectors: embed those again
                fresh = self.embedder.embed_passages([chunk_index_text(c) for c in missing])
                vectors.update({c.id: v for c, v in zip(missing, fresh, strict=True)})
            self._add(collection, batch, np.asarray([vectors[c.id] for c in batch], dtype=np.float32))
        return chunks

    @staticmethod
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

    def _write_files(self, directory: Path, chunks: list[Chunk]) -> None:
        write_durably(
            directory / "chunks.jsonl",
            "".join(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n" for chunk in chunks),
        )
        bm25 = bm25s.BM25()
        # bm25s needs at least one token per document; an empty chunk gets a placeholder that no query has.
        bm25.index([c.tokens or ["∅"] for c in chunks] or [["∅"]], show_progress=False)
        bm25.save(str(directory / "bm25"))
        for path in (directory / "bm25").iterdir():
            with open(path, "rb+") as handle:
                os.fsync(handle.fileno())
        fsync_dir(directory / "bm25")

    def _point_to(self, generation: str) -> None:
        tmp = self.root / "CURRENT.tmp"
        write_durably(tmp, generation)
        os.replace(tmp, self.root / "CURRENT")
        fsync_dir(self.root)

    def _next_free_number(self) -> int:
        gens = self.root / "generations"
        numbers = [int(p.name[1:]) for p in gens.glob("g*") if p.name[1:].isdigit()] if gens.exists() else []
        return max(numbers, default=0) + 1

    def _prune(self, current: str) -> None:
        """Drop old generations, except the newest few and any a live reader (another process) still uses."""
        gens = sorted(p for p in (self.root / "generations").glob("g*") if p.is_dir())
        held = self.held_by_readers()
        for old in gens[:-KEEP_GENERATIONS]:
            if old.name == current or old.name in held:
                continue
            try:
                meta = json.loads((old / "meta.json").read_text(encoding="utf-8"))
                self._drop_collection(meta["collection"])
            except (OSError, ValueError, KeyError, TypeError):
                pass
            shutil.rmtree(old, ignore_errors=True)

    def _remove_staging(self) -> None:
        """Half-written generations from a killed ingest (we hold the lock, so none is in progress)."""
        for staging in (self.root / "generations").glob(".g*.tmp"):
            shutil.rmtree(staging, ignore_errors=True)

    def _remove_orphans(self) -> None:
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
        for name in self.collection_names():
            if name.startswith(prefix) and name not in referenced:
                self._drop_collection(name)

    def collection_names(self) -> list[str]:
        try:
            return [c if isinstance(c, str) else c.name for c in self.client.list_collections()]
        except Exception as exc:  # a broken store is reported by health(), not here
            log.debug("could not list collections: %s", exc)
            return []

    def _reset_store_if_broken(self) -> None:
        """An embedded store that cannot even list its collections is moved aside and started anew."""
        if self.settings.index.chroma_host:
            return
        try:
            self.client.list_collections()
            return
        except Exception as exc:  # InternalError / sqlite errors for a damaged chroma.sqlite3
            log.warning("embedded Chroma store unusable (%s); starting a new one", exc)
        self._client = None
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
        path = self.root / "chroma"
        shutil.rmtree(path, ignore_errors=True)
        # every generation's vectors are gone with it: nothing old can be reused or opened
        for directory in (self.root / "generations").glob("g*"):
            shutil.rmtree(directory, ignore_errors=True)

    # ------------------------------------------------------------------ readers

    def register_reader(self, generation: str) -> None:
        """Record that this process answers from `generation`, so another process's ingest keeps it."""
        readers = self.root / "readers"
        try:
            readers.mkdir(parents=True, exist_ok=True)
            (readers / str(os.getpid())).write_text(generation, encoding="utf-8")
        except OSError:
            pass  # a read-only index folder: nobody can prune it either

    def held_by_readers(self) -> set[str]:
        held = set()
        readers = self.root / "readers"
        if not readers.is_dir():
            return held
        for lease in readers.iterdir():
            try:
                pid = int(lease.name)
                os.kill(pid, 0)
            except (ValueError, ProcessLookupError):
                lease.unlink(missing_ok=True)
                continue
            except PermissionError:
                pass  # alive, another user's
            try:
                held.add(lease.read_text(encoding="utf-8").strip())
            except OSError:
                continue
        return held

    def _drop_collection(self, name: str) -> None:
        try:
            self.client.delete_collection(name)
        except Exception as exc:  # already gone is fine
            log.debug("could not drop collection %s: %s", name, exc)
