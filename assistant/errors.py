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


class CorpusMissing(AssistantError):
    """The corpus folder does not exist."""

    def __init__(self, corpus_dir: str):
        super().__init__(
            f"找不到语料文件夹 {corpus_dir}。请建立它并放入文档，或用 ASSISTANT_CORPUS_DIR 指定正确的位置"
        )


class CorpusEmpty(AssistantError):
    """Nothing readable in the corpus: committing that would delete every indexed document."""

    def __init__(self, corpus_dir: str, rejected: int):
        why = f"{rejected} 个文件都无法读取" if rejected else "里面没有文档"
        super().__init__(
            f"语料文件夹 {corpus_dir} {why}，为避免删除已有的全部文档，索引保持不变。放入文档后再运行 ingest"
        )


class IndexDamaged(AssistantError):
    """A generation's files are unreadable or inconsistent."""

    def __init__(self, what: str):
        self.what = what
        super().__init__(f"索引文件损坏：{what}。请运行：python -m assistant ingest --rebuild")


class IndexChanged(AssistantError):
    """The generation a reader was using disappeared (another process replaced it); asking again works."""

    def __init__(self, generation: str):
        self.generation = generation
        super().__init__("索引刚刚更新过，已切换到最新版本，请再问一次")


class IndexBusy(AssistantError):
    """Another ingest holds the lock, or the index folder cannot be written."""


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
