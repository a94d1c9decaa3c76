"""Retrieval metrics of the pose <-> text evaluators: R-precision (two protocols), recall@k and mRecall.

Inputs are L2-normalised embeddings [N, D] (float32 or float64), so the cosine similarity is the dot product. Query
row i's ground truth is gallery row i.

Ranks: the rank of the ground truth is the number of other candidates scoring at least as high as it (0 = first). A
tie therefore counts against the ground truth: a model that answers every query with the same output (a mean pose,
a fixed caption) gets the worst rank, not a perfect one. Upstream takes the position after an argsort, which leaves
ties to the sort order; with continuous embeddings ties do not happen, so the two agree.

Protocols (naver/posescript `evaluate.x2y_recall_metrics`, `evaluate.textret_metrics`; liyiheng23/UniPose
`posegpt/models/metrics.py` @14de673):
* "posescript" R-precision: per query, `repetitions` independent pools of 31 random distractors (other rows) + the
  ground truth; the rank is averaged over the repetitions and the query counts at k iff its mean rank < k.
* "grouped" R-precision (UniPose / MotionGPT): one shuffle of the N items, consecutive groups of 32 (the remainder is
  dropped), ranking inside each group; hits / (floor(N / 32) * 32).
* recall@k: rank among all N gallery rows; mRecall = mean of p2t and t2p R@k over all k.

Upstream draws with unseeded Python `random` / `torch.randperm`; here every draw comes from
`numpy.random.default_rng(seed)`, so a seed reproduces a number exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from benchmark.errors import InputError
from benchmark.metrics.base import Score, Scores, as_float_array, check_same_rows, check_seed

R_PRECISION_PROTOCOLS = ("posescript", "grouped")
NORM_TOLERANCE = 1e-3
_HINT = "L2-normalised embeddings [N, D]: x / np.linalg.norm(x, axis=1, keepdims=True)"
# Bound the similarity block held at once (elements), so 100k-item splits fit in memory.
_BLOCK_ELEMENTS = 2**24

PROTOCOL_NAMES = {
    "posescript": "posescript-r-precision (per query {reps} pools of {d} random distractors + GT, mean rank over the "
                  "pools < k, cosine, seed {seed})",
    "grouped": "grouped-r-precision (UniPose/MotionGPT: shuffle with seed {seed}, consecutive groups of {p}, "
               "remainder dropped, cosine)",
}
RECALL_PROTOCOL = "full-split recall@k (gallery = all N rows, GT = same row, cosine, rank = #others scoring >= GT)"


def check_embeddings(query_emb, gallery_emb, *, query_field: str = "query_emb",
                     gallery_field: str = "gallery_emb") -> tuple[np.ndarray, np.ndarray]:
    """Both embeddings as [N, D] arrays of one float dtype, unit-norm rows, same N and D; InputError otherwise."""
    q = as_float_array(query_emb, field=query_field, ndim=2, hint=_HINT)
    g = as_float_array(gallery_emb, field=gallery_field, ndim=2, hint=_HINT)
    check_same_rows(q, g, field_a=query_field, field_b=gallery_field)
    if q.shape[1] != g.shape[1]:
        raise InputError(f"embedding size {g.shape[1]} differs from the query's {q.shape[1]}", field=gallery_field)
    for arr, name in ((q, query_field), (g, gallery_field)):
        norms = np.sqrt(np.einsum("ij,ij->i", arr, arr, dtype=np.float64))
        bad = np.abs(norms - 1.0) > NORM_TOLERANCE
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(f"row norm {norms[row]:.6g} is not 1", row=row, field=name, hint=_HINT)
    dtype = np.float32 if q.dtype == g.dtype == np.float32 else np.float64
    return q.astype(dtype, copy=False), g.astype(dtype, copy=False)


def _check_ks(ks: Sequence[int], upper: int | None = None, what: str = "") -> tuple[int, ...]:
    try:
        out = tuple(int(k) for k in ks)
    except (TypeError, ValueError):
        raise InputError(f"ks must be a sequence of integers, got {ks!r}", field="ks") from None
    if not out or any(k < 1 for k in out) or any(k != k0 for k, k0 in zip(out, ks)):
        raise InputError(f"ks must be positive integers, got {ks!r}", field="ks")
    if upper is not None and max(out) > upper:
        raise InputError(f"k={max(out)} exceeds {what} ({upper})", field="ks")
    return out


def _similarity_blocks(query_emb: np.ndarray, gallery_emb: np.ndarray):
    """(start, stop, similarities [stop - start, N], ground-truth similarities) over blocks of queries, bounded to
    `_BLOCK_ELEMENTS` values at once. The ground-truth score is read from the same block as the others, so every
    comparison uses identically rounded numbers."""
    n = query_emb.shape[0]
    step = max(1, _BLOCK_ELEMENTS // n)
    for start in range(0, n, step):
        stop = min(n, start + step)
        sims = query_emb[start:stop] @ gallery_emb.T
        rows = np.arange(stop - start)
        yield start, stop, sims, sims[rows, start + rows]


def ground_truth_ranks(query_emb: np.ndarray, gallery_emb: np.ndarray) -> np.ndarray:
    """int64 [N]: for each query row i, the number of other gallery rows scoring at least as high as gallery row i.

    Expects arrays already checked by `check_embeddings`.
    """
    ranks = np.empty(query_emb.shape[0], dtype=np.int64)
    for start, stop, sims, gt in _similarity_blocks(query_emb, gallery_emb):
        ranks[start:stop] = (sims >= gt[:, None]).sum(axis=1) - 1  # minus the ground truth itself
    return ranks


def recall_at_k(query_emb, gallery_emb, ks: Sequence[int] = (1, 5, 10)) -> Scores:
    """Recall@k in % over the whole split: the share of queries whose ground truth ranks among the top k.

    Scores are named "R@k"; each carries `per_sample` (100 or 0 per query). `details["ranks"]` holds the ranks.
    """
    q, g = check_embeddings(query_emb, gallery_emb)
    ks = _check_ks(ks)
    ranks = ground_truth_ranks(q, g)
    scores = []
    for k in ks:
        hits = 100.0 * (ranks < k)
        scores.append(Score(f"R@{k}", float(hits.mean()), RECALL_PROTOCOL, len(ranks), details={"per_sample": hits}))
    return Scores(RECALL_PROTOCOL, tuple(scores), details={"ranks": ranks})


def cross_modal_recall(pose_emb, text_emb, ks: Sequence[int] = (1, 5, 10)) -> Scores:
    """Pose-to-text and text-to-pose recall@k in % over the whole split, and mRecall = the mean of all of them.

    PoseScript reports ks 1/5/10, UniPose's text-to-pose table 5/10/20. Scores: "p2t R@k", "t2p R@k", "mRecall";
    the per-sample values of mRecall are each item's mean hit over both directions and all ks.
    """
    p, t = check_embeddings(pose_emb, text_emb, query_field="pose_emb", gallery_field="text_emb")
    ks = _check_ks(ks)
    ranks = {"p2t": ground_truth_ranks(p, t), "t2p": ground_truth_ranks(t, p)}
    scores, all_hits = [], []
    for direction, r in ranks.items():
        for k in ks:
            hits = 100.0 * (r < k)
            all_hits.append(hits)
            scores.append(Score(f"{direction} R@{k}", float(hits.mean()), RECALL_PROTOCOL, len(r),
                                details={"per_sample": hits}))
    per_item = np.mean(all_hits, axis=0)
    scores.append(Score("mRecall", float(np.mean([s.value for s in scores])), RECALL_PROTOCOL, len(per_item),
                        details={"per_sample": per_item, "ks": list(ks)}))
    return Scores(RECALL_PROTOCOL, tuple(scores), details={"ranks_p2t": ranks["p2t"], "ranks_t2p": ranks["t2p"]})


def draw_distractor_pools(n: int, repetitions: int, n_distractors: int, rng: np.random.Generator) -> np.ndarray:
    """int64 [n, repetitions, n_distractors]: for each row i and repetition, distinct indices drawn uniformly from
    {0..n-1} without i (what `random.sample(range(n), 32)` minus i, cut to 31, gives upstream).

    Vectorised Floyd sampling: the loop runs over the n_distractors picks, each pick made for all rows at once.
    """
    population = n - 1
    if n_distractors > population:
        raise InputError(f"a pool of {n_distractors} distractors needs more than {n} items", field="pool_size")
    rows = n * repetitions
    picks = np.empty((rows, n_distractors), dtype=np.int64)
    for t, j in enumerate(range(population - n_distractors, population)):
        candidate = rng.integers(0, j + 1, size=rows)
        taken = (picks[:, :t] == candidate[:, None]).any(axis=1)
        picks[:, t] = np.where(taken, j, candidate)
    owner = np.repeat(np.arange(n, dtype=np.int64), repetitions)
    picks += picks >= owner[:, None]  # skip the query's own index
    return picks.reshape(n, repetitions, n_distractors)


def pool_ranks(query_emb: np.ndarray, gallery_emb: np.ndarray, pools: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ranks int64 [N, R] of the ground truth inside each pool (candidates = ground truth + pools[i, r]) and the
    ground-truth cosine [N]. The similarity of a block of queries to the whole gallery is computed once (one matrix
    product is faster than gathering the pool rows) and the pool entries are read from it."""
    n, reps, n_distractors = pools.shape
    ranks = np.empty((n, reps), dtype=np.int64)
    gt_cos = np.empty(n, dtype=np.float64)
    for start, stop, sims, gt in _similarity_blocks(query_emb, gallery_emb):
        pooled = np.take_along_axis(sims, pools[start:stop].reshape(stop - start, -1), axis=1)
        ranks[start:stop] = (pooled.reshape(stop - start, reps, n_distractors) >= gt[:, None, None]).sum(axis=2)
        gt_cos[start:stop] = gt
    return ranks, gt_cos


