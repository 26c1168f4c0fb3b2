"""Training helpers of evals/train.py that need no index: the sign-constrained answerability fit, thresholds."""

import numpy as np

from evals.train import balanced_threshold, fit, fit_signed, predict


def test_a_signed_fit_keeps_the_sign_a_free_fit_flips():
    rng = np.random.default_rng(0)
    evidence = rng.normal(size=400)
    echo = evidence + rng.normal(scale=0.5, size=400)  # a noisy copy of the evidence, more telling
    y = (2.0 * echo - 1.0 * evidence + rng.normal(scale=0.3, size=400)) > 0
    x = np.column_stack([evidence, echo])
    _, _, free = fit(x, y)
    assert free.coef_[0][0] < 0  # correlated features: one weight turns against its own evidence
    mean, scale, signed = fit_signed(x, y, [1, 1])
    assert (signed.coef_[0] >= 0).all() and signed.coef_[0].sum() > 0
    p = predict(mean, scale, signed, x)
    assert p[y].mean() > p[~y].mean() and ((p >= 0) & (p <= 1)).all()
    # a free weight (0) may take either sign
    _, _, either = fit_signed(x, y, [0, 1])
    assert either.coef_[0][0] < 0


def test_none_below_weighs_each_mistake_by_its_tolerance():
    score = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    answerable = np.array([False, True, True, True, False, True])
    # cut 0.2: one of two unanswerable questions quoted; cut 0.6: three of four answerable ones told none.
    # Telling "none" is tolerated half as much (5% vs 10%): the cut stays low.
    assert balanced_threshold(score, answerable) == 0.2
    # tolerate "none" more than a quote and the same mistakes cost the other way
    assert balanced_threshold(score, answerable, missed=0.10, admitted=0.05) == 0.6
