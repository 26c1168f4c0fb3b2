"""A regression floor: the eval on a subset, through the same Assistant.ask() path, must stay above it."""

from pathlib import Path

from evals.run import evaluate, load_dataset

DATASET = Path(__file__).resolve().parent.parent / "evals" / "qa.jsonl"


def test_eval_subset_floors(assistant):
    items = load_dataset(DATASET)
    subset = items[::3]  # every third question: all kinds, a third of the time
    metrics = evaluate(assistant, subset, "hybrid_qu")["metrics"]
    # The system scores 0.97 / 0.92 / 0.70 on this subset; the floors leave room for noise, not regressions.
    # Abstention recall fell from 1.00 when the learned outcome model arrived: an unanswerable question whose
    # topic the documents treat now gets the labelled "most related rule" (counted as answered) — the
    # trade-off the model was fitted for on the parents' bank (evals/TRAINING.md).
    assert metrics["hit@5"] >= 0.93
    assert metrics["answer_accuracy"] >= 0.85
    assert metrics["abstention_recall"] >= 0.5


def test_eval_floors_on_the_second_question_set(assistant):
    items = load_dataset(DATASET.with_name("heldout.jsonl"))
    metrics = evaluate(assistant, items, "hybrid_qu")["metrics"]
    # 80 questions written apart from qa.jsonl (evals/README.md); the system scores 1.00 / 0.92 / 0.88.
    assert metrics["hit@5"] >= 0.93
    assert metrics["answer_accuracy"] >= 0.8
    assert metrics["abstention_recall"] >= 0.75


def test_eval_floors_on_parents_words(assistant):
    """The dev part of the parents'-words bank (the test parts are never run by tests: they stay frozen).
    Since session 4 the learned models are also fitted on this part, so this is a regression floor, not a
    measure of generalisation (that is evals/parents/test2.jsonl, run once)."""
    items = load_dataset(DATASET.with_name("parents") / "dev.jsonl")
    metrics = evaluate(assistant, items, "hybrid_qu")["metrics"]
    # The system scores answer 0.45, 11 of 69 answerable told "none", abstention recall 0.67 (was 0.19 / 42 /
    # 0.78 before the learned scorer).
    assert metrics["answer_accuracy"] >= 0.4
    assert metrics["wrongly_abstained"] <= 12
    assert metrics["abstention_recall"] >= 0.4


def test_dataset_is_well_formed():
    items = load_dataset(DATASET)
    assert len(items) >= 150
    assert sum(1 for i in items if not i["answerable"]) >= 20
    assert all(i["answers"] and i["evidence"] for i in items if i["answerable"])
    for name in ("heldout.jsonl", "final_check.jsonl"):
        other = load_dataset(DATASET.with_name(name))
        assert len({i["id"] for i in other}) == len(other)
        assert all(i["answers"] and i["evidence"] for i in other if i["answerable"])
