"""Pair mining shared by the embedded world and ImageDiff: the posecode counter that filters candidate pairs by the
number of differing posecodes (PoseFix / UniPose appendix A.2), the draw of pose A among the valid candidates, the
retrieval-feature ranking ImageDiff uses on real data (the embedded world ranks by exact MPJE instead,
`world.sampling.nearest_by_mpje`), and the seeds of the named steps of a build.
"""

from __future__ import annotations

import zlib

import numpy as np

from benchmark.errors import InputError


def sub_seed(seed: int, *names: str) -> int:
    """A non-negative int seed for one named step of a build, derived from the build seed."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed {seed!r} is not a non-negative integer", field="seed")
    words = [int(seed)] + [zlib.crc32(n.encode()) for n in names]
    return int(np.random.SeedSequence(words).generate_state(1)[0])


class PosecodeCounter:
    """Posecodes of a pool's poses, computed once; `count(rows_a, rows_b)` = differing posecodes per row pair."""

    def __init__(self, joints: np.ndarray):
        from benchmark.posecodes.extract import posecode_arrays

        self.arrays = posecode_arrays(joints)

    def _take(self, rows: np.ndarray):
        from benchmark.posecodes.extract import PosecodeArrays

        a = self.arrays
        return PosecodeArrays({k: v[rows] for k, v in a.categories.items()}, a.super_posecodes[rows], a.table,
                              a.has_rotations)

    def count(self, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
        from benchmark.posecodes.extract import count_differing_posecodes

        return count_differing_posecodes(self._take(rows_a), self._take(rows_b))


def pose_features(evaluator, poses: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Unit-norm float64 [N, D] features of heading-normalised poses [N, 22, 3] (flat hands added when the evaluator
    takes more joints)."""
    arch = getattr(evaluator, "arch", None)
    n_joints = int(getattr(arch, "n_joints", 22) or 22)
    poses = np.asarray(poses, np.float32)
    if n_joints > poses.shape[1]:
        poses = np.concatenate([poses, np.zeros((len(poses), n_joints - poses.shape[1], 3), np.float32)], axis=1)
    feats = np.concatenate([np.asarray(evaluator.encode_poses(poses[s:s + batch_size]), dtype=np.float64)
                            for s in range(0, len(poses), batch_size)]) if len(poses) else np.zeros((0, 1))
    if feats.shape[0] != len(poses) or not np.isfinite(feats).all():
        raise InputError(f"the evaluator returned features of shape {list(feats.shape)} for {len(poses)} poses, or "
                         "non-finite values", field="evaluator")
    norms = np.linalg.norm(feats, axis=1, keepdims=True)
    return feats / np.where(norms > 0, norms, 1.0)


def top_similar(features: np.ndarray, queries: np.ndarray, k: int, max_chunk_values: int = 1 << 25
                ) -> tuple[np.ndarray, np.ndarray]:
    """(indices [Q, k'], similarities [Q, k']) of the k' = min(k, N - 1) rows of `features` [N, D] most similar
    (dot product, float64) to each query row (indices into features), the query itself excluded; most similar first,
    ties to the lower index (a stable sort), so every CPU picks the same candidates. Queries run in chunks of at
    most `max_chunk_values` similarities."""
    f = np.asarray(features, dtype=np.float64)
    n = len(f)
    k = min(int(k), n - 1)
    chunk = max(1, max_chunk_values // max(n, 1))
    out_i, out_s = [np.zeros((0, k), np.int64)], [np.zeros((0, k))]
    for s in range(0, len(queries), chunk):
        q = np.asarray(queries[s:s + chunk], dtype=np.int64)
        sims = f[q] @ f.T
        sims[np.arange(len(q)), q] = -np.inf
        order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        out_i.append(order)
        out_s.append(np.take_along_axis(sims, order, axis=1))
    return np.concatenate(out_i), np.concatenate(out_s)


def choose_pose_a(candidates: np.ndarray, differing: np.ndarray, min_differing: int, choose_among: int,
                  rng: np.random.Generator) -> np.ndarray:
    """Per query, a candidate [Q] drawn uniformly among its first `choose_among` candidates (similarity order) that
    differ by at least `min_differing` posecodes; -1 where there is none."""
    valid = differing >= min_differing
    rank = np.cumsum(valid, axis=1) - 1
    eligible = valid & (rank < choose_among)
    n_eligible = eligible.sum(axis=1)
    pick = np.floor(rng.random(len(candidates)) * np.maximum(n_eligible, 1)).astype(np.int64)
    column = np.argmax(eligible & (rank == pick[:, None]), axis=1)
    return np.where(n_eligible > 0, candidates[np.arange(len(candidates)), column], -1)
