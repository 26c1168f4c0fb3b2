"""Typed records that carry text and its provenance from the corpus to the answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

LEVEL_NAMES: dict[str, str] = {
    "national": "国家",
    "province": "省级",
    "city": "市级",
    "county": "区县级",
    "school": "学校",
    "kindergarten": "幼儿园",
    "unknown": "未注明",
}


@dataclass(frozen=True)
class DocumentMeta:
    """What the manifest (or inference) says about one document."""

    id: str
    title: str
    issuer: str = "未注明"
    level: str = "unknown"
    region: str = ""
    year: int | None = None
    doc_type: str = "other"
    source: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    """A cleaned document: `text` is what chunks point into; `sha256` of the raw part drives incremental ingest."""

    meta: DocumentMeta
    text: str
    sha256: str

    @property
    def id(self) -> str:
        return self.meta.id


@dataclass
class Chunk:
    """A retrievable piece of a document, with everything a citation needs."""

    id: str
    doc_id: str
    title: str
    issuer: str
    level: str
    section: str
    start: int
    end: int
    text: str
    tokens: list[str] = field(default_factory=list)
    grades: list[int] = field(default_factory=list)
    region: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Chunk:
        return cls(**data)


@dataclass
class Hit:
    """One candidate chunk with the scores each retriever gave it."""

    chunk: Chunk
    score: float = 0.0
    bm25_rank: int | None = None
    bm25_score: float | None = None
    dense_rank: int | None = None
    dense_score: float | None = None
    matched_terms: list[str] = field(default_factory=list)
    boosts: list[str] = field(default_factory=list)


@dataclass
class Citation:
    """A numbered source: the document, the section and the exact sentence quoted."""

    number: int
    doc_id: str
    title: str
    issuer: str
    level: str
    section: str
    quote: str
    chunk_id: str
    text: str
    quote_start: int = -1

    @classmethod
    def from_chunk(cls, number: int, chunk: Chunk, quote: str) -> Citation:
        """Cite `quote`, a verbatim part of `chunk`, as source [number]."""
        return cls(
            number=number,
            doc_id=chunk.doc_id,
            title=chunk.title,
            issuer=chunk.issuer,
            level=chunk.level,
            section=chunk.section,
            quote=quote,
            chunk_id=chunk.id,
            text=chunk.text,
            quote_start=chunk.text.find(quote),
        )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    """What the assistant says, and why."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    conflicts: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    rewritten: str = ""
    notice: str = ""
    evidence_score: float = 0.0
    latency_ms: float = 0.0
    answerer: str = "extractive"
    outcome: str = ""  # "answer" | "related" | "none"; empty where no scorer decided (other retrieval modes)
    confidence: float | None = None  # calibrated chance that the best sentence answers the question

    def to_json(self) -> dict:
        """The `ask --json` shape."""
        return {
            "answer": self.text,
            "abstained": self.abstained,
            "outcome": self.outcome or ("none" if self.abstained else "answer"),
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "conflict": bool(self.conflicts),
            "citations": [
                {
                    "n": c.number,
                    "doc_id": c.doc_id,
                    "title": c.title,
                    "issuer": c.issuer,
                    "section": c.section,
                    "quote": c.quote,
                    "chunk_id": c.chunk_id,
                    "text": c.text,
                }
                for c in self.citations
            ],
            "retrieved": [
                {
                    "doc_id": h.chunk.doc_id,
                    "title": h.chunk.title,
                    "chunk_id": h.chunk.id,
                    "section": h.chunk.section,
                    "text": h.chunk.text,
                    "score": round(h.score, 6),
                }
                for h in self.hits[:10]
            ],
            "rewritten_question": self.rewritten,
            "evidence_score": round(self.evidence_score, 4),
            "latency_ms": round(self.latency_ms, 1),
            "answerer": self.answerer,
        }
