"""What a sentence or clause holds: the asked kind of value, a rule, a definition, a duration and its bound."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..lexicon import lexicon
from ..quantities import (
    find_clock_times,
    find_durations,
    has_number,
    is_other_grades,
    other_grades,
    parse_grades,
)
from ..query import Query

LEX = lexicon()
# Words that say what kind of value is asked, not what it is about: a clause holding the value must share
# a word with the question *other than these* to count as answering it (睡眠时间10小时 ≠ 作业时间).
GENERIC = frozenset(LEX.words("generic"))
FOCUS_RATIO = 0.75  # a value clause must match the question at least this well relative to the best clause
CLAUSE = LEX.pattern("clause")
TYPE_CUES: dict[str, re.Pattern[str]] = {
    "time": LEX.pattern("cue_time"),
    "who": LEX.pattern("cue_who"),
    "yesno": LEX.pattern("cue_rule"),
    "list": LEX.pattern("cue_list"),
    "definition": LEX.pattern("cue_definition"),
}
_SPAN = LEX.pattern("span_value")
VALUE_CUES: dict[str, Callable[[str], object]] = {
    "clock": find_clock_times,
    "date": LEX.pattern("date_value").search,
    "year": LEX.pattern("year_value").search,
    "frequency": LEX.pattern("frequency_value").search,
    "duration": lambda text: find_durations(text) or _SPAN.search(text),
    "percent": LEX.pattern("percent_value").search,
    "money": LEX.pattern("money_value").search,
    "number": has_number,
}
_PHONE = LEX.pattern("phone_value")
_NUMERAL = LEX.pattern("numeral_char")
_MEASURED = LEX.pattern("measured")
_UPPER = LEX.pattern("upper_bound")
_LOWER = LEX.pattern("lower_bound")
_UNIT_ALIASES = LEX.table("unit_aliases")
_DEPUTY = LEX.word("deputy")
_RATE = LEX.word("rate_words")
_GRADE_CHAR = LEX.word("grade_before_bound")
UPPER_NAME, LOWER_NAME = "不超过", "不少于"


def asked_kind(query: Query) -> str:
    """The kind a sentence must match: the asked value (clock, date, count…) or else the question type."""
    return query.value_kind or query.qtype


def wants_value(query: Query) -> bool:
    return bool(query.value_kind) or query.qtype in ("duration", "time", "number")


def clauses(text: str) -> list[str]:
    return [c for c in CLAUSE.findall(text) if c.strip()]


def topic_terms(terms: list[str]) -> list[str]:
    """The question's words that name its topic (not the kind of value, not a duration value or digit)."""
    return [t for t in terms if t not in GENERIC and not t.startswith("⏱") and not t.isdigit()]


def measured_words(clause: str) -> list[str]:
    """What the clause's 时间/时长 measure (睡眠时间 → 睡眠), values (三年时间) left out."""
    return [m.group(1) for m in _MEASURED.finditer(clause) if not _NUMERAL.search(m.group(1))]


def holds(kind: str, text: str) -> bool:
    """The text holds the asked kind of content (a value, a role holder, a rule word…)."""
    if kind in VALUE_CUES:
        return bool(VALUE_CUES[kind](text))
    if kind == "phone":
        return bool(_PHONE.search(text))
    if kind.startswith("role:"):
        role = kind.split(":", 1)[1]
        return bool(
            re.search(("" if role.startswith(_DEPUTY) else f"(?<!{_DEPUTY})") + re.escape(role), text)
        )
    if kind.startswith(("count:", "total:")):
        unit = kind.split(":", 1)[1]
        unit = _UNIT_ALIASES.get(unit, re.escape(unit))
        found = LEX.template("count_value", unit=unit).search(text)
        if found and kind.startswith("total:") and _RATE in text[: found.start()]:
            return False
        return bool(found)
    if kind == "time":
        return bool(find_clock_times(text) or TYPE_CUES["time"].search(text))
    if kind == "number":
        return has_number(text)
    cue = TYPE_CUES.get(kind)
    return bool(cue.search(text)) if cue else True


def value_in_focus(kind: str, parts: list[str], focus: list[float]) -> float:
    """1 when a clause about the question holds the value, 0.8 when a date leads it, else 0."""
    if kind.startswith("role:"):
        # The role word is itself where the answer sits ("以局长为组长"); no topic clause is needed.
        return float(any(holds(kind, clause) for clause in parts))
    fit = 0.0
    for i, clause in enumerate(parts):
        if not holds(kind, clause):
            continue
        fit = max(fit, focus[i])
        # Dates lead what they date ("10月29日，组织召开…会议，签订了…承诺书"): the topic may follow,
        # anywhere in the sentence when the date opens it, else in the next clause.
        later = focus[i + 1 :] if i == 0 and kind in ("date", "year", "clock") else focus[i + 1 : i + 2]
        if kind in ("date", "year", "clock", "time") and any(later):
            fit = max(fit, 0.8)
    return fit


def durations_for(
    query: Query, parts: list[str], focus: list[float], chunk_grades: list[int]
) -> list[tuple[float, str]]:
    """On-topic durations that apply to the asked grades, with their bound (不超过/不少于), clause by
    clause; a clause inherits grades, the first from its chunk when the chunk is about specific grades
    (e.g. a 初级中学's plan)."""
    values = []
    current: set[int] = set(chunk_grades) if len(chunk_grades) < 9 else set()
    for clause, on_topic in zip(parts, focus, strict=True):
        grades = parse_grades(clause)
        if not grades and is_other_grades(clause):
            grades = other_grades(current)
        if grades:
            current = grades
        if not on_topic:
            continue
        for d in find_durations(clause):
            if query.grades and not current:
                continue  # a value with no grade attached cannot be matched to the asked grade
            if not query.grades or current & query.grades:
                values.append((d.minutes, bound(clause, d.start, d.end)))
    return values


def bound(clause: str, start: int, end: int) -> str:
    """Which way the duration at clause[start:end] binds: the bound word nearest to it (before it, or
    以上/以内 right after it) — "三年级以上学生…不超过60分钟" is a cap, whatever else the clause says."""
    best, distance = "", None
    for pattern, name in ((_UPPER, UPPER_NAME), (_LOWER, LOWER_NAME)):
        for m in pattern.finditer(clause):
            if clause[max(0, m.start() - 1) : m.start()] == _GRADE_CHAR:
                continue  # 三年级以上 names grades, not a bound
            if m.end() <= start:
                gap = start - m.end()
            elif 0 <= m.start() - end <= 1:
                gap = m.start() - end
            else:
                continue
            if distance is None or gap < distance:
                best, distance = name, gap
    return best


def defines(term: str, text: str) -> bool:
    """The sentence explains `term`: “堵”就是…, 双减是指…, or names its parts before it (…”的“142”原则)."""
    t = re.escape(term)
    return bool(
        LEX.template("defines", term=t).search(text) or LEX.template("names_parts_of", term=t).search(text)
    )
