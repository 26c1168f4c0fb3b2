"""Fit the learned models and write the question memory from the parents'-words bank: python -m evals.train

Every question goes through the real pipeline (question understanding, hybrid retrieval, candidate sentences of
the top chunks); each candidate gets the features of assistant/scorer.py and the label "holds a gold evidence
snippet". A logistic regression is cross-validated by question (GroupKFold), its best-candidate probability is
calibrated (isotonic, on out-of-fold predictions), and the outcome thresholds are read off the out-of-fold
predictions:
- related_at: the confidence with the lowest sum of the two error rates (answerable questions told "none",
  unanswerable ones shown a quote), each over its own class;
- answer_at: the lowest confidence from which the best candidate is right at least ANSWER_PRECISION of the time.
Before any of it, the training questions become the question memory (assistant/memory.py); each question's
features are computed with its own writer (and, for every third, its rule's documents) left out of the memory.
Fits the chunk ranker first (evals/train_ranker.py). Writes assistant/data/memory.jsonl, ranker.json,
scorer.json and evals/TRAINING.md.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .run import load_dataset, norm
from .train_ranker import each_item, fit_ranker, without_writer, writer
from .train_trust import fit_trust

ROOT = Path(__file__).resolve().parent.parent
# Every parents'-words set that has had its one frozen run: train and dev, and the spent test parts test,
# test2 … test13 (each was run once, unread, before it joined); and offtopic.jsonl, questions no
# education-policy document answers (weather, phone repair, injection text…), so that "is anything here at all"
# is learned from more than near-misses.
PARENTS = ROOT / "evals" / "parents"
TRAIN = tuple(
    PARENTS / f"{name}.jsonl"
    for name in (
        "train",
        "dev",
        "test",
        "test2",
        "test3",
        "test4",
        "test5",
        "test6",
        "test7",
        "test8",
        "test9",
        "test10",
        "test11",
        "test12",
        "test13",
        "offtopic",
    )
)
# The spent new-documents sets (each run once, unread, before it joined): documents no manifest names, asked
# about in parents' words. They teach the models what a school's own document looks like to them: no remembered
# question ever voted for its sentences, and a question names its school. Their documents join a temporary copy
# of the corpus, never the shipped index or the question memory.
NEWDOCS = tuple(
    (ROOT / "evals" / name / "docs", ROOT / "evals" / name / "questions.jsonl")
    for name in (
        "newdocs",
        "newdocs2",
        "newdocs3",
        "newdocs4",
        "newdocs5",
        "newdocs6",
        "newdocs7",
        "newdocs8",
        "newdocs9",
        "newdocs10",
        "newdocs11",
        "newdocs12",
    )
)
REPORT = ROOT / "evals" / "TRAINING.md"
ANSWER_PRECISION = 0.8
FOLDS = 5


def holds_evidence(sentence: str, evidence: list[str]) -> bool:
    """The sentence is (part of) the one a writer marked: it holds a snippet, or a long stretch of one."""
    s = norm(sentence)
    for snippet in evidence:
        e = norm(snippet)
        if not e:
            continue
        if e in s or (len(s) >= 8 and s in e):
            return True
        match = difflib.SequenceMatcher(None, s, e, autojunk=False).find_longest_match(0, len(s), 0, len(e))
        if match.size >= min(len(e), 12):
            return True
    return False


def collect(sources) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict]]:
    """Features, labels and question index of every candidate, plus one record per question."""
    rows, labels, groups, questions = [], [], [], []
    for n, assistant, item in each_item(sources):
        with without_writer(assistant, item):
            candidates = assistant.candidates(item["question"], item.get("history") or None)
        positives = 0
        for candidate in candidates:
            label = bool(item.get("answerable", True)) and holds_evidence(
                candidate.sentence.text, item.get("evidence", [])
            )
            positives += label
            rows.append(candidate.features)
            labels.append(label)
            groups.append(n)
        try:
            query = assistant.understand(item["question"], item.get("history") or None)
            doc_ids, tokens = query.doc_ids, list(query.tokens)
        except Exception:  # a question the parser refuses has no candidates either
            doc_ids, tokens = set(), []
        questions.append(
            {
                "id": item["id"],
                "answerable": bool(item.get("answerable", True)),
                "candidates": len(candidates),
                "positives": positives,
                "texts": [c.sentence.text for c in candidates],
                "writer": writer(item),
                "tokens": tokens,
                "sentence_tokens": [c.sentence.tokens for c in candidates],
                # decide() only looks at a named school's or place's own sentences
                "keep": [not doc_ids or c.sentence.hit.chunk.doc_id in doc_ids for c in candidates],
            }
        )
    width = len(rows[0]) if rows else 0
    return (
        np.asarray(rows, dtype=np.float64).reshape(-1, width),
        np.asarray(labels, dtype=bool),
        np.asarray(groups),
        questions,
    )


def bridge_pairs(questions: list[dict], labels: np.ndarray, groups: np.ndarray, which):
    """(question words, answering sentences' words, candidates' words) of the questions `which`."""
    for q in which:
        record = questions[q]
        positive = labels[groups == q]
        gold = [t for t, ok in zip(record["sentence_tokens"], positive, strict=True) if ok]
        yield record["tokens"], gold, record["sentence_tokens"]


def fill_bridge(x: np.ndarray, labels: np.ndarray, groups: np.ndarray, questions: list[dict]) -> dict:
    """Write the bridge columns of `x` out of fold (each question's from a table fitted without its writer,
    as the question memory's are) and return the table fitted on every question."""
    from sklearn.model_selection import GroupKFold

    from assistant.answering.bridge import BRIDGE_FEATURES, bridge_rows, fit_bridge
    from assistant.answering.scorer import FEATURES

    first = FEATURES.index(BRIDGE_FEATURES[0])
    columns = slice(first, first + len(BRIDGE_FEATURES))
    index = np.arange(len(questions))
    writers = np.array([q["writer"] for q in questions])
    for train_q, test_q in GroupKFold(n_splits=FOLDS).split(index, index, writers):
        table = fit_bridge(bridge_pairs(questions, labels, groups, train_q))
        for q in test_q:
            rows = bridge_rows(table, questions[q]["tokens"], questions[q]["sentence_tokens"])
            x[groups == q, columns] = rows
    return fit_bridge(bridge_pairs(questions, labels, groups, index))


def best_per_question(probabilities: np.ndarray, labels: np.ndarray, groups: np.ndarray, n: int):
    """For each question: the best candidate's probability and whether it is a positive (nan/False if none)."""
    best_p = np.zeros(n)
    best_ok = np.zeros(n, dtype=bool)
    for q in range(n):
        mask = groups == q
        if not mask.any():
            continue
        i = np.flatnonzero(mask)[np.argmax(probabilities[mask])]
        best_p[q], best_ok[q] = probabilities[i], labels[i]
    return best_p, best_ok


def fit(x: np.ndarray, y: np.ndarray, balanced: bool = True):
    """Standardised logistic regression; `balanced` weighs the classes equally (a ranking), else the
    probabilities keep the base rate (0.5 = as likely right as wrong)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    model = LogisticRegression(C=1.0, class_weight="balanced" if balanced else None, max_iter=2000)
    model.fit((x - scaler.mean_) / scale, y)
    return scaler.mean_, scale, model


class SignedLogistic:
    """A class-balanced, L2-regularised logistic regression (as `fit`'s) whose weights keep given signs."""

    def __init__(self, signs: list[int], c: float = 1.0):
        self.signs, self.c = signs, c

    def fit(self, z: np.ndarray, y: np.ndarray) -> SignedLogistic:
        from scipy.optimize import minimize

        y = np.asarray(y, dtype=bool)
        weight = np.where(y, len(y) / (2 * max(1, y.sum())), len(y) / (2 * max(1, (~y).sum())))

        def loss(params):
            w, b = params[:-1], params[-1]
            margin = z @ w + b
            value = weight * np.where(y, np.logaddexp(0, -margin), np.logaddexp(0, margin))
            grad = weight * (1.0 / (1.0 + np.exp(-margin)) - y)
            return value.sum() + 0.5 / self.c * (w @ w), np.append(z.T @ grad + w / self.c, grad.sum())

        bounds = [(0, None) if s > 0 else (None, 0) if s < 0 else (None, None) for s in self.signs]
        result = minimize(
            loss, np.zeros(z.shape[1] + 1), jac=True, method="L-BFGS-B", bounds=[*bounds, (None, None)]
        )
        self.coef_, self.intercept_ = result.x[None, :-1], result.x[-1:]
        return self

    def predict_proba(self, z: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-(z @ self.coef_[0] + self.intercept_[0])))
        return np.column_stack([1.0 - p, p])


def fit_signed(x: np.ndarray, y: np.ndarray, signs: list[int]):
    """`fit` with each weight's sign fixed where `signs` says (+1 / -1; 0 free)."""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    return scaler.mean_, scale, SignedLogistic(signs).fit((x - scaler.mean_) / scale, y)


def predict(mean, scale, model, x):
    return model.predict_proba((x - mean) / scale)[:, 1]


def thresholds(confidence: np.ndarray, correct: np.ndarray, answerable: np.ndarray) -> tuple[float, float]:
    unanswerable = ~answerable
    grid = np.unique(np.round(confidence, 4))
    # related_at: fewest mistakes of either kind — an answerable question told "none" (the rule exists) or
    # an unanswerable one shown a quote — each counted once.
    costs = [((confidence < t) & answerable).sum() + ((confidence >= t) & unanswerable).sum() for t in grid]
    related_at = float(grid[int(np.argmin(costs))]) if len(grid) else 0.5
    answer_at = 1.0
    for t in grid:
        chosen = (confidence >= t) & answerable | (confidence >= t) & unanswerable
        if chosen.sum() >= 5 and (correct[chosen]).mean() >= ANSWER_PRECISION:
            answer_at = float(max(t, related_at))
            break
    return related_at, answer_at


# What the product tolerates of each mistake (issue #10's targets): answerable questions told "none" at most 5%,
# unanswerable ones shown a quote at most 10%. none_below weighs each error rate by its tolerance, so a point of
# "there is no rule" where there is one costs twice a point of quoting a rule for an unanswerable question.
TOLD_NONE_TOLERANCE = 0.05
QUOTED_TOLERANCE = 0.10


def balanced_threshold(
    score: np.ndarray,
    positive: np.ndarray,
    missed: float = TOLD_NONE_TOLERANCE,
    admitted: float = QUOTED_TOLERANCE,
) -> float:
    """The cut with the lowest sum of the two error rates, each over its own class and divided by what is
    tolerated of it (`missed`: positives below the cut, `admitted`: negatives at or above it)."""
    grid = np.unique(np.round(score, 4))
    costs = [
        ((score < t) & positive).sum() / max(1, positive.sum()) / missed
        + ((score >= t) & ~positive).sum() / max(1, (~positive).sum()) / admitted
        for t in grid
    ]
    return float(grid[int(np.argmin(costs))]) if len(grid) else 0.5


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT) if path.is_absolute() and path.is_relative_to(ROOT) else path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", type=Path, nargs="+", default=list(TRAIN))
    parser.add_argument("--output", type=Path, default=None, help="default: assistant/data/scorer.json")
    parser.add_argument(
        "--ranker-output", type=Path, default=None, help="default: assistant/data/ranker.json"
    )
    parser.add_argument(
        "--memory-output", type=Path, default=None, help="default: assistant/data/memory.jsonl"
    )
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument(
        "--no-newdocs", action="store_true", help="leave out the spent new-documents sets (faster)"
    )
    args = parser.parse_args(argv)

    from assistant import Assistant, Settings
    from assistant.memory import MEMORY_PATH, Remembered, save_items, shipped_vectors

    started = time.perf_counter()
    items = [item for path in args.dataset for item in load_dataset(path)]
    # The question memory is the training questions themselves; every feature below is computed with the
    # question's own writer left out of it (without_writer).
    memory = [
        Remembered(
            question=item["question"],
            history=tuple(item.get("history") or ()),
            answerable=bool(item.get("answerable", True)),
            evidence=tuple(item.get("evidence") or ()),
            group=writer(item),
        )
        for item in items
    ]
    save_items(memory, args.memory_output or MEMORY_PATH)
    # features only: no model may score its own training data
    assistant = Assistant(Settings(), scorer=None, ranker=None, memory=memory)
    assistant.ensure_index()
    engine = assistant.engine()
    shipped = shipped_vectors(assistant.embedder)
    np.savez(shipped, keys=np.array(engine.memory.keys), vectors=engine.memory.matrix)
    sources = [(assistant, items)]
    dataset = " + ".join(_relative(p) for p in args.dataset)
    with tempfile.TemporaryDirectory(prefix="train-newdocs-") as tmp:
        if not args.no_newdocs:
            sources.append(newdocs_source(Path(tmp), assistant, memory))
            dataset += " + " + " + ".join(_relative(q) for _, q in NEWDOCS)
        return fit_all(args, sources, dataset, started)