def r_precision(query_emb, gallery_emb, ks: Sequence[int] = (1, 2, 3), protocol: str = "posescript",
                pool_size: int = 32, repetitions: int = 10, seed: int = 0) -> Scores:
    """R-precision@k in % (query i's ground truth is gallery row i), under the "posescript" or "grouped" protocol
    (see the module docstring). Scores: "R-Precision@k" for each k, and "multimodality" (mean ground-truth cosine).

    "posescript" details: `per_repetition` (hit rate in % of each repetition, [R]) and `std_over_repetitions`
    (population std of those, the run-to-run spread upstream warns about) on each R-Precision score; `mean_rank` [N]
    on the result. `repetitions` only applies to "posescript".
    """
    if protocol not in R_PRECISION_PROTOCOLS:
        raise InputError(f"unknown R-precision protocol '{protocol}'", field="protocol",
                         hint=f"choose one of {', '.join(R_PRECISION_PROTOCOLS)}")
    seed = check_seed(seed)
    q, g = check_embeddings(query_emb, gallery_emb)
    n = q.shape[0]
    if isinstance(pool_size, bool) or not isinstance(pool_size, (int, np.integer)) or pool_size < 2:
        raise InputError(f"pool_size must be an integer >= 2, got {pool_size!r}", field="pool_size")
    if n < pool_size:
        raise InputError(f"R-precision with pools of {pool_size} needs at least {pool_size} items, got {n}",
                         field="query_emb")
    ks = _check_ks(ks, upper=pool_size, what="the pool size")
    rng = np.random.default_rng(seed)
    if protocol == "grouped":
        return _grouped(q, g, ks, int(pool_size), rng, seed)
    if isinstance(repetitions, bool) or not isinstance(repetitions, (int, np.integer)) or repetitions < 1:
        raise InputError(f"repetitions must be a positive integer, got {repetitions!r}", field="repetitions")
    name = PROTOCOL_NAMES["posescript"].format(reps=repetitions, d=pool_size - 1, seed=seed)
    pools = draw_distractor_pools(n, int(repetitions), int(pool_size) - 1, rng)
    ranks, gt_cos = pool_ranks(q, g, pools)
    mean_rank = ranks.mean(axis=1)
    scores = []
    for k in ks:
        hits = 100.0 * (mean_rank < k)
        per_rep = 100.0 * (ranks < k).mean(axis=0)
        scores.append(Score(f"R-Precision@{k}", float(hits.mean()), name, n,
                            details={"per_sample": hits, "per_repetition": per_rep,
                                     "std_over_repetitions": float(per_rep.std())}))
    scores.append(Score("multimodality", float(gt_cos.mean()), name, n, details={"per_sample": gt_cos}))
    return Scores(name, tuple(scores), details={"mean_rank": mean_rank, "seed": seed, "repetitions": repetitions,
                                                "pool_size": pool_size})


