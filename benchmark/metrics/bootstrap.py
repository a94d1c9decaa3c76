"""Seeded percentile-bootstrap confidence intervals over the items of a test set.

A resample draws N items with replacement; it is represented by the multiplicity of each item (a row of counts
[N] summing to N), so every statistic that is a mean or a function of sums is recomputed on all resamples with one
matrix product: per-sample means (MPJPE, METEOR, recall and R-precision hits) and corpus metrics written on summed
sufficient statistics (BLEU). Metrics with no such form (FID) go through `bootstrap_ci`, which calls the metric once
per resample. The interval is the (1 - confidence) / 2 and (1 + confidence) / 2 percentiles of the resampled values
(numpy's linear interpolation, as rouge_score's aggregator).

Retrieval metrics are resampled over queries with the gallery fixed (the per-query hits are the per-sample values):
duplicating an item inside a gallery would create ties that the original split does not have.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
from collections.abc import Callable

import numpy as np

from benchmark.errors import InputError
from benchmark.metrics.base import Score, Scores, check_seed

DEFAULT_RESAMPLES = 1000
DEFAULT_CONFIDENCE = 0.95
# counts held at once: resamples x items (16 MiB of int64, and as much again as float64 in the product); rows are
# drawn one after another from the generator, so the block size changes no draw
_BLOCK_ELEMENTS = 2**21


def _check(n_items: int, n_resamples: int, confidence: float, seed) -> int:
    if n_items < 1:
        raise InputError("cannot bootstrap an empty set", field="per_sample")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)) or n_resamples < 2:
        raise InputError(f"n_resamples must be an integer >= 2, got {n_resamples!r}", field="n_resamples")
    if not 0.0 < float(confidence) < 1.0:
        raise InputError(f"confidence must be in (0, 1), got {confidence!r}", field="confidence")
    return check_seed(seed)


def percentile_interval(samples: np.ndarray, confidence: float = DEFAULT_CONFIDENCE):
    """(low, high) percentiles of resampled values along axis 0."""
    tail = 100.0 * (1.0 - confidence) / 2.0
    low, high = np.percentile(samples, [tail, 100.0 - tail], axis=0)
    return low, high


def resample_counts(n_items: int, n_resamples: int, rng: np.random.Generator):
    """Yields blocks of item multiplicities, int [b, n_items], n_resamples rows in all."""
    block = max(1, _BLOCK_ELEMENTS // n_items)
    probabilities = np.full(n_items, 1.0 / n_items)
    for start in range(0, n_resamples, block):
        yield rng.multinomial(n_items, probabilities, size=min(block, n_resamples - start))


@functools.lru_cache(maxsize=8)
def seeded_resample_counts(n_items: int, n_resamples: int, seed: int) -> tuple[np.ndarray, ...]:
    """The blocks of `resample_counts` from a generator seeded with `seed`, drawn once per process: every metric of
    every result on a test set of N items resamples the same items (the same seed), and drawing the multinomial
    counts cost more than all the statistics computed on them (a sixth of the main job's scoring). Read-only."""
    blocks = tuple(resample_counts(n_items, n_resamples, np.random.default_rng(seed)))
    for block in blocks:
        block.flags.writeable = False
    return blocks


def bootstrap_sums_ci(statistics, statistic: Callable[[np.ndarray], np.ndarray], *,
                      n_resamples: int = DEFAULT_RESAMPLES, confidence: float = DEFAULT_CONFIDENCE, seed: int = 0):
    """Interval of `statistic(summed statistics)` where per-item statistics are [N, K] and `statistic` maps summed
    statistics [B, K] to values [B] (or [B, ...])."""
    stats = np.asarray(statistics, dtype=np.float64)
    if stats.ndim == 1:
        stats = stats[:, None]
    seed = _check(len(stats), n_resamples, confidence, seed)
    values = [statistic(counts @ stats) for counts in seeded_resample_counts(len(stats), int(n_resamples), seed)]
    return percentile_interval(np.concatenate(values, axis=0), confidence)


def bootstrap_mean_ci(per_sample, *, n_resamples: int = DEFAULT_RESAMPLES, confidence: float = DEFAULT_CONFIDENCE,
                      seed: int = 0):
    """Interval of the mean of per-sample values [N] (or [N, M], one interval per column)."""
    values = np.asarray(per_sample, dtype=np.float64)
    n = len(values)
    low, high = bootstrap_sums_ci(values, lambda sums: sums / n, n_resamples=n_resamples, confidence=confidence,
                                  seed=seed)
    return (float(low[0]), float(high[0])) if values.ndim == 1 else (low, high)


def bootstrap_ci(statistic: Callable[[np.ndarray], float], n_items: int, *, n_resamples: int = DEFAULT_RESAMPLES,
                 confidence: float = DEFAULT_CONFIDENCE, seed: int = 0) -> tuple[float, float]:
    """Interval of any metric recomputed on resampled item indices (`statistic(indices [N]) -> float`), for metrics
    that are not functions of per-item sums (FID). Calls `statistic` `n_resamples` times."""
    seed = _check(n_items, n_resamples, confidence, seed)
    rng = np.random.default_rng(seed)
    values = np.array([statistic(rng.integers(0, n_items, size=n_items)) for _ in range(n_resamples)])
    low, high = percentile_interval(values, confidence)
    return float(low), float(high)


def score_with_ci(score: Score, *, n_resamples: int = DEFAULT_RESAMPLES, confidence: float = DEFAULT_CONFIDENCE,
                  seed: int = 0) -> Score:
    """`score` with a bootstrap interval, from its `sufficient_statistics` + `statistic` or its `per_sample`."""
    details = score.details
    if "sufficient_statistics" in details:
        module, _, attr = str(details["statistic"]).partition(":")
        statistic = getattr(importlib.import_module(module), attr)
        low, high = bootstrap_sums_ci(details["sufficient_statistics"], statistic, n_resamples=n_resamples,
                                      confidence=confidence, seed=seed)
        low, high = float(np.asarray(low).reshape(-1)[0]), float(np.asarray(high).reshape(-1)[0])
    elif "per_sample" in details:
        low, high = bootstrap_mean_ci(details["per_sample"], n_resamples=n_resamples, confidence=confidence, seed=seed)
    else:
        raise InputError(f"score '{score.name}' carries neither per_sample values nor sufficient statistics",
                         field="details", hint="use bootstrap_ci with a function that recomputes the metric")
    method = f"percentile bootstrap over items, {n_resamples} resamples, {100 * confidence:g} %, seed {seed}"
    return dataclasses.replace(score, ci_low=float(low), ci_high=float(high),
                               details={**details, "ci_method": method})


def scores_with_ci(scores: Scores, **options) -> Scores:
    """Every score that can be bootstrapped gets an interval (all from the same resamples, seed permitting)."""
    return dataclasses.replace(scores, scores=tuple(
        score_with_ci(s, **options) if ("per_sample" in s.details or "sufficient_statistics" in s.details) else s
        for s in scores.scores))
