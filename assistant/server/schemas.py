"""Pydantic request and response models of the HTTP API (they make /docs a usable OpenAPI page)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MODEL_ID = "shuangjian-assistant"
# Same cap as the web chat's text box: a longer paste is refused rather than silently cut.
MAX_QUESTION_CHARS = 4000


class Scope(BaseModel):
    """Limits an answer to some documents or a region (e.g. a parent's own school)."""

    model_config = ConfigDict(extra="forbid")

    doc_ids: list[str] = Field(default_factory=list, description="Answer only from these documents.")
    region: str | None = Field(None, description="Answer only from documents of this region, e.g. 吉林省.")


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        ..., min_length=1, max_length=MAX_QUESTION_CHARS, examples=["三年级每天的书面作业不超过多长时间？"]
    )
    history: list[str] = Field(
        default_factory=list, description="Earlier user questions, oldest first (for follow-ups)."
    )
    scope: Scope | None = None


class CitationOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    n: int
    doc_id: str
    title: str
    issuer: str
    section: str
    quote: str
    chunk_id: str
    text: str


class AskResponse(BaseModel):
    """The `ask --json` object; fields the Answer gains later pass through unchanged (extra="allow")."""

    model_config = ConfigDict(extra="allow")

    answer: str
    abstained: bool
    conflict: bool
    citations: list[CitationOut]
    retrieved: list[dict[str, Any]]
    rewritten_question: str
    evidence_score: float
    latency_ms: float
    answerer: str


class SourceOut(BaseModel):
    id: str
    title: str
    issuer: str
    level: str
    region: str
    year: int | None
    doc_type: str
    source: str
    chunks: int
    indexed_at: str
    aliases: list[str] = Field(default_factory=list)


class SourcesResponse(BaseModel):
    generation: str | None
    documents: list[SourceOut]


class SectionOut(BaseModel):
    section: str
    start: int
    end: int


class DocumentResponse(SourceOut):
    text: str = Field(..., description="The cleaned text; citations' and sections' offsets point into it.")
    sections: list[SectionOut]


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., min_length=1, max_length=MAX_QUESTION_CHARS)
    answer: str = Field(..., min_length=1, max_length=20000)
    vote: Literal["up", "down"]
    citations: list[dict[str, Any]] = Field(default_factory=list, max_length=20)
    history: list[str] = Field(default_factory=list)
    session_id: str | None = Field(
        None, max_length=128, description="One vote per session and answer; default: the client address."
    )


class FeedbackResponse(BaseModel):
    id: int
    vote: str


class FeedbackRow(BaseModel):
    id: int
    created_at: str
    vote: str
    question: str
    answer: str
    citations: list[dict[str, Any]]
    history: list[str]


class JobOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    ready: bool
    running: bool
    kind: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    error: str = ""


class HealthResponse(BaseModel):
    ready: bool
    generation: str | None
    documents: int
    chunks: int
    job: JobOut


class MetadataPatch(BaseModel):
    """Fields of a document's manifest entry; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=200)
    issuer: str | None = Field(None, min_length=1, max_length=100)
    level: Literal["national", "province", "city", "county", "school", "kindergarten", "unknown"] | None = (
        None
    )
    region: str | None = Field(None, max_length=50)
    year: int | None = Field(None, ge=1949, le=2100)
    type: Literal["plan", "report", "summary", "notice", "other"] | None = None
    aliases: list[str] | None = Field(None, max_length=20)


class ChangeResponse(BaseModel):
    doc_id: str
    message: str
    ingest_started: bool
    job: JobOut


class ErrorBody(BaseModel):
    message: str
    type: str
    code: str


class ErrorResponse(BaseModel):
    error: ErrorBody


# ---------------------------------------------------------------------------- OpenAI-compatible


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    # Clients send many optional knobs (temperature, top_p, user…); they do not change an extractive answer.
    model_config = ConfigDict(extra="allow")

    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=200)
    stream: bool = False
    scope: Scope | None = None
