"""Question understanding, offline: script conversion, grades, places, question type, follow-up rewriting."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .quantities import OUT_OF_SCOPE, is_other_grades, other_grades, parse_grades
from .segment import Segmenter, canonical

QTYPES: list[tuple[str, re.Pattern[str]]] = [
    (
        "time",
        re.compile(
            r"几点|什么时候|何时|哪天|哪几天|哪一天|几月|几号|星期几|周几|哪年|哪一年|哪个学年|时间段|时段|什么时间(?!内)|"
            r"多早|多晚|截止"
        ),
    ),
    (
        "duration",
        re.compile(r"多久|多长时间|多少时间|多长|几个小时|几小时|多少分钟|几分钟|时长|不超过多少|最多.*写"),
    ),
    ("who", re.compile(r"谁|哪个部门|哪个单位|哪些部门|什么人|负责人|组长|牵头")),
    # "哪几个方面" asks which, not how many.
    ("number", re.compile(r"多少|(?<!哪)几[次所个项名篇条节年天]|几成|百分之|比例|覆盖率|占比|(?<!哪)几")),
    (
        "yesno",
        re.compile(
            r"能不能|能否|可不可以|可以吗|是否|允许|能.*吗|可以.*吗|要不要|会不会|必须|需不需要|有没有|吗[？?]?$"
        ),
    ),
    ("list", re.compile(r"哪些|哪几|有什么|有哪些|什么措施|怎么|如何|怎样|做法|措施|包括|内容")),
    ("definition", re.compile(r"是什么|什么是|什么意思|指什么|含义|是指|啥是")),
]
# Question words never occur in an answer; as search terms they only dilute the real ones (哪一天 → 一天).
INTERROGATIVE = re.compile(
    r"能不能|可不可以|要不要|会不会|有没有|是不是|需不需要|星期几|周几|礼拜几|哪一?[天年月个些位里种所次项条类方]面?|[几多]月几[号日]|几[月号日点天年周个所次项名条类]?|多少|什么|怎么样?|"
    r"怎样|如何|为什么|为何|是否|吗|呢|啥"
)
_FOLLOWUP = re.compile(r"^(?:那|那么|那如果|如果是|还有|换成|要是)|呢[？?。！!]*$")
_GRADE_WORDS = re.compile(
    r"[一二三四五六七八九十1-9]\s*(?:至|到|-|、)?\s*[一二三四五六七八九1-9]?\s*年级|初[一二三]|初中|小学|高中|高[一二三]|低年级|高年级"
)


@dataclass
class Catalog:
    """What the index knows by name: aliases → document ids, and all text for 'is this place mentioned at all'."""

    aliases: dict[str, set[str]] = field(default_factory=dict)
    full_text: str = ""

    def docs_named(self, text: str) -> tuple[set[str], list[str]]:
        found: set[str] = set()
        names: list[str] = []
        for alias in sorted(self.aliases, key=len, reverse=True):
            if alias in text and not any(alias in n for n in names):
                found |= self.aliases[alias]
                names.append(alias)
        return found, names


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


class QuestionProblem(Exception):
    """The input is not a question we can search for; str(e) is the polite reply."""


class QueryParser:
    """Turns raw user text (+ earlier turns) into a Query; built once with the index's catalog."""

    def __init__(self, segmenter: Segmenter, catalog: Catalog, max_chars: int = 500):
        import opencc

        self.segmenter = segmenter
        self.catalog = catalog
        self.max_chars = max_chars
        self._t2s = opencc.OpenCC("t2s")
        # A word the corpus itself uses is already findable; rewriting it would only lose meaning (托管机构).
        self._synonyms = [(c, f) for c, f in load_synonyms() if c not in catalog.full_text]
        # A word the corpus uses too (周末) keeps its place, and the formal word (双休日) joins the search.
        self._expansions = [(c, f) for c, f in load_synonyms() if c in catalog.full_text]

    def grade_tokens(self, text: str) -> set[str]:
        """Tokens of the grade words (初一, 三年级…): grade fit is scored from metadata, not from word overlap."""
        phrases = [canonical(m.group(0)) for m in _GRADE_WORDS.finditer(text)]
        return {t for t in self.segmenter.tokens(text) if any(t in p for p in phrases)}

    def formal_words(self, text: str) -> str:
        """Parents' words → the policy texts' words (改作业 → 批改作业), from data/synonyms.txt."""
        for colloquial, formal in self._synonyms:
            if colloquial in text and formal not in text:
                text = text.replace(colloquial, formal)
        return text

    def simplify(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        return self._t2s.convert(text)

    def parse(self, question: str, history: list[str] | None = None, understand: bool = True) -> Query:
        raw = (question or "").strip()
        if not raw:
            raise QuestionProblem("请输入您的问题，例如：“三年级每天的书面作业不超过多长时间？”")
        notice = ""
        if len(raw) > self.max_chars:
            # A long paste usually ends with the question: keep the opening (who, which grade) and the ask.
            asking = question_part(raw)
            if asking != raw and len(asking) < self.max_chars // 2:
                raw = f"{raw[: self.max_chars - len(asking) - 1]}，{asking}"
                notice = f"问题太长，只按开头和最后的提问（共 {self.max_chars} 个字以内）检索。"
            else:
                raw = raw[: self.max_chars]
                notice = f"问题太长，只按前 {self.max_chars} 个字检索。"
        if not re.search(r"[\u4e00-\u9fffA-Za-z0-9]", raw):
            raise QuestionProblem("没能识别出文字内容，请用文字描述您的问题，例如：“课后服务几点结束？”")
        text = self.simplify(raw) if understand else raw
        if understand:
            text = self.formal_words(text)
        rewritten = False
        earlier = [self.simplify(h) for h in history or [] if isinstance(h, str) and h.strip()]
        if understand and earlier:
            text, rewritten = self.rewrite_followup(text, earlier)
        grades = parse_grades(text) if understand else set()
        if understand and not grades and earlier and is_other_grades(text):
            # "其他年级呢？" after "一二年级…": the rest of that stage (of the earlier question as understood).
            previous, _ = self.rewrite_followup(earlier[-1], earlier[:-1])
            grades = other_grades(parse_grades(previous))
        out_of_scope = ""
        if understand and (m := OUT_OF_SCOPE.search(text)) and _only_out_of_scope(text):
            # "普通高中招生" is in the corpus; "高中生的作业" is not: only the latter is out of scope.
            context = text[m.start() : m.end() + 2]
            if context not in self.catalog.full_text:
                out_of_scope = m.group(0)
        asked = question_part(text) if understand else text
        qtype = question_type(asked)
        doc_ids, names = self.catalog.docs_named(canonical(text)) if understand else (set(), [])
        unknown = self.unknown_places(text, names) if understand else []
        return Query(
            original=question,
            text=text,
            tokens=self.search_tokens(text) if understand else self.segmenter.tokens(text),
            asked_tokens=self.search_tokens(asked) if understand and asked != text else [],
            grade_tokens=self.grade_tokens(text) if grades else set(),
            grades=grades,
            qtype=qtype,
            value_kind=value_kind(asked, qtype),
            doc_ids=doc_ids,
            place_names=names,
            places=self.segmenter.place_names(text) if understand else [],
            unknown_places=unknown,
            out_of_scope=out_of_scope,
            term=defined_term(asked) if understand else "",
            rewritten_from_history=rewritten,
            notice=notice,
        )

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
            core = re.sub(r"(?:省|自治区|市|区|县|镇)$", "", name)
            if name in corpus or (len(core) >= 2 and core in corpus):
                continue
            unknown.append(name)
        return unknown

    def rewrite_followup(self, text: str, history: list[str]) -> tuple[str, bool]:
        """'那五年级呢？' after '三年级作业多久？' → '五年级作业多久？' (rule-based, offline)."""
        if not history:
            return text, False
        previous = history[-1]
        if len(history) > 1:
            previous, _ = self.rewrite_followup(previous, history[:-1])
        stripped = re.sub(r"[？?。！!\s]+$", "", text)
        if not (_FOLLOWUP.search(text) or len(stripped) <= 6):
            return text, False
        # "那天/那些/那所" name something; only a bare leading 那 ("那五年级呢") is dropped.
        core = re.sub(r"^(?:那么|那如果|那(?![天里些个时次份所年月])|如果是|还有|换成|要是)", "", stripped)
        core = re.sub(r"呢$", "", core).strip("，, ")
        if not core:
            return previous, True
        new_grade = _GRADE_WORDS.search(core)
        if new_grade and _GRADE_WORDS.search(previous):
            return _GRADE_WORDS.sub(new_grade.group(0), previous, count=1), True
        if sibling := _sibling_swap(previous, core, self.segmenter.words(previous)):
            return sibling, True  # 夏季几点结束？ + 冬季呢？ → 冬季几点结束？
        docs, _ = self.catalog.docs_named(canonical(core))
        if INTERROGATIVE.search(core) and not docs and not new_grade:
            # A new question about the same subject: 没有课的老师几点可以到岗？ + 那几点可以下班？
            subject = previous[: q.start()] if (q := INTERROGATIVE.search(previous)) else ""
            subject = re.sub(r"(?:是|在|有|的)$", "", subject.rstrip("，, "))
            if len(subject) >= 2:
                return f"{subject.rstrip('，, ')}{core}？", True
        if new_grade or docs or self.segmenter.place_names(core):
            base = previous
            if not new_grade:  # a new place replaces the place the earlier question named
                _, old_names = self.catalog.docs_named(canonical(previous))
                for name in old_names + self.segmenter.place_names(previous):
                    base = base.replace(name, "")
            return f"{core}{base}", True
        return f"{previous.rstrip('？?')}，{core}？", True


_CLAUSES = re.compile(r"[^，,。！!？?；;\n]+[？?]?")
_ASKING = re.compile(r"[？?]$|吗|呢|么|" + INTERROGATIVE.pattern + r"|几|多久|多长|能否|可否|是否")


def question_part(text: str) -> str:
    """The part of a message that asks: "我家孩子今年上三年级，老师每天布置好多作业，…我想问一下每天作业
    最多写多久？" → "我想问一下每天作业最多写多久？". Story and pasted instructions around the question
    only dilute the search; grades and places are still read from the whole message."""
    clauses = [c.strip() for c in _CLAUSES.findall(text) if c.strip()]
    asking = [i for i, c in enumerate(clauses) if _ASKING.search(c)]
    if len(clauses) < 2 or not asking:
        return text
    last = asking[-1]
    first = last
    # A short question leans on the clause before it ("关于课后服务，几点结束？").
    while first > 0 and sum(len(c) for c in clauses[first : last + 1]) < 10:
        first -= 1
    return "，".join(clauses[first : last + 1])


_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{1,16})[”\"」』]")
_DEFINE_ASK = re.compile(r"意思|指什么|指的是|什么|是啥|何为|分别是|包括|哪[几些]|怎么回事|怎么理解")


