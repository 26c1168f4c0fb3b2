"""Numbers, durations, clock times and grades in Chinese text, parsed to comparable values."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_NUM = "零〇一二两三四五六七八九十百"


def cn_to_int(text: str) -> int | None:
    """'三' → 3, '十二' → 12, '二十' → 20, '九十' → 90, '12' → 12; None if not a number."""
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _DIGITS and ch not in "十百" for ch in text):
        return None
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = current * 10 + _DIGITS[ch] if current else _DIGITS[ch]
    return total + current


# ---------------------------------------------------------------- durations

_NUM = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十]{1,3})"
DURATION = re.compile(
    rf"(?P<half>半个?小时|半个?钟头)"
    rf"|(?P<hn>{_NUM})个?半(?:个)?小时"
    rf"|(?P<h>{_NUM})\s*个?(?:小时|钟头)(?:(?P<hm>{_NUM})\s*分钟?)?"
    rf"|(?P<m>{_NUM})\s*分钟"
)


@dataclass(frozen=True)
class Duration:
    minutes: float
    text: str
    start: int
    end: int

    @property
    def label(self) -> str:
        m = self.minutes
        if m == 30:
            return "半小时（30分钟）"
        if m % 60 == 0:
            return f"{int(m // 60)}小时（{int(m)}分钟）"
        return f"{int(m)}分钟" if m < 60 else f"{m / 60:g}小时（{int(m)}分钟）"


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

CLOCK = re.compile(
    r"(?:(?P<part>上午|下午|晚上|傍晚|晚|早上|中午))?\s*"
    r"(?P<h>\d{1,2}|[一二两三四五六七八九十]{1,3})\s*(?:[:：]\s*(?P<m>\d{2})|点(?P<half>半)?(?:(?P<m2>\d{1,2})分?)?)"
)


def find_clock_times(text: str) -> list[str]:
    """Clock-time expressions such as 晚六点, 五点半, 17:30, 7:50."""
    return [m.group(0).strip() for m in CLOCK.finditer(text) if m.group("m") or "点" in m.group(0)]


NUMBER = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|所|次|项|个|名|篇|人|节|年|月|日|天|小时|分钟|课时|元)?")


def has_number(text: str) -> bool:
    return bool(
        re.search(
            r"\d|[一二两三四五六七八九十百千]+\s*(?:余|多)?\s*(?:所|次|项|个|名|篇|节|课时|条|本|人|年|天|周|"
            r"类|批|场|门|科|种|分钟|小时)",
            text,
        )
    )


# ---------------------------------------------------------------- grades

PRIMARY = frozenset(range(1, 7))
JUNIOR = frozenset(range(7, 10))
ALL_GRADES = frozenset(range(1, 10))
_G = r"[一二三四五六七八九1-9]"
_GRADE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"(?P<a>{_G})\s*(?:至|到|-|—|－|~|～)\s*(?P<b>{_G})\s*年级"), "range"),
    (re.compile(rf"(?P<list>{_G}(?:\s*[、，,和及与]?\s*{_G})+)\s*年级"), "list"),
    (re.compile(rf"(?P<one>{_G}|十[一二三]?)\s*年级"), "one"),
    (re.compile(r"初(?P<ju>[一二三])"), "junior"),
    (re.compile(r"中小学|义务教育阶段"), "all"),
    (re.compile(r"初中|初级中学|中学生|初中生"), "junior_all"),
    (re.compile(r"小学生|小学"), "primary_all"),
    (re.compile(r"低年级|低年段|低段"), "low"),
    (re.compile(r"中年级|中年段"), "mid"),
    (re.compile(r"高年级|高年段"), "high"),
]
OUT_OF_SCOPE = re.compile(r"高中|高[一二三](?!年级)|高考|十[一二三]?年级")
_GENERIC = {"all", "junior_all", "primary_all"}
_OTHER = re.compile(r"其他年级|其余年级|其它年级")


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
        items = [_g(ch) for ch in re.findall(_G, m.group("list"))]
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
    names = "一二三四五六七八九"
    if len(ordered) == 1 and ordered[0] >= 7:
        return f"初{names[ordered[0] - 7]}（{names[ordered[0] - 1]}年级）"
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 1:
        return f"{names[ordered[0] - 1]}至{names[ordered[-1] - 1]}年级"
    return "、".join(names[g - 1] for g in ordered) + "年级"
