"""Follow-up rewriting: '那五年级呢？' after '三年级作业多久？' → '五年级作业多久？' (rule-based, offline)."""

from __future__ import annotations

import re

from .lexicon import lexicon
from .segment import Segmenter, canonical, title_form

LEX = lexicon()
INTERROGATIVE = LEX.pattern("interrogative")
FOLLOWUP = LEX.pattern("followup")
GRADE_WORDS = LEX.pattern("grade_words")
_LEAD = LEX.pattern("followup_lead")
_END = LEX.pattern("followup_end")
_SUBJECT_TAIL = LEX.pattern("subject_tail")
_TRAILING_PUNCT = re.compile(r"[？?。！!\s]+$")
_WORD = re.compile(r"[\u4e00-\u9fff\w]+")
SHORT_FOLLOWUP = 6  # a message this short (without end punctuation) leans on the earlier turn


class FollowupRewriter:
    """Rewrites a message against the earlier user turns; `docs_named` finds places/schools by name."""

    def __init__(self, segmenter: Segmenter, docs_named):
        self.segmenter = segmenter
        self.docs_named = docs_named

    def rewrite(self, text: str, history: list[str]) -> tuple[str, bool]:
        """`text` as a self-contained question, and whether it was rewritten. Each earlier turn is first
        understood against the turns before it — iteratively, so a long history cannot exhaust the stack."""
        if not history:
            return text, False
        previous, stem = history[0], history[0]
        for turn in history[1:]:
            previous, stem = self._step(turn, previous, stem)
        return self.rewrite_one(text, previous, stem)

    def _step(self, turn: str, previous: str, stem: str) -> tuple[str, str]:
        """One turn of the history understood: (the question it asks, its stem for the next turn)."""
        understood, _ = self.rewrite_one(turn, previous, stem)
        # A follow-up that only appended its words ("…，周末？") keeps the earlier stem, so the next
        # "那…呢" replaces that tail instead of growing the question turn after turn.
        return understood, stem if _appended(understood, stem) else understood

    def rewrite_one(self, text: str, previous: str, stem: str | None = None) -> tuple[str, bool]:
        """`text` read as a follow-up of the (already understood) `previous` question; `stem` is
        `previous` without a tail an earlier follow-up appended."""
        stripped = _TRAILING_PUNCT.sub("", text)
        if not (FOLLOWUP.search(text) or len(stripped) <= SHORT_FOLLOWUP):
            return text, False
        core = followup_core(stripped)
        if not core:
            return previous, True
        new_grade = GRADE_WORDS.search(core)
        if first := GRADE_WORDS.search(previous):
            if new_grade:
                # Every grade word of the earlier question gives way (二年级…低年级 → 三年级…): one left behind
                # would keep its grades in the question.
                rest = GRADE_WORDS.sub("", previous[first.end() :])
                return previous[: first.start()] + new_grade.group(0) + rest, True
        if sibling := sibling_swap(previous, core, self.segmenter.words(previous)):
            return sibling, True  # 夏季几点结束？ + 冬季呢？ → 冬季几点结束？
        docs, _ = self.docs_named(canonical(core))
        if INTERROGATIVE.search(core) and not docs and not new_grade:
            # A new question about the same subject: 没有课的老师几点可以到岗？ + 那几点可以下班？
            subject = previous[: q.start()] if (q := INTERROGATIVE.search(previous)) else ""
            story = max(subject.rfind("，"), subject.rfind(","))
            if story >= 2:
                # A longer message: its story is the subject; its own asking clause (这种日子最早几点进校门)
                # would only blur the new question.
                return f"{subject[:story]}，{core}？", True
            subject = _SUBJECT_TAIL.sub("", subject.rstrip("，, "))
            if len(subject) >= 2:
                return f"{subject.rstrip('，, ')}{core}？", True
        if new_grade or docs or self.segmenter.place_names(core):
            base = previous
            if not new_grade:  # a new place replaces the place the earlier question named
                _, old_names = self.docs_named(canonical(previous))
                for name in old_names + self.segmenter.place_names(previous):
                    if name not in base and name in title_form(base):
                        # a title the question wrote with its own quotes or brackets: “双减”专项工作总结
                        base = title_form(base)
                    base = base.replace(name, "")
            return f"{core}{base}", True
        return _append(stem or previous, core), True


def _append(question: str, core: str) -> str:
    return f"{question.rstrip('？?')}，{core}？"


def _appended(understood: str, stem: str) -> bool:
    return understood.startswith(f"{stem.rstrip('？?')}，") and understood != stem


def followup_core(text: str) -> str:
    """What a follow-up adds, without its leading 那/如果是 and trailing 呢: 那五年级呢？ → 五年级."""
    return _END.sub("", _LEAD.sub("", _TRAILING_PUNCT.sub("", text))).strip("，, ")


def dangling(text: str) -> str | None:
    """The subject of a follow-up sent with nothing before it (那五年级呢 → 五年级; '' for 那呢), or None
    when the message stands on its own (a full question, even one opening with 那)."""
    if not FOLLOWUP.search(text):
        return None
    core = followup_core(text)
    if len(core) > SHORT_FOLLOWUP or INTERROGATIVE.search(core):
        return None
    return core


def sibling_swap(previous: str, core: str, words: list[str]) -> str:
    """Replace the earlier question's counterpart of a short follow-up: 第一时段→第二时段, 夏季→冬季
    (whole words, same length and ending), else 组长→副组长 (an earlier word is the follow-up's tail)."""
    if not 2 <= len(core) <= 6 or INTERROGATIVE.search(core) or not _WORD.fullmatch(core):
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
