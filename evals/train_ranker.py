"""Fit the chunk ranker (assistant/ranking.py) on the parents'-words bank (every spent part: evals.train.TRAIN).

Called by `python -m evals.train` before the sentence scorer is fitted (the scorer's candidates come from the
ranker's order). Each answerable question's candidate pool is labelled "holds a gold evidence snippet"; a
logistic regression is cross-validated by question and compared with the hand-set order on hit@1 and hit@5.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import AbstractContextManager

import numpy as np

from .run import norm

FOLDS = 5
NO_MEMORY = 3


def without_writer(assistant, item: dict) -> AbstractContextManager:
    """The question memory minus the questions of this item's writer (its id's letters: pA, tE…): features
    for training must look as they will for a new user, whose question has no twin in the memory. For every
    NO_MEMORY-th question, the documents it is about are treated as added later: every remembered question
    answered from them is left out too, so the models do not learn that "no neighbour voted for it" means "not
    the answer" — a document a school adds has no votes. An answerable question is about its rule's documents;
    any question is about the documents it names. Unanswerable questions are held out the same way (not the
    whole memory: then "no neighbour at all" would mean "unanswerable", and a question naming a newly
    added school, which has no neighbours, would be told "none")."""
    memory = assistant.engine().memory
    digest = int(hashlib.sha1(str(item.get("id", "")).encode("utf-8")).hexdigest(), 16)
    if digest % NO_MEMORY:
        return memory.holding_out({writer(item)})
    documents = set(memory.documents(memory.locate(tuple(item.get("evidence") or ()))))
    if item.get("question"):
        try:
            query = assistant.understand(item["question"], item.get("history") or None)
        except Exception:  # a question the parser refuses has no candidates either
            query = None
        if query is not None:
            documents |= query.doc_ids
    return memory.holding_out({writer(item)}, documents)


def writer(item: dict) -> str:
    match = re.match(r"[A-Za-z]+", str(item.get("id", "")))
    return match.group(0) if match else ""


def each_item(sources: list[tuple[object, list[dict]]]):
    """(question index, assistant, item) over every source: the shipped corpus's questions with its assistant,
    the spent new-documents sets' questions with an assistant over the corpus plus those documents."""
    n = 0
    for assistant, items in sources:
        for item in items:
            yield n, assistant, item
            n += 1


def collect(sources: list[tuple[object, list[dict]]]):
    """Feature rows, labels, question index and the hand-set order's first-hit rank per question."""
    rows, labels, groups, hand_ranks = [], [], [], []
    for n, assistant, item in each_item(sources):
        engine = assistant.engine()
        evidence = [norm(e) for e in item.get("evidence", []) if e]
        if not item.get("answerable", True) or not evidence:
            continue
        query = assistant.understand(item["question"], item.get("history") or None)
        with without_writer(assistant, item):
            hits, features = engine.ranker.pool(query)
        for hit, row in zip(hits, features, strict=True):
            rows.append(row)
            labels.append(any(e in norm(hit.chunk.text) for e in evidence))
            groups.append(n)
        hand = assistant.hand_ranked(query)
        hand_ranks.append(
            next((i for i, h in enumerate(hand, 1) if any(e in norm(h.chunk.text) for e in evidence)), 0)
        )
    return (
        np.asarray(rows, dtype=np.float64),
        np.asarray(labels, dtype=bool),
        np.asarray(groups),
        np.asarray(hand_ranks),
    )


def hit_at(scores: np.ndarray, labels: np.ndarray, groups: np.ndarray, k: int) -> float:
    """Share of questions with a gold chunk among their k best-scored candidates."""
    found = []
    for g in np.unique(groups):
        mask = groups == g
        order = np.argsort(-scores[mask], kind="stable")
        found.append(bool(labels[mask][order][:k].any()))
    return float(np.mean(found)) if found else 0.0


def fit_ranker(sources: list[tuple[object, list[dict]]], fit, predict):
    """(RankerModel, report lines). `fit`/`predict` are evals.train's standardised logistic regression."""
    from sklearn.model_selection import GroupKFold

    from assistant.ranking import CHUNK_FEATURES, RankerModel

    x, y, groups, hand = collect(sources)
    oof = np.zeros(len(y))
    for train_idx, test_idx in GroupKFold(n_splits=FOLDS).split(x, y, groups):
        mean, scale, model = fit(x[train_idx], y[train_idx])
        oof[test_idx] = predict(mean, scale, model, x[test_idx])
    mean, scale, model = fit(x, y)
    ranker = RankerModel(
        names=list(CHUNK_FEATURES),
        mean=[float(v) for v in mean],
        scale=[float(v) for v in scale],
        coef=[float(v) for v in model.coef_[0]],
        intercept=float(model.intercept_[0]),
        trained_on={"questions": int(len(np.unique(groups))), "candidates": int(len(y))},
    )
    reachable = np.mean([labels.any() for labels in (y[groups == g] for g in np.unique(groups))])
    lines = [
        "## Chunk ranker",
        "",
        f"{len(np.unique(groups))} answerable questions, {len(y)} candidate chunks ({int(y.sum())} hold "
        f"a gold snippet); a gold chunk is in the pool for {reachable:.3f} of the questions.",
        "",
        f"| order ({FOLDS}-fold GroupKFold, out-of-fold) | hit@1 | hit@5 |",
        "|---|---|---|",
        f"| learned | {hit_at(oof, y, groups, 1):.3f} | {hit_at(oof, y, groups, 5):.3f} |",
        f"| hand-set fusion + re-ranking | {np.mean((hand >= 1) & (hand <= 1)):.3f} | "
        f"{np.mean((hand >= 1) & (hand <= 5)):.3f} |",
        "",
        "| feature | weight |",
        "|---|---|",
        *(
            f"| {name} | {w:+.3f} |"
            for name, w in sorted(zip(CHUNK_FEATURES, ranker.coef, strict=True), key=lambda t: -abs(t[1]))
        ),
        "",
    ]
    return ranker, lines
