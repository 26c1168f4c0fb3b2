"""Chinese word segmentation (jieba + a domain dictionary) and the canonical form used for matching."""

from __future__ import annotations

import logging
import re
from functools import cached_property
from pathlib import Path

import jieba

from .cleaning import comparable, normalize_for_match
from .lexicon import lexicon
from .quantities import find_durations

USER_DICT = Path(__file__).parent / "data" / "userdict.txt"

LEX = lexicon()
# Words that carry no topic; dropping them keeps BM25 scores about content.
STOPWORDS = frozenset(LEX.words("stopwords"))
NOT_PLACES = frozenset(LEX.words("not_places"))
_NOT_PLACE_START = LEX.pattern("not_place_start")
PLACE_CACHE = 2048  # texts whose places are remembered
_PUNCT = re.compile(r"^[\W_]+$")
_CN_GRADE = LEX.pattern("cn_grade_digit")
_CN_DIGIT = {name: str(n) for n, name in enumerate(LEX.words("grade_names"), start=1)}


def title_form(text: str) -> str:
    """A title or question as title stretches are matched: canonical and comparable (no quotes or spaces), and
    without the brackets a title is quoted in (《…》, 「…」)."""
    return _TITLE_BRACKETS.sub("", comparable(canonical(text)))


_TITLE_BRACKETS = re.compile(r"[「」『』《》〈〉]")


def canonical(text: str) -> str:
    """Matching form: half-width, lower case, grade numerals as digits (三年级 → 3年级)."""
    text = normalize_for_match(text)
    return _CN_GRADE.sub(lambda m: _CN_DIGIT[m.group(1)], text)


class Segmenter:
    """A jieba tokenizer with the domain dictionary; build once and share (loading costs ~1 s)."""

    def __init__(self, user_dict: Path = USER_DICT):
        self._user_dict = user_dict
        # Part-of-speech tagging is the slowest step of reading a question, and each question is read for
        # its places more than once (the places it names, those the corpus does not know).
        self._places: dict[str, list[str]] = {}

    @cached_property
    def _jieba(self) -> jieba.Tokenizer:
        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.load_userdict(str(self._user_dict))
        return tokenizer

    @cached_property
    def _pos(self):
        import jieba.posseg

        return jieba.posseg.POSTokenizer(self._jieba)

    def place_names(self, text: str) -> list[str]:
        """Place names (jieba's 'ns' tag) mentioned in `text`."""
        if (found := self._places.get(text)) is None:
            if len(self._places) > PLACE_CACHE:
                self._places.clear()
            found = self._places[text] = [
                w
                for w, flag in self._pos.cut(text)
                if flag == "ns" and len(w) >= 2 and w not in NOT_PLACES and not _NOT_PLACE_START.search(w)
            ]
        return list(found)

    def words(self, text: str) -> list[str]:
        """Plain segmentation (no canonicalisation), e.g. for highlighting."""
        return [w for w in self._jieba.cut(text) if w.strip()]

    def tokens(self, text: str) -> list[str]:
        """BM25 tokens: search-mode words of the canonical text, minus stopwords, plus duration values."""
        canon = canonical(text)
        out = [w for w in self._jieba.cut_for_search(canon) if w.strip() and not _PUNCT.match(w)]
        out = [w for w in out if w not in STOPWORDS]
        # 1小时 and 60分钟 must match each other: add the value as its own token.
        out.extend(f"⏱{int(d.minutes)}" for d in find_durations(canon))
        return out

    def add_words(self, words: list[str]) -> None:
        """Keep names (titles, issuers, aliases) whole so a question naming them matches exactly."""
        self._places.clear()
        for word in words:
            if word and len(word) >= 2:
                self._jieba.add_word(canonical(word), freq=20000)
