"""Metadata of a document no manifest describes: its title, issuer, level, place and the names it goes by.

A school drops its own rules into the corpus folder without writing a manifest entry; a question that names
that school or place must still be answered from that document. So the names come from the document's own
title and issuer (lexicon: doc_kind, page_chrome, issuer, place_in_title), never from a hand list.
"""

from __future__ import annotations

import re
from pathlib import Path

from .cleaning import is_symbol, strip_symbols
from .lexicon import lexicon
from .records import DocumentMeta

MAX_TITLE = 60
SIGNATURE_LINES = 8  # a signature (issuer, date) sits in the last lines, before a footer
SIGNATURE_CHARS = 40  # a signature line names an issuer or a date, not a sentence
HEAD_LINES = 12  # a title sits in the first lines, after the page's menus and breadcrumbs
_SENTENCE_END = re.compile(r"[。；;！!？?]$")
_YEAR = re.compile(r"(20\d\d)\s*[年—-]")


def infer_meta(path: Path, text: str) -> DocumentMeta:
    """Title, issuer, level, place, year, type and aliases guessed from the text."""
    lex = lexicon()
    title = infer_title(text)
    tail = text[-400:]
    signature = "\n".join(_signature_lines(tail))
    issuer = _first_issuer(title, text[:600], signature)
    places = _places(title, issuer, signature)
    region = places[0] if places else ""
    year_match = _YEAR.search(text[:600]) or _YEAR.search(tail)
    slug = re.sub(r"[^0-9A-Za-z\u4e00-\u9fff]+", "-", path.stem).strip("-").lower() or "doc"
    school = _school_of(title) or (issuer if _level(issuer) == "school" else "")
    # 青石镇绿野小学 is also just 绿野小学 to the parents there, and 榆港市云杉区桐花路小学 is 桐花路小学
    local = school
    for place in places:  # outermost level first, as the title names them
        if local.startswith(place) and len(local) > len(place) + 3:
            local = local[len(place) :]
    local = "" if local == school else local
    forms = (*_school_forms(school, text), local, *_school_forms(local, text))
    names = (issuer, school, *forms, *places, *(_stem(p, text) for p in places))
    aliases = tuple(dict.fromkeys(a for a in names if a and len(a) >= 2))
    return DocumentMeta(
        id=slug,
        title=title,
        issuer=issuer or "未注明",
        level=_level(issuer),
        region=region,
        year=int(year_match.group(1)) if year_match else None,
        doc_type=next((kind for word, kind in lex.table("doc_types").items() if word in title), "other"),
        source=path.name,
        aliases=aliases,
    )


def infer_title(text: str) -> str:
    """The title line: the first line naming a document kind (方案, 细则, 通知…) that is not page chrome,
    joined with the next line when the title was broken over two; else the first plain line."""
    lex = lexicon()
    chrome, kind, number = lex.pattern("page_chrome"), lex.pattern("doc_kind"), lex.pattern("doc_number")
    lines = [line.strip() for line in text.strip().split("\n") if line.strip()][:HEAD_LINES]
    # (position, line): a title broken over two lines is joined only when they were next to each other
    plain = [(i, line) for i, line in enumerate(lines) if not chrome.search(line) and len(line) >= 4]
    for n, (at, line) in enumerate(plain):
        if len(line) > MAX_TITLE or _SENTENCE_END.search(line):
            continue
        if kind.search(line):
            return _trim(lex.pattern("title_site_suffix").sub("", line) or line)
        following = plain[n + 1][1] if n + 1 < len(plain) and plain[n + 1][0] == at + 1 else ""
        joined = line + following
        if (
            following
            and kind.search(following)
            and not number.search(line)  # 杏政报〔2023〕41号 above the title is its reference, not its start
            and not is_symbol(following[0])  # 🔔【家校共育】… opens a title
            and len(joined) <= MAX_TITLE
            and not _SENTENCE_END.search(following)
        ):
            return _trim(joined)
    # The first line with words: a WeChat article may open with a line of emoji alone.
    return next((_trim(line) for _, line in plain if _trim(line)), _trim(lines[0]) if lines else "")


