"""Properties of the pose and retrieval metrics that hold for every input, checked with hypothesis.

Inputs are drawn by hypothesis as shapes, seeds and transform parameters; the arrays themselves come from numpy's
generator with that seed (hypothesis still shrinks a failure to the smallest shape and simplest parameters). The
runs are derandomized, so CI sees the same examples every time; tolerances are relative to the data's magnitude and
hold on any CPU.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st
from scipy.spatial.transform import Rotation

from benchmark.metrics.pose import MM_PER_M, mpjpe_per_sample, pa_mpjpe_per_sample, procrustes_align
from benchmark.metrics.retrieval import r_precision, recall_at_k

PROPERTY = settings(max_examples=30, deadline=None, derandomize=True, database=None)


def joints(seed: int, n: int, j: int, spread: float = 0.4) -> np.ndarray:
    return np.random.default_rng(seed).normal(scale=spread, size=(n, j, 3))


def similarity(seed: int, scale: float, shift: float):
    """A random proper rotation, a scale and a translation: x -> scale * R x + t."""
    rng = np.random.default_rng(seed)
    rot = Rotation.random(random_state=rng).as_matrix()
    t = rng.uniform(-shift, shift, size=3)
    return lambda x: scale * x @ rot.T + t


SHAPES = dict(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4), j=st.integers(4, 24))


@PROPERTY
@given(**SHAPES, noise=st.floats(0.0, 0.5))
def test_errors_are_nonnegative_and_pa_is_bounded_by_the_unaligned_rms(seed, n, j, noise):
    """PA-MPJPE minimises the *squared* error over similarity transforms, so the aligned RMS error is at most the
    unaligned one, and a mean is at most its RMS: PA-MPJPE <= RMS(unaligned) (and both >= 0)."""
    g = joints(seed, n, j)
    p = g + joints(seed + 1, n, j, spread=noise)
    mpjpe, pa = mpjpe_per_sample(p, g), pa_mpjpe_per_sample(p, g)
    rms = MM_PER_M * np.sqrt(((p - g) ** 2).sum(-1).mean(-1))
    assert (mpjpe >= 0).all() and (pa >= 0).all()
    assert (pa <= rms * (1 + 1e-9) + 1e-9).all()
    aligned = procrustes_align(p, g)
    assert (((aligned - g) ** 2).sum((1, 2)) <= ((p - g) ** 2).sum((1, 2)) * (1 + 1e-9) + 1e-12).all()


def test_pa_mpjpe_can_exceed_mpjpe_on_one_outlier():
    """Not a property: `MPJPE >= PA-MPJPE` fails when one joint is off. Alignment spreads that joint's error over
    all joints (less squared error, more mean distance): 200 mm unaligned, ~300 mm aligned here."""
    g = joints(0, 1, 10, spread=0.3)
    p = g.copy()
    p[0, 0, 0] += 2.0  # one joint 2 m off: MPJPE = 2000 mm / 10 joints
    assert np.isclose(mpjpe_per_sample(p, g)[0], 200.0)
    assert pa_mpjpe_per_sample(p, g)[0] > 250.0


@PROPERTY
@given(**SHAPES, noise=st.floats(0.0, 0.3), t_seed=st.integers(0, 2**32 - 1), scale=st.floats(0.1, 10.0),
       shift=st.floats(0.0, 5.0))
def test_pa_mpjpe_ignores_a_similarity_transform_of_the_prediction(seed, n, j, noise, t_seed, scale, shift):
    g = joints(seed, n, j)
    p = g + joints(seed + 1, n, j, spread=noise)
    moved = similarity(t_seed, scale, shift)(p)
    before, after = pa_mpjpe_per_sample(p, g), pa_mpjpe_per_sample(moved, g)
    np.testing.assert_allclose(after, before, rtol=1e-6, atol=1e-6 * MM_PER_M)


@PROPERTY
@given(**SHAPES, t_seed=st.integers(0, 2**32 - 1), scale=st.floats(0.1, 10.0), shift=st.floats(0.0, 5.0))
def test_a_similar_copy_of_the_truth_scores_zero_after_alignment(seed, n, j, t_seed, scale, shift):
    g = joints(seed, n, j)
    assert np.allclose(pa_mpjpe_per_sample(similarity(t_seed, scale, shift)(g), g), 0.0, atol=1e-6)
    assert np.allclose(mpjpe_per_sample(g, g), 0.0)


@PROPERTY
@given(**SHAPES, noise=st.floats(0.0, 0.5), shift=st.floats(-5.0, 5.0))
def test_mpjpe_is_symmetric_and_moves_with_both(seed, n, j, noise, shift):
    g = joints(seed, n, j)
    p = g + joints(seed + 1, n, j, spread=noise)
    base = mpjpe_per_sample(p, g)
    np.testing.assert_allclose(mpjpe_per_sample(g, p), base, rtol=1e-12)
    np.testing.assert_allclose(mpjpe_per_sample(p + shift, g + shift), base, rtol=1e-9, atol=1e-9 * MM_PER_M)
    # independently: the mean of the per-joint Euclidean distances, in mm
    expected = MM_PER_M * np.mean([[np.sqrt(sum((a - b) ** 2 for a, b in zip(pj, gj))) for pj, gj in zip(ps, gs)]
                                   for ps, gs in zip(p, g)], axis=1)
    np.testing.assert_allclose(base, expected, rtol=1e-9)


def unit(x: np.ndarray) -> np.ndarray:
    """Rows L2-normalised, as the retrieval metrics require."""
    return x / np.linalg.norm(x, axis=1, keepdims=True)


EMBEDDINGS = dict(seed=st.integers(0, 2**32 - 1), n=st.integers(32, 80), dim=st.integers(8, 48),
                  protocol=st.sampled_from(["posescript", "grouped"]))


@PROPERTY
@given(**EMBEDDINGS, noise=st.floats(0.0, 3.0))
def test_r_precision_is_a_percentage_monotone_in_k(seed, n, dim, protocol, noise):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(n, dim))
    g = unit(q + noise * rng.normal(size=(n, dim)))
    scores = r_precision(unit(q), g, ks=(1, 2, 3), protocol=protocol, seed=seed % 1000, repetitions=3)
    values = [scores[f"R-Precision@{k}"].value for k in (1, 2, 3)]
    assert all(0.0 <= v <= 100.0 for v in values)
    assert values[0] <= values[1] <= values[2]


@PROPERTY
@given(**EMBEDDINGS)
def test_identical_embeddings_score_100(seed, n, dim, protocol):
    """Each query is its own gallery row: ranked first in every pool (distinct Gaussian rows are never parallel)."""
    q = unit(np.random.default_rng(seed).normal(size=(n, dim)))
    scores = r_precision(q, q.copy(), ks=(1, 3), protocol=protocol, seed=seed % 1000, repetitions=2)
    assert scores["R-Precision@1"].value == 100.0 and scores["R-Precision@3"].value == 100.0
    assert np.isclose(scores["multimodality"].value, 1.0)
    recall = recall_at_k(q, q.copy(), ks=(1, 5))
    assert recall["R@1"].value == 100.0 and recall["R@5"].value == 100.0


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 60), dim=st.integers(2, 32))
def test_recall_is_a_percentage_monotone_in_k_and_counts_hits(seed, n, dim):
    rng = np.random.default_rng(seed)
    q, g = unit(rng.normal(size=(n, dim))), unit(rng.normal(size=(n, dim)))
    ks = (1, 2, 5)
    recall = recall_at_k(q, g, ks=ks)
    values = [recall[f"R@{k}"].value for k in ks]
    assert all(0.0 <= v <= 100.0 for v in values) and values == sorted(values)
    # independently: rank of the ground truth by cosine, counted with a loop
    sims = q @ g.T
    ranks = [sum(1 for j in range(n) if j != i and sims[i, j] >= sims[i, i]) for i in range(n)]
    assert np.isclose(values[0], 100.0 * np.mean([r < 1 for r in ranks]))
    # the same pairs in another order: the same recall
    order = rng.permutation(n)
    assert recall_at_k(q[order], g[order], ks=ks)["R@2"].value == recall["R@2"].value
