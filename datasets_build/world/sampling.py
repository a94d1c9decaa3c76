"""Farthest-point sampling of poses by MPJE, as PoseScript mined its pose set (`src/other_utils/pose_mining.py`).

MPJE(a, b) = mean over joints j of ||a_j - b_j||_2 (metres), on joint positions [J, 3]. The greedy selection
starts from index `start` (PoseScript seeds at 0) and repeatedly adds the pose whose MPJE to its nearest selected
pose is the largest; ties go to the lowest index. The fast version keeps a running nearest-selected distance per
pose (O(N) memory, one O(N J) pass per pick, chunked over poses so that 100k+ poses fit in memory); the brute-force
reference builds the full N x N MPJE matrix and re-evaluates the criterion from scratch at each pick.

scipy and torch have no farthest-point sampling under a custom metric such as MPJE (torch-cluster's `fps` works on
points under the Euclidean norm of the flattened vector, which is not MPJE), hence the hand-written greedy loop.
"""

from __future__ import annotations

import numpy as np
import torch
from tqdm.auto import tqdm

from benchmark.body.validation import check_joints
from benchmark.errors import InputError

DEFAULT_CHUNK_ROWS = 32768


def mpje(a, b):
    """Mean per-joint error (metres) of joint positions a, b [..., J, 3] (broadcast): mean_j ||a_j - b_j||."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return torch.linalg.vector_norm(torch.as_tensor(a) - torch.as_tensor(b), dim=-1).mean(-1)
    return exact_mpje(a, b)


def _check(joints, k: int, start: int) -> int:
    check_joints(joints, field="joints")
    n = len(joints)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise InputError(f"k must be an integer in 1..{n} (the number of poses), got {k!r}", field="k")
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= start < n:
        raise InputError(f"start must be a pose index in 0..{n - 1}, got {start!r}", field="start")
    return n


def farthest_point_sampling(joints, k: int, start: int = 0, *, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                            progress: bool = False) -> np.ndarray:
    """Indices [k] (int64, in selection order) of a greedy farthest-point subset of poses by MPJE.

    joints: [N, J, 3] joint positions (numpy or torch, float32 or float64; computed in that dtype).
    chunk_rows: poses per distance pass (bounds the temporary memory to chunk_rows * J * 4 values).
    """
    n = _check(joints, k, start)
    x = joints.detach().cpu().numpy() if isinstance(joints, torch.Tensor) else np.asarray(joints)
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float64)
    # numpy, not torch: one pick is a few passes over N * J values, too little work for torch's thread pool,
    # which makes it 2-8x slower than a single numpy thread (more so on a busy machine).
    # Coordinates as [J, 3, N] so that every pass runs along the long, contiguous pose axis; buffers are
    # allocated once and reused by every pick.
    coords = np.ascontiguousarray(x.transpose(1, 2, 0))
    n_joints, width = coords.shape[0], min(chunk_rows, n)
    diff = np.empty((n_joints, 3, width), dtype=x.dtype)
    dist = np.empty((n_joints, width), dtype=x.dtype)
    mean = np.empty(width, dtype=x.dtype)
    nearest = np.full(n, np.inf, dtype=x.dtype)
    chosen = np.empty(k, dtype=np.int64)
    current = int(start)
    for i in tqdm(range(k), desc="farthest-point sampling", disable=not progress):
        chosen[i] = current
        centre = coords[:, :, current:current + 1]
        for s in range(0, n, chunk_rows):
            e = min(n, s + chunk_rows)
            d, r, m = diff[:, :, :e - s], dist[:, :e - s], mean[:e - s]
            np.subtract(coords[:, :, s:e], centre, out=d)
            np.multiply(d, d, out=d)
            np.add(d[:, 0], d[:, 1], out=r)
            np.add(r, d[:, 2], out=r)
            np.sqrt(r, out=r)
            np.sum(r, axis=0, out=m)
            m /= n_joints
            np.minimum(nearest[s:e], m, out=nearest[s:e])
        # A chosen pose is never picked again, even when duplicates leave every remaining distance at 0.
        nearest[current] = -1.0
        current = int(np.argmax(nearest))  # the first maximum: ties go to the lowest index
    return chosen


def exact_mpje(a, b) -> np.ndarray:
    """MPJE (float64) of joint positions a, b [..., J, 3] (broadcast), the same on every CPU.

    Element-wise operations only, summed over the joints in index order: IEEE arithmetic rounds each of them the
    same way everywhere, whereas library reductions and matrix products may pick CPU-specific summation orders
    (datasets_build/world/canonical.py).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    total = 0.0
    for j in range(a.shape[-2]):
        d = [a[..., j, c] - b[..., j, c] for c in range(3)]
        total = total + np.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
    return total / a.shape[-2]


def nearest_by_mpje(joints, queries, k: int, chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(indices [Q, k'], MPJE [Q, k'] in metres) of the k' = min(k, N - 1) poses nearest to each query (row indices
    into joints [N, J, 3]), the query itself excluded; nearest first, ties to the lower index (a stable sort), so
    the result is the same on every CPU."""
    x = np.asarray(joints, dtype=np.float64)
    queries = np.asarray(queries, dtype=np.int64)
    k = min(int(k), len(x) - 1)
    out_i, out_d = [np.zeros((0, k), np.int64)], [np.zeros((0, k))]
    for s in range(0, len(queries), chunk):
        q = queries[s:s + chunk]
        dist = exact_mpje(x[q][:, None], x[None])
        dist[np.arange(len(q)), q] = np.inf
        order = np.argsort(dist, axis=1, kind="stable")[:, :k]
        out_i.append(order)
        out_d.append(np.take_along_axis(dist, order, axis=1))
    return np.concatenate(out_i), np.concatenate(out_d)


def pairwise_mpje(joints) -> np.ndarray:
    """[N, N] MPJE matrix (float64) of joint positions [N, J, 3], by explicit broadcasting (small N only)."""
    x = np.asarray(joints, dtype=np.float64)
    return exact_mpje(x[:, None], x[None])


def farthest_point_sampling_reference(joints, k: int, start: int = 0) -> np.ndarray:
    """Brute-force farthest-point sampling: full MPJE matrix, criterion re-evaluated from scratch at each pick.

    O(N^2) memory: a check for `farthest_point_sampling` on small N.
    """
    _check(joints, k, start)
    dist = pairwise_mpje(joints)
    chosen = [int(start)]
    while len(chosen) < k:
        best, best_score = -1, -1.0
        for candidate in range(len(dist)):
            if candidate in chosen:
                continue
            score = min(dist[candidate, c] for c in chosen)
            if score > best_score:
                best, best_score = candidate, score
        chosen.append(best)
    return np.array(chosen, dtype=np.int64)


def min_pairwise_mpje(joints, indices) -> float:
    """The smallest MPJE between two distinct poses of the subset `indices` of joints [N, J, 3]."""
    sub = np.asarray(joints, dtype=np.float64)[np.asarray(indices)]
    dist = pairwise_mpje(sub)
    return float(dist[~np.eye(len(sub), dtype=bool)].min())