def defined_term(text: str) -> str:
    """The quoted term a question asks to have explained (the last one: “疏堵结合”里的“堵”是什么意思 → 堵)."""
    terms = _QUOTED.findall(text)
    return terms[-1].strip() if terms and _DEFINE_ASK.search(text) else ""


def _pieces(word: str) -> list[str]:
    """The two-or-more-character parts of a word, longest first (讲新课 → 讲新, 新课)."""
    return [word[i : i + n] for n in range(len(word) - 1, 1, -1) for i in range(len(word) - n + 1)]


def _sibling_swap(previous: str, core: str, words: list[str]) -> str:
    """Replace the earlier question's counterpart of a short follow-up: 第一时段→第二时段, 夏季→冬季
    (whole words, same length and ending), else 组长→副组长 (an earlier word is the follow-up's tail)."""
    if not 2 <= len(core) <= 6 or INTERROGATIVE.search(core) or not re.fullmatch(r"[\u4e00-\u9fff\w]+", core):
        return ""
    ending = core[-2:] if len(core) >= 3 else core[-1]
    # Offsets found in the text itself: the segmenter drops spaces, so lengths alone would drift.
    starts, pos = [], 0
    for w in words:
        pos = previous.find(w, pos)
        starts.append(pos)
        pos += len(w)
    starts.append(pos)
    if -1 in starts:
        return ""
    for i in range(len(words)):
        for j in range(i + 1, len(words) + 1):
            span = previous[starts[i] : starts[j]]
            if len(span) > len(core):
                break
            if len(span) == len(core) and span != core and span.endswith(ending):
                return previous[: starts[i]] + core + previous[starts[j] :]
    for i, w in enumerate(words):
        if len(w) >= 2 and w != core and core.endswith(w):
            return previous[: starts[i]] + core + previous[starts[i] + len(w) :]
    return ""


