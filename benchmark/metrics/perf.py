"""Speed of the vectorised PoseScript R-precision against the per-query loop upstream runs, measured side by side.

`run_benchmark(n=10000, seed=0)` builds n synthetic unit-norm query/gallery embedding pairs (512-d, the evaluator's
size), then times
* the vectorised `retrieval.r_precision(protocol="posescript")` (pool draws + ranking), and
* a reference implementation shaped like upstream's `textret_metrics`: a Python loop over queries and repetitions,
  drawing each pool with `Generator.choice` and ranking inside it,
and checks that both rank identically when given the same pools. Returns (and prints) the figures and the ratio.
"""

from __future__ import annotations

import time

import numpy as np

from benchmark.metrics.retrieval import draw_distractor_pools, pool_ranks, r_precision


def _embeddings(n: int, dim: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    query = rng.standard_normal((n, dim)).astype(np.float32)
    query /= np.linalg.norm(query, axis=1, keepdims=True)
    gallery = query + rng.standard_normal((n, dim)).astype(np.float32)  # noisy matches: ranks spread over the pool
    gallery /= np.linalg.norm(gallery, axis=1, keepdims=True)
    return query, gallery


def loop_r_precision(query: np.ndarray, gallery: np.ndarray, ks=(1, 2, 3), pool_size: int = 32,
                     repetitions: int = 10, seed: int = 0, pools: np.ndarray | None = None) -> dict:
    """Reference: one query at a time, one repetition at a time (upstream's structure). With `pools` given, uses
    those distractors instead of drawing them; returns the R-precision values, mean ranks and ranks [N, R]."""
    rng = np.random.default_rng(seed)
    n = len(query)
    ranks = np.zeros((n, repetitions), dtype=np.int64)
    for i in range(n):
        for r in range(repetitions):
            if pools is None:
                others = rng.choice(n - 1, size=pool_size - 1, replace=False)
                others = others + (others >= i)
            else:
                others = pools[i, r]
            candidates = np.concatenate([[i], others])
            scores = gallery[candidates] @ query[i]
            ranks[i, r] = int((scores[1:] >= scores[0]).sum())
    mean_rank = ranks.mean(axis=1)
    return {"values": {k: 100.0 * float((mean_rank < k).mean()) for k in ks}, "ranks": ranks}


def run_benchmark(n: int = 10000, seed: int = 0, dim: int = 512, repetitions: int = 10, pool_size: int = 32,
                  rounds: int = 3, verbose: bool = True) -> dict:
    """Time vectorised vs per-query-loop PoseScript R-precision on n queries; returns seconds, ratio and checks.

    The two are timed alternately `rounds` times and the fastest run of each is reported (the usual way to read
    timings on a shared machine: slower runs measure the other load, not the code); all runs are returned too.
    """
    query, gallery = _embeddings(n, dim, np.random.default_rng(seed))
    fast_runs, loop_runs = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        fast = r_precision(query, gallery, protocol="posescript", pool_size=pool_size, repetitions=repetitions,
                           seed=seed)
        fast_runs.append(time.perf_counter() - start)
        start = time.perf_counter()
        slow = loop_r_precision(query, gallery, pool_size=pool_size, repetitions=repetitions, seed=seed)
        loop_runs.append(time.perf_counter() - start)
    fast_s, loop_s = min(fast_runs), min(loop_runs)

    # Same pools -> same ranks: the vectorised ranking is exact, not an approximation. Checked in float64, where
    # the two summation orders (matrix product vs one dot product at a time) cannot reorder distinct scores.
    pools = draw_distractor_pools(n, repetitions, pool_size - 1, np.random.default_rng(seed))
    q64, g64 = query.astype(np.float64), gallery.astype(np.float64)
    vec_ranks, _ = pool_ranks(q64, g64, pools)
    check = loop_r_precision(q64, g64, pool_size=pool_size, repetitions=repetitions, pools=pools)
    identical = bool(np.array_equal(vec_ranks, check["ranks"]))

    result = {
        "n": n, "dim": dim, "repetitions": repetitions, "pool_size": pool_size,
        "vectorised_s": fast_s, "loop_s": loop_s, "speedup": loop_s / fast_s,
        "vectorised_runs_s": fast_runs, "loop_runs_s": loop_runs,
        "ranks_identical_on_same_pools": identical,
        "vectorised_r_precision": {k: fast[f"R-Precision@{k}"].value for k in (1, 2, 3)},
        "loop_r_precision": slow["values"],
    }
    if verbose:
        print(f"PoseScript R-precision on {n} queries ({dim}-d, {repetitions} x {pool_size}-pools):")
        for label, best, runs in (("vectorised    ", fast_s, fast_runs), ("per-query loop", loop_s, loop_runs)):
            print(f"  {label}  {best:8.3f} s  (fastest of {rounds}: {', '.join(f'{t:.3f}' for t in runs)})")
        print(f"  speed-up        {loop_s / fast_s:8.1f} x")
        print(f"  identical ranks on the same pools: {identical}")
        print("  R@1/2/3 vectorised " + " / ".join(f"{v:.2f}" for v in result["vectorised_r_precision"].values())
              + ", loop (own draws) " + " / ".join(f"{v:.2f}" for v in result["loop_r_precision"].values()))
    return result


def perf_table(size: str = "full", seed: int = 0) -> list:
    """The `unipose-bench perf` row: vectorised R-precision against the per-query loop on the same pools (drawn
    once, as the vectorised path draws them), in float64 so that the two orders of summation cannot reorder
    scores: the R-precision values must be identical."""
    from benchmark.perf_table import pick, side_by_side

    n = pick(size, 200, 2000, 10000)
    repetitions, pool_size = 10, 32
    query, gallery = _embeddings(n, 512, np.random.default_rng(seed))
    query, gallery = query.astype(np.float64), gallery.astype(np.float64)

    def fast():
        scores = r_precision(query, gallery, protocol="posescript", pool_size=pool_size, repetitions=repetitions,
                             seed=seed)
        return np.array([scores[f"R-Precision@{k}"].value for k in (1, 2, 3)])

    def reference():
        pools = draw_distractor_pools(n, repetitions, pool_size - 1, np.random.default_rng(seed))
        out = loop_r_precision(query, gallery, pool_size=pool_size, repetitions=repetitions, pools=pools)
        return np.array([out["values"][k] for k in (1, 2, 3)])

    return [side_by_side(
        "metrics", "R-precision@1/2/3 (PoseScript, 10 x 32-pools, 512-d)", f"{n} queries", fast, reference,
        gap=lambda a, b: float(np.abs(a - b).max()), gap_unit="points", tolerance=0.0,
        fast_label="retrieval.r_precision", reference_label="per-query loop, same pools",
        repeats=pick(size, 1, 2, 3), peak="tracemalloc")]


if __name__ == "__main__":
    run_benchmark()
