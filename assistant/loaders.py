"""Read source files of any supported kind into Unicode text, or reject them with one clear reason."""

from __future__ import annotations

import io
import os
import re
import stat
from pathlib import Path

from charset_normalizer import from_bytes

from .errors import SourceRejected
from .tables import Spanned, html_grid, is_data_table, pipe_tables, row_sentences

# How many lines at a page's top and bottom may be its running header or footer.
RUNNING_LINES = 2
# A page-number line has at most this many characters besides its numbers (第页共页, Page of).
PAGE_NUMBER_WORDS = 8
# ...or it holds one beside other words (晴川区教育局 第 2 页 共 3 页).
_PAGE_NUMBER = re.compile(r"第\d+页|共\d+页|[-—–]\d+[-—–]|\d+/\d+|page\d+", re.I)
SUPPORTED = {".txt", ".md", ".markdown", ".text", ".html", ".htm", ".docx", ".pdf"}
MARKDOWN = {".md", ".markdown"}
_MD_HEADING = re.compile(r"^ {0,3}#{1,6}\s+")
_MD_BULLET = re.compile(r"^ {0,3}[-*+]\s+(?=\S)")
_MD_RULE = re.compile(r"^ {0,3}(?:[-*_]\s*){3,}$")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")


def read_source(path: Path, max_mb: float = 20.0) -> str:
    """Return the text of `path`; raise SourceRejected naming the file and the reason."""
    name = path.name
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise SourceRejected(name, f"不支持的文件类型 {suffix or '（无扩展名）'}，支持 txt、html、docx、pdf")
    data = _read_bounded(path, int(max_mb * 1024 * 1024), f"文件超过 {max_mb:g} MB")
    if not data.strip():
        raise SourceRejected(name, "文件是空的")
    if suffix == ".docx":
        text = _docx_text(name, data)
    elif suffix == ".pdf":
        text = _pdf_text(name, data)
    else:
        text = _decode(name, data)
        if suffix in {".html", ".htm"} or _looks_like_html(text):
            text = _html_text(text)
        else:
            text = pipe_tables(_markdown_plain(text) if suffix in MARKDOWN else text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    if not text.strip():
        raise SourceRejected(name, "没有可提取的文字（可能是扫描件或空文档）")
    return text


def _read_bounded(path: Path, limit: int, too_big: str) -> bytes:
    """The file's bytes, checking the size before reading: a 2 GB file is refused without loading it."""
    name = path.name
    try:
        info = os.stat(
            path
        )  # before open(): opening a FIFO would block, reading a huge file would fill memory
        if not stat.S_ISREG(info.st_mode):
            raise SourceRejected(name, "不是普通文件")
        if info.st_size > limit:
            raise SourceRejected(name, too_big)
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)  # the file may grow while we read it
    except OSError as exc:
        raise SourceRejected(name, f"无法读取文件（{exc.strerror or exc}）") from exc
    if len(data) > limit:
        raise SourceRejected(name, too_big)
    return data


