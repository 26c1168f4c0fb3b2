"""What a strategy proposes: the reply lines, citations and conflicts — or the reason to abstain."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..records import Citation


@dataclass
class Draft:
    """A strategy's result; the coordinator turns it into the one `Answer` (extractive.py)."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    abstained: bool = False

    @classmethod
    def abstain(cls, reason: str) -> Draft:
        return cls(text=reason, abstained=True)
