"""Numbers, durations, clock times and grades in Chinese text, parsed to comparable values."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import lexicon

LEX = lexicon()
_DIGITS = LEX.table("numerals")
_TENS = LEX.words("numeral_multipliers")  # 十, 百


def cn_to_int(text: str) -> int | None:
    """'三' → 3, '十二' → 12, '二十' → 20, '九十' → 90, '12' → 12; None if not a number."""
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _DIGITS and ch not in _TENS for ch in text):
        return None
    total, current = 0, 0
    for ch in text:
        if ch == _TENS[1]:
            total += (current or 1) * 100
            current = 0
        elif ch == _TENS[0]:
            total += (current or 1) * 10
            current = 0
        else:
            current = current * 10 + _DIGITS[ch] if current else _DIGITS[ch]
    return total + current


# ---------------------------------------------------------------- durations

DURATION = LEX.pattern("duration")


@dataclass(frozen=True)
class Duration:
    minutes: float
    text: str
    start: int
    end: int


def duration_label(minutes: float, bound: str = "") -> str:
    """A duration as the answer states it: 半小时（30分钟）, 1小时（60分钟）, 90分钟; after its bound word."""
    if minutes == 30:
        text = "半小时（30分钟）"
    elif minutes % 60 == 0:
        text = f"{int(minutes // 60)}小时（{int(minutes)}分钟）"
    else:
        text = f"{int(minutes)}分钟"
    return f"{bound}{text}" if bound else text


def _num(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        value = cn_to_int(text)
        return float(value) if value is not None else None


def find_durations(text: str) -> list[Duration]:
    """Every duration in `text`, in minutes: 1小时 = 一小时 = 60分钟, 半小时 = 30."""
    out = []
    for m in DURATION.finditer(text):
        if m.group("half"):
            minutes = 30.0
        elif m.group("hn"):
            base = _num(m.group("hn"))
            if base is None:
                continue
            minutes = base * 60 + 30
        elif m.group("h"):
            base = _num(m.group("h"))
            if base is None:
                continue
            extra = _num(m.group("hm")) if m.group("hm") else 0.0
            minutes = base * 60 + (extra or 0.0)
        else:
            base = _num(m.group("m"))
            if base is None:
                continue
            minutes = base
        out.append(Duration(minutes, m.group(0), m.start(), m.end()))
    return out


# ---------------------------------------------------------------- clock times

CLOCK = LEX.pattern("clock")


def find_clock_times(text: str) -> list[str]:
    """Clock-time expressions such as 晚六点, 五点半, 17:30, 7:50."""
    return [m.group(0).strip() for m in CLOCK.finditer(text) if m.group("m") or "点" in m.group(0)]


_COUNTED = LEX.pattern("counted_number")


def has_number(text: str) -> bool:
    return bool(_COUNTED.search(text))


# ---------------------------------------------------------------- grades

PRIMARY = frozenset(range(1, 7))
JUNIOR = frozenset(range(7, 10))
ALL_GRADES = frozenset(range(1, 10))
_GRADE_PATTERNS = [(rule.pattern, rule.name) for rule in LEX.grade_patterns]
OUT_OF_SCOPE = LEX.pattern("out_of_scope")
_GENERIC = {"all", "junior_all", "primary_all"}
_OTHER = LEX.pattern("other_grades")
_G = LEX.pattern("grade_numeral")


def parse_grades(text: str) -> set[int]:
    """Grades 1–9 a text talks about: 三至六年级 → 3..6, 3、4年级 → {3,4}, 初中 → 7..9, 小学 → 1..6."""
    found: set[int] = set()
    generic: set[int] = set()
    taken: list[tuple[int, int]] = []

    def free(m: re.Match[str]) -> bool:
        return all(m.end() <= s or m.start() >= e for s, e in taken)

    for pattern, kind in _GRADE_PATTERNS:
        for m in pattern.finditer(text):
            if not free(m):
                continue
            grades = _grades_of(m, kind)
            if grades is None:
                continue
            taken.append((m.start(), m.end()))
            (generic if kind in _GENERIC else found).update(grades)
    # A generic word (小学, 初中) adds only the stage that no specific grade already narrowed.
    for stage in (PRIMARY, JUNIOR):
        if generic & stage and not found & stage:
            found |= generic & stage
    if _OTHER.search(text) and found:
        # "一二年级不布置…，其他年级…": the text covers the named grades and the rest of their stage.
        found |= set(other_grades(found))
    return {g for g in found if 1 <= g <= 9}


def other_grades(named: set[int]) -> set[int]:
    """'其他年级' after some grades were named: the rest of the same stage."""
    if not named:
        return set()
    scope = JUNIOR if min(named) >= 7 else PRIMARY
    return set(scope) - set(named)


def is_other_grades(text: str) -> bool:
    return bool(_OTHER.search(text))


def _grades_of(m: re.Match[str], kind: str) -> set[int] | None:
    if kind == "range":
        a, b = _g(m.group("a")), _g(m.group("b"))
        return set(range(a, b + 1)) if a and b and a <= b else None
    if kind == "list":
        items = [_g(ch) for ch in _G.findall(m.group("list"))]
        return {g for g in items if g}
    if kind == "one":
        value = _g(m.group("one"))
        return {value} if value else None
    if kind == "junior":
        return {6 + (cn_to_int(m.group("ju")) or 0)}
    if kind == "all":
        return set(ALL_GRADES)
    if kind == "junior_all":
        return set(JUNIOR)
    if kind == "primary_all":
        return set(PRIMARY)
    if kind == "low":
        return {1, 2}
    if kind == "mid":
        return {3, 4}
    if kind == "high":
        return {5, 6}
    return None


def _g(token: str) -> int | None:
    value = cn_to_int(token)
    return value if value is not None and 1 <= value <= 12 else None


def grades_label(grades: set[int] | frozenset[int]) -> str:
    """Grades as a parent writes them: 三年级, 三至六年级, 初中."""
    if not grades:
        return ""
    ordered = sorted(grades)
    if set(ordered) == set(PRIMARY):
        return "小学"
    if set(ordered) == set(JUNIOR):
        return "初中"
    names = LEX.words("grade_names")
    if len(ordered) == 1 and ordered[0] >= 7:
        return f"初{names[ordered[0] - 7]}（{names[ordered[0] - 1]}年级）"
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 1:
        return f"{names[ordered[0] - 1]}至{names[ordered[-1] - 1]}年级"
    return "、".join(names[g - 1] for g in ordered) + "年级"
