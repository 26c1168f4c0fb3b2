"""The web app's background index job: build or load at start, refresh on an admin's request, with progress."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import IndexMismatch

if TYPE_CHECKING:
    from ..index import IngestReport
    from ..service import Assistant

log = logging.getLogger(__name__)


@dataclass
class JobState:
    """A snapshot of the index job that every session can render."""

    ready: bool = False  # the Assistant can answer (during a refresh it answers from the old generation)
    running: bool = False
    kind: str = ""  # "build" at start, "refresh" on request
    phase: str = "loading"  # loading | building | refreshing | ready | failed
    done: int = 0  # work units as the index reports them (characters embedded), not documents
    total: int = 0
    documents: int = 0
    current: str = ""
    message: str = ""
    error: str = ""

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


class IndexJob:
    """Builds (at start) or refreshes (admin button) the index in a background thread with progress.

    During a refresh the Assistant keeps answering from the old generation, so `ready` stays true.
    """

    def __init__(self, bot: Assistant):
        self.bot = bot
        self._lock = threading.Lock()
        self._state = JobState()
        self._thread: threading.Thread | None = None

    def state(self) -> JobState:
        with self._lock:
            return JobState(**vars(self._state))

    def start_initial(self) -> bool:
        return self._start("build", self._build_or_load)

    def _build_or_load(self) -> IngestReport | None:
        try:
            return self.bot.ensure_index(progress=self._progress)
        except IndexMismatch:
            # Models or chunking changed since the index was built: it has to be rebuilt anyway, so do it
            # here with progress rather than leave the app unable to answer.
            log.warning("index does not match the current settings; rebuilding it")
            return self.bot.ingest(progress=self._progress)

    def start_refresh(self, rebuild: bool = False) -> bool:
        """Re-ingest in the background; False when the index is not ready yet or a job is running."""
        if not self.state().ready:
            return False
        return self._start("refresh", lambda: self.bot.ingest(progress=self._progress, rebuild=rebuild))

    def wait(self, timeout: float | None = None) -> JobState:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.state()

    def _start(self, kind: str, work: Callable[[], IngestReport | None]) -> bool:
        with self._lock:
            if self._state.running:
                return False
            phase = "building" if kind == "build" else "refreshing"
            self._state = JobState(ready=self._state.ready, running=True, kind=kind, phase=phase)
            self._thread = threading.Thread(target=self._run, args=(work,), name=f"index-{kind}", daemon=True)
            self._thread.start()
            return True

    def _run(self, work: Callable[[], IngestReport | None]) -> None:
        try:
            report = work()
            message = report.summary() if report is not None else ""
            with self._lock:
                self._state.ready, self._state.running, self._state.message = True, False, message
                self._state.phase = "ready"
        except Exception as exc:  # the app must stay up and say what went wrong
            log.exception("index job failed")
            with self._lock:
                self._state.running, self._state.error = False, f"{type(exc).__name__}: {exc}"
                self._state.phase = "ready" if self._state.ready else "failed"

    def _progress(self, done: int, total: int, doc_id: str) -> None:
        with self._lock:
            self._state.done, self._state.total, self._state.current = done, total, doc_id
            self._state.documents += 1