def _decode(name: str, data: bytes) -> str:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceRejected(name, "看起来是二进制文件，不是文本")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise SourceRejected(name, "无法识别文字编码（可能是二进制文件）")
    text = str(best)
    # A decode that is mostly control characters or replacement marks is binary in disguise.
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\n\r\t") or ch == "\ufffd")
    if bad > max(5, len(text) // 50):
        raise SourceRejected(name, "看起来是二进制文件，不是文本")
    return text


def _markdown_plain(text: str) -> str:
    """Markdown's marks taken off (# headings, **bold**, - bullets, --- rules): a quote shows the words only.
    Only for .md files: in scraped text ** is a redaction (学校严格执行**市教育局…)."""
    lines = []
    for line in text.split("\n"):
        if _MD_RULE.match(line):
            continue
        line = _MD_BULLET.sub("", _MD_HEADING.sub("", line))
        lines.append(_MD_STRONG.sub(r"\2", line))
    return "\n".join(lines)


def _looks_like_html(text: str) -> bool:
    head = text[:2000].lower()
    return "<html" in head or "<!doctype html" in head


def _html_text(markup: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript", "iframe"]):
        tag.decompose()
    for table in soup.find_all("table"):
        if table.find("table"):
            continue  # an outer layout table: its inner tables are handled on their own
        rows = html_grid(table)
        if is_data_table(rows):
            replacement = soup.new_tag("div")
            for line in row_sentences(rows):
                paragraph = soup.new_tag("p")
                paragraph.string = line
                replacement.append(paragraph)
            table.replace_with(replacement)
    blocks = []
    for el in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "div", "title"]):
        if el.find(["p", "li", "div", "h1", "h2", "h3", "h4", "td"]):
            continue  # only leaf blocks, so nested markup is not repeated
        line = el.get_text(" ", strip=True)
        if line:
            blocks.append(line)
    return "\n".join(blocks) if blocks else soup.get_text("\n", strip=True)


def _docx_text(name: str, data: bytes) -> str:
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for broken zips
        raise SourceRejected(name, f"无法打开 Word 文档（{type(exc).__name__}）") from exc
    from docx.table import Table

    lines: list[str] = []
    # Body order, so a table stays under the paragraph that introduces it ("各年级作业时长见下表：").
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            rows = [_docx_row(row) for row in block.rows]
            lines.extend(
                row_sentences(rows)
                if is_data_table(rows)
                else [" ".join(c for c in r if not isinstance(c, Spanned)) for r in rows]
            )
        else:
            lines.append(block.text)
    return "\n".join(lines)


def _docx_row(row) -> list[str]:
    """A row's cell texts on the full grid: a merged cell fills every position it covers, those to its right as
    Spanned (as in an HTML table)."""
    grid = row.cells
    return [
        Spanned(cell.text) if n and cell._tc is grid[n - 1]._tc else cell.text for n, cell in enumerate(grid)
    ]


def _pdf_text(name: str, data: bytes) -> str:
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many kinds for damaged files
        raise SourceRejected(name, f"无法读取 PDF（{type(exc).__name__}）") from exc
    return "\n".join(without_running_lines(pages))


def without_running_lines(pages: list[str]) -> list[str]:
    """Pages without their running header and footer (the issuer and 文号 on top, "第 2 页 共 4 页" below): a line
    at the top or bottom of most pages, numbers aside. Left in, they cut the sentences that run over a page."""
    split = [[line for line in page.split("\n") if line.strip()] for page in pages]
    if len(split) < 2:
        return pages

    def shape(line: str) -> str:
        # Only a page number changes from page to page: a line that is little besides numbers (第 2 页 共 4 页,
        # - 3 -, 2/4) is compared without them; any other line only as itself, so a table row that happens to
        # open two pages (七年级 每天不超过60分钟) is kept.
        squeezed = re.sub(r"\s+", "", line)
        masked = re.sub(r"\d+", "#", squeezed)
        numbered = _PAGE_NUMBER.search(squeezed) or len(masked.replace("#", "")) <= PAGE_NUMBER_WORDS
        return masked if numbered else squeezed

    edges: dict[str, int] = {}
    for lines in split:
        for line in {shape(x) for x in lines[:RUNNING_LINES] + lines[-RUNNING_LINES:]}:
            edges[line] = edges.get(line, 0) + 1
    running = {line for line, count in edges.items() if count >= max(2, (len(split) + 1) // 2)}
    out = []
    for n, lines in enumerate(split):
        # The first page's top lines are the document's own heading (its issuer): only later copies go.
        edge = 0 if n == 0 else RUNNING_LINES, len(lines) - RUNNING_LINES
        kept = [x for i, x in enumerate(lines) if edge[0] <= i < edge[1] or shape(x) not in running]
        out.append("\n".join(kept))
    return out
