"""The default answerer: picks the sentences that answer, quotes them with numbered sources, flags
disagreement between documents, and abstains when the evidence is weak."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .chunking import sentence_spans
from .quantities import (
    find_clock_times,
    find_durations,
    grades_label,
    has_number,
    is_other_grades,
    other_grades,
    parse_grades,
)
from .query import Query
from .records import Answer, Chunk, Citation, Hit
from .retrieval import HybridRetriever
from .segment import Segmenter
from .settings import AnswerSettings

TYPE_CUES: dict[str, re.Pattern[str]] = {
    "time": re.compile(
        r"\d{1,2}\s*[:：]\s*\d{2}|[一二三四五六七八九十\d]+点|\d+月|\d+日|\d{4}年|[_x]+年|星期|"
        r"周[一二三四五六日]|每[周月]|学期|寒暑假|节假日|学年"
    ),
    "who": re.compile(
        r"(?:组长|校长|局长|园长|主任|书记|老师)[：:（(]?[\u4e00-\u9fff]{0,1}[\u4e00-\u9fff（(]|由\S{1,12}(?:任|担任|负责|牵头)|"
        r"[\u4e00-\u9fff]{1,10}(?:局|委员会|办公室|领导小组|工作室|中心|教导处|教务处|家委会|教研组|备课组|委)"
    ),
    "yesno": re.compile(
        r"不得|严禁|禁止|不允许|不能|不准|杜绝|不要|可以|允许|应当|应该|必须|鼓励|提倡|确保|不布置|不留|不设置"
    ),
    "list": re.compile(r"[、；;]|一是|二是|等"),
    "definition": re.compile(r"即|就是|是指|指的是|：|:|是"),
}
CLAUSE = re.compile(r"[^，,；;：:]+[，,；;：:]?")
MAX_QUOTE = 110
SENTENCE_UNIT = (
    90  # sentences over ~1.6× this are scored clause-group by clause-group, so length does not win
)
VALUE_NAMES = {
    "phone": "电话号码",
    "clock": "时间",
    "date": "日期",
    "frequency": "频次",
    "duration": "时长",
    "percent": "比例",
    "count": "数量",
    "number": "数字",
}


@dataclass
class Sentence:
    hit: Hit
    rank: int
    start: int
    end: int
    text: str
    relevance: float = 0.0
    type_ok: bool = False
    grade_fit: float = 0.5
    score: float = 0.0
    values: list[float] = field(default_factory=list)


class ExtractiveAnswerer:
    """Grounded answers from the retrieved chunks only; no model is needed."""

    def __init__(self, retriever: HybridRetriever, segmenter: Segmenter, settings: AnswerSettings):
        self.retriever = retriever
        self.segmenter = segmenter
        self.settings = settings
        self._unit_cache: dict[str, tuple[frozenset[str], list[tuple[int, int, str, frozenset[str]]]]] = {}

    # ------------------------------------------------------------------ scoring

    def rerank(self, query: Query, hits: list[Hit], depth: int = 20) -> list[Hit]:
        """Second stage: order the top chunks by how well their best sentence answers the question,
        with the same features the answerer uses (coverage, asked-for value, grade fit)."""
        head, tail = hits[:depth], hits[depth:]
        if len(head) < 2:
            return hits
        top = head[0].score or 1.0
        best: dict[str, float] = {}
        for s in self.sentences(query, head, depth=depth, dedupe=False):
            value = 0.6 * s.relevance + 0.25 * float(s.type_ok) + 0.15 * s.grade_fit
            best[s.hit.chunk.id] = max(best.get(s.hit.chunk.id, 0.0), value)
        for hit in head:
            hit.score = 0.4 * hit.score / top + 0.6 * best.get(hit.chunk.id, 0.0)
        for hit in tail:
            hit.score = 0.4 * hit.score / top
        head.sort(key=lambda h: -h.score)
        return head + tail

    def sentences(self, query: Query, hits: list[Hit], depth: int = 6, dedupe: bool = True) -> list[Sentence]:
        out: list[Sentence] = []
        top = hits[0].score if hits else 1.0
        seen: set[str] = set()
        for rank, hit in enumerate(hits[:depth]):
            chunk = hit.chunk
            context, units = self._units(chunk)
            # Words naming this very document (北票市, 芙蓉初级中学…) are satisfied by the document itself;
            # counting them would favour any sentence that happens to repeat the name.
            terms = self._terms_for(query, chunk.doc_id)
            previous: frozenset[str] = frozenset()
            for s, e, text, tokens in units:
                if dedupe and text in seen:
                    continue
                seen.add(text)
                sentence = Sentence(hit, rank, s, e, text)
                # A rule often names its topic one sentence earlier ("推行无作业日制度。每周三…").
                own = max(
                    self.retriever.coverage(terms, tokens),
                    0.85 * self.retriever.coverage(terms, tokens | previous),
                )
                previous = tokens
                ctx = self.retriever.coverage(_content(query), tokens | context)
                sentence.relevance = 0.65 * own + 0.35 * ctx
                sentence.type_ok = self._type_ok(_value_kind(query), text)
                sentence.values = (
                    self._values_for(query, text, chunk.grades) if query.qtype == "duration" else []
                )
                sentence.grade_fit = self._grade_fit(query, text, chunk.grades)
                prior = hit.score / top if top else 0.0
                sentence.score = (
                    0.5 * sentence.relevance
                    + 0.2 * float(sentence.type_ok)
                    + 0.15 * sentence.grade_fit
                    + 0.15 * prior
                )
                out.append(sentence)
        return sorted(out, key=lambda s: -s.score)

    def _units(self, chunk: Chunk) -> tuple[frozenset[str], list[tuple[int, int, str, frozenset[str]]]]:
        """A chunk's sentences with their tokens, segmented once per chunk (this is on every query's path)."""
        cached = self._unit_cache.get(chunk.id)
        if cached is None:
            context = frozenset(self.segmenter.tokens(f"{chunk.title} {chunk.section}"))
            units = []
            pos = 0
            for line in chunk.text.split("\n"):
                for s, e in sentence_spans(line, pos, SENTENCE_UNIT):
                    text = chunk.text[s:e].strip()
                    if len(text) >= 4:
                        units.append((s, e, text, frozenset(self.segmenter.tokens(text))))
                pos += len(line) + 1
            cached = self._unit_cache[chunk.id] = (context, units)
        return cached

    def _terms_for(self, query: Query, doc_id: str) -> list[str]:
        content = _content(query)
        if doc_id not in query.doc_ids or not query.place_names:
            return content
        naming = {t for name in query.place_names for t in self.segmenter.tokens(name)}
        rest = [t for t in content if t not in naming]
        return rest or content

    @staticmethod
    def _type_ok(qtype: str, text: str) -> bool:
        if qtype in VALUE_CUES:
            return bool(VALUE_CUES[qtype](text))
        if qtype == "phone":
            return bool(re.search(r"\d{3,4}-?\d{7,8}|\d{11}|\d{5,}", text))
        if qtype.startswith("count:"):
            unit = re.escape(qtype.split(":", 1)[1])
            return bool(re.search(rf"{_CN_OR_DIGITS}\s*(?:余|多)?\s*(?:个)?{unit}", text))
        if qtype == "time":
            return bool(find_clock_times(text) or TYPE_CUES["time"].search(text))
        if qtype == "number":
            return has_number(text)
        cue = TYPE_CUES.get(qtype)
        return bool(cue.search(text)) if cue else True

    @staticmethod
    def _grade_fit(query: Query, text: str, chunk_grades: list[int]) -> float:
        if not query.grades:
            return 0.5
        grades = parse_grades(text) or set(chunk_grades)
        if not grades:
            return 0.5
        return 1.0 if grades & query.grades else 0.0

    @staticmethod
    def _values_for(query: Query, text: str, chunk_grades: list[int]) -> list[float]:
        """Durations in `text` that apply to the asked grades (clause by clause; a clause inherits grades,
        the first from its chunk when the chunk is about specific grades, e.g. a 初级中学's plan)."""
        values = []
        current: set[int] = set(chunk_grades) if len(chunk_grades) < 9 else set()
        for clause in CLAUSE.findall(text):
            grades = parse_grades(clause)
            if not grades and is_other_grades(clause):
                grades = other_grades(current)
            if grades:
                current = grades
            for d in find_durations(clause):
                if not query.grades or not current or current & query.grades:
                    if query.grades and not current:
                        continue  # a value with no grade attached cannot be matched to the asked grade
                    values.append(d.minutes)
        return values

    def evidence(self, query: Query, hits: list[Hit], best: Sentence | None) -> float:
        """Monotonic 0–1 relevance of the best evidence: term coverage of the best chunk, damped when the
        question asks for a value (time, duration, number) that the best sentence does not contain."""
        if not hits or best is None:
            return 0.0
        cover = max(self.retriever.coverage(_content(query), set(h.chunk.tokens)) for h in hits[:3])
        score = 0.5 * cover + 0.5 * best.relevance
        if query.qtype in ("duration", "time", "number") and not best.type_ok:
            # The question wants a value and the best sentence has none: never guess one.
            score *= 0.5
        return score

    # ------------------------------------------------------------------ composing

    def answer(self, query: Query, hits: list[Hit]) -> Answer:
        if query.out_of_scope:
            return self._abstain(
                query,
                hits,
                f"资料只涉及义务教育阶段（小学一至六年级、初中七至九年级），"
                f"没有关于“{query.out_of_scope}”的规定。",
            )
        if query.unknown_places:
            names = "、".join(query.unknown_places)
            return self._abstain(
                query, hits, f"资料中没有找到关于“{names}”的文件，无法回答该地/该校的具体规定。"
            )
        if not query.tokens:
            return self._abstain(query, hits, "资料中没有找到与这个问题相关的内容。")
        sentences = self.sentences(query, hits)
        best = sentences[0] if sentences else None
        evidence = self.evidence(query, hits, best)
        if best is None or evidence < self.settings.abstain_below:
            answer = self._abstain(query, hits, "资料中没有找到能回答这个问题的规定。")
            answer.evidence_score = evidence
            return answer
        if query.value_kind:
            # The question wants a value: answer only from a relevant sentence that has one, never guess.
            with_value = [s for s in sentences if s.type_ok and s.relevance >= best.relevance * 0.75]
            if with_value:
                evidence = self.evidence(query, hits, with_value[0])
            if not with_value or evidence < self.settings.abstain_below:
                what = VALUE_NAMES.get(query.value_kind.split(":")[0], "数值")
                answer = self._abstain(query, hits, f"资料中没有找到这个问题所问的具体{what}。")
                answer.evidence_score = evidence
                return answer
            best = with_value[0]
            sentences = [best] + [s for s in sentences if s is not best]
        if query.qtype == "duration" and query.grades:
            answer = self._duration_answer(query, sentences)
            if answer is not None:
                answer.hits, answer.evidence_score = hits, evidence
                return answer
        chosen = [best]
        short = 60 if query.qtype in ("list", "definition") else 30
        if len(best.text) < short or best.text.endswith(("：", ":")):
            follow = self._next_sentence(best, sentences)
            if follow:
                chosen.append(follow)
        citations = [self._cite(1, chosen)]
        second = next(
            (
                s
                for s in sentences[1:6]
                if s.hit.chunk.doc_id != best.hit.chunk.doc_id
                and s.score >= 0.92 * best.score
                and s.type_ok
                and s.text not in best.text
            ),
            None,
        )
        lines = [f"根据《{best.hit.chunk.title}》：「{citations[0].quote}」[1]"]
        if second:
            citations.append(self._cite(2, [second]))
            lines.append(f"另据《{second.hit.chunk.title}》：「{citations[1].quote}」[2]")
        text = self._fit("\n".join(lines))
        return Answer(
            question=query.original,
            text=text,
            citations=citations,
            hits=hits,
            evidence_score=evidence,
            rewritten=query.text if query.rewritten_from_history else "",
            notice=query.notice,
        )

    def _duration_answer(self, query: Query, sentences: list[Sentence]) -> Answer | None:
        """Group grade-matched durations by value; more than one value across documents = a conflict."""
        floor = max(0.25, sentences[0].relevance * 0.6)
        by_value: dict[float, list[Sentence]] = {}
        for s in sentences:
            if s.values and s.relevance >= floor and s.grade_fit > 0:
                value = s.values[0]
                group = by_value.setdefault(value, [])
                if all(g.hit.chunk.doc_id != s.hit.chunk.doc_id for g in group):
                    group.append(s)
        if not by_value:
            return None
        groups = sorted(by_value.items(), key=lambda kv: (-len(kv[1]), -max(s.score for s in kv[1])))
        docs_per_value = {v: {s.hit.chunk.doc_id for s in g} for v, g in groups}
        grade = grades_label(query.grades)
        citations: list[Citation] = []
        if len(groups) == 1:
            value, group = groups[0]
            lines = [f"{grade}：资料中的规定是不超过{_label(value)}。"]
            for s in group[:3]:
                c = self._cite(len(citations) + 1, [s])
                citations.append(c)
                lines.append(f"《{s.hit.chunk.title}》：「{c.quote}」[{c.number}]")
            return Answer(
                question=query.original,
                text=self._fit("\n".join(lines)),
                citations=citations,
                rewritten=query.text if query.rewritten_from_history else "",
                notice=query.notice,
            )
        lines = [f"{grade}的书面作业时长，各文件规定不一致："]
        conflicts = []
        budget = self.settings.max_citations
        for value, group in groups:
            for s in group[: max(1, budget // len(groups))]:
                if len(citations) >= budget:
                    break
                c = self._cite(len(citations) + 1, [s])
                citations.append(c)
                lines.append(f"· {_label(value)}：《{s.hit.chunk.title}》「{c.quote}」[{c.number}]")
            conflicts.append(f"{_label(value)}：" + "、".join(sorted(docs_per_value[value])))
        lines.append("学校之间规定不同，请以孩子所在学校的规定为准。")
        return Answer(
            question=query.original,
            text=self._fit("\n".join(lines)),
            citations=citations,
            conflicts=conflicts,
            rewritten=query.text if query.rewritten_from_history else "",
            notice=query.notice,
        )

    def _next_sentence(self, sentence: Sentence, pool: list[Sentence]) -> Sentence | None:
        after = [s for s in pool if s.hit is sentence.hit and s.start >= sentence.end]
        return min(after, key=lambda s: s.start) if after else None

    def _cite(self, number: int, sentences: list[Sentence]) -> Citation:
        first, last = sentences[0], sentences[-1]
        chunk = first.hit.chunk
        start, end = first.start, last.end
        quote = chunk.text[start:end].strip()
        if len(quote) > MAX_QUOTE:
            start, quote = self._window(chunk.text, start, end, first)
        return Citation.from_chunk(number, chunk, quote)

    def _window(self, text: str, start: int, end: int, sentence: Sentence) -> tuple[int, str]:
        """A verbatim run of clauses around the value the question asks about, at most MAX_QUOTE long."""
        span = text[start:end]
        clauses = [(m.start(), m.end()) for m in CLAUSE.finditer(span) if m.end() > m.start()]
        if not clauses:
            return start, span[:MAX_QUOTE]
        key = 0
        for i, (s, e) in enumerate(clauses):
            piece = span[s:e]
            if find_durations(piece) or re.search(r"\d", piece):
                key = i
                break
        lo, hi = key, key
        while True:
            grown = False
            if lo > 0 and clauses[hi][1] - clauses[lo - 1][0] <= MAX_QUOTE:
                lo -= 1
                grown = True
            if hi < len(clauses) - 1 and clauses[hi + 1][1] - clauses[lo][0] <= MAX_QUOTE:
                hi += 1
                grown = True
            if not grown:
                break
        s, e = clauses[lo][0], clauses[hi][1]
        return start + s, span[s:e].strip()

    def _fit(self, text: str) -> str:
        limit = self.settings.max_chars
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def _abstain(self, query: Query, hits: list[Hit], reason: str) -> Answer:
        text = reason
        if hits:
            text += "以下是资料中最接近的段落，仅供参考。"
        return Answer(
            question=query.original,
            text=text,
            abstained=True,
            hits=hits,
            rewritten=query.text if query.rewritten_from_history else "",
            notice=query.notice,
        )


def _content(query: Query) -> list[str]:
    """The words that coverage is measured on: grade words are left to the grade fit."""
    rest = [t for t in query.tokens if t not in query.grade_tokens]
    return rest or query.tokens


def _value_kind(query: Query) -> str:
    """The kind a sentence must match: the asked value (clock, date, count…) or else the question type."""
    return query.value_kind or query.qtype


_CN_OR_DIGITS = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千半几]+)"
_DATE = re.compile(
    r"\d{1,2}\s*月\s*\d{0,2}|\d{1,2}\s*[日号]|\d{4}\s*[年—-]|[_x]+\s*年|星期[一二三四五六日天]|"
    r"周[一二三四五六日]|学年|[一二三四五六七八九十]+月[一二三四五六七八九十]*[日号]?"
)
_SPAN = re.compile(rf"{_CN_OR_DIGITS}\s*(?:个)?(?:周|天|日|月|年|学期|星期|课时)")
_FREQUENCY = re.compile(
    rf"每\s*(?:{_CN_OR_DIGITS}\s*个?)?(?:周|天|日|月|年|学期|星期|季度)|{_CN_OR_DIGITS}\s*次"
)
VALUE_CUES = {
    "clock": find_clock_times,
    "date": _DATE.search,
    "frequency": _FREQUENCY.search,
    "duration": lambda text: find_durations(text) or _SPAN.search(text),
    "percent": re.compile(r"\d+(?:\.\d+)?\s*[%％]|百分之").search,
    "number": has_number,
}


def _label(minutes: float) -> str:
    if minutes == 30:
        return "半小时（30分钟）"
    if minutes % 60 == 0:
        return f"{int(minutes // 60)}小时（{int(minutes)}分钟）"
    return f"{int(minutes)}分钟"
