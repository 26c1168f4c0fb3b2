"""Finding more of a passage: the next sentence, the items after a colon, the next chunk of a document."""

from __future__ import annotations

from collections.abc import Mapping

from ..records import Chunk, Hit
from .quotes import MAX_QUOTE
from .sentences import Sentence, SentenceReader

COLONS = ("：", ":")


class Passages:
    """Reads around a sentence within its chunk and document; the document's chunks are handed in."""

    def __init__(self, reader: SentenceReader, doc_chunks: Mapping[str, list[Chunk]]):
        self.reader = reader
        self.doc_chunks = doc_chunks

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return self.doc_chunks.get(doc_id, [])

    def next_chunk(self, chunk: Chunk) -> Chunk | None:
        chunks = self.chunks_of(chunk.doc_id)
        position = next((i for i, c in enumerate(chunks) if c.id == chunk.id), None)
        return chunks[position + 1] if position is not None and position + 1 < len(chunks) else None

    def with_items(self, sentence: Sentence) -> list[Sentence]:
        """A sentence ending in a colon and the items after it, as many as fit in one quote. When the chunk
        ends at the colon, the next chunk (which repeats that sentence as its overlap) holds the items."""
        items = self.items_after(sentence)
        if items:
            return [sentence, *items]
        following = self.next_chunk(sentence.hit.chunk)
        if following is not None:
            _, units = self.reader.units(following)
            for start, end, text, _tokens in units:
                if text == sentence.text:
                    moved = Sentence(Hit(following, sentence.hit.score), sentence.rank, start, end, text)
                    if items := self.items_after(moved):
                        return [moved, *items]
                    break
        return [sentence]

    def items_after(self, sentence: Sentence) -> list[Sentence]:
        """The sentences after `sentence` in its chunk, while they fit in one quote (up to the next lead-in)."""
        _, units = self.reader.units(sentence.hit.chunk)
        items: list[Sentence] = []
        length = len(sentence.text)
        for start, end, text, _tokens in units:
            if start < sentence.end:
                continue
            length += len(text)
            if length > MAX_QUOTE or (items and text.endswith(COLONS)):
                break
            items.append(Sentence(sentence.hit, sentence.rank, start, end, text))
        return items

    @staticmethod
    def next_sentence(sentence: Sentence, pool: list[Sentence]) -> Sentence | None:
        after = [s for s in pool if s.hit is sentence.hit and s.start >= sentence.end]
        return min(after, key=lambda s: s.start) if after else None
