"""Is A better than B: the paired bootstrap and permutation tests, and the retrieval metrics recomputed on mixes of
two models' responses (which must be exactly those of benchmark.metrics.retrieval)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.errors import InputError
from benchmark.metrics.mixed_retrieval import MixedRetrieval
from benchmark.metrics.paired_tests import paired_bootstrap, paired_permutation
from benchmark.metrics.posecode_agreement import f1_from_counts
from benchmark.metrics.retrieval import cross_modal_recall, r_precision
from benchmark.response_embeddings import ResponseEmbeddings, read_embeddings, write_embeddings

KEYS = ("recall_t2p@1", "recall_t2p@5", "recall_p2t@1", "recall_p2t@5", "mrecall", "r_precision@1", "r_precision@3",
        "r_precision_grouped@1", "r_precision_grouped@2", "multimodality")


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def retrieval_pair(n=64, d=12, seed=0):
    """Texts T, a model whose poses follow the texts (good), one that answers noise (bad), one that always gives
    the same pose (ties everywhere, like a mean-pose baseline)."""
    rng = np.random.default_rng(seed)
    texts = unit(rng.normal(size=(n, d)))
    good = unit(texts + 0.6 * rng.normal(size=(n, d)))
    bad = unit(rng.normal(size=(n, d)))
    # a one-hot row: its dot product with anything is exact whatever the summation order, so the ties it makes are
    # exact ties on every CPU and BLAS (a dense row could break them by a last-bit difference between positions)
    constant = np.zeros((n, d))
    constant[:, 0] = 1.0
    return texts, good, bad, constant


def direct(text, pose, seed):
    """The metrics as the tasks compute them (benchmark.metrics.retrieval), in the order of KEYS."""
    ps = r_precision(text, pose, (1, 3), "posescript", 32, 10, seed)
    grouped = r_precision(text, pose, (1, 2), "grouped", 32, 10, seed)
    rec = cross_modal_recall(pose, text, (1, 5))
    return [rec["t2p R@1"].value, rec["t2p R@5"].value, rec["p2t R@1"].value, rec["p2t R@5"].value,
            rec["mRecall"].value, ps["R-Precision@1"].value, ps["R-Precision@3"].value,
            grouped["R-Precision@1"].value, grouped["R-Precision@2"].value, ps["multimodality"].value]


# ----------------------------------------------------------------------------------------------- paired bootstrap
def test_identical_models_differ_by_nothing():
    values = np.random.default_rng(0).gamma(2.0, 50.0, size=80)
    t = paired_bootstrap(values, values.copy(), n_resamples=500, seed=1)
    assert (t.difference, t.ci_low, t.ci_high, t.p_value) == (0.0, 0.0, 0.0, 1.0)
    counts = np.random.default_rng(1).integers(0, 20, size=(80, 3)).astype(float)
    t = paired_bootstrap(counts, counts.copy(), f1_from_counts, n_resamples=500, seed=1)
    assert t.ci_low <= 0.0 <= t.ci_high and t.p_value == 1.0


def test_a_clearly_better_model_gets_a_small_p_and_an_interval_away_from_zero():
    rng = np.random.default_rng(2)
    truth_error = np.zeros(120)                   # the ground truth: no error at all
    random_error = rng.gamma(4.0, 90.0, size=120)  # a random pose: ~360 mm
    t = paired_bootstrap(truth_error, random_error, n_resamples=2000, seed=0)
    assert t.difference == pytest.approx(-random_error.mean())
    assert t.ci_high < 0 and t.p_value == pytest.approx(1 / 2001)
    # a constant shift of every row is known exactly: the interval is that shift
    t = paired_bootstrap(random_error + 3.0, random_error, n_resamples=300, seed=0)
    assert t.difference == pytest.approx(3.0) and t.ci_low == pytest.approx(3.0) and t.ci_high == pytest.approx(3.0)


def test_a_small_noisy_difference_is_not_significant():
    rng = np.random.default_rng(3)
    a = rng.normal(100.0, 30.0, size=60)
    b = a + rng.normal(0.0, 30.0, size=60)  # same mean, independent noise
    t = paired_bootstrap(a, b, n_resamples=2000, seed=0)
    assert t.ci_low < 0 < t.ci_high and t.p_value > 0.05


def test_the_bootstrap_is_seeded():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=50), rng.normal(size=50)
    assert paired_bootstrap(a, b, n_resamples=300, seed=7) == paired_bootstrap(a, b, n_resamples=300, seed=7)
    assert paired_bootstrap(a, b, n_resamples=300, seed=7).ci_low != paired_bootstrap(a, b, n_resamples=300,
                                                                                       seed=8).ci_low


def test_bad_input_is_named():
    with pytest.raises(InputError, match="field 'mpjpe'"):
        paired_bootstrap(np.ones(5), np.ones(6), field="mpjpe")
    with pytest.raises(InputError, match="row 2"):
        paired_bootstrap(np.array([1.0, 2.0, np.nan]), np.ones(3))
    with pytest.raises(InputError, match="statistic"):
        paired_bootstrap(np.ones((4, 3)), np.ones((4, 3)))


# ------------------------------------------------------------------------------- retrieval on mixed responses
@pytest.mark.parametrize("response_side", ["pose", "text"])
def test_mixed_retrieval_is_exactly_the_tasks_retrieval(response_side):
    texts, good, _, constant = retrieval_pair(n=70)
    ids = tuple(f"row-{i}" for i in range(70))
    if response_side == "pose":  # text_to_pose: the texts are fixed, the models answer poses
        a, b = ResponseEmbeddings(ids, texts, good, "pose"), ResponseEmbeddings(ids, texts, constant, "pose")
    else:  # pose_to_text: the poses are fixed, the models answer texts
        a, b = ResponseEmbeddings(ids, good, texts, "text"), ResponseEmbeddings(ids, constant, texts, "text")
    mix = MixedRetrieval(a, b, KEYS, seed=3)
    rng = np.random.default_rng(5)
    mixed = np.where(rng.random(70) < 0.5, np.arange(70), np.arange(70) + 70)
    for choice in (np.arange(70), np.arange(70) + 70, mixed):
        take_b = (choice >= 70)[:, None]
        text = np.where(take_b, b.text_side, a.text_side)
        pose = np.where(take_b, b.pose_side, a.pose_side)
        np.testing.assert_allclose(mix.values(choice), direct(text, pose, 3), rtol=0, atol=1e-12)


def test_the_permutation_test_tells_a_better_retriever_from_an_identical_one():
    texts, good, bad, _ = retrieval_pair()
    ids = tuple(f"row-{i}" for i in range(64))
    a, b = ResponseEmbeddings(ids, texts, good, "pose"), ResponseEmbeddings(ids, texts, bad, "pose")
    mix = MixedRetrieval(a, b, KEYS, seed=0)
    values_a, values_b, p = paired_permutation(mix.values, 64, n_permutations=200, seed=0)
    np.testing.assert_allclose(values_a, direct(texts, good, 0))
    np.testing.assert_allclose(values_b, direct(texts, bad, 0))
    assert (values_a > values_b).all() and (p < 0.02).all()
    same = MixedRetrieval(a, ResponseEmbeddings(ids, texts, good.copy(), "pose"), KEYS, seed=0)
    values_a, values_b, p = paired_permutation(same.values, 64, n_permutations=200, seed=0)
    np.testing.assert_array_equal(values_a, values_b)
    np.testing.assert_array_equal(p, 1.0)
    # seeded: the same p-values again, other ones with another seed
    _, _, p1 = paired_permutation(mix.values, 64, n_permutations=50, seed=1)
    _, _, p2 = paired_permutation(mix.values, 64, n_permutations=50, seed=1)
    np.testing.assert_array_equal(p1, p2)


def test_mixing_refuses_models_matched_against_different_data(tmp_path):
    texts, good, bad, _ = retrieval_pair()
    ids = tuple(f"row-{i}" for i in range(64))
    other_texts = unit(texts + 0.1)
    with pytest.raises(InputError, match="different fixed embeddings"):
        MixedRetrieval(ResponseEmbeddings(ids, texts, good, "pose"), ResponseEmbeddings(ids, other_texts, bad, "pose"),
                       KEYS, seed=0)
    with pytest.raises(InputError, match="different rows"):
        MixedRetrieval(ResponseEmbeddings(ids, texts, good, "pose"),
                       ResponseEmbeddings(ids[::-1], texts, bad, "pose"), KEYS, seed=0)
    # the embeddings file round-trips, and a missing one is an error naming it
    path = write_embeddings(tmp_path / "t.embeddings.npz", ResponseEmbeddings(ids, texts, good, "pose"))
    back = read_embeddings(path)
    assert back.ids == ids and back.response_side == "pose" and np.array_equal(back.pose_side, good)
    with pytest.raises(InputError, match="missing.embeddings.npz"):
        read_embeddings(tmp_path / "missing.embeddings.npz")


def test_recall_alone_needs_no_r_precision_pools():
    texts, good, bad, _ = retrieval_pair(n=12)  # fewer rows than a pool of 32: only recall is computed
    ids = tuple(f"row-{i}" for i in range(12))
    mix = MixedRetrieval(ResponseEmbeddings(ids, texts, good, "pose"), ResponseEmbeddings(ids, texts, bad, "pose"),
                         ("recall_t2p@1", "recall_p2t@5", "mrecall"), seed=0)
    rec = cross_modal_recall(good, texts, (1, 5))
    np.testing.assert_allclose(mix.values(np.arange(12)), [rec["t2p R@1"].value, rec["p2t R@5"].value,
                                                           np.mean([rec[f"{d} R@{k}"].value for d in ("p2t", "t2p")
                                                                    for k in (1, 5)])])
    with pytest.raises(InputError, match="at least 32 rows"):
        MixedRetrieval(ResponseEmbeddings(ids, texts, good, "pose"), ResponseEmbeddings(ids, texts, bad, "pose"),
                       ("r_precision@1",), seed=0)