SYNONYMS = Path(__file__).parent / "data" / "synonyms.txt"


def load_synonyms(path: Path = SYNONYMS) -> list[tuple[str, str]]:
    """Longest colloquial phrase first, so 写作业的时间 wins over 作业."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "\t" in line:
            colloquial, formal = line.split("\t", 1)
            pairs.append((colloquial.strip(), formal.strip()))
    return sorted(pairs, key=lambda p: -len(p[0]))


def _only_out_of_scope(text: str) -> bool:
    return not parse_grades(OUT_OF_SCOPE.sub("", text))


_COUNT = re.compile(
    r"(?:多少|(?<!哪)几)\s*(?:个)?(所|次|项|名|篇|条|节|年|天|人|课时|元|页|分|个|批|场|类|家|位)"
)


# "校长是谁？" asks for the holder of a role: only a sentence that names that role can answer it.
_ROLE_ASKED = re.compile(
    r"(副?(?:组长|校长|局长|园长|主任|书记|负责人|联系人|院长|所长|站长|馆长))(?:是|叫|由)?(?:谁|哪位|什么人|叫什么)"
)


def value_kind(text: str, qtype: str) -> str:
    """What value the answer must contain: clock, date, duration, count:<unit>, percent, number — or ''."""
    if re.search(r"电话|号码|热线", text) and re.search(r"多少|是什么|哪个|几", text):
        return "phone"
    if re.search(r"几点|几时几分", text):
        return "clock"
    if re.search(
        r"哪天|哪几天|哪一天|几月几[号日]|几号|什么日期|哪年|哪一年|星期几|周几|哪个学年|几月", text
    ):
        return "date"
    if re.search(
        r"(?:多久|多长时间|多少天|几天|几周|几个月)\S{0,8}一次|频率|多久\S{0,4}(?:检查|开展|进行|召开)", text
    ):
        return "frequency"
    if re.search(r"多少钱|几块钱|多少元|费用是?多少|收费多少|罚款多少|罚多少", text):
        return "money"
    if m := _ROLE_ASKED.search(text):
        return f"role:{m.group(1)}"
    if qtype == "duration":
        return "duration"
    if re.search(r"什么时候|何时|什么时间(?!内)", text):
        return "time"
    if re.search(r"(?:多少|(?<!哪)几)个", text):
        return "count:个"
    if m := _COUNT.search(text):
        # "一共多少次" asks a total: "每周一次" is a rate, not that total.
        total = re.search(r"一共|总共|共计|累计|总计", text) and "每" not in text
        return f"{'total' if total else 'count'}:{m.group(1)}"
    if re.search(r"(?:比例|占比|覆盖率|参与率|达标率|百分比)(?:是|为|达到|有)?(?:多少|几)", text):
        return "percent"
    return "number" if qtype == "number" else ""


def question_type(text: str) -> str:
    for name, pattern in QTYPES:
        if pattern.search(text):
            return name
    return "other"
