"""Grounding checks: every number, duration, clock time, date and grade a generated answer states must be
in the passages it cites."""

from __future__ import annotations

import re
import unicodedata

from ..lexicon import lexicon
from ..quantities import CLOCK, cn_to_int, find_durations, parse_grades
from ..records import Chunk

LEX = lexicon()
_GRADE = LEX.pattern("grade_mention")
_GENERIC_GRADES = frozenset(LEX.words("generic_grades"))
_AMOUNT_BEFORE = frozenset(LEX.words("amount_before_yidian"))
_ONE_OCLOCK = LEX.word("one_oclock")
_EVENING = frozenset(LEX.words("evening_parts"))
_CN_CHAR = LEX.source("llm_cn_number_char")
_DATE = LEX.pattern("llm_date")
_DIGIT_NUMBER = LEX.pattern("llm_digit_number")
_CN_NUMBER = LEX.pattern("llm_cn_number")
_CLAUSE_BREAK = re.compile(r"[，,；;。！？\n]")


def ungrounded(claim: str, sources: list[str], source_grades: set[int]) -> str | None:
    """The first number, duration, clock time, date or grade in `claim` that no source supports, else None."""
    check = _Claim(claim, sources, source_grades)
    for kind in (check.duration, check.clock, check.date, check.grade, check.cn_number, check.digit_number):
        if (missing := kind()) is not None:
            return missing
    return None


class _Claim:
    """One claim checked kind by kind; a span matched by an earlier kind is not read again by a later one."""

    def __init__(self, claim: str, sources: list[str], source_grades: set[int]):
        self.claim = unicodedata.normalize("NFKC", claim)
        self.sources = [unicodedata.normalize("NFKC", s) for s in sources]
        self.joined = "\n".join(self.sources)
        self.grades = source_grades
        self.taken: list[tuple[int, int]] = []
        self._values: set[tuple[float, str]] | None = None

    def free(self, m_start: int, m_end: int) -> bool:
        return all(m_end <= s or m_start >= e for s, e in self.taken)

    def take(self, m: re.Match[str]) -> bool:
        """Claim the span of `m` unless an earlier kind has; False when it was taken already."""
        if not self.free(m.start(), m.end()):
            return False
        self.taken.append((m.start(), m.end()))
        return True

    @property
    def values(self) -> set[tuple[float, str]]:
        if self._values is None:
            self._values = _values(self.joined)
        return self._values

    def duration(self) -> str | None:
        minutes = {d.minutes for s in self.sources for d in find_durations(s)}
        for d in find_durations(self.claim):
            self.taken.append((d.start, d.end))
            if d.minutes not in minutes:
                return d.text
        return None

    def clock(self) -> str | None:
        clocks = {
            v for s in self.sources for m in CLOCK.finditer(s) if _is_clock(m) for v in _clock_values(m)
        }
        for m in CLOCK.finditer(self.claim):
            if not _is_clock(m) or not self.take(m):
                continue
            token = m.group(0).strip()
            if token == _ONE_OCLOCK and m.start() > 0 and self.claim[m.start() - 1] in _AMOUNT_BEFORE:
                continue  # "多一点" is an amount, not a time of day
            if not _clock_values(m) & clocks:
                return token
        return None

    def date(self) -> str | None:
        for m in _DATE.finditer(self.claim):
            if self.take(m) and not any(_date_supported(m, s) for s in self.sources):
                return m.group(0)
        return None

    def grade(self) -> str | None:
        for m in _GRADE.finditer(self.claim):
            if not self.take(m):
                continue
            token = m.group(0)
            grades = parse_grades(token)
            if not grades or _verbatim(token, self.joined):
                continue
            ok = bool(grades & self.grades) if token in _GENERIC_GRADES else grades <= self.grades
            if not ok:
                return token
        return None

    def cn_number(self) -> str | None:
        for m in _CN_NUMBER.finditer(self.claim):
            if not self.take(m) or _verbatim(m.group(0), self.joined):
                continue
            if m.group("p"):
                value, unit = cn_to_int(m.group("p")), "%"
            else:
                value, unit = cn_to_int(m.group("v")), m.group("u")
            if value is None or (float(value), unit) not in self.values:
                return m.group(0)
        return None

    def digit_number(self) -> str | None:
        for m in _DIGIT_NUMBER.finditer(self.claim):
            if not self.free(m.start(), m.end()):
                continue
            number = m.group("v")
            standalone = re.compile(rf"(?<![\d.]){re.escape(number)}(?![\d]|\.\d)")
            if standalone.search(self.joined):
                continue
            if m.group("u") and (float(number), m.group("u")) in self.values:
                continue
            return m.group(0).strip()
        return None


def _verbatim(token: str, text: str) -> bool:
    """`token` occurs in `text` and is not the tail of a longer number (三次 is not in 十三次)."""
    return bool(re.search(rf"(?<![\d.]|{_CN_CHAR}){re.escape(token)}", text))


def _values(text: str) -> set[tuple[float, str]]:
    """(value, unit) pairs written with digits or Chinese numerals, so 3次 and 三次 compare equal."""
    out: set[tuple[float, str]] = set()
    for m in _DIGIT_NUMBER.finditer(text):
        if m.group("u"):
            out.add((float(m.group("v")), m.group("u")))
    for m in _CN_NUMBER.finditer(text):
        if m.group("p"):
            value = cn_to_int(m.group("p"))
            if value is not None:
                out.add((float(value), "%"))
            continue
        value = cn_to_int(m.group("v"))
        if value is not None:
            out.add((float(value), m.group("u")))
    return out


def _is_clock(m: re.Match[str]) -> bool:
    return bool(m.group("m") or "点" in m.group(0))


def _clock_values(m: re.Match[str]) -> set[tuple[int, int]]:
    """24-hour readings of a clock time: 下午5点半 → {(17, 30)}; 5:30 without 上午/下午 → {(5, 30), (17, 30)}."""
    hour = cn_to_int(m.group("h"))
    if hour is None or hour > 24:
        return set()
    if m.group("m"):
        minute = int(m.group("m"))
    elif m.group("half"):
        minute = 30
    elif m.group("m2"):
        minute = int(m.group("m2"))
    else:
        minute = 0
    part = m.group("part")
    if hour >= 12:
        return {(hour % 24, minute)}
    if part in _EVENING:
        return {(hour + 12, minute)}
    if part:
        return {(hour, minute)}
    return {(hour, minute), (hour + 12, minute)}


def _date_parts(m: re.Match[str]) -> tuple[int | None, int | None, int | None]:
    def part(key: str) -> int | None:
        return cn_to_int(m.group(key)) if m.group(key) else None

    return part("y"), part("m"), part("d")


def _date_supported(claim: re.Match[str], source: str) -> bool:
    """Month and day match a date in the source; a year must match that date or stand in the same source."""
    year, month, day = _date_parts(claim)
    for m in _DATE.finditer(source):
        y, mo, d = _date_parts(m)
        if mo != month or (day is not None and d != day):
            continue
        if year is None or y == year or (y is None and re.search(rf"(?<!\d){year}\s*年", source)):
            return True
    return False


def source_text(chunk: Chunk) -> str:
    return f"{chunk.title}\n{chunk.section}\n{chunk.text}"


def source_grades(chunk: Chunk) -> set[int]:
    grades = set(chunk.grades) | parse_grades(chunk.text) | parse_grades(chunk.title)
    for clause in _CLAUSE_BREAK.split(chunk.text):
        grades |= parse_grades(clause)
    return grades