def r_precision_chance(n: int, k: int = 1, pool_size: int = 32, repetitions: int = 10) -> float:
    """Expected "posescript" R-Precision@k in % of queries that carry no information (a random text): the chance
    level, exactly.

    It is not k / pool_size: a query counts when its mean rank over the repetitions is below k. For such a query the
    number m of other rows that outscore its ground truth is uniform on 0..n-1; each pool draws its distractors from
    the n - 1 others without replacement, so the distractors that outscore it are hypergeometric(n - 1, m, d), and
    the query counts when their sum over the repetitions is below k * repetitions.

    >>> round(r_precision_chance(300), 3), round(r_precision_chance(300, repetitions=1), 3)
    (3.356, 3.125)
    """
    from scipy.stats import hypergeom

    d = pool_size - 1
    if n - 1 < d:
        raise InputError(f"R-precision with pools of {pool_size} needs at least {pool_size} items, got {n}", field="n")
    total = 0.0
    for m in range(n):
        pmf = hypergeom(n - 1, m, d).pmf(np.arange(d + 1))
        summed = np.array([1.0])
        for _ in range(repetitions):
            summed = np.convolve(summed, pmf)
        total += float(summed[: k * repetitions].sum())
    return 100.0 * total / n


def draw_groups(n: int, pool_size: int, rng: np.random.Generator) -> np.ndarray:
    """int64 [n // pool_size, pool_size]: the row indices of the "grouped" protocol's pools (one shuffle, consecutive
    groups, the remainder dropped)."""
    return rng.permutation(n)[: (n // pool_size) * pool_size].reshape(-1, pool_size)


def _grouped(q: np.ndarray, g: np.ndarray, ks: tuple[int, ...], pool_size: int, rng: np.random.Generator,
             seed: int) -> Scores:
    n = q.shape[0]
    name = PROTOCOL_NAMES["grouped"].format(seed=seed, p=pool_size)
    groups = draw_groups(n, pool_size, rng)
    sims = np.einsum("gad,gbd->gab", q[groups], g[groups])  # [G, P, P]: query a vs gallery b of group g
    diag = np.arange(pool_size)
    gt = sims[:, diag, diag]
    ranks = ((sims >= gt[..., None]).sum(axis=2) - 1).reshape(-1)
    scored = groups.size
    scores = []
    for k in ks:
        hits = 100.0 * (ranks < k)
        scores.append(Score(f"R-Precision@{k}", float(hits.sum() / scored), name, scored,
                            details={"per_sample": hits}))
    gt_flat = gt.reshape(-1).astype(np.float64)
    scores.append(Score("multimodality", float(gt_flat.mean()), name, scored, details={"per_sample": gt_flat}))
    return Scores(name, tuple(scores), details={"query_index": groups.reshape(-1), "ranks": ranks, "seed": seed,
                                                "pool_size": pool_size, "dropped": n - scored})
