"""Turn tables (Word, HTML, Markdown pipes) into one sentence per row, each value labelled by its column header."""

from __future__ import annotations

import re

# A row is a key (its first cell) and values; cells longer than this are prose, so the "table" is page layout.
MAX_CELL_CHARS = 60
# A cell holding a value (minutes, a time, a count, a bare number) marks a data row; a header may still hold digits
# in its labels (1-2年级, 2024年3月).
_VALUE = re.compile(
    r"\d+(?:\.\d+)?\s*(?:分钟|小时|元|次|%|％|个|所|人|家|节|天|周|课时)|\d{1,2}\s*[:：]\s*\d{2}|^\s*\d+(?:\.\d+)?\s*$"
)
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


class Spanned(str):
    """A grid position covered by the cell to its left (a colspan, a horizontal merge): its value, said once."""


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

    The first row is the header when it holds no value (values are minutes, times, counts). A header cell spanning
    several columns (冬季 over 第一时段/第二时段) makes the next row part of the header too, and each such group
    of a row is a sentence of its own: "三、四年级，冬季第一时段：15:45—16:45，第二时段：16:45—17:30。" (a row of
    every season at once is too long to quote, and a question asks about one). A row with one distinct cell (a
    caption, a merged title row) stays a line of its own. A value spanning several columns is said once.
    """
    grid = [
        [Spanned(_clean_cell(c)) if isinstance(c, Spanned) else _clean_cell(c) for c in row] for row in rows
    ]
    grid = [row for row in grid if any(row)]
    lines: list[str] = []
    while grid and len(set(filter(None, grid[0]))) == 1:
        lines.append(next(filter(None, grid[0])))
        grid = grid[1:]
    if not grid:
        return lines
    top: list[str] = []  # the upper of two header rows (the groups), or the only header row
    low: list[str] = []  # the lower one
    if len(grid) > 1 and not _holds_value(grid[0]):
        top, grid = grid[0], grid[1:]
        # A second header row sits under a group label, beside the key column's own label spanning both rows.
        if len(grid) > 1 and _spans(top) and not _holds_value(grid[0]) and grid[0][0] in ("", top[0]):
            low, grid = grid[0], grid[1:]
    for row in grid:
        if len(set(filter(None, row))) <= 1:
            lines.append(next(filter(None, row), ""))
            continue
        lines.extend(_row_lines(row, top, low))
    return [line for line in lines if line]


def _row_lines(row: list[str], top: list[str], low: list[str]) -> list[str]:
    """A data row said under its header labels; with two header rows, one line per group of columns."""
    key = [row[0]] if row[0] else []
    shared: list[str] = []  # columns under a one-level label (学段, 年级 spanning both header rows)
    groups: dict[str, list[str]] = {}
    said: set[tuple[str, str, str]] = set()
    last_label = ""
    for i, cell in enumerate(row[1:], start=1):
        up = top[i] if i < len(top) else ""
        down = low[i] if i < len(low) else ""
        grouped = bool(low) and bool(down) and down != up
        # a value merged across columns of one group (冬季：不开展), not two equal values side by side
        spread = grouped and (
            isinstance(cell, Spanned) or (i + 1 < len(row) and isinstance(row[i + 1], Spanned))
        )
        if isinstance(cell, Spanned) and not spread:
            continue  # one value across two columns: said under the first one's label
        if not cell or cell == row[0]:
            continue
        label = up if spread or not grouped else down
        if (up, label, cell) in said:
            continue
        said.add((up, label, cell))
        # a label merged over several columns is said once: 作业要求：不布置书面作业，可布置口头作业
        labelled = label and label != cell and label != last_label
        part = f"{label}：{cell}" if labelled else cell
        last_label = label
        if not grouped:
            shared.append(part)
            continue
        parts = groups.setdefault(up, [])
        # the group's label opens its first value: 冬季第一时段：15:45—16:45，第二时段：16:45—17:30
        parts.append(part if spread or parts else f"{up}{part}")
    if len(groups) <= 1:
        return ["，".join(key + shared + [p for parts in groups.values() for p in parts]) + "。"]
    return ["，".join(key + shared + parts) + "。" for parts in groups.values()]


def _holds_value(row: list[str]) -> bool:
    return any(_VALUE.search(cell) for cell in row)


def _spans(row: list[str]) -> bool:
    """One cell spread over several columns (a merged cell, or two neighbours alike in a pipe table)."""
    return any(isinstance(b, Spanned) or (a and a == b) for a, b in zip(row, row[1:], strict=False))


def html_grid(table) -> list[list[str]]:
    """An HTML table's cell texts on its full grid: a cell spanning rows or columns fills every position it covers
    (those to its right as Spanned), so a grade spanning two rows keys both, and a header spanning two columns
    labels both."""
    grid: list[list[str]] = []
    pending: dict[tuple[int, int], str] = {}  # (row, column) filled by a rowspan from above
    for r, tr in enumerate(table.find_all("tr")):
        row: list[str] = []
        cells = iter(tr.find_all(["td", "th"]))
        c = 0
        while True:
            if (r, c) in pending:
                row.append(pending.pop((r, c)))
                c += 1
                continue
            cell = next(cells, None)
            if cell is None:
                break
            text = cell.get_text(" ", strip=True)
            for dc in range(_span(cell, "colspan")):
                value = Spanned(text) if dc else text
                row.append(value)
                for dr in range(1, _span(cell, "rowspan")):
                    pending[(r + dr, c + dc)] = value
            c += _span(cell, "colspan")
        while (r, c) in pending:  # a rowspan reaching past this row's own cells
            row.append(pending.pop((r, c)))
            c += 1
        grid.append(row)
    return grid


def _span(cell, attribute: str) -> int:
    try:
        return max(1, min(int(str(cell.get(attribute, 1)).strip() or 1), 50))
    except ValueError:
        return 1


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
        out.extend(
            row_sentences(block)
            if is_data_table(block)
            else [" ".join(cell.strip() for cell in r if cell.strip()) for r in block]
        )
    return "\n".join(out)
