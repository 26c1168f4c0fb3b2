"""Chinese word segmentation (jieba + a domain dictionary) and the canonical form used for matching."""

from __future__ import annotations

import logging
import re
from functools import cached_property
from pathlib import Path

import jieba

from .cleaning import normalize_for_match
from .quantities import find_durations

USER_DICT = Path(__file__).parent / "data" / "userdict.txt"

# Words that carry no topic; dropping them keeps BM25 scores about content.
STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 等 对 将 把 被 为 以 于 由 从 向 也 又 还 就 都 而 并 或 其 之 这 那 该 此 各 每 有 无
    要 应 应当 可 可以 能 会 让 使 给 着 过 吗 呢 吧 啊 呀 么 什么 怎么 怎样 如何 哪些 哪 谁 多少 多久 几 几点
    多长时间 多长 长时间 多少时间 是否 有没有 能不能 可不可以 我 我们 你 你们 他 她 它 他们 孩子 我家 家里 请问 一下 一个 一些 进行 开展 工作 相关
    方面 情况 关于 规定 要求 具体 最多 最少 一般 现在 目前 学校 学生""".split()
)
_PUNCT = re.compile(r"^[\W_]+$")
_CN_GRADE = re.compile(r"([一二三四五六七八九])(?=年级)")
_CN_DIGIT = dict(zip("一二三四五六七八九", "123456789", strict=True))


def canonical(text: str) -> str:
    """Matching form: half-width, lower case, grade numerals as digits (三年级 → 3年级)."""
    text = normalize_for_match(text)
    return _CN_GRADE.sub(lambda m: _CN_DIGIT[m.group(1)], text)


class Segmenter:
    """A jieba tokenizer with the domain dictionary; build once and share (loading costs ~1 s)."""

    def __init__(self, user_dict: Path = USER_DICT):
        self._user_dict = user_dict

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
        return [w for w, flag in self._pos.cut(text) if flag == "ns" and len(w) >= 2]

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
        for word in words:
            if word and len(word) >= 2:
                self._jieba.add_word(canonical(word), freq=20000)
