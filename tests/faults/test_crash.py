"""Issue 12, crash test (small version of `python -m evals.crash`): kill -9 an ingest at random moments."""

from __future__ import annotations

import random

import pytest

from evals.crash import check_answers, one_kill

from .conftest import SMALL_QUESTION


@pytest.mark.slow
def test_kill_9_during_ingest_keeps_answering_and_leaves_nothing_behind(small_home):
    ok, why, baseline = check_answers(small_home.path, SMALL_QUESTION, None)
    assert ok, why
    rng = random.Random(3)
    rows = [
        one_kill(small_home.path, moment, SMALL_QUESTION, baseline["answer"], baseline["documents_listed"])
        for moment in (rng.uniform(0.5, 4), rng.uniform(4, 9), rng.uniform(9, 16))
    ]
    for row in rows:
        assert row["answered"], row["why"]
        assert row["all_documents"] and row["ingest_exit"] == 0
        assert row["orphans_after_ingest"] == 0 and row["staging_after_ingest"] == 0
    assert any(not r["finished_before_kill"] for r in rows)
