"""Turn tables (Word, HTML, Markdown pipes) into one sentence per row, each value labelled by its column header."""

from __future__ import annotations

import re

# A row is a key (its first cell) and values; cells longer than this are prose, so the "table" is page layout.
MAX_CELL_CHARS = 60
_DIGIT = re.compile(r"\d")
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _clean_cell(cell: str) -> str:
    # A cell's own full stops would cut its row sentence in two; they become commas.
    text = re.sub(r"\s+", " ", cell).strip()
    return re.sub(r"[。；;]+(?=.)", "，", text).rstrip("。；;，, ")


def is_data_table(rows: list[list[str]]) -> bool:
    """A grid of short values (a timetable, minutes by grade), not a page laid out with a table."""
    wide = [row for row in rows if len(row) >= 2]
    if len(rows) < 2 or len(wide) < 2:
        return False
    cells = [cell for row in rows for cell in row]
    return max((len(cell) for cell in cells), default=0) <= MAX_CELL_CHARS


def row_sentences(rows: list[list[str]]) -> list[str]:
    """One line per row: "七年级，每天书面作业总时长：不超过60分钟，说明：周五书面作业量减半。".

    The first row is the header when it holds no digits (values do: minutes, times, counts). A row with one
    distinct cell (a caption, a merged title row) stays a line of its own.
    """
    grid = [[_clean_cell(cell) for cell in row] for row in rows]
    grid = [row for row in grid if any(row)]
    lines: list[str] = []
    while grid and len(set(filter(None, grid[0]))) == 1:
        lines.append(next(filter(None, grid[0])))
        grid = grid[1:]
    if not grid:
        return lines
    header: list[str] = []
    if len(grid) > 1 and not any(_DIGIT.search(cell) for cell in grid[0]):
        header, grid = grid[0], grid[1:]
    for row in grid:
        if len(set(filter(None, row))) <= 1:
            lines.append(next(filter(None, row), ""))
            continue
        parts = [row[0]] if row[0] else []
        for i, cell in enumerate(row[1:], start=1):
            if not cell:
                continue
            label = header[i] if i < len(header) else ""
            parts.append(f"{label}：{cell}" if label and label != cell else cell)
        lines.append("，".join(parts) + "。")
    return [line for line in lines if line]


def pipe_tables(text: str) -> str:
    """Markdown tables in plain text (| 年级 | 结束时间 |) rewritten as row sentences; other lines untouched."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not _PIPE_ROW.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        block: list[list[str]] = []
        while i < len(lines) and (_PIPE_ROW.match(lines[i]) or _PIPE_RULE.match(lines[i])):
            if not _PIPE_RULE.match(lines[i]):
                block.append(lines[i].strip().strip("|").split("|"))
            i += 1
        out.extend(row_sentences(block) if is_data_table(block) else ["".join(r) for r in block])
    return "\n".join(out)
