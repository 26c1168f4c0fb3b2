"""Learned word bridge: which document words answer a question holding a parent's word (娃 → 学生, 排名次 → 公布).

Fitted by `python -m evals.train` from the parents'-words bank (question words, the sentence a writer marked,
the other candidate sentences) and shipped inside assistant/data/scorer.json. For a question word `a` and a
sentence word `w`, the weight is how much more often `w` is in the answering sentence than in the candidates
the pipeline offered, averaged over the training questions holding `a` and shrunk towards zero for rare `a`.
It is a fact about how parents word questions about rules, not about any one document, so it carries over to
a school's own document that no training question was asked about.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

Table = dict[str, dict[str, float]]

# The scorer's columns (assistant/answering/scorer.py FEATURES)
BRIDGE_FEATURES = (
    "bridge",  # mean over the question's words of the best-bridged word of the sentence
    "bridge_max",  # the strongest single bridge from a question word into the sentence
    "bridge_gap",  # bridge minus the best candidate's
    "bridge_max_gap",  # bridge_max minus the best candidate's
)
SHRINK = 2.0  # pseudo-questions of "no association" behind every question word
FLOOR = 0.02  # weaker weights are not shipped
MIN_QUESTIONS = 3  # a question word seen in fewer training questions has no row (one writer's quirk)


def fit_bridge(
    pairs: Iterable[tuple[Sequence[str], Sequence[frozenset[str]], Sequence[frozenset[str]]]],
    shrink: float = SHRINK,
) -> Table:
    """The table from (question words, answering sentences' words, every candidate's words) per question."""
    total: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    seen: dict[str, int] = defaultdict(int)
    for question, gold, candidates in pairs:
        if not gold or not candidates:
            continue
        in_gold: dict[str, float] = defaultdict(float)
        for tokens in gold:
            for w in tokens:
                in_gold[w] += 1.0 / len(gold)
        in_candidates: dict[str, float] = defaultdict(float)
        for tokens in candidates:
            for w in tokens:
                in_candidates[w] += 1.0 / len(candidates)
        lift = {w: share - in_candidates.get(w, 0.0) for w, share in in_gold.items()}
        for a in set(question):
            seen[a] += 1
            row = total[a]
            for w, v in lift.items():
                row[w] += v
    table: Table = {}
    for a, row in total.items():
        if seen[a] < MIN_QUESTIONS:
            continue
        kept = {
            w: round(v / (seen[a] + shrink), 4) for w, v in row.items() if v / (seen[a] + shrink) >= FLOOR
        }
        if kept:
            table[a] = kept
    return table


def bridge_rows(table: Table, question: Sequence[str], sentences: Sequence[frozenset[str]]) -> np.ndarray:
    """BRIDGE_FEATURES for each candidate sentence (given by its words) of one question."""
    out = np.zeros((len(sentences), len(BRIDGE_FEATURES)), dtype=np.float32)
    words = list(dict.fromkeys(question))
    rows = [table[a] for a in words if a in table]
    if not rows or not sentences:
        return out
    # One matrix lookup instead of a dict lookup per (question word, sentence word, sentence): the sentences'
    # words laid end to end, each sentence's best weight per question word a max over its stretch.
    vocabulary: dict[str, int] = {}
    flat = [vocabulary.setdefault(w, len(vocabulary)) for tokens in sentences for w in tokens]
    if not flat:
        return out
    weights = np.zeros((len(rows), len(vocabulary) + 1), dtype=np.float32)  # last column: an empty sentence
    for r, row in enumerate(rows):
        for w, v in row.items() if len(row) < len(vocabulary) else ((w, row.get(w)) for w in vocabulary):
            if v is not None and w in vocabulary:
                weights[r, vocabulary[w]] = v
    lengths = np.array([len(tokens) for tokens in sentences])
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    columns = np.array(flat + [len(vocabulary)])
    best = np.maximum.reduceat(weights[:, columns], np.minimum(starts, len(flat)), axis=1)
    best[:, lengths == 0] = 0.0
    out[:, 0] = best.sum(axis=0) / len(words)
    out[:, 1] = best.max(axis=0)
    out[:, 2] = out[:, 0] - out[:, 0].max()
    out[:, 3] = out[:, 1] - out[:, 1].max()
    return out
