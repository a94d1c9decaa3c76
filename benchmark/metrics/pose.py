"""Joint position errors: MPJPE and PA-MPJPE (similarity Procrustes), per sample and streamed over shards.

Joints are [N, J, 3] in metres; errors are reported in millimetres. Neither function aligns anything but what its
name says: MPJPE compares the joints as given (root alignment, if a protocol wants it, is done by the protocol in
`joint_protocols`), PA-MPJPE first maps each predicted skeleton onto its ground truth with the similarity transform
(rotation, uniform scale, translation) minimising the squared error, the standard direction (HMR, SPIN, HMR2,
CA-PF), with reflections excluded by the sign of the determinant.
"""

from __future__ import annotations

import numpy as np

from benchmark.errors import InputError
from benchmark.metrics.base import Score, as_float_array, check_same_rows
from benchmark.metrics.exact_sum import ExactSum

MM_PER_M = 1000.0
_JOINTS_HINT = "joint positions [N, J, 3] in metres, prediction and ground truth with the same joints in one order"


def check_joint_pair(pred, gt, *, pred_field: str = "pred", gt_field: str = "gt") -> tuple[np.ndarray, np.ndarray]:
    """Both as float64 [N, J, 3] with equal N and J, finite; InputError naming the field and row otherwise."""
    p = as_float_array(pred, field=pred_field, ndim=3, last_dim=3, hint=_JOINTS_HINT).astype(np.float64)
    g = as_float_array(gt, field=gt_field, ndim=3, last_dim=3, hint=_JOINTS_HINT).astype(np.float64)
    check_same_rows(g, p, field_a=gt_field, field_b=pred_field)
    if p.shape[1] != g.shape[1]:
        raise InputError(f"{p.shape[1]} joints per row but the ground truth has {g.shape[1]}", field=pred_field,
                         hint=_JOINTS_HINT)
    return p, g


