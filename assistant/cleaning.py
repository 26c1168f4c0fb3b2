"""Generic repair of scraped web text: boilerplate, page-break markers, teasers, editor artefacts."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from .headings import is_item_start
from .lexicon import lexicon

# Site chrome of document-sharing and government sites; each pattern removes only the matched span.
_BOILERPLATE = [
    lexicon().pattern(name)
    for name in (
        "boilerplate_share_title",
        "boilerplate_share",
        "boilerplate_wechat",
        "boilerplate_updated",
        "boilerplate_meta_line",
        "boilerplate_nav_line",
    )
]
_ARTEFACTS = [
    re.compile(r"\[bookmark:[^\]]*\]"),
    re.compile(r"\[(?:pagebreak|page break)\]", re.I),
]
_CJK = r"[\u3400-\u9fff]"
# Anti-copy noise that sites put between two Chinese characters: 学生的.作业, 的\'思考, 训练的`目的.
_INTRA_WORD_NOISE = re.compile(rf"(?<={_CJK})(?:\\'|`|\.(?!\d))(?={_CJK})")
_PAGE_MARKER = re.compile(r"^(\d{1,3})、")
_TERMINAL = tuple("。！？；!?;：:”」』）)…")
_INLINE_HEADING = re.compile(
    r"(?<=[。！？])(?=(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[)）])\S)"
)
_TEASER_END = re.compile(r"(?:\.{3,}|…+)\s*$")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
# A printed page's number on a line of its own: "- 2 -", "—3—", "第 2 页 共 4 页", "2 / 4".
_PAGE_NUMBER_LINE = re.compile(
    r"^(?:[-—–－]+\s*\d{1,3}\s*[-—–－]+|第\s*\d{1,3}\s*页(?:\s*[，,/]?\s*共\s*\d{1,3}\s*页)?"
    r"|共\s*\d{1,3}\s*页\s*[，,/]?\s*第\s*\d{1,3}\s*页|\d{1,3}\s*/\s*\d{1,3})$"
)
# A line met this often in one document, no sentence, is a running header (one copy per page).
RUNNING_HEADER_COPIES = 3
_SENTENCE_MARK = re.compile(r"[，。；！？,;!?：:]")
_DOC_NUMBER = lexicon().pattern("doc_number")
_CUT_TAIL = re.compile(r"[，,][^，、,。；;：:]{1,2}$")
# A line cut by a fixed page width (a PDF, a text file saved with hard line breaks) is at least this long.
WRAPPED_LINE_MIN = 20
# ...and at most this long: a longer unfinished line is a paragraph that lost its full stop (a compilation joins
# documents at such lines).
WRAPPED_LINE_MAX = 100
HEADING_MAX = 36
_CLAUSE = re.compile(r"[，。；,;]")
# What follows an emoji without being one: variation selectors (✏️ is ✏ + U+FE0F), the keycap mark, joiners.
EMOJI_MARKS = "\ufe0f\ufe0e\u20e3\u200d"
_FIELD_NUMBER_END = re.compile(r"[：:]\s*[\d\-－—]{5,}$")
# Site chrome (breadcrumbs, menus, toolbars) is laid out in lines that never continue a sentence.
_NAVIGATION = re.compile(r"[>|｜【】]")
# A page in Traditional characters (a mirror, a Big5 file) is indexed in Simplified: questions, the lexicon and
# every other document are. Simplified text changes in well under this share of its Chinese characters.
TRADITIONAL_SHARE = 0.02


def clean_text(raw: str) -> str:
    """Return readable text with site noise removed; used for quoting and for chunk offsets."""
    text = unicodedata.normalize("NFC", raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\u200b-\u200f\ufeff\u2028\u2029]", "", text)
    text = simplified_if_traditional(text)
    for pattern in _BOILERPLATE + _ARTEFACTS:
        text = pattern.sub("", text)
    text = _INTRA_WORD_NOISE.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    lines = [_strip_line_markup(line) for line in lines]
    lines = [line for line in lines if line and not _PAGE_NUMBER_LINE.match(line)]
    lines = _join_split_titles(lines)
    lines = _drop_teasers(lines)
    lines = _repair_page_breaks(lines)
    lines = _without_repeated_headers(lines)
    lines = _unwrap(lines)
    lines = [part for line in lines for part in _INLINE_HEADING.split(line) if part]
    return "\n".join(lines)


@cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


def simplified_if_traditional(text: str) -> str:
    """The text in Simplified characters when it is written in Traditional ones; else unchanged."""
    converted = to_simplified(text)
    if len(converted) != len(text):  # t2s maps character for character; anything else is left alone
        return text
    chinese = sum(1 for c in text if "\u3400" <= c <= "\u9fff") or 1
    changed = sum(1 for a, b in zip(text, converted, strict=True) if a != b)
    return converted if changed / chinese >= TRADITIONAL_SHARE else text


def comparable(text: str) -> str:
    """Comparison form of a snippet or passage: Simplified, half-width, lower case, no whitespace or quotes
    (copies of one sentence differ in those)."""
    text = to_simplified(unicodedata.normalize("NFKC", text or "")).lower()
    return re.sub(r"[\s`'\\\"“”‘’]+", "", text)


def _strip_line_markup(line: str) -> str:
    # ">一、" quote markers and "?" left where an emoji bullet could not be encoded.
    return re.sub(r"^(?:>\s*)+|^\?(?=\S)", "", line).strip()


def _join_split_titles(lines: list[str]) -> list[str]:
    """Re-join a book title broken across lines: 《我能行\n我真行评价手册》."""
    out: list[str] = []
    for line in lines:
        if out and out[-1].count("《") > out[-1].count("》") and "》" in line.split("《", 1)[0]:
            out[-1] += line
        else:
            out.append(line)
    return out


def _drop_teasers(lines: list[str]) -> list[str]:
    """Drop lines ending in '...' whose text reappears just below (list-page summaries)."""
    kept = []
    for i, line in enumerate(lines):
        if _TEASER_END.search(line):
            body = _squash(_TEASER_END.sub("", line))
            following = _squash("".join(lines[i + 1 : i + 40]))
            probe = body[-24:] if len(body) >= 24 else body
            if probe and probe in following:
                continue
        kept.append(line)
    return kept


def _repair_page_breaks(lines: list[str]) -> list[str]:
    """Undo 'N、' page numbers that a converter put at the start of each page, mid-sentence.

    They are told apart from a real numbered list by running 1, 2, 3… over the whole
    document with no restart, mostly right after a line that stops mid-sentence.
    """
    marked = [(i, int(m.group(1))) for i, line in enumerate(lines) if (m := _PAGE_MARKER.match(line))]
    numbers = [n for _, n in marked]
    if len(marked) < 3 or numbers != list(range(1, len(numbers) + 1)):
        return lines
    cut = [i for i, n in marked if n > 1 and i > 0 and not lines[i - 1].endswith(_TERMINAL)]
    if len(cut) < 0.5 * (len(marked) - 1):
        return lines
    out: list[str] = []
    marker_lines = {i for i, _ in marked}
    for i, line in enumerate(lines):
        if i in marker_lines:
            line = _PAGE_MARKER.sub("", line, count=1)
            if out and not out[-1].endswith(_TERMINAL):
                out[-1] += line
                continue
        out.append(line)
    return out


def _without_repeated_headers(lines: list[str]) -> list[str]:
    """A page's running header copied into the text at every page (鹭港市嘉木中学教务处 嘉中教〔2023〕12号, 某县
    教育局文件): a line naming the document, no sentence and no numbered heading, met RUNNING_HEADER_COPIES
    times or more, is kept where it first stands only. Left in, it is glued into the sentence running over the page."""
    counts: dict[str, int] = {}
    for line in lines:
        counts[line] = counts.get(line, 0) + 1
    repeated = {
        line
        for line, n in counts.items()
        if n >= RUNNING_HEADER_COPIES
        and len(line) >= 6
        and not _SENTENCE_MARK.search(line)
        and not is_item_start(line)
        # a header names the document (its 文号, "某某教育局文件"); a timetable's or a form's repeated cells do not
        and (_DOC_NUMBER.search(line) or line.endswith("文件"))
    }
    if not repeated:
        return lines
    seen: set[str] = set()
    out = []
    for line in lines:
        if line in repeated:
            if line in seen:
                continue
            seen.add(line)
        out.append(line)
    return out


def _unwrap(lines: list[str]) -> list[str]:
    """Re-join sentences that a fixed line width cut in two ("切实\n减轻学生过重学业负担"), so each is quoted whole.

    A cut line stops mid-sentence: on a comma, or on a character after some clause punctuation of a long line,
    and what follows is more sentence (long, or ending one). Titles, headings, addressees, signatures and table
    cells are short or unpunctuated, and a numbered item starts afresh.
    """
    out: list[str] = []
    last = ""  # the previous line as it was cut: the width test is on it, not on what it was joined to
    for line in lines:
        prev = out[-1] if out else ""
        if (
            prev
            and not prev.endswith(_TERMINAL)
            and not _ends_on_symbol(prev)
            and (
                prev.endswith(("，", "、", ","))
                or (WRAPPED_LINE_MIN <= len(last) <= WRAPPED_LINE_MAX and _CLAUSE.search(prev))
            )
            # a heading never ends on a comma, nor on a word of one or two characters after one (…18:30，前)
            and (prev.endswith(("，", ",")) or _CUT_TAIL.search(prev) or not _is_heading(prev))
            and (line.endswith(_TERMINAL) or len(line) >= WRAPPED_LINE_MIN)
            and not is_item_start(line)
            and not _NAVIGATION.search(prev)
        ):
            out[-1] = prev + line
        else:
            out.append(line)
        last = line
    return out


def _ends_on_symbol(line: str) -> bool:
    """A line ending on an emoji or other symbol (…沉迷网络游戏。🙅) ends a paragraph: no fixed width cut it. So does
    a field ending on a number (联系电话：0596-2287360): a page width does not fall just after a phone number."""
    bare = line.rstrip(EMOJI_MARKS)
    return bool(bare) and (is_symbol(bare[-1]) or bool(_FIELD_NUMBER_END.search(bare)))


def is_symbol(ch: str) -> bool:
    """An emoji or other pictograph (🔔 ✅ 👇), not a letter or punctuation."""
    return unicodedata.category(ch) in {"So", "Sk", "Sm"}


def strip_symbols(text: str) -> str:
    """`text` without the emoji (and their variation selectors) at its two ends: ✏️【作业】… → 【作业】…"""
    start, end = 0, len(text)
    while start < end and (is_symbol(text[start]) or text[start] in EMOJI_MARKS or text[start].isspace()):
        start += 1
    while end > start and (
        is_symbol(text[end - 1]) or text[end - 1] in EMOJI_MARKS or text[end - 1].isspace()
    ):
        end -= 1
    return text[start:end]


def _is_heading(line: str) -> bool:
    """A numbered heading with clauses but no sentence end: 一、确定作业设计原则，建设学科单元作业库."""
    return bool(is_item_start(line)) and len(line) <= HEADING_MAX and not re.search(r"[。；;]", line)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def normalize_for_match(text: str) -> str:
    """Full-width → half-width and lower case, for matching only (never for quoting)."""
    return unicodedata.normalize("NFKC", text).lower()
