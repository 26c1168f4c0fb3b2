"""Question memory: questions people asked before, each with the sentence that answered it (or none did).

A parent's words rarely match a rule's, but they often match how another parent asked about the same rule. The
memory holds labelled questions (assistant/data/memory.jsonl, written by `python -m evals.train` from the
parents'-words bank); a new question's nearest remembered questions vote for the sentences that answered them.
The votes are features the learned ranker and sentence scorer weigh — they never answer on their own, and a
document no remembered question was about (one added later) is scored exactly as without a memory.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .cleaning import comparable
from .embeddings import Embedder

MEMORY_PATH = Path(__file__).resolve().parent / "data" / "memory.jsonl"
NEIGHBOURS = 8  # remembered questions that vote
POOL_NEIGHBOURS = 3  # whose answering chunks join the candidate pool
NO_VOTE_GAP = -0.1  # similarity gap recorded for a sentence no neighbour voted for (below any neighbour's)
MIN_OVERLAP = 6  # characters of a snippet a sentence must hold to count as the one it was copied from

# Feature names (in column order) for a candidate sentence or chunk, and for the question as a whole.
VOTE_FEATURES = (
    "memory_gap",  # similarity of the closest neighbour voting for it minus the closest neighbour's
    "memory_rr",  # 1 / (1 + rank of the closest neighbour voting for it); 0 without a vote
    "memory_share",  # share of the neighbours voting for it
)
# (Not "some remembered question was answered from its document": in training, holding a rule's documents out
# makes the gold document the one unknown document, and a model learns that "unknown" means "the answer".)
# (Not how close the nearest remembered question is: a question on a rule nobody asked about before, or on a
# document added later, is as answerable as one with a twin in the memory.)
QUESTION_MEMORY_FEATURES = (
    "memory_unanswerable",
)  # share of the closest neighbours the documents did not answer (0 for a candidate from a document no
# remembered question was answered from: "not answerable" was said of the documents as they were then, and a
# document added since may answer it)
EVERYONE = "*"  # held out: the whole memory
OTHER_STAGE = -1  # the "grade" of a remembered question on a stage the documents do not cover (高中)


@dataclass(frozen=True)
class Remembered:
    """One labelled question: its words, earlier turns, whether the documents answer it, and the snippets of
    the answering sentence. `group` is its writer, so training can leave a writer's own questions out."""

    question: str
    history: tuple[str, ...] = ()
    answerable: bool = True
    evidence: tuple[str, ...] = ()
    group: str = ""


def load_items(path: Path = MEMORY_PATH) -> list[Remembered]:
    """The shipped memory; empty when the file is missing (every vote is then "none")."""
    if not path.exists():
        return []
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            items.append(
                Remembered(
                    question=raw["question"],
                    history=tuple(raw.get("history") or ()),
                    answerable=bool(raw.get("answerable", True)),
                    evidence=tuple(raw.get("evidence") or ()),
                    group=raw.get("group", ""),
                )
            )
    return items


