"""The retrieval metrics of a mix of two models' responses, for the permutation test of `unipose-bench compare`.

R-precision and full-split recall rank every row's ground truth against the other rows' responses, so a paired test
has to recompute them for each arrangement "row i uses model A's response or model B's". Both models are matched
against the same fixed side (the query texts of text_to_pose, the ground-truth poses of pose_to_text, ...; see
`benchmark.response_embeddings`), so the similarity matrices of each model are computed once and an arrangement only
picks, per row, whose row (or column) of similarities it uses: one recomputation costs a few comparisons of an
N x N matrix, not a matrix product.

The numbers are those of `benchmark.metrics.retrieval` (the tests check it) under the tasks' protocols: R-precision
ranks the pose side for text-side queries ("posescript": 10 repetitions of 31 seeded distractors; "grouped": pools
of 32 consecutive shuffled rows), recall ranks both ways over the split, mRecall is the mean of all recall values,
multimodality the mean cosine of each row with its ground truth. Keys are the tasks' result keys.
"""

from __future__ import annotations

import re

import numpy as np

from benchmark.errors import InputError
from benchmark.metrics.retrieval import draw_distractor_pools, draw_groups
from benchmark.response_embeddings import ResponseEmbeddings

POOL_SIZE = 32
REPETITIONS = 10
_KEY = re.compile(r"^(r_precision|r_precision_grouped|recall_p2t|recall_t2p)@(\d+)$")
RETRIEVAL_KEYS = ("mrecall", "multimodality")  # and the families of _KEY


def is_retrieval_key(key: str) -> bool:
    """Whether result `key` is computed over the whole split by the retrieval evaluator.

    >>> is_retrieval_key("recall_t2p@5"), is_retrieval_key("r_precision_grouped@1"), is_retrieval_key("mpjpe")
    (True, True, False)
    """
    return key in RETRIEVAL_KEYS or bool(_KEY.match(key))


class MixedRetrieval:
    """Retrieval metrics (`keys`) of any arrangement of two models' responses on the same rows.

    `values(choice)` and `per_row(choice)` take, per row, the index of the response used: i for model A's, N + i for
    model B's (`benchmark.metrics.paired_tests.paired_permutation`'s convention).
    """

    def __init__(self, a: ResponseEmbeddings, b: ResponseEmbeddings, keys, *, seed: int):
        if a.ids != b.ids:
            raise InputError("the two embeddings files hold different rows", field="ids")
        if a.response_side != b.response_side:
            raise InputError(f"A's responses are the {a.response_side} side, B's the {b.response_side} side",
                             field="response_side")
        if a.fixed.shape != b.fixed.shape or not np.allclose(a.fixed, b.fixed, rtol=0, atol=1e-9):
            raise InputError("A and B were matched against different fixed embeddings (another evaluator, or other "
                             "data)", field="text_side" if a.response_side == "pose" else "pose_side")
        self.keys = tuple(keys)
        unknown = [k for k in self.keys if not is_retrieval_key(k)]
        if unknown:
            raise InputError(f"{unknown} are not retrieval metrics", field="keys")
        self.n = n = len(a.ids)
        self.by_rows = a.response_side == "text"  # the response is the query side of text-to-pose similarities
        # [2, N, N]: model m's similarities, text queries x pose gallery (R-precision, recall t2p) and pose queries x
        # text gallery (recall p2t), each computed as `retrieval` computes it
        self.text_queries = np.stack([m.text_side @ m.pose_side.T for m in (a, b)])
        self.pose_queries = np.stack([m.pose_side @ m.text_side.T for m in (a, b)])
        self.ks = {family: sorted(int(m.group(2)) for m in map(_KEY.match, self.keys) if m and m.group(1) == family)
                   for family in ("r_precision", "r_precision_grouped", "recall_p2t", "recall_t2p")}
        if "mrecall" in self.keys:
            self.recall_ks = sorted(set(self.ks["recall_p2t"]) | set(self.ks["recall_t2p"]))
            if not self.recall_ks:
                raise InputError("mrecall needs the recall@k keys it averages", field="keys")
        if (self.ks["r_precision"] or self.ks["r_precision_grouped"] or "multimodality" in self.keys) and n < POOL_SIZE:
            raise InputError(f"R-precision needs at least {POOL_SIZE} rows, got {n}", field="keys")
        # the pools the tasks drew: each protocol starts a generator of the task's seed
        if self.ks["r_precision"]:
            self.pools = draw_distractor_pools(n, REPETITIONS, POOL_SIZE - 1, np.random.default_rng(seed))
        if self.ks["r_precision_grouped"]:
            self.groups = draw_groups(n, POOL_SIZE, np.random.default_rng(seed))

    def _mixed(self, sims: np.ndarray, choice: np.ndarray, response_rows: bool) -> np.ndarray:
        take_b = np.asarray(choice) >= self.n
        if response_rows:  # row i of the matrix belongs to row i's response
            return np.where(take_b[:, None], sims[1], sims[0])
        return np.where(take_b[None, :], sims[1], sims[0])

    def per_row(self, choice) -> dict[str, np.ndarray]:
        """Each key's per-row values (hits in %, cosines) with the gallery of this arrangement; their mean is the
        metric (over the scored rows for the grouped protocol)."""
        tq = self._mixed(self.text_queries, choice, self.by_rows)
        pq = self._mixed(self.pose_queries, choice, not self.by_rows)
        rows = np.arange(self.n)
        out: dict[str, np.ndarray] = {}
        ranks = {}
        if self.ks["recall_t2p"] or self.ks["recall_p2t"] or "mrecall" in self.keys:
            ranks["t2p"] = (tq >= tq[rows, rows][:, None]).sum(axis=1) - 1
            ranks["p2t"] = (pq >= pq[rows, rows][:, None]).sum(axis=1) - 1
            for direction in ("p2t", "t2p"):
                for k in self.ks[f"recall_{direction}"]:
                    out[f"recall_{direction}@{k}"] = 100.0 * (ranks[direction] < k)
            if "mrecall" in self.keys:
                out["mrecall"] = np.mean([100.0 * (ranks[d] < k) for d in ("p2t", "t2p") for k in self.recall_ks],
                                         axis=0)
        gt = tq[rows, rows]
        if self.ks["r_precision"]:
            pooled = np.take_along_axis(tq, self.pools.reshape(self.n, -1), axis=1).reshape(self.pools.shape)
            mean_rank = (pooled >= gt[:, None, None]).sum(axis=2).mean(axis=1)
            for k in self.ks["r_precision"]:
                out[f"r_precision@{k}"] = 100.0 * (mean_rank < k)
        if "multimodality" in self.keys:
            out["multimodality"] = gt.astype(np.float64)
        if self.ks["r_precision_grouped"]:
            g = self.groups
            sims = tq[g[:, :, None], g[:, None, :]]  # [G, P, P]
            diag = np.arange(g.shape[1])
            group_ranks = ((sims >= sims[:, diag, diag][..., None]).sum(axis=2) - 1).reshape(-1)
            for k in self.ks["r_precision_grouped"]:
                out[f"r_precision_grouped@{k}"] = 100.0 * (group_ranks < k)
        return {k: out[k] for k in self.keys}

    def values(self, choice) -> np.ndarray:
        """The metrics of one arrangement, in the order of `keys` (what the permutation test recomputes)."""
        return np.array([v.mean() for v in self.per_row(choice).values()])
