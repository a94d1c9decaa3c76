"""Percentile bootstrap: the vectorised resampling equals recomputing the metric on resampled item lists."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.errors import InputError
from benchmark.metrics import bootstrap, text
from benchmark.metrics.bootstrap import (bootstrap_ci, bootstrap_mean_ci, bootstrap_sums_ci, resample_counts,
                                         score_with_ci, scores_with_ci, seeded_resample_counts)
from benchmark.metrics.fid import frechet_distance
from benchmark.metrics.pose import mpjpe
from benchmark.metrics.retrieval import recall_at_k

PREDS = ["the man raises his left arm", "she sits on the floor", "a person kneels down on one knee",
         "both arms are stretched forward", "he leans back with his hands on the hips", "the legs are crossed"]
REFS = [["the man raises the left arm", "left arm up"], ["she sits on the ground"],
        ["someone kneels on one knee", "kneeling"], ["both arms stretch out in front"],
        ["he leans backward, hands on his hips"], ["legs crossed", "the legs are crossed at the ankles"]]


def test_mean_ci_equals_a_loop_over_resampled_lists():
    values = np.random.default_rng(0).gamma(2.0, 30.0, size=57)
    low, high = bootstrap_mean_ci(values, n_resamples=200, seed=3)
    rng = np.random.default_rng(3)
    means = []
    for counts in resample_counts(57, 200, rng):
        for row in counts:
            means.append(np.mean(np.repeat(values, row)))  # the resampled list itself
    assert (low, high) == pytest.approx(tuple(np.percentile(means, [2.5, 97.5])), rel=1e-12)


def test_counts_drawn_once_per_process_are_the_fresh_draws_and_cannot_be_edited():
    first = seeded_resample_counts(23, 50, 4)
    assert seeded_resample_counts(23, 50, 4) is first  # drawn once, shared by every metric of the set
    fresh = list(resample_counts(23, 50, np.random.default_rng(4)))
    assert len(first) == len(fresh) and all(np.array_equal(a, b) for a, b in zip(first, fresh))
    with pytest.raises(ValueError):
        first[0][0, 0] = 7  # a statistic that wrote into the counts would change every later interval
    values = np.arange(23.0)
    assert bootstrap_mean_ci(values, n_resamples=50, seed=4) == bootstrap_mean_ci(values.copy(), n_resamples=50,
                                                                                   seed=4)


def test_mean_ci_has_the_normal_theory_width():
    values = np.random.default_rng(1).normal(100.0, 20.0, size=2000)
    low, high = bootstrap_mean_ci(values, seed=0)
    assert low < values.mean() < high
    assert high - low == pytest.approx(2 * 1.96 * values.std(ddof=1) / np.sqrt(2000), rel=0.12)


def test_bleu_ci_equals_bleu_recomputed_on_each_resample():
    score = text.bleu(PREDS, REFS)
    low, high = bootstrap_sums_ci(score.details["sufficient_statistics"], text.bleu_from_statistics,
                                  n_resamples=60, seed=5)
    recomputed = []
    for counts in resample_counts(len(PREDS), 60, np.random.default_rng(5)):
        for row in counts:
            idx = np.repeat(np.arange(len(PREDS)), row)
            recomputed.append(text.bleu([PREDS[i] for i in idx], [REFS[i] for i in idx]).value)
    expected = np.percentile(recomputed, [2.5, 97.5])
    assert float(np.asarray(low).reshape(-1)[0]) == pytest.approx(expected[0], rel=1e-10)
    assert float(np.asarray(high).reshape(-1)[0]) == pytest.approx(expected[1], rel=1e-10)
    with_ci = score_with_ci(score, n_resamples=60, seed=5)
    assert (with_ci.ci_low, with_ci.ci_high) == pytest.approx(tuple(expected), rel=1e-10)
    assert "60 resamples" in with_ci.details["ci_method"]


def test_generic_bootstrap_recomputes_any_metric():
    rng = np.random.default_rng(6)
    real, gen = rng.normal(size=(80, 3)), rng.normal(0.5, 1.0, size=(80, 3))
    low, high = bootstrap_ci(lambda idx: frechet_distance(real[idx], gen[idx]).value, 80, n_resamples=40, seed=1)
    assert low < frechet_distance(real, gen).value < high
    assert bootstrap_ci(lambda idx: float(idx.mean()), 80, n_resamples=40, seed=1) == \
        bootstrap_ci(lambda idx: float(idx.mean()), 80, n_resamples=40, seed=1)


def test_scores_with_ci_fills_every_bootstrappable_score():
    rng = np.random.default_rng(7)
    q = rng.normal(size=(100, 8))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    g = q + rng.normal(scale=0.8, size=q.shape)
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    scores = scores_with_ci(recall_at_k(q, g, ks=(1, 5)), seed=2)
    for name in ("R@1", "R@5"):
        s = scores[name]
        assert s.ci_low <= s.value <= s.ci_high
        assert (s.ci_low, s.ci_high) == bootstrap_mean_ci(s.details["per_sample"], seed=2)
    joints = rng.normal(size=(30, 17, 3))
    err = score_with_ci(mpjpe(joints + 0.01 * rng.normal(size=joints.shape), joints), seed=0)
    assert err.ci_low < err.value < err.ci_high


def test_bootstrap_guards():
    with pytest.raises(InputError, match="n_resamples"):
        bootstrap_mean_ci([1.0, 2.0], n_resamples=1)
    with pytest.raises(InputError, match="confidence"):
        bootstrap_mean_ci([1.0, 2.0], confidence=95)
    with pytest.raises(InputError, match="seed"):
        bootstrap_mean_ci([1.0, 2.0], seed=1.5)
    with pytest.raises(InputError, match="neither per_sample"):
        x = np.random.default_rng(0).normal(size=(10, 2))
        score_with_ci(frechet_distance(x, x))
    assert bootstrap.DEFAULT_RESAMPLES == 1000 and bootstrap.DEFAULT_CONFIDENCE == 0.95
