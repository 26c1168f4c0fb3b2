"""Exception tree: every error a user can meet carries a one-line Chinese message."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class; str(e) is a message fit to show a user."""


class SourceRejected(AssistantError):
    """A corpus file could not be read (empty, binary, unsupported, broken)."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"已跳过 {path}：{reason}")


class ManifestError(AssistantError):
    """The corpus manifest is malformed or names something that is not there."""


class IndexMissing(AssistantError):
    """No index has been built yet."""

    def __init__(self, index_dir: str):
        super().__init__(f"还没有建立索引（{index_dir}）。请先运行：python -m assistant ingest")


class IndexMismatch(AssistantError):
    """The index was built with another embedding model or chunker settings."""

    def __init__(self, what: str, built: str, wanted: str):
        super().__init__(
            f"索引是用不同的{what}建立的（索引：{built}；当前设置：{wanted}）。"
            "请重新运行：python -m assistant ingest --rebuild"
        )


class EmbeddingUnavailable(AssistantError):
    """The configured embedding model cannot be loaded offline."""