def save_items(items: list[Remembered], path: Path = MEMORY_PATH) -> None:
    lines = [
        json.dumps(
            {
                "question": i.question,
                "history": list(i.history),
                "answerable": i.answerable,
                "evidence": list(i.evidence),
                "group": i.group,
            },
            ensure_ascii=False,
        )
        for i in items
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


UnitKey = tuple[str, int]  # (chunk id, sentence start offset in the chunk)


@dataclass
class Recall:
    """The neighbours of one question: who they are, how close, and what each voted for."""

    similarities: np.ndarray  # of the neighbours, closest first
    answerable: np.ndarray
    votes: list[frozenset[UnitKey]]
    top_similarity: float = 0.0
    known_documents: frozenset[str] = frozenset()  # documents the neighbours' memory was answered from
    _by_chunk: list[frozenset[str]] = field(default_factory=list)

    def __post_init__(self):
        self._by_chunk = [frozenset(chunk for chunk, _ in v) for v in self.votes]

    def _row(self, voted: list[int]) -> list[float]:
        if not voted:
            return [NO_VOTE_GAP, 0.0, 0.0]
        first = voted[0]
        return [
            float(self.similarities[first] - self.top_similarity),
            1.0 / (1.0 + first),
            len(voted) / len(self.votes),
        ]

    def sentence_row(self, key: UnitKey) -> list[float]:
        """VOTE_FEATURES of a candidate sentence."""
        return self._row([n for n, v in enumerate(self.votes) if key in v])

    def chunk_row(self, chunk_id: str) -> list[float]:
        """VOTE_FEATURES of a candidate chunk (a vote for any of its sentences)."""
        return self._row([n for n, v in enumerate(self._by_chunk) if chunk_id in v])

    def question_row(self, document: str | None = None) -> list[float]:
        """QUESTION_MEMORY_FEATURES, for a candidate from `document` (None: any)."""
        if not len(self.similarities) or (document is not None and document not in self.known_documents):
            return [0.0]
        return [float((~self.answerable[:5]).mean())]

    def pool_chunks(self) -> list[str]:
        """Chunks that answered the closest few neighbours, closest first."""
        out: list[str] = []
        for chunks in self._by_chunk[:POOL_NEIGHBOURS]:
            out.extend(c for c in sorted(chunks) if c not in out)
        return out


class QuestionMemory:
    """The remembered questions embedded as queries, each mapped to the index sentences holding its snippets."""

    def __init__(
        self,
        items: list[Remembered],
        embedder: Embedder,
        understand: Callable[[Remembered], tuple[str, set[int]] | None],
        units: list[tuple[str, int, str]],
        cache: Path | None = None,
        document_of: Callable[[str], str] = lambda chunk_id: chunk_id.split("#")[0],
    ):
        """`understand` gives the text a question is embedded as (what retrieval embeds) and the grades it names
        (None to skip one);
        `units` are the index's (chunk id, start, sentence) triples; `document_of` names a chunk's document."""
        self.held_out: frozenset[str] = frozenset()
        self.held_out_documents: frozenset[str] = frozenset()
        self.document_of = document_of
        kept, texts, grades = [], [], []
        for item in items:
            understood = understand(item)
            if understood and understood[0]:
                kept.append(item)
                texts.append(understood[0])
                grades.append(frozenset(understood[1]))
        self.items = kept
        self.grades = grades
        self.keys = [_key(t) for t in texts]
        self.matrix = _embed_queries(embedder, texts, cache)
        self.answerable = np.array([i.answerable for i in kept], dtype=bool)
        self.groups = np.array([i.group for i in kept])
        self.locate = _Locator(units)
        self.votes = [self.locate(item.evidence) if item.answerable else frozenset() for item in kept]
        self.vote_documents = [self.documents(v) for v in self.votes]
        self.known_documents = _sole_documents(self.vote_documents)

    def __len__(self) -> int:
        return len(self.items)

    def documents(self, units: frozenset[UnitKey]) -> frozenset[str]:
        return frozenset(self.document_of(chunk_id) for chunk_id, _ in units)

    @contextmanager
    def holding_out(
        self, groups: set[str], documents: set[str] | frozenset[str] = frozenset()
    ) -> Iterator[None]:
        """Leave these writers' questions out, and those answered from these documents (training: a question
        must not vote for itself, nor its writer's near-duplicates; and a rule's document may be one added
        later, that no remembered question was about)."""
        before = self.held_out, self.held_out_documents
        self.held_out, self.held_out_documents = frozenset(groups), frozenset(documents)
        try:
            yield
        finally:
            self.held_out, self.held_out_documents = before

    def recall(
        self,
        query_vector: np.ndarray,
        named: set[str] | frozenset[str] = frozenset(),
        grades: set[int] | frozenset[int] = frozenset(),
    ) -> Recall:
        """The nearest remembered questions. A question naming documents (`named`: a school, a place) none of
        which any remembered question was answered from gets no neighbours: its neighbours would only vote for
        other schools' rules. A remembered question about other grades than the question's is no neighbour:
        三年级 and 七年级 homework questions read alike but are answered by different rules."""
        if not len(self.items) or EVERYONE in self.held_out:
            return Recall(np.zeros(0), np.zeros(0, dtype=bool), [])
        sims = self.matrix @ query_vector
        if grades:
            sims = np.where([bool(g) and not g & grades for g in self.grades], -np.inf, sims)
        known = self.known_documents
        if self.held_out or self.held_out_documents:
            out = np.isin(self.groups, list(self.held_out))
            if self.held_out_documents:
                out |= np.array([bool(d & self.held_out_documents) for d in self.vote_documents])
            sims = np.where(out, -np.inf, sims)
            known = _sole_documents([d for d, o in zip(self.vote_documents, out, strict=True) if not o])
        if named and not named & known:
            return Recall(np.zeros(0), np.zeros(0, dtype=bool), [])
        order = [int(i) for i in np.argsort(-sims)[:NEIGHBOURS] if np.isfinite(sims[i])]
        return Recall(
            similarities=sims[order],
            answerable=self.answerable[order],
            votes=[self.votes[i] for i in order],
            top_similarity=float(sims[order[0]]) if order else 0.0,
            known_documents=known,
        )


def _sole_documents(vote_documents: list[frozenset[str]]) -> frozenset[str]:
    """Documents a remembered question was answered from alone. A document added later that restates a sentence
    the corpus also has (校外培训机构不得占用…) shares that question's vote, but no remembered question was about
    it: a question naming it must not take the remembered near-misses' "unanswerable" for its own."""
    return frozenset(next(iter(d)) for d in vote_documents if len(d) == 1)


class _Locator:
    """Finds the index sentences a snippet was copied from (in comparison form, across sentence breaks)."""

    def __init__(self, units: list[tuple[str, int, str]]):
        parts, self.starts, self.keys = [], [], []
        position = 0
        for chunk_id, start, text in units:
            normal = comparable(text)
            parts.append(normal)
            self.starts.append(position)
            self.keys.append((chunk_id, start))
            position += len(normal)
        self.text = "".join(parts)
        self.ends = [*self.starts[1:], position]

    def __call__(self, snippets: tuple[str, ...]) -> frozenset[UnitKey]:
        found: set[UnitKey] = set()
        for snippet in snippets:
            normal = comparable(snippet)
            if len(normal) < 4:
                continue
            hits = self._spans(normal)
            if not hits and len(normal) > 24:  # cleaning changed the middle: try either end
                hits = self._spans(normal[:12]) or self._spans(normal[-12:])
            for a, b in hits:
                found |= self._units(a, b)
        return frozenset(found)

    def _spans(self, needle: str) -> list[tuple[int, int]]:
        out, at = [], self.text.find(needle)
        while at >= 0:
            out.append((at, at + len(needle)))
            at = self.text.find(needle, at + 1)
        return out

    def _units(self, a: int, b: int) -> set[UnitKey]:
        need = min(b - a, MIN_OVERLAP)
        out = set()
        n = max(bisect.bisect_right(self.starts, a) - 1, 0)
        while n < len(self.starts) and self.starts[n] < b:
            if min(b, self.ends[n]) - max(a, self.starts[n]) >= need:
                out.add(self.keys[n])
            n += 1
        return out


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def shipped_vectors(embedder: Embedder) -> Path:
    """The memory's query vectors for this embedding model, shipped beside memory.jsonl by evals.train (a fresh
    index then need not embed 770 questions; a text they miss is embedded as usual)."""
    name = "".join(c if c.isalnum() else "-" for c in getattr(embedder, "name", "model"))
    return MEMORY_PATH.with_name(f"memory-vectors-{name}.npz")


def _embed_queries(embedder: Embedder, texts: list[str], cache: Path | None) -> np.ndarray:
    """Query vectors of the remembered questions, cached on disk by text (embedding them takes seconds)."""
    keys = [_key(t) for t in texts]
    stored: dict[str, np.ndarray] = {}
    for path in (shipped_vectors(embedder), cache):
        if path is None or not path.exists():
            continue
        try:
            data = np.load(path)
            stored.update(zip(data["keys"].tolist(), data["vectors"], strict=True))
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is rebuilt
    missing = [(k, t) for k, t in zip(keys, texts, strict=True) if k not in stored]
    for key, text in missing:
        stored[key] = embedder.embed_query(text)
    if missing and cache is not None:
        try:
            tmp = cache.with_suffix(".tmp.npz")
            np.savez(tmp, keys=np.array(keys), vectors=np.array([stored[k] for k in keys], dtype=np.float32))
            tmp.replace(cache)
        except OSError:  # a read-only index folder: the vectors stay in memory
            pass
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.asarray([stored[k] for k in keys], dtype=np.float32)
