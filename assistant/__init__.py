"""“双减”政策问答助手: grounded, cited answers over education-policy texts."""

from .errors import AssistantError, IndexMismatch, IndexMissing, SourceRejected
from .records import Answer, Chunk, Citation, Document, DocumentMeta, Hit
from .service import Assistant
from .settings import Settings, get_settings

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "Chunk",
    "Citation",
    "Document",
    "DocumentMeta",
    "Hit",
    "IndexMismatch",
    "IndexMissing",
    "Settings",
    "SourceRejected",
    "get_settings",
]
