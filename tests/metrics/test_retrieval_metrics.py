"""R-precision (both protocols), recall@k and mRecall against brute-force loops, hand-worked cases and invariants."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.errors import InputError
from benchmark.metrics.retrieval import (cross_modal_recall, draw_distractor_pools, ground_truth_ranks, r_precision,
                                         recall_at_k)


def unit(x):
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def noisy_pairs(n, dim, noise, seed):
    rng = np.random.default_rng(seed)
    q = unit(rng.standard_normal((n, dim)))
    return q, unit(q + noise * rng.standard_normal((n, dim)))


def brute_force_rank(query, gallery, i, candidates):
    """Rank of candidate 0 among `candidates` for query i: count of strictly better scores, one dot at a time."""
    scores = [float(np.dot(query[i], gallery[c])) for c in candidates]
    return sum(s > scores[0] for s in scores[1:])


# ------------------------------------------------------------------------------------------------ recall@k
def test_recall_hand_worked():
    query = [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]
    gallery = [[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]
    scores = recall_at_k(query, gallery, ks=(1, 2, 3))
    # query 0 ranks its match first; queries 1 and 2 each have one gallery row above their match.
    assert scores["R@1"].value == pytest.approx(100 / 3)
    assert scores["R@2"].value == 100.0 and scores["R@3"].value == 100.0
    assert scores.details["ranks"].tolist() == [0, 1, 1]


def test_recall_matches_brute_force_loop():
    q, g = noisy_pairs(120, 16, 1.2, seed=3)
    scores = recall_at_k(q, g, ks=(1, 5, 10, 50))
    ranks = [brute_force_rank(q, g, i, [i] + [j for j in range(len(g)) if j != i]) for i in range(len(q))]
    assert scores.details["ranks"].tolist() == ranks
    for k in (1, 5, 10, 50):
        assert scores[f"R@{k}"].value == pytest.approx(100.0 * np.mean(np.array(ranks) < k))
        assert scores[f"R@{k}"].details["per_sample"].mean() == pytest.approx(scores[f"R@{k}"].value)


def test_ties_count_against_the_ground_truth():
    q = unit([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    g = unit([[1.0, 0.0], [1.0, 0.0], [1.0, 1.0]])  # query 0 ties its match with gallery 1
    assert ground_truth_ranks(q, g).tolist() == [1, 2, 0]


def test_a_constant_answer_cannot_score_above_chance():
    # every query gets the same generated item: all similarities tie, so no query may count as retrieved
    rng = np.random.default_rng(0)
    text = unit(rng.normal(size=(64, 8)))
    same = np.repeat(unit(rng.normal(size=(1, 8))), 64, axis=0)
    assert recall_at_k(text, same, (1, 5, 10))["R@10"].value == 0.0
    assert r_precision(text, same, (1, 2, 3), "posescript", seed=0)["R-Precision@3"].value == 0.0
    assert r_precision(text, same, (1, 2, 3), "grouped", seed=0)["R-Precision@3"].value == 0.0


def test_cross_modal_recall_both_directions_and_mrecall():
    p, t = noisy_pairs(90, 12, 1.0, seed=4)
    scores = cross_modal_recall(p, t, ks=(1, 5, 10))
    p2t, t2p = recall_at_k(p, t, ks=(1, 5, 10)), recall_at_k(t, p, ks=(1, 5, 10))
    for k in (1, 5, 10):
        assert scores[f"p2t R@{k}"].value == p2t[f"R@{k}"].value
        assert scores[f"t2p R@{k}"].value == t2p[f"R@{k}"].value
    six = [p2t[f"R@{k}"].value for k in (1, 5, 10)] + [t2p[f"R@{k}"].value for k in (1, 5, 10)]
    assert scores["mRecall"].value == pytest.approx(np.mean(six))
    assert scores["mRecall"].details["per_sample"].mean() == pytest.approx(np.mean(six))


def test_perfect_embeddings_give_100_everywhere():
    e = unit(np.random.default_rng(0).standard_normal((96, 32)))
    assert all(s.value == 100.0 for s in recall_at_k(e, e, ks=(1, 5)).scores)
    cm = cross_modal_recall(e, e, ks=(1, 5, 10))
    assert all(cm[name].value == 100.0 for name in cm)
    for protocol in ("posescript", "grouped"):
        rp = r_precision(e, e, protocol=protocol, seed=1)
        assert [rp[f"R-Precision@{k}"].value for k in (1, 2, 3)] == [100.0, 100.0, 100.0]
        assert rp["multimodality"].value == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------ pool drawing
def test_distractor_pools_are_distinct_exclude_the_query_and_are_uniform():
    n, reps, k = 200, 50, 31
    pools = draw_distractor_pools(n, reps, k, np.random.default_rng(0))
    assert pools.shape == (n, reps, k)
    assert (np.sort(pools, axis=2)[..., 1:] != np.sort(pools, axis=2)[..., :-1]).all()
    assert not (pools == np.arange(n)[:, None, None]).any()
    assert pools.min() >= 0 and pools.max() < n
    # Each other index is equally likely: counts per (query, index) are Binomial(reps, k / (n - 1)).
    counts = np.zeros((n, n))
    np.add.at(counts, (np.repeat(np.arange(n), reps * k), pools.reshape(-1)), 1)
    off_diagonal = counts[~np.eye(n, dtype=bool)]
    p = k / (n - 1)
    z2 = (off_diagonal - reps * p) ** 2 / (reps * p * (1 - p))  # each term has expectation exactly 1
    assert abs(z2.sum() - off_diagonal.size) < 5 * np.sqrt(2 * off_diagonal.size)


def test_smallest_split_pools_hold_every_other_item():
    pools = draw_distractor_pools(32, 3, 31, np.random.default_rng(5))
    for i in range(32):
        for r in range(3):
            assert sorted(pools[i, r]) == [j for j in range(32) if j != i]


# ---------------------------------------------------------------------------------------- R-precision
def test_posescript_protocol_matches_a_per_query_loop():
    q, g = noisy_pairs(70, 10, 1.5, seed=8)
    seed, reps, pool = 11, 10, 32
    result = r_precision(q, g, protocol="posescript", repetitions=reps, pool_size=pool, seed=seed)
    pools = draw_distractor_pools(len(q), reps, pool - 1, np.random.default_rng(seed))  # the draws it makes
    ranks = np.array([[brute_force_rank(q, g, i, [i, *pools[i, r]]) for r in range(reps)] for i in range(len(q))])
    mean_rank = ranks.mean(axis=1)
    np.testing.assert_array_equal(result.details["mean_rank"], mean_rank)
    for k in (1, 2, 3):
        score = result[f"R-Precision@{k}"]
        assert score.value == pytest.approx(100.0 * np.mean(mean_rank < k))
        per_rep = 100.0 * (ranks < k).mean(axis=0)
        np.testing.assert_allclose(score.details["per_repetition"], per_rep)
        assert score.details["std_over_repetitions"] == pytest.approx(per_rep.std())
    assert result["multimodality"].value == pytest.approx(np.mean(np.sum(q * g, axis=1)))


def test_posescript_thresholds_the_mean_rank_not_the_hit_rate():
    # 40 items on the unit circle; query 0 sits at 0.1 rad, so exactly one gallery item (index 1, at 0.157 rad)
    # scores above its match (index 0, at 0 rad): its rank is 1 in every pool that drew item 1, 0 otherwise.
    angles = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    g = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    q = g.copy()
    q[0] = [np.cos(0.1), np.sin(0.1)]
    seed = 2
    pools = draw_distractor_pools(40, 10, 31, np.random.default_rng(seed))
    ranks = (pools[0] == 1).any(axis=1).astype(int)
    assert 0 < ranks.mean() < 1  # item 1 was drawn in some pools only
    result = r_precision(q, g, protocol="posescript", repetitions=10, seed=seed)
    assert result.details["mean_rank"][0] == ranks.mean()
    # Mean rank < 1, so the query counts at k=1 although it was ranked first in only some of the pools.
    assert result["R-Precision@1"].details["per_sample"][0] == 100.0
    assert result["R-Precision@1"].details["per_repetition"].mean() == pytest.approx(100.0 * (1 - ranks.mean() / 40))


def test_grouped_protocol_matches_a_loop_over_groups():
    q, g = noisy_pairs(100, 8, 1.5, seed=9)  # 3 groups of 32, 4 items dropped
    result = r_precision(q, g, protocol="grouped", seed=21)
    groups = np.random.default_rng(21).permutation(100)[:96].reshape(3, 32)
    ranks = [brute_force_rank(q, g, i, [i] + [j for j in grp if j != i]) for grp in groups for i in grp]
    for k in (1, 2, 3):
        assert result[f"R-Precision@{k}"].value == pytest.approx(100.0 * sum(r < k for r in ranks) / 96)
        assert result[f"R-Precision@{k}"].n == 96
    assert result.details["dropped"] == 4
    np.testing.assert_array_equal(result.details["query_index"], groups.reshape(-1))


@pytest.mark.parametrize("protocol,repetitions", [("grouped", 1), ("posescript", 1)])
def test_a_random_permutation_scores_the_chance_level(protocol, repetitions):
    n = 3200
    e = unit(np.random.default_rng(6).standard_normal((n, 64)))
    shuffled = e[np.random.default_rng(7).permutation(n)]  # every query's "ground truth" is some other item
    result = r_precision(e, shuffled, protocol=protocol, repetitions=repetitions, seed=3)
    for k in (1, 2, 3):
        p = k / 32
        half_width = 100 * 4.5 * np.sqrt(p * (1 - p) / n)  # 4.5 binomial standard errors
        assert abs(result[f"R-Precision@{k}"].value - 100 * p) < half_width


def test_posescript_repetitions_average_to_the_chance_level_per_repetition():
    n = 1600
    e = unit(np.random.default_rng(16).standard_normal((n, 64)))
    result = r_precision(e, e[np.random.default_rng(17).permutation(n)], protocol="posescript", seed=4)
    for k in (1, 2, 3):
        per_rep = result[f"R-Precision@{k}"].details["per_repetition"]
        p = k / 32
        # The 10 repetitions reuse the same queries, so allow 3x the independent-draw standard error.
        assert abs(per_rep.mean() - 100 * p) < 100 * 4.5 * np.sqrt(p * (1 - p) / (n * 10)) * 3


def test_same_seed_same_numbers_other_seed_other_draws():
    q, g = noisy_pairs(200, 16, 1.5, seed=12)
    for protocol in ("posescript", "grouped"):
        a = r_precision(q, g, protocol=protocol, seed=5)
        b = r_precision(q, g, protocol=protocol, seed=5)
        c = r_precision(q, g, protocol=protocol, seed=6)
        assert a.numbers() == b.numbers()
        key = "mean_rank" if protocol == "posescript" else "query_index"
        assert not np.array_equal(a.details[key], c.details[key])
        assert "seed 5" in a.protocol


def test_float32_input_is_scored_like_float64():
    q, g = noisy_pairs(300, 32, 1.0, seed=13)
    a = recall_at_k(q.astype(np.float32), g.astype(np.float32), ks=(1, 5))
    b = recall_at_k(q, g, ks=(1, 5))
    assert a.numbers() == b.numbers()


# ------------------------------------------------------------------------------------------- bad input
def test_bad_inputs_raise_input_errors_naming_field_and_row():
    q, g = noisy_pairs(40, 8, 0.5, seed=1)
    bad = q.copy()
    bad[7] *= 2.0
    with pytest.raises(InputError, match=r"row 7.*query_emb.*norm"):
        recall_at_k(bad, g)
    nan = g.copy()
    nan[3, 0] = np.nan
    with pytest.raises(InputError, match=r"row 3.*gallery_emb.*NaN"):
        r_precision(q, nan)
    with pytest.raises(InputError, match="rows"):
        recall_at_k(q, g[:-1])
    with pytest.raises(InputError, match="embedding size"):
        recall_at_k(q, unit(g[:, :4]))
    with pytest.raises(InputError, match="at least 32 items"):
        r_precision(q[:20], g[:20])
    with pytest.raises(InputError, match="unknown R-precision protocol"):
        r_precision(q, g, protocol="motiongpt")
    with pytest.raises(InputError, match="exceeds the pool size"):
        r_precision(q, g, ks=(1, 33))
    with pytest.raises(InputError, match="seed"):
        r_precision(q, g, seed=-1)
    with pytest.raises(InputError, match="positive integers"):
        recall_at_k(q, g, ks=(0, 1))
    with pytest.raises(InputError, match="numeric"):
        recall_at_k([["a", "b"]], [["c", "d"]])


def test_r_precision_chance_is_what_random_queries_score():
    """The exact chance level (hypergeometric sums over the repetitions) against a Monte Carlo of queries that carry
    no information, through `r_precision` itself; with a single repetition it is k / pool_size."""
    import doctest

    import benchmark.metrics.retrieval as module
    from benchmark.metrics.retrieval import r_precision_chance

    assert doctest.testmod(module).failed == 0
    rng = np.random.default_rng(0)
    n, draws = 40, 400
    values = []
    for s in range(draws):
        q = rng.normal(size=(n, 8))
        g = rng.normal(size=(n, 8))
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        g /= np.linalg.norm(g, axis=1, keepdims=True)
        values.append([r_precision(q, g, (1, 2), "posescript", 32, 10, seed=s)[f"R-Precision@{k}"].value
                       for k in (1, 2)])
    mean, error = np.mean(values, axis=0), np.std(values, axis=0) / np.sqrt(draws)
    exact = np.array([r_precision_chance(n, 1), r_precision_chance(n, 2)])  # 4.75 %, 7.54 %: not 1/32, 2/32
    assert np.all(np.abs(mean - exact) < 4 * error), (mean, exact, error)
    assert abs(exact[0] - 100 / 32) > 4 * error[0]  # the test can tell the exact level from the naive one
    assert r_precision_chance(n, 3, repetitions=1) == pytest.approx(100 * 3 / 32)
