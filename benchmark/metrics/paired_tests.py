"""Is model A better than model B on the same rows? Paired tests of the difference of a metric, seeded.

* `paired_bootstrap`: for metrics that are a mean of per-row values (MPJPE, METEOR, a body part's error) or a
  function of per-row sums (posecode F1): the rows are resampled with replacement, the same rows for both models
  (scipy.stats.bootstrap, paired=True, percentile interval). The p-value is the two-sided bootstrap test of a zero
  difference: the resampled differences, centred on the observed one, stand for the null distribution (Efron &
  Tibshirani, An Introduction to the Bootstrap, 16.4), and p = (1 + #{|d* - d| >= |d|}) / (1 + resamples).
* `paired_permutation`: for metrics computed over the whole split (R-precision, recall: a row's rank depends on the
  other rows' responses): under "A and B are equally good", which of its two responses a row uses is exchangeable,
  so each resample swaps the two models' responses on a random set of rows and recomputes both metrics
  (scipy.stats.permutation_test, permutation_type="samples", two-sided; scipy adds the observed arrangement to the
  count). `rows_value` receives the index of the response each row uses: i (A's) or N + i (B's).

Identical models give a difference of 0, an interval [0, 0] and p = 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from benchmark.errors import InputError
from benchmark.metrics.base import check_seed

DEFAULT_RESAMPLES = 10000
DEFAULT_PERMUTATIONS = 1000
DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class PairedTest:
    """The difference A - B of one metric, its interval and the p-value of "no difference"."""

    a: float
    b: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    test: str

    def to_dict(self) -> dict:
        return asdict(self)


def _check_pair(a, b, *, field: str) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim not in (1, 2) or len(a) < 2:
        raise InputError(f"A has shape {list(a.shape)}, B {list(b.shape)}: expected the same [N] or [N, K], N >= 2",
                         field=field, hint="one value (or one row of statistics) per row, rows in the same order")
    bad = ~np.isfinite(a).reshape(len(a), -1).all(axis=1) | ~np.isfinite(b).reshape(len(b), -1).all(axis=1)
    if bad.any():
        raise InputError("is not finite", row=int(np.flatnonzero(bad)[0]), field=field)
    return a, b


_BATCH_ELEMENTS = 2 ** 24  # resampled values held at once by paired_bootstrap (x 8 bytes, per array)


def paired_bootstrap(a, b, statistic: Callable[[np.ndarray], np.ndarray] | None = None, *,
                     n_resamples: int = DEFAULT_RESAMPLES, confidence: float = DEFAULT_CONFIDENCE, seed: int = 0,
                     field: str = "per_row") -> PairedTest:
    """Paired bootstrap of statistic(A rows) - statistic(B rows).

    `a`, `b`: per-row values [N] (the statistic is their mean), or per-row sufficient statistics [N, K] with
    `statistic` mapping their sums [..., K] to the metric.

    >>> t = paired_bootstrap([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], n_resamples=99)
    >>> t.difference, t.ci_low, t.ci_high, t.p_value
    (0.0, 0.0, 0.0, 1.0)
    """
    from scipy import stats

    a, b = _check_pair(a, b, field=field)
    seed = check_seed(seed)
    if a.ndim == 1:
        def value(x, axis=-1):
            return x.mean(axis=axis)
        data = (a, b)
    else:
        if statistic is None:
            raise InputError("per-row statistics [N, K] need the statistic that maps their sums to the metric",
                             field="statistic")

        def value(x, axis=-1):  # x: [K, ..., N] -> sums [..., K] -> metric [...]
            return statistic(np.moveaxis(x.sum(axis=axis), 0, -1))
        data = (a.T, b.T)

    def difference(x, y, axis=-1):
        return value(x, axis) - value(y, axis)

    observed = float(difference(*data))
    # resamples per vectorised call: memory O(batch x rows) instead of O(resamples x rows) (10000 x 35k rows of
    # 3DPW would be gigabytes); fixed by the data's size alone, so the draws are the same on every machine
    batch = max(1, min(n_resamples, _BATCH_ELEMENTS // a.size))
    result = stats.bootstrap(data, difference, paired=True, vectorized=True, n_resamples=n_resamples,
                             confidence_level=confidence, method="percentile", rng=np.random.default_rng(seed),
                             axis=-1, batch=batch)
    centred = np.abs(result.bootstrap_distribution - observed)
    p_value = (1.0 + np.count_nonzero(centred >= abs(observed))) / (1.0 + n_resamples)
    low, high = result.confidence_interval
    return PairedTest(float(value(data[0])), float(value(data[1])), observed, float(low), float(high),
                      float(min(1.0, p_value)), len(a),
                      f"paired bootstrap over rows, {n_resamples} resamples, {100 * confidence:g} % percentile "
                      f"interval, centred two-sided p, seed {seed}")


def paired_permutation(rows_values: Callable[[np.ndarray], np.ndarray], n_rows: int, *,
                       n_permutations: int = DEFAULT_PERMUTATIONS, seed: int = 0
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values of A [K], values of B [K], two-sided p-values [K]) of K whole-split metrics, from one paired
    permutation test (the same arrangements for every metric).

    `rows_values(choice)` computes the K metrics when row i uses response `choice[i]` (i: model A's, n_rows + i:
    model B's); it is called on one arrangement at a time.

    >>> score = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])  # A answers nothing right, B everything
    >>> values = lambda choice: np.array([score[choice].mean(), 0.5])
    >>> paired_permutation(values, 3, n_permutations=100)    # 2^3 arrangements: scipy runs them all
    (array([0. , 0.5]), array([1. , 0.5]), array([0.25, 1.  ]))
    """
    from scipy import stats

    if n_rows < 2:
        raise InputError(f"a permutation test needs at least 2 rows, got {n_rows}", field="n_rows")
    seed = check_seed(seed)

    def difference(x, y, axis=-1):  # x, y: [N] (the observed arrangement) or [batch, N]
        batch = np.atleast_2d(x), np.atleast_2d(y)
        out = np.stack([np.asarray(rows_values(cx), float) - np.asarray(rows_values(cy), float)
                        for cx, cy in zip(*batch)])
        return out if np.ndim(x) == 2 else out[0]

    a_rows, b_rows = np.arange(n_rows), np.arange(n_rows) + n_rows
    result = stats.permutation_test((a_rows, b_rows), difference, permutation_type="samples", vectorized=True,
                                    n_resamples=n_permutations, alternative="two-sided",
                                    rng=np.random.default_rng(seed), axis=-1)
    return (np.asarray(rows_values(a_rows), float), np.asarray(rows_values(b_rows), float),
            np.minimum(1.0, np.asarray(result.pvalue, float)))