def _trim(title: str) -> str:
    # A WeChat title opens with an emoji (🔔【家校共育】…): the title is the words, labels (标题：) aside.
    title = strip_symbols(lexicon().pattern("title_label").sub("", strip_symbols(title.strip())))
    return title if len(title) <= MAX_TITLE else title[:MAX_TITLE] + "…"


def _first_issuer(*texts: str) -> str:
    """The issuer named in the title, else at the top, else in the signature at the end."""
    pattern = lexicon().pattern("issuer")
    for text in texts:
        match = pattern.search(text)
        if match:
            return match.group(1)
    return ""


def _signature_lines(tail: str) -> list[str]:
    """The last lines that could be a signature: short, not a sentence (…，并通过镇政府网站…公开 names no
    issuer)."""
    lines = [line.strip() for line in tail.split("\n") if line.strip()][-SIGNATURE_LINES:]
    return [line for line in lines if len(line) <= SIGNATURE_CHARS and not re.search(r"[，,。；;]", line)]


def _places(title: str, issuer: str, tail: str) -> list[str]:
    """Places the document is about: named in its title or issuer (关于规范金河区… names it inside), else in
    the signature lines at its end (a school's rules signed 湄川市鹤湾区沐阳路小学)."""
    lex = lexicon()
    place, lead = lex.pattern("place_in_title"), lex.pattern("title_lead_words")
    for texts in ([title, issuer], tail.split("\n")):
        found = [lead.sub("", name) for t in texts for name in _all_levels(place, t)]
        if found:
            return list(dict.fromkeys(found))
    return []


def _all_levels(place: re.Pattern[str], text: str) -> list[str]:
    """湄川市鹤湾区沐阳路小学 names 湄川市 and, right after it, 鹤湾区."""
    first = place.search(text)
    if first is None:
        return []
    follow = place.search("“" + text[first.end(1) :])  # a lead character lets the next level start there
    return [first.group(1), follow.group(1)] if follow and follow.start(1) == 1 else [first.group(1)]


def _stem(place: str, text: str) -> str:
    """棠州 for 棠州市 (see _bare)."""
    return _bare(place, lexicon().pattern("place_suffix").sub("", place), text)


def _school_forms(school: str, text: str) -> list[str]:
    """The names a school goes by in speech (lexicon: school_short_forms, school_name_modifiers): 汀兰初中,
    汀兰中学, 汀兰; 云岫中学 and 云岫 for 云岫实验中学."""
    lex = lexicon()
    forms = lex.table("school_short_forms")
    for ending in sorted(forms, key=len, reverse=True):
        if school.endswith(ending) and len(school) > len(ending) + 1:
            core, shorts = school[: -len(ending)], forms[ending].split()
            out = [core + short for short in shorts] + [_bare(school, core, text)]
            ordinal, place = lex.pattern("school_ordinal_end"), lex.pattern("place_suffix")
            for modifier in lex.words("school_name_modifiers"):
                stem = core.removesuffix(modifier)
                # not 第二小学 for 第二实验小学, nor 桃源县小学 (the county's schools) for 桃源县实验小学
                if stem != core and len(stem) >= 2 and not ordinal.search(stem) and not place.search(stem):
                    out += [stem + ending, *(stem + short for short in shorts), _bare(school, stem, text)]
            return out
    return []


def _bare(name: str, core: str, text: str) -> str:
    """The name without its ending, when the document itself writes that only as part of the name (so 开发
    of 开发区, a word the text also uses on its own, is not a name)."""
    if len(core) < 2 or core == name:
        return ""
    alone = text.count(core) - text.count(name)
    return core if alone <= text.count(name) else ""


def _school_of(title: str) -> str:
    match = lexicon().pattern("issuer").search(title)
    return match.group(1) if match else ""


def _level(issuer: str) -> str:
    lex = lexicon()
    for ending, level in lex.table("issuer_levels").items():
        if issuer.endswith(ending):
            if level == "office":
                return "county" if any(c in issuer for c in lex.words("county_marks")) else "city"
            return level
    return "unknown"
