"""The index folder on disk: the Chroma client, durable small-file writes, and reader leases."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from .settings import Settings

if TYPE_CHECKING:
    import chromadb

log = logging.getLogger(__name__)


def make_chroma_client(settings: Settings) -> chromadb.ClientAPI:
    """Embedded PersistentClient by default; a Chroma server when ASSISTANT_INDEX_CHROMA_HOST is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.index.chroma_host:
        return chromadb.HttpClient(
            host=settings.index.chroma_host, port=settings.index.chroma_port, settings=chroma_settings
        )
    path = settings.index_dir / "chroma"
    if path.is_dir() and not writable(path):
        # The embedded store writes even when only reading (sqlite journal, segment locks): a read-only
        # deployment answers from a private copy instead. SEE: issue 12, "a read-only index folder".
        path = _private_copy(path)
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def writable(path: Path) -> bool:
    """Whether this process may write into folder `path` (and its sqlite file, if there is one)."""
    if not os.access(path, os.W_OK):
        return False
    database = path / "chroma.sqlite3"
    return not database.exists() or os.access(database, os.W_OK)


def _private_copy(path: Path) -> Path:
    copy = Path(tempfile.mkdtemp(prefix="assistant-ro-chroma-"))
    shutil.copytree(path, copy, dirs_exist_ok=True)
    for item in [copy, *copy.rglob("*")]:  # copies keep the read-only modes; the store must write here
        item.chmod(item.stat().st_mode | 0o200)
    atexit.register(shutil.rmtree, copy, True)
    log.info("index folder %s is read-only; answering from a copy in %s", path, copy)
    return copy


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


def fsync_tree(directory: Path) -> None:
    """fsync every file under `directory` and the folders holding them (a library wrote them without)."""
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            with open(path, "rb+") as handle:
                os.fsync(handle.fileno())
        elif path.is_dir():
            fsync_dir(path)
    fsync_dir(directory)


def sqlite_problem(path: Path) -> str | None:
    """What `PRAGMA quick_check` finds wrong with the store's sqlite file, or None when it is sound."""
    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            row = db.execute("PRAGMA quick_check").fetchone()
    except sqlite3.Error as exc:
        return str(exc)
    return None if row and row[0] == "ok" else str(row[0] if row else "empty result")


def collection_names(client: chromadb.ClientAPI) -> list[str]:
    """Names of all collections; [] when the store cannot list them (health() reports that)."""
    try:
        return [c if isinstance(c, str) else c.name for c in client.list_collections()]
    except Exception as exc:  # chromadb raises InternalError / sqlite errors for a damaged store
        log.debug("could not list collections: %s", exc)
        return []


def drop_collection(client: chromadb.ClientAPI, name: str) -> None:
    try:
        client.delete_collection(name)
    except Exception as exc:  # already gone is fine
        log.debug("could not drop collection %s: %s", name, exc)


class ReaderLeases:
    """`<index>/readers/<pid>` names the generation a live process answers from; ingest never prunes it."""

    def __init__(self, root: Path):
        self.folder = root / "readers"

    def register(self, generation: str) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{os.getpid()}.tmp"
            tmp.write_text(generation, encoding="utf-8")
            os.replace(tmp, self.folder / str(os.getpid()))
        except OSError:
            pass  # a read-only index folder: nobody can prune it either

    def held(self) -> set[str]:
        """Generations some live process still reads; leases of dead processes are removed."""
        held: set[str] = set()
        if not self.folder.is_dir():
            return held
        for lease in self.folder.iterdir():
            try:
                os.kill(int(lease.name), 0)
            except ValueError:
                continue  # a temporary file of a lease being written
            except ProcessLookupError:
                lease.unlink(missing_ok=True)
                continue
            except PermissionError:
                pass  # alive, another user's
            try:
                held.add(lease.read_text(encoding="utf-8").strip())
            except OSError:
                continue
        return held
