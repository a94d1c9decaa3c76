"""Fréchet distance against closed forms and an eigen-decomposition route; the upstream fallbacks and guards."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg

from benchmark.errors import InputError
from benchmark.metrics import fid
from benchmark.metrics.fid import frechet_distance


def eigen_frechet(a, b):
    """Independent route: Tr sqrt(S1 S2) = Tr sqrt(S1^1/2 S2 S1^1/2), a symmetric PSD root taken with eigh."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(s_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = np.linalg.eigvalsh(root_a @ s_b @ root_a)
    tr_root = np.sum(np.sqrt(np.clip(inner, 0, None)))
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(s_a) + np.trace(s_b) - 2 * tr_root)


def test_identical_sets_score_zero():
    x = np.random.default_rng(0).normal(size=(300, 16))
    assert frechet_distance(x, x).value == pytest.approx(0.0, abs=1e-8)


def test_matches_the_eigen_decomposition_route():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(400, 12)) @ rng.normal(size=(12, 12))
    gen = rng.normal(size=(400, 12)) @ rng.normal(size=(12, 12)) + 0.3
    assert frechet_distance(real, gen).value == pytest.approx(eigen_frechet(real, gen), rel=1e-8)


def test_one_dimensional_closed_form_with_unbiased_variances():
    rng = np.random.default_rng(2)
    a, b = rng.normal(1.0, 2.0, size=(50, 1)), rng.normal(-0.5, 0.7, size=(50, 1))
    expected = (a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2
    assert frechet_distance(a, b).value == pytest.approx(expected, rel=1e-10)


def test_a_mean_shift_adds_its_squared_norm():
    x = np.random.default_rng(3).normal(size=(200, 5))
    shift = np.array([0.3, -0.4, 0.0, 1.0, 0.0])
    assert frechet_distance(x, x + shift).value == pytest.approx(float(shift @ shift), rel=1e-8)


def test_non_finite_root_is_retried_with_eps_on_both_covariances(monkeypatch):
    calls = []
    real_sqrtm = linalg.sqrtm

    def flaky(m):
        calls.append(m.copy())
        return np.full_like(m, np.inf) if len(calls) == 1 else real_sqrtm(m)

    monkeypatch.setattr(linalg, "sqrtm", flaky)
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(60, 3)), rng.normal(size=(60, 3))
    score = frechet_distance(a, b)
    offset = np.eye(3) * fid.EPS
    np.testing.assert_allclose(calls[1], (np.cov(b, rowvar=False) + offset) @ (np.cov(a, rowvar=False) + offset))
    assert score.details["eps_added"] is True and np.isfinite(score.value)


def test_large_imaginary_part_is_an_error(monkeypatch):
    monkeypatch.setattr(linalg, "sqrtm", lambda m: np.eye(m.shape[0]) * (1 + 0.01j))
    x = np.random.default_rng(5).normal(size=(30, 3))
    with pytest.raises(InputError, match="imaginary part"):
        frechet_distance(x, x)
    monkeypatch.setattr(linalg, "sqrtm", lambda m: np.eye(m.shape[0]) * (1 + 1e-5j))
    assert np.isfinite(frechet_distance(x, x).value)  # below 1e-3: the real part is kept


def test_inputs_are_checked():
    x = np.random.default_rng(6).normal(size=(20, 4))
    with pytest.raises(InputError, match="equal N"):
        frechet_distance(x, x[:-1])
    with pytest.raises(InputError, match="feature size"):
        frechet_distance(x, x[:, :3])
    bad = x.copy()
    bad[5, 2] = np.nan
    with pytest.raises(InputError, match=r"row 5.*generated_features"):
        frechet_distance(x, bad)
    with pytest.raises(InputError, match="at least 2 rows"):
        frechet_distance(x[:1], x[:1])
