"""The default answerer: picks the sentences that answer, quotes them with numbered sources, flags
disagreement between documents, and abstains when the evidence is weak."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .chunking import sentence_spans
from .quantities import (
    cn_to_int,
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
        r"周[一二三四五六日]|每[周月]|学期|寒暑假|节假日|学年|开学|放学|[一二三四五六七八九十\d]+(?:周|日|天)[内前]"
    ),
    "who": re.compile(
        r"(?:组长|校长|局长|园长|主任|书记|老师)[：:（(]?[\u4e00-\u9fff]{0,1}[\u4e00-\u9fff（(]|由\S{1,12}(?:任|担任|负责|牵头)|"
        r"[\u4e00-\u9fff]{1,10}(?:局|委员会|办公室|领导小组|工作室|中心|教导处|教务处|家委会|教研组|备课组|委)"
    ),
    "yesno": re.compile(
        r"不得|严禁|禁止|不允许|不能|不准|杜绝|不要|可以|允许|应当|应该|也应|均应|应按|必须|鼓励|提倡|确保|不布置|不留|不设置"
    ),
    # Items in a row (、；一是…), or three and more comma clauses ("优化…，分类控制…，丰富…").
    "list": re.compile(r"[、；;]|一是|二是|等|(?:[^，,。]+[，,]){3}"),
    "definition": re.compile(r"即|就是|是指|指的是|：|:|是"),
}
# How much the right kind of sentence counts: a value or a rule word is strong evidence of an answer,
# punctuation that looks like a list or a definition is weak.
TYPE_WEIGHT = {"list": 0.08, "definition": 0.08}
# A colon between digits is a clock (7:50, 9：00), not a clause break.
CLAUSE = re.compile(r"(?:[^，,；;：:]|(?<=\d)[:：](?=\d))+[，,；;：:]?")
MAX_QUOTE = 110
SENTENCE_UNIT = (
    90  # sentences over ~1.6× this are scored clause-group by clause-group, so length does not win
)
# Words that say what kind of value is asked, not what it is about: a clause holding the value must share
# a word with the question *other than these* to count as answering it (睡眠时间10小时 ≠ 作业时间).
GENERIC = frozenset(
    """时候 时间 时长 时段 每天 每日 每周 每月 每年 平均 完成 超过 不超过 不少 少于 不少于 控制 以内 之内 总数 数量
    多少 几 个 所 次 项 名 人 天 年 月 日 号 周 小时 分钟 比例 占比 百分比 上 写 做 用 花 需要 保证 确保
    至少 最多 最少 最长 不低于 低于 以上 以下 内 里 完 到 去 来 得 着 过 能 要 会 想 请 问""".split()
)
FUNCTION_CHARS = frozenset("到去来得着过能要会想请问给让把被对向从在跟")
FOCUS_RATIO = 0.75  # a value clause must match the question at least this well relative to the best clause
NUMERAL = re.compile(r"[\d一二两三四五六七八九十百半几]")
MEASURED = re.compile(r"([\u4e00-\u9fff]{2})(?:时间|时长)")
UPPER = re.compile(r"不超过|不得超过|不多于|不超出|不宜超过|以内|之内|以下|控制在|最多|最长")
LOWER = re.compile(r"不少于|不低于|不短于|至少|以上|不得少于")
UNIT_ALIASES = {
    "人": "(?:人|名|位)",
    "名": "(?:人|名|位)",
    "位": "(?:人|名|位)",
    "所": "(?:所|个学校|家)",
    "家": "(?:家|所|个)",
}
VALUE_NAMES = {
    "phone": "电话号码",
    "clock": "时间",
    "time": "时间",
    "money": "金额",
    "role": "人员",
    "date": "日期",
    "frequency": "频次",
    "duration": "时长",
    "percent": "比例",
    "count": "数量",
    "total": "数量",
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
    type_ok: float = 0.0  # 0–1: has the asked kind of content (value, rule, list); 1 = right where asked
    grade_fit: float = 0.5
    score: float = 0.0
    values: list[tuple[float, str]] = field(default_factory=list)  # (minutes, bound) of on-topic durations


class ExtractiveAnswerer:
    """Grounded answers from the retrieved chunks only; no model is needed."""

    def __init__(self, retriever: HybridRetriever, segmenter: Segmenter, settings: AnswerSettings):
        self.retriever = retriever
        self.segmenter = segmenter
        self.settings = settings
        self._unit_cache: dict[str, tuple[frozenset[str], list[tuple[int, int, str, frozenset[str]]]]] = {}
        self._clause_cache: dict[str, frozenset[str]] = {}
        self._doc_chunks: dict[str, list[Chunk]] = {}  # each document's chunks in order, built once
        self._name_tokens: dict[str, frozenset[str]] = {}
        self._joined: dict[frozenset[str], str] = {}  # a token set as one string, for substring tests

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
        kind, wants_value = _value_kind(query), _wants_value(query)
        seen: set[str] = set()
        for rank, hit in enumerate(hits[:depth]):
            chunk = hit.chunk
            context, units = self._units(chunk)
            # Words naming this very document (北票市, 芙蓉初级中学…) are satisfied by the document itself;
            # counting them would favour any sentence that happens to repeat the name.
            terms = self._terms_for(query, chunk.doc_id)
            # In a longer message the asking clause alone may be the better match (story words dilute).
            asked = self._terms_for(query, chunk.doc_id, asked=True)
            previous: frozenset[str] = frozenset()
            for s, e, text, tokens in units:
                if dedupe and text in seen:
                    continue
                seen.add(text)
                sentence = Sentence(hit, rank, s, e, text)
                # A rule often names its topic one sentence earlier ("推行无作业日制度。每周三…").
                own = max(
                    self._loose_coverage(words, seen_tokens) * factor
                    for words in (terms, asked)
                    for seen_tokens, factor in ((tokens, 1.0), (tokens | previous, 0.85))
                )
                ctx = max(
                    self.retriever.coverage(words, tokens | context) for words in (_content(query), asked)
                )
                sentence.relevance = 0.65 * own + 0.35 * ctx
                if wants_value:
                    # Only a duration names what it measures (睡眠时间 vs 作业时间); 结束时间 is just "几点".
                    clauses, focus = self._focus(terms, text, previous, measured=query.qtype == "duration")
                    sentence.type_ok = self._value_in_focus(kind, clauses, focus)
                    if query.qtype == "duration":
                        sentence.values = self._values_for(query, clauses, focus, chunk.grades)
                elif query.term:
                    sentence.type_ok = float(_defines(query.term, text))
                else:
                    sentence.type_ok = float(self._type_ok(kind, text))
                previous = tokens
                sentence.grade_fit = self._grade_fit(query, text, chunk.grades)
                prior = hit.score / top if top else 0.0
                sentence.score = 0.5 * sentence.relevance + 0.15 * sentence.grade_fit + 0.15 * prior
                out.append(sentence)
        # The right kind of sentence (a rule, a list, a value) only counts in proportion to how on-topic it
        # is: a rule about something else must not outrank the sentence that answers.
        top_relevance = max((s.relevance for s in out), default=0.0) or 1.0
        # A sentence that defines the very term asked about ("“堵”就是…") is strong evidence.
        weight = 0.2 if query.term and not wants_value else TYPE_WEIGHT.get(query.qtype, 0.2)
        for sentence in out:
            sentence.score += weight * sentence.type_ok * min(1.0, sentence.relevance / (0.8 * top_relevance))
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

    def _terms_for(self, query: Query, doc_id: str, asked: bool = False) -> list[str]:
        content = _content(query, asked)
        if doc_id not in query.doc_ids or not query.place_names:
            return content
        return self._without(content, query.place_names)

    def _without(self, content: list[str], names: list[str]) -> list[str]:
        """The question's words minus those naming a place or school (unless nothing else is left)."""
        naming: set[str] = set()
        for name in names:
            if name not in self._name_tokens:
                self._name_tokens[name] = frozenset(self.segmenter.tokens(name))
            naming |= self._name_tokens[name]
        return [t for t in content if t not in naming] or content

    @staticmethod
    def _type_ok(qtype: str, text: str) -> bool:
        if qtype in VALUE_CUES:
            return bool(VALUE_CUES[qtype](text))
        if qtype == "phone":
            return bool(re.search(r"\d{3,4}-?\d{7,8}|\d{11}|\d{5,}", text))
        if qtype.startswith("role:"):
            role = qtype.split(":", 1)[1]
            return bool(re.search(("" if role.startswith("副") else "(?<!副)") + re.escape(role), text))
        if qtype.startswith(("count:", "total:")):
            unit = qtype.split(":", 1)[1]
            unit = UNIT_ALIASES.get(unit, re.escape(unit))
            found = re.search(rf"{_CN_OR_DIGITS}\s*(?:余|多)?\s*(?:个)?{unit}", text)
            if found and qtype.startswith("total:") and "每" in text[: found.start()]:
                return False
            return bool(found)
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

    def _focus(
        self, terms: list[str], text: str, previous: frozenset[str], measured: bool = False
    ) -> tuple[list[str], list[float]]:
        """The sentence's clauses, and how surely each (with the clause before) is about what is asked:
        1 within the sentence, 0.8 when only the previous sentence names the topic, 0 not about it.

        A value only answers a question when it sits where the question's topic is: in "每天书面作业不超过
        90分钟，周末书面作业总量不超过分钟" a question about 周末 is not answered by the 90."""
        clauses = [c for c in CLAUSE.findall(text) if c.strip()]
        topic = [t for t in terms if t not in GENERIC and not t.startswith("⏱") and not t.isdigit()]
        if not topic:
            return clauses, [1.0] * len(clauses)
        tokens = [self._clause_tokens(c) for c in clauses]
        own = [self._loose_coverage(topic, t) for t in tokens]
        best = max(own, default=0.0)
        focus = []
        for i, toks in enumerate(tokens):
            inside = max(own[i], self._loose_coverage(topic, toks | tokens[i - 1]) if i else 0.0)
            carried = 0.0 if i else self._loose_coverage(topic, toks | previous)
            if measured and self._measures_other(clauses[i], terms):
                focus.append(0.0)
            elif inside > 0 and inside >= FOCUS_RATIO * best:
                focus.append(1.0)
            elif carried > 0 and carried >= FOCUS_RATIO * best:
                focus.append(0.8)
            else:
                focus.append(0.0)
        return clauses, focus

    def _loose_coverage(self, terms: list[str], tokens: frozenset[str]) -> float:
        """Coverage where a question word inside a longer text word counts (睡 ~ 睡眠, 收费 ~ 收费标准)."""
        joined = self._joined.get(tokens)
        if joined is None:
            if len(self._joined) > 50_000:
                self._joined.clear()
            joined = self._joined[tokens] = "\x00".join(tokens)
        found = [t for t in terms if t in tokens or (t not in GENERIC and t in joined)]
        return self.retriever.coverage(terms, frozenset(found))

    def _measures_other(self, clause: str, terms: list[str]) -> bool:
        """The clause says whose time it measures (睡眠时间, 锻炼时间) and the question is about something else."""
        for m in MEASURED.finditer(clause):
            if NUMERAL.search(m.group(1)):
                continue  # 三年时间, 半小时: a value, not what is measured
            words = [t for t in self._clause_tokens(m.group(1)) if t not in GENERIC]
            if words and not any(w in terms or any(w in t or t in w for t in terms) for w in words):
                return True
        return False

    def _value_in_focus(self, kind: str, clauses: list[str], focus: list[float]) -> float:
        """1 when a clause about the question holds the value, 0.8 when a date leads it, else 0."""
        if kind.startswith("role:"):
            # The role word is itself where the answer sits ("以局长为组长"); no topic clause is needed.
            return float(any(self._type_ok(kind, clause) for clause in clauses))
        fit = 0.0
        for i, clause in enumerate(clauses):
            if not self._type_ok(kind, clause):
                continue
            fit = max(fit, focus[i])
            # Dates lead what they date ("10月29日，组织召开…会议，签订了…承诺书"): the topic may follow,
            # anywhere in the sentence when the date opens it, else in the next clause.
            later = focus[i + 1 :] if i == 0 and kind in ("date", "clock") else focus[i + 1 : i + 2]
            if kind in ("date", "clock", "time") and any(later):
                fit = max(fit, 0.8)
        return fit

    def _clause_tokens(self, clause: str) -> frozenset[str]:
        tokens = self._clause_cache.get(clause)
        if tokens is None:
            tokens = self._clause_cache[clause] = frozenset(self.segmenter.tokens(clause))
        return tokens

    @staticmethod
    def _values_for(
        query: Query, clauses: list[str], focus: list[float], chunk_grades: list[int]
    ) -> list[tuple[float, str]]:
        """On-topic durations that apply to the asked grades, with their bound (不超过/不少于), clause by
        clause; a clause inherits grades, the first from its chunk when the chunk is about specific grades
        (e.g. a 初级中学's plan)."""
        values = []
        current: set[int] = set(chunk_grades) if len(chunk_grades) < 9 else set()
        for clause, on_topic in zip(clauses, focus, strict=True):
            grades = parse_grades(clause)
            if not grades and is_other_grades(clause):
                grades = other_grades(current)
            if grades:
                current = grades
            if not on_topic:
                continue
            for d in find_durations(clause):
                if query.grades and not current:
                    continue  # a value with no grade attached cannot be matched to the asked grade
                if not query.grades or current & query.grades:
                    values.append((d.minutes, _bound(clause, d.start, d.end)))
        return values

    def evidence(self, query: Query, hits: list[Hit], best: Sentence | None) -> float:
        """Monotonic 0–1 relevance of the best evidence: term coverage of the best chunk, damped when the
        question asks for a value (time, duration, number) that the best sentence does not contain."""
        if not hits or best is None:
            return 0.0
        # A place or school name matches its own document everywhere; it is not evidence of an answer
        # ("明天北京天气怎么样" shares only 北京 with a Beijing kindergarten's report).
        cover = 0.0
        for content in (_content(query), _content(query, asked=True)):
            terms = self._without(content, query.place_names + query.places)
            cover = max([cover] + [self.retriever.coverage(terms, set(h.chunk.tokens)) for h in hits[:3]])
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
        if query.doc_ids:
            # The question names a place or school: another place's rule or figure is not its answer.
            sentences = [s for s in sentences if s.hit.chunk.doc_id in query.doc_ids]
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
            if best.grade_fit == 0:
                # The only durations found are for other grades (小学's 10 hours of sleep ≠ 初中's).
                answer = self._abstain(
                    query, hits, f"资料中没有找到适用于{grades_label(query.grades)}的具体时长。"
                )
                answer.evidence_score = evidence
                return answer
        chosen = [best]
        short = 60 if query.qtype in ("list", "definition") else 30
        if best.text.endswith(("：", ":")):
            chosen = self._with_items(best)  # "…要有分层：" is answered by the items below it
            best = chosen[0]
        elif len(best.text) < short or (
            query.term and query.term in best.text and not _defines(query.term, best.text)
        ):
            # A short sentence, or one that only names the asked term ("“主题研学”作业给我留下了深刻印象"),
            # is explained by the sentence after it.
            follow = self._next_sentence(best, sentences) or next(iter(self._items_after(best)[:1]), None)
            if follow:
                chosen.append(follow)
            if query.term and follow and not _defines(query.term, follow.text):
                # Still not explained: one more sentence, if it fits in the quote.
                more = self._items_after(follow)[:1]
                if more and sum(len(s.text) for s in chosen + more) <= MAX_QUOTE:
                    chosen.extend(more)
        if MANY.search(query.text):
            anchor = next((s for s in reversed(chosen) if _marker(s.text)), None)
            # An item that itself holds the asked term is the answer, not its siblings ("十条" … “踢皮球”).
            one_item = anchor is not None and query.term and query.term in anchor.text
            items = self._enumeration(anchor) if anchor and not one_item else []
            if len(items) >= 2:
                lead = [s for s in chosen if s.text.endswith(("：", ":")) and not _marker(s.text)]
                return self._list_answer(query, hits, evidence, lead[:1] + items)
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

    def _enumeration(self, sentence: Sentence) -> list[Sentence]:
        """The numbered run a sentence belongs to (一是…二是…, (1)…(2)…, 1、…2、…), in document order,
        even when the items fall into different chunks; [] when the sentence is not an item."""
        mark = _marker(sentence.text)
        if mark is None:
            return []
        family = mark[0]
        anchor = sentence.hit.chunk.start + sentence.start
        seen: set[int] = set()
        items: list[tuple[int, int, Sentence]] = []
        for chunk in self._chunks_of(sentence.hit.chunk.doc_id):
            _, units = self._units(chunk)
            for start, end, text, _tokens in units:
                position = chunk.start + start
                found = _marker(text)
                if position in seen or found is None or found[0] != family:
                    continue
                seen.add(position)
                items.append((position, found[1], Sentence(Hit(chunk), sentence.rank, start, end, text)))
        items.sort(key=lambda item: item[0])
        at = next((i for i, item in enumerate(items) if item[0] == anchor), None)
        if at is None:
            return []
        lo = hi = at
        while lo > 0 and items[lo - 1][1] == items[lo][1] - 1:
            lo -= 1
        while hi + 1 < len(items) and items[hi + 1][1] == items[hi][1] + 1:
            hi += 1
        return [item[2] for item in items[lo : hi + 1]]

    def _list_answer(self, query: Query, hits: list[Hit], evidence: float, parts: list[Sentence]) -> Answer:
        """Each item of an enumeration quoted and cited on its own line (items may sit in different chunks)."""
        citations = []
        lines = [f"根据《{parts[0].hit.chunk.title}》："]
        budget = self.settings.max_chars - 40  # room for the "only the first N" note
        for n, part in enumerate(parts):
            quote = part.text
            if len(quote) > LIST_ITEM:
                # The item's opening clauses name it; the rest is explanation. Cut the text, never re-join it.
                ends = [m.end() for m in CLAUSE.finditer(quote) if m.end() > m.start()]
                cut = next((e for e in ends if e >= LIST_ITEM // 2), ends[0] if ends else LIST_ITEM)
                quote = quote[: min(cut, LIST_ITEM)]
            line = f"「{quote.strip()}」[{len(citations) + 1}]"
            if sum(len(x) + 1 for x in lines) + len(line) > budget:
                lines.append(f"（共 {len(parts)} 项，这里列出前 {n} 项，其余见原文。）")
                break
            citations.append(Citation.from_chunk(len(citations) + 1, part.hit.chunk, quote.strip()))
            lines.append(line)
        return Answer(
            question=query.original,
            text=self._fit("\n".join(lines)),
            citations=citations,
            hits=hits,
            evidence_score=evidence,
            rewritten=query.text if query.rewritten_from_history else "",
            notice=query.notice,
        )

    def _duration_answer(self, query: Query, sentences: list[Sentence]) -> Answer | None:
        """Group grade-matched durations by value; more than one value across documents = a conflict."""
        floor = max(0.25, sentences[0].relevance * 0.6)
        by_value: dict[tuple[float, str], list[Sentence]] = {}
        for s in sentences:
            if s.values and s.relevance >= floor and s.grade_fit > 0:
                value = s.values[0]
                group = by_value.setdefault(value, [])
                if all(g.hit.chunk.doc_id != s.hit.chunk.doc_id for g in group):
                    group.append(s)
        if not by_value:
            return None
        # "1小时" said without a bound is the same rule as "不超过1小时" said elsewhere.
        for minutes, bound in [k for k in by_value if not k[1]]:
            bounded = [k for k in by_value if k[0] == minutes and k[1]]
            if len(bounded) == 1:
                group = by_value[bounded[0]]
                for s in by_value.pop((minutes, bound)):
                    if all(g.hit.chunk.doc_id != s.hit.chunk.doc_id for g in group):
                        group.append(s)
        groups = sorted(by_value.items(), key=lambda kv: (-len(kv[1]), -max(s.score for s in kv[1])))
        docs_per_value = {v: {s.hit.chunk.doc_id for s in g} for v, g in groups}
        grade = grades_label(query.grades)
        citations: list[Citation] = []
        if len(groups) == 1:
            value, group = groups[0]
            lines = [f"{grade}：资料中的规定是{_label(value)}。"]
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
        lines = [f"{grade}：各文件对这一时长的规定不一致："]
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

    def _with_items(self, sentence: Sentence) -> list[Sentence]:
        """A sentence ending in a colon and the items after it, as many as fit in one quote. When the chunk
        ends at the colon, the next chunk (which repeats that sentence as its overlap) holds the items."""
        items = self._items_after(sentence)
        if items:
            return [sentence, *items]
        following = self._next_chunk(sentence.hit.chunk)
        if following is not None:
            _, units = self._units(following)
            for start, end, text, _tokens in units:
                if text == sentence.text:
                    moved = Sentence(Hit(following, sentence.hit.score), sentence.rank, start, end, text)
                    if items := self._items_after(moved):
                        return [moved, *items]
                    break
        return [sentence]

    def _items_after(self, sentence: Sentence) -> list[Sentence]:
        _, units = self._units(sentence.hit.chunk)
        items: list[Sentence] = []
        length = len(sentence.text)
        for start, end, text, _tokens in units:
            if start < sentence.end:
                continue
            length += len(text)
            if length > MAX_QUOTE or (items and text.endswith(("：", ":"))):
                break
            items.append(Sentence(sentence.hit, sentence.rank, start, end, text))
        return items

    def _next_chunk(self, chunk: Chunk) -> Chunk | None:
        chunks = self._chunks_of(chunk.doc_id)
        position = next((i for i, c in enumerate(chunks) if c.id == chunk.id), None)
        return chunks[position + 1] if position is not None and position + 1 < len(chunks) else None

    def _chunks_of(self, doc_id: str) -> list[Chunk]:
        if not self._doc_chunks:
            by_doc: dict[str, list[Chunk]] = {}
            for c in self.retriever.index.chunks:
                by_doc.setdefault(c.doc_id, []).append(c)
            self._doc_chunks = by_doc
        return self._doc_chunks.get(doc_id, [])

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


def _content(query: Query, asked: bool = False) -> list[str]:
    """The words that coverage is measured on (the whole question, or only its asking clause when the
    message is longer); grade words are left to the grade fit."""
    tokens = (query.asked_tokens or query.tokens) if asked else query.tokens
    # Grammar characters (到, 去, 能…) carry no topic; rare as tokens, they would weigh like rare words.
    rest = [t for t in tokens if t not in query.grade_tokens and t not in FUNCTION_CHARS]
    return rest or tokens


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
    "money": re.compile(rf"{_CN_OR_DIGITS}\s*(?:万|千)?\s*(?:元|块)").search,
    "number": has_number,
}


_MARKERS = [
    re.compile(r"^\s*([一二三四五六七八九十]{1,3})是"),
    re.compile(r"^\s*[（(]([一二三四五六七八九十]{1,3})[）)]"),
    re.compile(r"^\s*[（(](\d{1,2})[）)]"),
    re.compile(r"^\s*(\d{1,2})\s*[、．.](?!\d)"),
    re.compile(r"^\s*([①②③④⑤⑥⑦⑧⑨⑩])"),
    re.compile(r"^\s*([一二三四五六七八九十]{1,3})[、．.]"),
]
# The question asks for several items (哪些, 哪几个, 分别, 四个结合, 五项管理), not one item's content.
MANY = re.compile(
    r"哪些|哪几|分别|包括哪|有几[个项条方]|(?<!第)[二两三四五六七八九十][个项条种类](?!小时|月|年级)"
)
LIST_ITEM = 48  # characters of an enumerated item quoted in a list answer


def _marker(text: str) -> tuple[int, int] | None:
    """(marker family, item number) of a sentence that opens with an enumeration marker."""
    for family, pattern in enumerate(_MARKERS):
        m = pattern.match(text)
        if m:
            token = m.group(1)
            if token in "①②③④⑤⑥⑦⑧⑨⑩":
                return family, ord(token) - ord("①") + 1
            number = cn_to_int(token)
            if number is not None:
                return family, number
    return None


def _defines(term: str, text: str) -> bool:
    """The sentence explains `term`: “堵”就是…, 双减是指…, or names its parts before it (…”的“142”原则)."""
    t = re.escape(term)
    return bool(
        re.search(rf"{t}[”\"」』]?\s*(?:就是|是指|即|指的是|意思是|是|指|：|:|包括|分别是)", text)
        or re.search(rf"[”\"」』]的[“\"「『]?{t}", text)
    )


def _wants_value(query: Query) -> bool:
    return bool(query.value_kind) or query.qtype in ("duration", "time", "number")


def _bound(clause: str, start: int, end: int) -> str:
    """Which way the duration at clause[start:end] binds: the bound word nearest to it (before it, or
    以上/以内 right after it) — "三年级以上学生…不超过60分钟" is a cap, whatever else the clause says."""
    best, distance = "", None
    for pattern, name in ((UPPER, "不超过"), (LOWER, "不少于")):
        for m in pattern.finditer(clause):
            if clause[max(0, m.start() - 1) : m.start()] == "级":
                continue  # 三年级以上 names grades, not a bound
            if m.end() <= start:
                gap = start - m.end()
            elif 0 <= m.start() - end <= 1:
                gap = m.start() - end
            else:
                continue
            if distance is None or gap < distance:
                best, distance = name, gap
    return best


def _label(value: tuple[float, str]) -> str:
    minutes, bound = value
    if minutes == 30:
        text = "半小时（30分钟）"
    elif minutes % 60 == 0:
        text = f"{int(minutes // 60)}小时（{int(minutes)}分钟）"
    else:
        text = f"{int(minutes)}分钟"
    return f"{bound}{text}" if bound else text
