"""Fast fixtures for unit tests: hand-built chunks, the real jieba segmenter, no index, no embedding model."""

from __future__ import annotations

import pytest

from assistant.answering import ExtractiveAnswerer, SentenceReader
from assistant.quantities import parse_grades
from assistant.query import Catalog, QueryParser
from assistant.records import Chunk, Hit
from assistant.retrieval import TermWeights
from assistant.segment import Segmenter
from assistant.settings import AnswerSettings


@pytest.fixture(scope="session")
def segmenter() -> Segmenter:
    return Segmenter()


class Shelf:
    """A handful of hand-written chunks with everything the answerer needs around them."""

    def __init__(self, segmenter: Segmenter, texts: dict[str, str]):
        self.segmenter = segmenter
        self.chunks = []
        for n, (doc_id, text) in enumerate(texts.items()):
            self.chunks.append(
                Chunk(
                    id=f"{doc_id}#000",
                    doc_id=doc_id,
                    title=f"文件{n + 1}",
                    issuer="某校",
                    level="school",
                    section="正文",
                    start=0,
                    end=len(text),
                    text=text,
                    tokens=segmenter.tokens(text),
                    grades=sorted(parse_grades(text)),
                )
            )
        self.weights = TermWeights(self.chunks)
        self.reader = SentenceReader(segmenter, self.weights.coverage)
        catalog = Catalog(full_text="\n".join(texts.values()))
        self.parser = QueryParser(segmenter, catalog)
        doc_chunks = {c.doc_id: [c] for c in self.chunks}
        self.answerer = ExtractiveAnswerer(self.reader, doc_chunks, AnswerSettings())

    def hits(self) -> list[Hit]:
        """Every chunk as a hit, in the order given, with falling retrieval scores."""
        return [Hit(chunk=c, score=1.0 - 0.1 * i) for i, c in enumerate(self.chunks)]

    def ask(self, question: str, history: list[str] | None = None):
        return self.answerer.answer(self.parser.parse(question, history), self.hits())


@pytest.fixture
def shelf(segmenter):
    return lambda texts: Shelf(segmenter, texts)