def newdocs_source(home: Path, assistant, memory) -> tuple[object, list[dict]]:
    """An assistant over the corpus plus every spent new-documents set's documents (no manifest entry), with
    the same question memory, and those sets' questions."""
    import shutil

    from assistant import Assistant, Settings

    shutil.copytree(ROOT / "corpus", home / "corpus")
    items = []
    for docs, questions in NEWDOCS:
        for path in sorted(docs.iterdir()):
            shutil.copy2(path, home / "corpus" / path.name)
        items += load_dataset(questions)
    other = Assistant(Settings(home=home), scorer=None, ranker=None, memory=memory)
    # Sentence and question vectors are cached by text: the corpus's need not be embedded again.
    other.settings.index_dir.mkdir(parents=True, exist_ok=True)
    for cache in assistant.settings.index_dir.glob("*-vectors-*.npz"):
        shutil.copy2(cache, other.settings.index_dir / cache.name)
    report = other.ingest()
    print(report.summary(), file=sys.stderr)
    return other, items


def fit_all(args, sources, dataset: str, started: float) -> int:
    """Fit the ranker, the sentence scorer, the answerability and the trust model on every source's questions."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.metrics import log_loss, roc_auc_score
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    from assistant.answering.scorer import (
        FEATURES,
        MODEL_PATH,
        QUESTION_FEATURES,
        QUESTION_SIGNS,
        ScorerModel,
        question_row,
    )
    from assistant.ranking import MODEL_PATH as RANKER_PATH

    # The chunk ranker first: the scorer's candidates are the sentences of the ranker's top chunks.
    ranker, ranker_lines = fit_ranker(sources, fit, predict)
    ranker.trained_on["dataset"] = dataset
    ranker.save(args.ranker_output or RANKER_PATH)
    for assistant, _ in sources:
        assistant.ranker = assistant.engine().ranker.model = ranker
    x, y, groups, questions = collect(sources)
    n = len(questions)
    bridge = fill_bridge(x, y, groups, questions)
    answerable = np.array([q["answerable"] for q in questions])
    reachable = np.array([q["positives"] > 0 for q in questions])

    oof = np.zeros(len(y))
    for train_idx, test_idx in GroupKFold(n_splits=FOLDS).split(x, y, groups):
        mean, scale, model = fit(x[train_idx], y[train_idx])
        oof[test_idx] = predict(mean, scale, model, x[test_idx])
    # Question-level facts are of the candidates decide() looks at: a named school's own sentences only.
    kept = np.concatenate([np.asarray(q["keep"], dtype=bool) for q in questions]) if n else np.zeros(0, bool)
    best_p, best_ok = best_per_question(oof[kept], y[kept], groups[kept], n)
    baseline_p, baseline_ok = best_per_question(-np.arange(len(y), dtype=float), y, groups, n)  # old order

    isotonic = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(best_p, best_ok)
    confidence = isotonic.predict(best_p)
    related_at, answer_at = thresholds(confidence, best_ok, answerable)

    # Answerability: a question-level model over the out-of-fold sentence probabilities, itself cross-validated.
    qx = np.array([question_row(oof[(groups == q) & kept], x[(groups == q) & kept]) for q in range(n)])
    q_oof = np.zeros(n)
    signs = [QUESTION_SIGNS.get(name, 0) for name in QUESTION_FEATURES]
    for train_idx, test_idx in StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0).split(
        qx, answerable
    ):
        q_mean, q_scale, q_model = fit_signed(qx[train_idx], answerable[train_idx], signs)
        q_oof[test_idx] = predict(q_mean, q_scale, q_model, qx[test_idx])
    none_below = balanced_threshold(q_oof, answerable)
    q_mean, q_scale, q_model = fit_signed(qx, answerable, signs)

    trust_fields, trust_lines = fit_trust(sources, questions, oof, groups, fit, predict)

    mean, scale, model = fit(x, y)
    knots = np.unique(np.concatenate([isotonic.X_thresholds_, [0.0, 1.0]]))
    scorer = ScorerModel(
        names=list(FEATURES),
        mean=[float(v) for v in mean],
        scale=[float(v) for v in scale],
        coef=[float(v) for v in model.coef_[0]],
        intercept=float(model.intercept_[0]),
        calibration_x=[float(v) for v in knots],
        calibration_y=[float(v) for v in isotonic.predict(knots)],
        answer_at=answer_at,
        related_at=0.0,  # "none" is the answerability model's call; confidence only separates answer / related
        q_mean=[float(v) for v in q_mean],
        q_scale=[float(v) for v in q_scale],
        q_coef=[float(v) for v in q_model.coef_[0]],
        q_intercept=float(q_model.intercept_[0]),
        q_names=list(QUESTION_FEATURES),
        none_below=none_below,
        **trust_fields,
        bridge=bridge,
        trained_on={
            "dataset": dataset,
            "questions": n,
            "candidates": int(len(y)),
        },
    )
    scorer.save(args.output or MODEL_PATH)

    lines = [
        "# Sentence scorer training (`python -m evals.train`)",
        "",
        f"Data: `{scorer.trained_on['dataset']}` — {n} questions ({int(answerable.sum())} answerable, "
        f"{int(reachable.sum())} with a gold sentence among the candidates), {len(y)} candidate sentences, "
        f"{int(y.sum())} positive.",
        "",
        f"Out-of-fold ({FOLDS}-fold GroupKFold by question):",
        "",
        "| measure | value |",
        "|---|---|",
        f"| candidate AUC | {roc_auc_score(y, oof):.3f} |",
        f"| candidate log-loss | {log_loss(y, np.clip(oof, 1e-6, 1 - 1e-6)):.3f} |",
        f"| best candidate right, answerable with a gold candidate (learned) | "
        f"{best_ok[reachable].mean():.3f} |",
        f"| same, hand-set order before this model | {baseline_ok[reachable].mean():.3f} |",
        f"| calibrated confidence: Brier score | {np.mean((confidence - best_ok) ** 2):.3f} |",
        f"| answerability AUC (question level, out-of-fold) | {roc_auc_score(answerable, q_oof):.3f} |",
        f"| none_below (lowest sum of the two error rates, each over its tolerance "
        f"{TOLD_NONE_TOLERANCE:.0%} / {QUOTED_TOLERANCE:.0%}) | {none_below:.3f} |",
        f"| unanswerable shown a quote (answerability ≥ none_below) | "
        f"{int(((q_oof >= none_below) & ~answerable).sum())} / {int((~answerable).sum())} |",
        f"| answerable told none (answerability < none_below) | "
        f"{int(((q_oof < none_below) & answerable).sum())} / {int(answerable.sum())} |",
        f"| answer_at (best candidate right ≥ {ANSWER_PRECISION:.0%}) | {answer_at:.3f} |",
        "",
        "Calibration (out-of-fold, best candidate per question):",
        "",
        "| confidence | questions | share right |",
        "|---|---|---|",
    ]
    for lo in np.arange(0.0, 1.0, 0.2):
        mask = (confidence >= lo) & (confidence < lo + 0.2 + (1e-9 if lo >= 0.8 else 0))
        if mask.any():
            lines.append(f"| {lo:.1f}–{lo + 0.2:.1f} | {int(mask.sum())} | {best_ok[mask].mean():.2f} |")
    lines += ["", "Weights (standardised features):", "", "| feature | weight |", "|---|---|"]
    lines += [
        f"| {name} | {w:+.3f} |"
        for name, w in sorted(zip(FEATURES, scorer.coef, strict=True), key=lambda t: -abs(t[1]))
    ]
    lines += [
        "",
        "Answerability weights (standardised; signs fixed by QUESTION_SIGNS where the evidence says which way):",
        "",
        "| feature | weight |",
        "|---|---|",
    ]
    lines += [
        f"| {name} | {w:+.3f} |"
        for name, w in sorted(zip(QUESTION_FEATURES, scorer.q_coef, strict=True), key=lambda t: -abs(t[1]))
    ]
    lines += ["", *trust_lines, *ranker_lines]
    args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[4:16] + trust_lines[:11] + ranker_lines[:9]))
    print(
        f"→ {args.output or MODEL_PATH}, {args.report} ({time.perf_counter() - started:.0f} s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