def per_joint_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Euclidean distance per joint [N, J], in the input unit."""
    return np.linalg.norm(pred - gt, axis=-1)


def procrustes_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """`pred` [N, J, 3] mapped onto `gt` by the per-sample similarity transform s * R @ x + t minimising
    sum_j |s R p_j + t - g_j|^2 with det(R) = +1 (Umeyama's solution, batched SVD)."""
    mu_p = pred.mean(axis=1, keepdims=True)
    mu_g = gt.mean(axis=1, keepdims=True)
    x = pred - mu_p
    y = gt - mu_g
    cross = np.einsum("nji,njk->nik", y, x)  # [N, 3, 3] = Y^T X
    u, sing, vt = np.linalg.svd(cross)
    d = np.sign(np.linalg.det(u @ vt))
    d[d == 0] = 1.0  # degenerate (coplanar) skeletons: any sign gives the same error
    signs = np.ones_like(sing)
    signs[:, -1] = d
    rot = u @ (signs[:, :, None] * vt)  # U diag(1, 1, d) V^T
    var_x = (x**2).sum(axis=(1, 2))
    # A skeleton collapsed to one point has no scale to fit; it is mapped onto the ground-truth centroid.
    scale = np.divide((sing * signs).sum(axis=1), var_x, out=np.zeros_like(var_x), where=var_x > 0)
    return scale[:, None, None] * np.einsum("nik,njk->nji", rot, x) + mu_g


def mpjpe_per_sample(pred, gt) -> np.ndarray:
    """Mean per-joint position error of each sample, mm, float64 [N] (no alignment)."""
    p, g = check_joint_pair(pred, gt)
    return MM_PER_M * per_joint_errors(p, g).mean(axis=1)


def pa_mpjpe_per_sample(pred, gt) -> np.ndarray:
    """Mean per-joint error after similarity Procrustes alignment of the prediction, mm, float64 [N]."""
    p, g = check_joint_pair(pred, gt)
    return MM_PER_M * per_joint_errors(procrustes_align(p, g), g).mean(axis=1)


def mpjpe(pred, gt, *, protocol: str = "mpjpe (no alignment)") -> Score:
    """MPJPE in mm over [N, J, 3] joints in metres; `details["per_sample"]` holds each sample's error."""
    per_sample = mpjpe_per_sample(pred, gt)
    return Score("MPJPE", float(per_sample.mean()), protocol, len(per_sample), details={"per_sample": per_sample})


def pa_mpjpe(pred, gt, *, protocol: str = "pa-mpjpe (similarity Procrustes: prediction -> ground truth, "
                                          "scale, no reflection)") -> Score:
    """PA-MPJPE in mm over [N, J, 3] joints in metres; `details["per_sample"]` holds each sample's error."""
    per_sample = pa_mpjpe_per_sample(pred, gt)
    return Score("PA-MPJPE", float(per_sample.mean()), protocol, len(per_sample), details={"per_sample": per_sample})


class ErrorSums:
    """Sufficient statistics of per-sample errors: exact sums and counts, overall and per action label.

    `add` takes per-sample values (any metrics, keyed by name) and optional per-sample action labels; two ErrorSums
    merge exactly (integer addition), so shards combined in any order give the same numbers, bit for bit, as one pass
    over the whole set. `state()` / `from_state()` round-trip through JSON for shards computed in other processes.
    """

    def __init__(self, metric_names: tuple[str, ...]):
        self.metric_names = tuple(metric_names)
        self.count = 0
        self.sums = {m: ExactSum() for m in self.metric_names}
        self.action_counts: dict[str, int] = {}
        self.action_sums: dict[str, dict[str, ExactSum]] = {}

    def add(self, values: dict[str, np.ndarray], actions=None) -> None:
        if set(values) != set(self.metric_names):
            raise ValueError(f"expected values for {self.metric_names}, got {tuple(values)}")
        n = len(next(iter(values.values())))
        if actions is None:
            for m in self.metric_names:
                self.sums[m].add(values[m])
            self.count += n
            return
        labels = np.asarray(actions)
        if labels.shape != (n,):
            raise InputError(f"{labels.shape[0] if labels.ndim else 0} action labels for {n} samples",
                             field="actions", hint="one action label per sample")
        names, inverse = np.unique(labels.astype(str), return_inverse=True)
        for a, name in enumerate(names.tolist()):  # loops over the distinct actions (15 for Human3.6M)
            sel = inverse == a
            self.action_counts[name] = self.action_counts.get(name, 0) + int(sel.sum())
            sums = self.action_sums.setdefault(name, {m: ExactSum() for m in self.metric_names})
            for m in self.metric_names:
                sums[m].add(values[m][sel])
        for m in self.metric_names:
            self.sums[m].add(values[m])
        self.count += n

    def merge(self, other: ErrorSums) -> ErrorSums:
        if other.metric_names != self.metric_names:
            raise ValueError(f"cannot merge sums of {other.metric_names} into sums of {self.metric_names}")
        self.count += other.count
        for m in self.metric_names:
            self.sums[m].merge(other.sums[m])
        for name, count in other.action_counts.items():
            self.action_counts[name] = self.action_counts.get(name, 0) + count
            sums = self.action_sums.setdefault(name, {m: ExactSum() for m in self.metric_names})
            for m in self.metric_names:
                sums[m].merge(other.action_sums[name][m])
        return self

    def frame_mean(self, metric: str) -> float:
        return self.sums[metric].mean(self.count)

    def action_means(self, metric: str) -> dict[str, float]:
        return {a: self.action_sums[a][metric].mean(c) for a, c in sorted(self.action_counts.items())}

    def state(self) -> dict:
        """JSON-ready state (exact sums as decimal strings)."""
        return {"metric_names": list(self.metric_names), "count": self.count,
                "sums": {m: str(s.total) for m, s in self.sums.items()},
                "action_counts": dict(self.action_counts),
                "action_sums": {a: {m: str(s.total) for m, s in sums.items()}
                                for a, sums in self.action_sums.items()}}

    @classmethod
    def from_state(cls, state: dict) -> ErrorSums:
        out = cls(tuple(state["metric_names"]))
        out.count = int(state["count"])
        out.sums = {m: ExactSum(int(v)) for m, v in state["sums"].items()}
        out.action_counts = {a: int(c) for a, c in state["action_counts"].items()}
        out.action_sums = {a: {m: ExactSum(int(v)) for m, v in sums.items()}
                           for a, sums in state["action_sums"].items()}
        return out

    def __eq__(self, other) -> bool:
        return isinstance(other, ErrorSums) and self.state() == other.state()
