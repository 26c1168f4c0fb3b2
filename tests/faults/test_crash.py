"""Issue 12, crash test (small version of `python -m evals.crash`): kill -9 an ingest at random moments."""

from __future__ import annotations

import random

import pytest

from evals.crash import add_document, check_answers, one_kill

from .conftest import SMALL_QUESTION


@pytest.mark.slow
def test_kill_9_during_ingest_keeps_answering_and_leaves_nothing_behind(small_home):
    ok, why, baseline = check_answers(small_home.path, SMALL_QUESTION, None)
    assert ok, why
    rng = random.Random(3)
    rows = []
    for n, moment in enumerate((rng.uniform(0.5, 4), rng.uniform(4, 8), rng.uniform(8, 14)), start=1):
        add_document(small_home.path, n)  # so the killed ingest has a document to embed and a swap to make
        before = [*baseline["documents_listed"], *(f"crash-{k:03d}" for k in range(1, n))]
        rows.append(one_kill(small_home.path, moment, SMALL_QUESTION, baseline["answer"], before))
    for row in rows:
        assert row["answered"], row["why"]
        assert row["all_documents"] and row["ingest_exit"] == 0
        assert row["orphans_after_ingest"] == 0 and row["staging_after_ingest"] == 0
    assert any(not r["finished_before_kill"] for r in rows)
