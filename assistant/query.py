"""Question understanding, offline: script conversion, grades, places, question type, follow-up rewriting."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .followup import GRADE_WORDS, INTERROGATIVE, FollowupRewriter, dangling
from .lexicon import lexicon
from .quantities import OUT_OF_SCOPE, is_other_grades, other_grades, parse_grades
from .segment import Segmenter, canonical, title_form

LEX = lexicon()
QTYPES: list[tuple[str, re.Pattern[str]]] = [(rule.name, rule.pattern) for rule in LEX.question_types]
_HAS_TEXT = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_PLACE_SUFFIX = LEX.pattern("place_suffix")
_HIGH_SCHOOL_ENTRY = LEX.pattern("high_school_entry")
_WIDER_SCOPE = LEX.pattern("wider_scope")
_NAMED_SCHOOL = LEX.pattern("named_school")


@dataclass
class Catalog:
    """What the index knows by name: aliases → document ids, and all text for 'is this place mentioned at all'."""

    aliases: dict[str, set[str]] = field(default_factory=dict)
    full_text: str = ""
    titles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # doc id → its titles' matching forms
    # every title form in one string, to rule out most stretches with one lookup
    _joined: str = field(default="", init=False, repr=False)

    def add_title(self, doc_id: str, *titles: str) -> None:
        """Let questions name the document by a stretch of these titles."""
        self.titles[doc_id] = tuple(dict.fromkeys(title_form(t) for t in titles if t))
        self._joined = ""

    def docs_named(self, text: str) -> tuple[set[str], list[str]]:
        found: set[str] = set()
        names: list[str] = []
        for alias in sorted(self.aliases, key=len, reverse=True):
            if alias in text and not any(alias in n for n in names):
                found |= self.aliases[alias]
                names.append(alias)
        titled, stretch = self.doc_titled(text)
        if titled and not titled <= found:
            found |= titled
            names.append(stretch)
        return found, names

    def doc_titled(self, text: str) -> tuple[set[str], str]:
        """The one document whose title holds the longest stretch of the question around a word for a kind of
        document (那份双减专项工作总结里; 双减工作总结 alone is in many titles and names none)."""
        if not self.titles:
            return set(), ""
        if not self._joined:
            self._joined = "\n".join(f for forms in self.titles.values() for f in forms)
        text = title_form(text)
        best: dict[str, str] = {}
        for word in _DOC_TYPE_WORDS:
            start = text.find(word)
            while start >= 0:
                for right in range(TITLE_TAIL + 1):
                    for left in range(TITLE_REACH + 1):
                        lo, hi = start - left, start + len(word) + right
                        if lo < 0 or hi > len(text) or text[lo:hi] not in self._joined:
                            break  # no title holds a longer stretch either
                        stretch = text[lo:hi]
                        if len(stretch) < TITLE_STRETCH:
                            continue
                        for doc_id, forms in self.titles.items():
                            if len(stretch) > len(best.get(doc_id, "")) and any(stretch in f for f in forms):
                                best[doc_id] = stretch
                start = text.find(word, start + 1)
        if not best:
            return set(), ""
        longest = max(len(s) for s in best.values())
        winners = {doc_id for doc_id, s in best.items() if len(s) == longest}
        return (winners, best[next(iter(winners))]) if len(winners) == 1 else (set(), "")


TITLE_STRETCH = 8  # characters of a title a question must repeat to name its document (双减专项工作总结)
TITLE_REACH, TITLE_TAIL = 16, 6  # how far a stretch reaches before and after its document word: 总结 + (6)
_DOC_TYPE_WORDS = tuple(LEX.table("doc_types"))


@dataclass
class Query:
    """A question as the retriever and answerer see it."""

    original: str
    text: str
    tokens: list[str]
    grades: set[int]
    qtype: str
    value_kind: str = ""
    grade_tokens: set[str] = field(default_factory=set)
    doc_ids: set[str] = field(default_factory=set)
    place_names: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)  # every place word (jieba 'ns'), known or not
    asked_tokens: list[str] = field(default_factory=list)  # tokens of the asking clause of a longer message
    term: str = ""  # the quoted term a definition question asks about: “堵”是什么意思 → 堵
    unknown_places: list[str] = field(default_factory=list)
    out_of_scope: str = ""
    rewritten_from_history: bool = False
    notice: str = ""
    # Sentence features for this question, keyed by (chunk, sentence start, previous sentence's tokens): the
    # ranker, the extractive answerer and the outcome decision read the same chunks, and reading is the
    # costliest part of a question after the embedding.
    memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)


class QuestionProblem(Exception):
    """The input is not a question we can search for; str(e) is the polite reply."""


class QueryParser:
    """Turns raw user text (+ earlier turns) into a Query; built once with the index's catalog."""

    def __init__(
        self,
        segmenter: Segmenter,
        catalog: Catalog,
        max_chars: int = 500,
        max_history_turns: int = 20,
        max_history_chars: int = 4000,
    ):
        import opencc

        self.segmenter = segmenter
        self.catalog = catalog
        self.max_chars = max_chars
        self.max_history_turns = max_history_turns
        self.max_history_chars = max_history_chars
        self._t2s = opencc.OpenCC("t2s")
        self.followups = FollowupRewriter(segmenter, catalog.docs_named)
        thesaurus = sorted_thesaurus()
        # A word the corpus itself uses is already findable; rewriting it would only lose meaning (托管机构).
        self._synonyms = [(c, f) for c, f in thesaurus if c not in catalog.full_text]
        # A word the corpus uses too (周末) keeps its place, and the formal word (双休日) joins the search.
        self._expansions = [(c, f) for c, f in thesaurus if c in catalog.full_text]

    def grade_tokens(self, text: str) -> set[str]:
        """Tokens of the grade words (初一, 三年级…): grade fit is scored from metadata, not from word overlap."""
        phrases = [canonical(m.group(0)) for m in GRADE_WORDS.finditer(text)]
        return {t for t in self.segmenter.tokens(text) if any(t in p for p in phrases)}

    def formal_words(self, text: str) -> str:
        """Parents' words → the policy texts' words (改作业 → 批改作业), from the lexicon's thesaurus."""
        return formal_words(text, self._synonyms)

    def _names_a_place(self, text: str, unknown: list[str]) -> bool:
        """The message says where it is about: a place or school of its own (even one the corpus does not know),
        or a wider scope (国家, 市里, 一般…)."""
        return bool(
            unknown
            or _WIDER_SCOPE.search(text)
            or _NAMED_SCHOOL.search(text)
            or self.segmenter.place_names(text)
        )

    def simplify(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        return self._t2s.convert(text)

    def parse(self, question: str, history: list[str] | None = None, understand: bool = True) -> Query:
        raw = (question or "").strip()
        if not raw:
            raise QuestionProblem("请输入您的问题，例如：“三年级每天的书面作业不超过多长时间？”")
        raw, notice = trim_question(raw, self.max_chars)
        if not _HAS_TEXT.search(raw):
            raise QuestionProblem("没能识别出文字内容，请用文字描述您的问题，例如：“课后服务几点结束？”")
        text = self.simplify(raw) if understand else raw
        if understand:
            text = self.formal_words(text)
        rewritten = False
        earlier = [self.simplify(h) for h in self.recent(history)]
        if understand and not earlier and (subject := dangling(text)) is not None:
            raise QuestionProblem(_ask_what(subject))
        if understand and earlier:
            text, rewritten = self.rewrite_followup(text, earlier)
        grades = parse_grades(text) if understand else set()
        if understand and not grades and earlier and is_other_grades(text):
            # "其他年级呢？" after "一二年级…": the rest of that stage (of the earlier question as understood).
            previous, _ = self.rewrite_followup(earlier[-1], earlier[:-1])
            grades = other_grades(parse_grades(previous))
        out_of_scope = ""
        entry = _HIGH_SCHOOL_ENTRY.search(text)
        if understand and (m := OUT_OF_SCOPE.search(text)) and _only_out_of_scope(text) and not entry:
            # "普通高中招生" is in the corpus; "高中生的作业" is not: only the latter is out of scope.
            context = text[m.start() : m.end() + 2]
            if context not in self.catalog.full_text:
                out_of_scope = m.group(0)
        asked = question_part(text) if understand else text
        qtype, kind = asked_value(text, asked)
        doc_ids, names = self.catalog.docs_named(canonical(text)) if understand else (set(), [])
        unknown = self.unknown_places(text, names) if understand else []
        if understand and earlier and not doc_ids and not self._names_a_place(text, unknown):
            # A chat about one school goes on about it (柳塘路小学几点放学？ + 可我六点才下班，孩子怎么办): the
            # turn just before, naming a school or place, scopes a message that names none and asks no wider scope.
            doc_ids, names = self.catalog.docs_named(canonical(earlier[-1]))
        return Query(
            original=question,
            text=text,
            tokens=self.search_tokens(text) if understand else self.segmenter.tokens(text),
            asked_tokens=self.search_tokens(asked) if understand and asked != text else [],
            grade_tokens=self.grade_tokens(text) if grades else set(),
            grades=grades,
            qtype=qtype,
            value_kind=kind,
            doc_ids=doc_ids,
            place_names=names,
            places=self.segmenter.place_names(text) if understand else [],
            unknown_places=unknown,
            out_of_scope=out_of_scope,
            term=defined_term(asked) if understand else "",
            rewritten_from_history=rewritten,
            notice=notice,
        )

    def recent(self, history: list[str] | None) -> list[str]:
        """The earlier turns a follow-up may lean on: the last few, each cut like a question, at most
        max_history_chars in all (a client may send any amount; see issue 12 "Limits and abuse")."""
        turns = [h for h in history or [] if isinstance(h, str) and h.strip()]
        turns = turns[-self.max_history_turns :] if self.max_history_turns > 0 else []
        kept: list[str] = []
        total = 0
        for turn in reversed(turns):
            turn, _ = trim_question(turn.strip(), self.max_chars)
            if total + len(turn) > self.max_history_chars:
                break
            kept.append(turn)
            total += len(turn)
        return kept[::-1]

    def search_tokens(self, text: str) -> list[str]:
        """Tokens without question words; a word the corpus never uses (讲新课) also brings its
        dictionary pieces the corpus does use (新课), so "讲授新课" can still be found."""
        tokens = self.segmenter.tokens(INTERROGATIVE.sub("，", text))
        corpus = self.catalog.full_text
        extra = [
            piece
            for t in tokens
            if len(t) >= 3 and t not in corpus
            for piece in _pieces(t)
            if piece in corpus and piece not in tokens
        ]
        for colloquial, formal in self._expansions:
            if colloquial in text and formal not in text:
                extra.extend(t for t in self.segmenter.tokens(formal) if t not in tokens)
        return tokens + list(dict.fromkeys(extra))

    def unknown_places(self, text: str, known_names: list[str]) -> list[str]:
        """Places the question names (jieba 'ns' words) that appear nowhere in the corpus."""
        unknown = []
        corpus = self.catalog.full_text
        for name in self.segmenter.place_names(text):
            if any(name in k or k in name for k in known_names):
                continue
            core = _PLACE_SUFFIX.sub("", name)
            if name in corpus or (len(core) >= 2 and core in corpus):
                continue
            unknown.append(name)
        return unknown

    def rewrite_followup(self, text: str, history: list[str]) -> tuple[str, bool]:
        """'那五年级呢？' after '三年级作业多久？' → '五年级作业多久？' (see followup.py)."""
        return self.followups.rewrite(text, history)


_CLAUSES = re.compile(r"[^，,。！!？?；;\n]+[？?]?")
_ASKING = LEX.pattern("asking")
_SEVERAL = LEX.pattern("several")  # 好几个, 十几个: quantities, not questions


TAIL_CHARS = 100  # an over-long message's last words kept when no clause marks where its question starts


def trim_question(text: str, max_chars: int) -> tuple[str, str]:
    """(text, notice): an over-long message cut to `max_chars` — the one rule for the CLI, the web app and
    the API. A long paste usually ends with the question: keep the opening (who, which grade) and the ask."""
    if len(text) <= max_chars:
        return text, ""
    asking = question_part(text)
    if asking == text or len(asking) >= max_chars // 2:
        # No clause break near the end (a paste without punctuation): the ask is still most likely its last
        # words, and the opening alone would answer a question nobody asked.
        asking = text[-min(TAIL_CHARS, max_chars // 2) :]
    cut = f"{text[: max_chars - len(asking) - 1]}，{asking}"
    return cut, f"问题太长，只按开头和最后的提问（共 {max_chars} 个字以内）检索。"


def _ask_what(subject: str) -> str:
    """The polite question back when a follow-up (那五年级呢) has no earlier question to follow."""
    if subject:
        return (
            f"请问您想问{subject}的哪方面规定？前面没有可以接着问的问题，请把问题说完整，"
            f"例如：“{subject}的作业时间有什么规定？”"
        )
    return "请问您想问哪方面的规定？前面没有可以接着问的问题，请把问题说完整，例如：“课后服务几点结束？”"


def question_part(text: str) -> str:
    """The part of a message that asks: "我家孩子今年上三年级，老师每天布置好多作业，…我想问一下每天作业
    最多写多久？" → "我想问一下每天作业最多写多久？". Story and pasted instructions around the question
    only dilute the search; grades and places are still read from the whole message."""
    clauses = [c.strip() for c in _CLAUSES.findall(text) if c.strip()]
    asking = [i for i, c in enumerate(clauses) if _ASKING.search(_SEVERAL.sub("", c))]
    if len(clauses) < 2 or not asking:
        return text
    last = asking[-1]
    first = last
    # A short question leans on the clause before it ("关于课后服务，几点结束？").
    while first > 0 and sum(len(c) for c in clauses[first : last + 1]) < 10:
        first -= 1
    return "，".join(clauses[first : last + 1])


_QUOTED = LEX.pattern("quoted_term")
_DEFINE_ASK = LEX.pattern("define_ask")


def defined_term(text: str) -> str:
    """The quoted term a question asks to have explained (the last one: “疏堵结合”里的“堵”是什么意思 → 堵)."""
    terms = _QUOTED.findall(text)
    return terms[-1].strip() if terms and _DEFINE_ASK.search(text) else ""


def _pieces(word: str) -> list[str]:
    """The two-or-more-character parts of a word, longest first (讲新课 → 讲新, 新课)."""
    return [word[i : i + n] for n in range(len(word) - 1, 1, -1) for i in range(len(word) - n + 1)]


def sorted_thesaurus() -> list[tuple[str, str]]:
    """The parents'-words pairs, longest colloquial phrase first, so 写作业的时间 wins over 作业."""
    return sorted(LEX.thesaurus, key=lambda p: -len(p[0]))


def formal_words(text: str, pairs) -> str:
    """Replace each colloquial word by its formal word (unless the formal word is already there)."""
    for colloquial, formal in sorted(pairs, key=lambda p: -len(p[0])):
        if colloquial in text and formal not in text:
            text = text.replace(colloquial, formal)
    return text


def _only_out_of_scope(text: str) -> bool:
    return not parse_grades(OUT_OF_SCOPE.sub("", text))


_COUNT = LEX.pattern("asks_count")
# "校长是谁？" asks for the holder of a role: only a sentence that names that role can answer it.
_ROLE_ASKED = LEX.pattern("asks_role")
_RATE = LEX.word("rate_words")


def asked_value(text: str, asked: str) -> tuple[str, str]:
    """(question type, asked value) of the asking clause; a bare 多少 asks in the unit of the amount the
    message's story gives: "每天晚上刷题要刷一个多小时，学校规定到底留多少？" asks how long."""
    asked = _SEVERAL.sub("", asked)
    qtype = question_type(asked)
    kind = value_kind(asked, qtype)
    if (
        kind == "number"
        and LEX.pattern("bare_how_much").search(asked)
        and LEX.pattern("story_duration").search(text)
    ):
        return "duration", "duration"
    return qtype, kind


def value_kind(text: str, qtype: str) -> str:
    """What value the answer must contain: clock, date, duration, count:<unit>, percent, number — or ''."""
    if LEX.pattern("asks_phone_topic").search(text) and LEX.pattern("asks_phone_value").search(text):
        return "phone"
    if LEX.pattern("asks_clock").search(text):
        return "clock"
    if LEX.pattern("asks_year").search(text):
        return "year"
    if LEX.pattern("asks_date").search(text):
        return "date"
    if LEX.pattern("asks_frequency").search(text):
        return "frequency"
    if LEX.pattern("asks_money").search(text):
        return "money"
    if m := _ROLE_ASKED.search(text):
        return f"role:{m.group(1)}"
    if qtype == "duration":
        return "duration"
    if LEX.pattern("asks_time").search(text):
        return "time"
    if LEX.pattern("asks_count_ge").search(text):
        return "count:个"
    if m := _COUNT.search(text):
        # "一共多少次" asks a total: "每周一次" is a rate, not that total.
        total = LEX.pattern("asks_total").search(text) and _RATE not in text
        return f"{'total' if total else 'count'}:{m.group(1)}"
    if LEX.pattern("asks_percent").search(text):
        return "percent"
    return "number" if qtype == "number" else ""


def question_type(text: str) -> str:
    for name, pattern in QTYPES:
        if pattern.search(text):
            return name
    return "other"
