"""Fit the trust model: is an extractive answer right? Called by `python -m evals.train`.

The extractive strategies answer with a value or a rule; with the learned models loaded they compose even
below their hand-set evidence bar (parents' own words rarely clear it), and on parents' words most of those
answers are wrong (evals/TRAINING.md). For every train question the
strategies answer, the features say where the learned sentence model ranks the cited sentence (out-of-fold
probabilities), and the label is the eval's own judgement of the answer. A plain logistic regression (no class
weights, so its output is a probability) is cross-validated. An answer is stated when more likely right than
wrong; one composed below the evidence bar must clear trust_below: the lowest out-of-fold trust from which such
answers are right at least TRUST_PRECISION of the time (a wrong value stated to a parent is the worst failure;
a hedged right rule still shows the rule). Otherwise the answer is hedged as the most relevant rule.
"""

from __future__ import annotations

import numpy as np

from .run import score_one
from .train_ranker import each_item, without_writer

FOLDS = 5
TRUST_PRECISION = 0.8  # as evals.train's ANSWER_PRECISION: a stated answer is right at least this often
TRUST_FLOOR = 0.5  # never state an answer that is more likely wrong than right (outcome.STATE_FROM)


def collect(sources, questions: list[dict], oof: np.ndarray, groups: np.ndarray):
    """Trust rows and labels of the train questions the extractive strategies answer."""
    from assistant.answering.outcome import MAX_HEDGED_CITATIONS
    from assistant.answering.scorer import trust_row
    from assistant.query import QuestionProblem

    rows, labels = [], []
    for n, assistant, item in each_item(sources):
        engine = assistant.engine()
        with without_writer(assistant, item):
            # As users get it before the models judge it: the strategies compose even below the evidence bar.
            try:
                query = assistant.understand(item["question"], item.get("history") or None)
            except QuestionProblem:  # told to say more, as a user would be
                continue
            answer = engine.answerer.answer(query, assistant._ranked(engine, query, None), lenient=True)
        if answer.abstained or len(answer.citations) > MAX_HEDGED_CITATIONS:
            continue
        keep = np.asarray(questions[n]["keep"], dtype=bool)
        probabilities = oof[groups == n][keep]
        if not len(probabilities):
            continue
        order = np.argsort(-probabilities, kind="stable")
        texts = [questions[n]["texts"][i] for i in np.flatnonzero(keep)[order]]
        quotes = [c.quote for c in answer.citations]
        rows.append(trust_row(quotes, texts, probabilities[order], answer.evidence_score))
        right = item.get("answerable", True) and bool(score_one(item, answer.to_json()).get("answer_ok"))
        labels.append(right)
    return np.asarray(rows, dtype=np.float64), np.asarray(labels, dtype=bool)


def precise_threshold(trust: np.ndarray, right: np.ndarray) -> float:
    """The lowest trust from which the answers at or above it are right at least TRUST_PRECISION of the time."""
    for t in np.unique(np.round(trust, 4)):
        chosen = trust >= t
        if t >= TRUST_FLOOR and chosen.sum() >= 5 and right[chosen].mean() >= TRUST_PRECISION:
            return float(t)
    return 1.0


def fit_trust(sources, questions, oof, groups, fit, predict):
    """(fields for ScorerModel, report lines). `fit`/`predict` are evals.train's logistic regression."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from assistant.answering.scorer import TRUST_FEATURES

    x, y = collect(sources, questions, oof, groups)
    assistant = sources[0][0]
    if len(y) < 2 * FOLDS or y.all() or not y.any():
        return {}, ["## Trust model", "", f"Not fitted: {len(y)} extractive answers.", ""]

    oof_trust = np.zeros(len(y))
    for train_idx, test_idx in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(x, y):
        mean, scale, model = fit(x[train_idx], y[train_idx], balanced=False)
        oof_trust[test_idx] = predict(mean, scale, model, x[test_idx])
    mean, scale, model = fit(x, y, balanced=False)
    weak = x[:, TRUST_FEATURES.index("evidence")] < assistant.settings.answer.abstain_below
    trust_below = precise_threshold(oof_trust[weak], y[weak])
    hedged = oof_trust < np.where(weak, trust_below, TRUST_FLOOR)
    fields = {
        "t_mean": [float(v) for v in mean],
        "t_scale": [float(v) for v in scale],
        "t_coef": [float(v) for v in model.coef_[0]],
        "t_intercept": float(model.intercept_[0]),
        "trust_below": trust_below,
    }
    lines = [
        "## Trust model (is an extractive answer right?)",
        "",
        f"{len(y)} train questions answered by the extractive strategies (≤ 2 citations); "
        f"{int(y.sum())} right ({y.mean():.2f}).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| AUC ({FOLDS}-fold, out-of-fold) | {roc_auc_score(y, oof_trust):.3f} |",
        f"| below the evidence bar ({assistant.settings.answer.abstain_below}) | {int(weak.sum())} |",
        f"| trust_below for those (stated right ≥ {TRUST_PRECISION:.0%}, out-of-fold) | {trust_below:.3f} |",
        f"| hedged (out-of-fold; trust < {TRUST_FLOOR} above the bar) | {int(hedged.sum())} of {len(y)} |",
        f"| …of which wrong | {int((hedged & ~y).sum())} |",
        f"| stated, of which wrong | {int((~hedged & ~y).sum())} of {int((~hedged).sum())} |",
        "",
        "| feature | weight |",
        "|---|---|",
        *(
            f"| {name} | {w:+.3f} |"
            for name, w in sorted(
                zip(TRUST_FEATURES, fields["t_coef"], strict=True), key=lambda t: -abs(t[1])
            )
        ),
        "",
    ]
    return fields, lines
