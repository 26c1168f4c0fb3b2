"""Numbered headings and list items of Chinese documents (一、 （一） 1. 一是 （1） ⑴ ●): one set of patterns for
cleaning (a wrapped line never continues into an item) and chunking (sections nest by level)."""

from __future__ import annotations

import re

_CN = "一二三四五六七八九十"
# (level, pattern) — the level orders nesting: 一、 > （一） > 1. > 一是 > （1） > ⑴.
HEADINGS: list[tuple[int, re.Pattern[str]]] = [
    (
        1,
        re.compile(
            rf"^(?:第[{_CN}]{{1,3}}(?:部分|章|节)?[、，,.．：:\s]|[{_CN}]{{1,3}}[、.．]|[{_CN}]{{1,3}}\s(?=\S))"
            rf"(?![{_CN}\d]{{1,3}}\s*(?:[、，,至到-]\s*[{_CN}\d]{{1,3}})*\s*年级)"
        ),
    ),
    (2, re.compile(rf"^[（(][{_CN}]{{1,3}}[)）、]")),
    (3, re.compile(r"^\d{1,2}(?:[.．、](?!\d)|\s*[、])")),
    (4, re.compile(rf"^[{_CN}]{{1,2}}是(?=\S)")),
    (5, re.compile(r"^[（(]\d{1,2}[)）]")),
    (6, re.compile(r"^[⑴-⒇①-⑳▲]")),
]
# Marks that open an item without a number, and the articles of a regulation (第三条).
_UNNUMBERED = re.compile(
    r"^(?:第[一二三四五六七八九十百\d]{1,4}[章条节部分]|[一二三四五六七八九十]{1,3}是|[⑴-⒇①-⑳▲●■◆★•·-])"
)
# An ordinal followed by a grade list (三、四年级…) is no heading, but is still a line's own start in a list.
_ORDINAL = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[.．、](?!\d))"
)


def is_item_start(line: str) -> bool:
    """The line opens a numbered or bulleted item: a hard-wrapped line never continues into one."""
    return bool(_UNNUMBERED.match(line) or _ORDINAL.match(line) or any(p.match(line) for _, p in HEADINGS))
