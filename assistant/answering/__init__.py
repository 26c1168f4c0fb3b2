"""Answering: sentences and their features, scoring, quotes, one module per strategy, the extractive
coordinator, and the optional LLM answerer beside it (with its grounding checks)."""

from .extractive import ExtractiveAnswerer
from .sentences import Features, Sentence, SentenceReader

__all__ = ["ExtractiveAnswerer", "Features", "Sentence", "SentenceReader"]
