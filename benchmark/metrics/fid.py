"""Fréchet distance between two feature sets (FID on the frozen pose-text evaluator's pose features).

PoseScript's computation (naver/posescript `fid.py`): means, unbiased covariances (np.cov, rowvar=False),
d = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 sqrtm(S1 S2)) with scipy's sqrtm; if the square root is not finite it is
retried with 1e-6 * I added to both covariances; an imaginary part above 1e-3 on the diagonal of the root is an
error, otherwise the real part is kept. Both sets must have the same number of rows (upstream asserts it: one
generated sample per test item).
"""

from __future__ import annotations

import warnings

import numpy as np

from benchmark.errors import InputError
from benchmark.metrics.base import Score, as_float_array

PROTOCOL = "posescript-fid (unbiased covariances, scipy sqrtm, eps 1e-6 retry, equal N)"
EPS = 1e-6
IMAGINARY_TOLERANCE = 1e-3


def frechet_distance(real_features, generated_features) -> Score:
    """FID between real [N, D] and generated [N, D] features (float64 arithmetic)."""
    from scipy import linalg

    real = as_float_array(real_features, field="real_features", ndim=2, min_rows=2).astype(np.float64)
    gen = as_float_array(generated_features, field="generated_features", ndim=2, min_rows=2).astype(np.float64)
    if real.shape[0] != gen.shape[0]:
        raise InputError(f"{gen.shape[0]} generated feature rows but {real.shape[0]} real ones",
                         field="generated_features", hint="FID compares one generated sample per real item: equal N")
    if real.shape[1] != gen.shape[1]:
        raise InputError(f"feature size {gen.shape[1]} differs from the real features' {real.shape[1]}",
                         field="generated_features")
    mu_r, mu_g = real.mean(axis=0), gen.mean(axis=0)
    sigma_r = np.atleast_2d(np.cov(real, rowvar=False))
    sigma_g = np.atleast_2d(np.cov(gen, rowvar=False))
    # With fewer rows than feature dimensions (a 300-row test split, 512-d features) the covariances are singular
    # and scipy warns on every call; the eps retry below is upstream's answer to a non-finite root, and the rank
    # deficiency is recorded in the details instead of printed.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(sigma_g @ sigma_r)
        eps_added = False
        if not np.isfinite(covmean).all():
            offset = np.eye(sigma_r.shape[0]) * EPS
            covmean = linalg.sqrtm((sigma_g + offset) @ (sigma_r + offset))
            eps_added = True
    max_imag = 0.0
    if np.iscomplexobj(covmean):
        max_imag = float(np.abs(np.diagonal(covmean).imag).max())
        if max_imag > IMAGINARY_TOLERANCE:
            raise InputError(f"the covariance square root has an imaginary part of {max_imag:.3g} (> "
                             f"{IMAGINARY_TOLERANCE}); the features are too degenerate for FID",
                             field="generated_features", hint="use more samples than feature dimensions")
        covmean = covmean.real
    diff = mu_r - mu_g
    value = float(diff @ diff + np.trace(sigma_r) + np.trace(sigma_g) - 2.0 * np.trace(covmean))
    return Score("FID", value, PROTOCOL, real.shape[0],
                 details={"eps_added": eps_added, "max_imaginary": max_imag, "dim": real.shape[1],
                          "rank_deficient": bool(real.shape[0] <= real.shape[1])})
