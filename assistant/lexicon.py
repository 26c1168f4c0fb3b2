"""The language and domain knowledge of data/lexicon.toml, loaded and compiled once (typed, immutable)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

LEXICON = Path(__file__).parent / "data" / "lexicon.toml"
_REF = re.compile(r"<<(\w+)>>")


@dataclass(frozen=True)
class Example:
    """Examples of one entry: texts a pattern must find / must not find, or members a list has / lacks."""

    name: str
    positive: tuple[str, ...]
    negative: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One of an ordered list of patterns (question types, grade patterns, enumeration markers)."""

    name: str
    pattern: re.Pattern[str]


class Lexicon:
    """Compiled view of the lexicon file. Build with `lexicon()` (cached: the data never changes at run time)."""

    def __init__(self, data: dict[str, Any]):
        self._sources: dict[str, str] = {k: v["regex"] for k, v in data.get("pattern", {}).items()}
        self._patterns: dict[str, re.Pattern[str]] = {}
        for name in self._sources:
            if not self._templated(name):
                self._patterns[name] = re.compile(self.source(name))
        self._words = {k: tuple(v["words"].split()) for k, v in data.get("words", {}).items()}
        self._tables = {k: MappingProxyType(dict(v["values"])) for k, v in data.get("table", {}).items()}
        self.question_types = tuple(self._rules(data, "question_type", "name"))
        self.grade_patterns = tuple(self._rules(data, "grade_pattern", "kind"))
        self.enumeration_markers = tuple(
            Rule(str(i), re.compile(self.expand(e["regex"])))
            for i, e in enumerate(data.get("enumeration_marker", []))
        )
        thesaurus = data.get("thesaurus", {})
        self.thesaurus: tuple[tuple[str, str], ...] = tuple((c, f) for c, f in thesaurus.get("pairs", []))
        self.thesaurus_examples = tuple((e["input"], e["output"]) for e in thesaurus.get("examples", []))
        topics = {k: tuple(v) for k, v in data.get("topics", {}).items() if k != "doc"}
        self.topics: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(topics)
        self.examples = tuple(self._examples(data))

    # ------------------------------------------------------------------ access

    def pattern(self, name: str) -> re.Pattern[str]:
        """The compiled pattern `name` (KeyError at import time for a misspelt name)."""
        return self._patterns[name]

    def source(self, name: str) -> str:
        """The regex source of `name`, with <<references>> to other patterns expanded."""
        return self.expand(self._sources[name])

    def template(self, name: str, **fields: str) -> re.Pattern[str]:
        """A pattern with {placeholders} filled in (e.g. the asked unit or term); compiled per call."""
        source = self.source(name)
        for key, value in fields.items():
            source = source.replace("{" + key + "}", value)
        return re.compile(source)

    def words(self, name: str) -> tuple[str, ...]:
        return self._words[name]

    def word(self, name: str) -> str:
        """A one-word entry (e.g. the deputy prefix 副)."""
        (only,) = self._words[name]
        return only

    def table(self, name: str) -> MappingProxyType:
        return self._tables[name]

    def expand(self, source: str) -> str:
        return _REF.sub(lambda m: self.source(m.group(1)), source)

    # ------------------------------------------------------------------ loading

    def _templated(self, name: str) -> bool:
        return bool(re.search(r"\{[a-z_]+\}", self._sources[name]))

    def _rules(self, data: dict[str, Any], key: str, label: str) -> list[Rule]:
        return [Rule(e[label], re.compile(self.expand(e["regex"]))) for e in data.get(key, [])]

    @staticmethod
    def _examples(data: dict[str, Any]) -> list[Example]:
        out = []
        for kind in ("pattern", "words", "table"):
            for name, entry in data.get(kind, {}).items():
                positive = entry.get("match", entry.get("has", []))
                negative = entry.get("no_match", entry.get("lacks", []))
                out.append(Example(f"{kind}.{name}", tuple(positive), tuple(negative)))
        for key, label in (
            ("question_type", "name"),
            ("grade_pattern", "kind"),
            ("enumeration_marker", None),
        ):
            for i, entry in enumerate(data.get(key, [])):
                name = f"{key}.{entry[label] if label else i}"
                out.append(Example(name, tuple(entry.get("match", [])), tuple(entry.get("no_match", []))))
        return out


@cache
def lexicon(path: Path = LEXICON) -> Lexicon:
    """The lexicon, parsed and compiled once per process."""
    with path.open("rb") as fh:
        return Lexicon(tomllib.load(fh))
