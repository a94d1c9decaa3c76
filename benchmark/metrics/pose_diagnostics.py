"""Where a pose goes wrong: per-joint and per-body-part errors, and the error of the root orientation.

Diagnostics beside MPJPE and PA-MPJPE, under the task's own joint protocol (`joint_protocols`), so that they add up
to its numbers:

* per joint (`mpjpe_joint@<joint>`): the error of one joint after the protocol's MPJPE alignment (none for
  skeleton-22 and smplh-52-jtr, the pelvis at the origin for hmr2-14, the ground-truth root for h36m-17); the mean
  over the joints is MPJPE;
* per body part (`mpjpe_part@<part>`, parts from the joint names, `benchmark.body.parts`): the mean of those over the
  part's joints; `pa_mpjpe_part@<part>` is the same after PA-MPJPE's similarity Procrustes alignment of the whole
  skeleton. One alignment for all parts, as PA-MPJPE has: the joint-weighted mean of the parts is PA-MPJPE, and an
  arm that is wrong stays wrong (aligning each part on its own would only measure its shape, and a two-joint head
  has no shape to align);
* `root_orientation_error`: the geodesic angle in degrees between the predicted and the ground-truth root
  rotations (joint 0 of the axis-angle poses), for protocols whose ground truth is a pose.

Every value is a mean over frames with its per-sample values for the bootstrap (the per-action averaging of
h36m-17 applies to its headline numbers only).
"""

from __future__ import annotations

import numpy as np

from benchmark.body.parts import BODY_PARTS, part_indices
from benchmark.errors import InputError
from benchmark.metrics.base import Score, Scores, as_float_array, check_same_rows

JOINT_KEY = "mpjpe_joint@{joint}"
PART_KEYS = {"MPJPE": "mpjpe_part@{part}", "PA-MPJPE": "pa_mpjpe_part@{part}"}
ROOT_KEY = "root_orientation_error"
ROOT_PROTOCOL = "geodesic angle between the predicted and the ground-truth root rotations (joint 0), degrees"


def diagnostic_keys(joint_names, root: bool) -> tuple[str, ...]:
    """The result keys of the diagnostics of a protocol scoring `joint_names`: per joint, per part present, and the
    root orientation error when `root` (the ground truth is a pose).

    >>> diagnostic_keys(("pelvis", "left_hip", "left_knee"), root=True)
    ('mpjpe_joint@pelvis', 'mpjpe_joint@left_hip', 'mpjpe_joint@left_knee', 'mpjpe_part@legs', 'mpjpe_part@torso', \
'pa_mpjpe_part@legs', 'pa_mpjpe_part@torso', 'root_orientation_error')
    """
    parts = part_indices(joint_names)
    return (*(JOINT_KEY.format(joint=j) for j in joint_names),
            *(PART_KEYS[m].format(part=p) for m in PART_KEYS for p in parts), *((ROOT_KEY,) if root else ()))


def body_part_errors(joint_errors: dict[str, np.ndarray], joint_names, *, protocol: str = "") -> Scores:
    """Per-joint MPJPE and per-part MPJPE / PA-MPJPE (mm) from per-joint errors [N, J] (the `joint_errors` of a
    joint protocol: "MPJPE" after its MPJPE alignment, "PA-MPJPE" after the Procrustes alignment of the skeleton).

    Scores are named by their result keys; each carries `per_sample` [N] and `joints` (the names it averages).

    >>> errors = {"MPJPE": np.array([[0.0, 30.0, 60.0]]), "PA-MPJPE": np.array([[0.0, 10.0, 20.0]])}
    >>> body_part_errors(errors, ("pelvis", "left_hip", "left_knee")).numbers()
    {'mpjpe_joint@pelvis': 0.0, 'mpjpe_joint@left_hip': 30.0, 'mpjpe_joint@left_knee': 60.0, \
'mpjpe_part@legs': 45.0, 'mpjpe_part@torso': 0.0, 'pa_mpjpe_part@legs': 15.0, 'pa_mpjpe_part@torso': 0.0}
    """
    names = tuple(joint_names)
    arrays = {}
    for metric in PART_KEYS:
        if metric not in joint_errors:
            raise InputError(f"no per-joint {metric} errors (have: {', '.join(joint_errors)})", field="joint_errors")
        arrays[metric] = as_float_array(joint_errors[metric], field=f"joint_errors[{metric}]", ndim=2)
        if arrays[metric].shape[1] != len(names):
            raise InputError(f"{arrays[metric].shape[1]} joints per row but {len(names)} joint names",
                             field=f"joint_errors[{metric}]", hint="one name per column, in the columns' order")
    check_same_rows(arrays["MPJPE"], arrays["PA-MPJPE"], field_a="joint_errors[MPJPE]",
                    field_b="joint_errors[PA-MPJPE]")
    mpjpe = arrays["MPJPE"].astype(np.float64)
    n = len(mpjpe)
    what = f"{protocol}; " if protocol else ""
    scores = [Score(JOINT_KEY.format(joint=j), float(mpjpe[:, i].mean()),
                    f"{what}error of the {j} joint after the MPJPE alignment; mm", n,
                    details={"per_sample": mpjpe[:, i], "joints": [j]})
              for i, j in enumerate(names)]
    parts = part_indices(names)
    for metric, key in PART_KEYS.items():
        errors = arrays[metric].astype(np.float64)
        alignment = "the MPJPE alignment" if metric == "MPJPE" else "similarity Procrustes of the whole skeleton"
        for part, idx in parts.items():
            per_sample = errors[:, idx].mean(axis=1)
            scores.append(Score(key.format(part=part), float(per_sample.mean()),
                                f"{what}{metric} over the {part} joints after {alignment}; mm", n,
                                details={"per_sample": per_sample, "joints": [names[i] for i in idx]}))
    return Scores(f"{what}per-joint and per-body-part errors ({', '.join(BODY_PARTS)}); mm", tuple(scores))


def _quaternions(axis_angle: np.ndarray) -> np.ndarray:
    """Unit quaternions (w, x, y, z) [..., 4] of axis-angle rotations [..., 3], float64."""
    angle = np.linalg.norm(axis_angle, axis=-1, keepdims=True)
    # sin(a/2)/a -> 1/2 as a -> 0 (no division by a zero angle)
    scale = np.where(angle > 1e-12, np.sin(angle / 2) / np.where(angle > 1e-12, angle, 1.0), 0.5)
    return np.concatenate([np.cos(angle / 2), axis_angle * scale], axis=-1)


_ROOT_BLOCK = 4096  # rows at once in root_orientation_errors


def root_orientation_errors(pred_poses, gt_poses) -> np.ndarray:
    """Geodesic angle (degrees, in [0, 180]) between the root rotations (joint 0) of axis-angle poses [N, J, 3],
    float64 [N]. The angle of the relative rotation q_gt^-1 q_pred is 2 atan2(|v|, |w|), which stays exact for small
    angles (an arccos of a trace near 1 does not).

    >>> pred = np.zeros((2, 22, 3)); gt = np.zeros((2, 22, 3))
    >>> pred[0, 0] = [0.0, 0.0, np.pi / 2]; pred[1, 0] = [np.pi, 0.0, 0.0]; gt[1, 0] = [-np.pi, 0.0, 0.0]
    >>> np.round(root_orientation_errors(pred, gt), 6)
    array([90.,  0.])
    """
    n = getattr(pred_poses, "shape", (None,))[0]
    if (isinstance(pred_poses, np.ndarray) and isinstance(gt_poses, np.ndarray) and n is not None
            and n > _ROOT_BLOCK and len(gt_poses) == n):
        # per row: blocks keep the float64 copies of the poses (the peak) to one block, with the same values
        out = np.empty(n, dtype=np.float64)
        for start in range(0, n, _ROOT_BLOCK):
            stop = min(n, start + _ROOT_BLOCK)
            try:
                out[start:stop] = root_orientation_errors(pred_poses[start:stop], gt_poses[start:stop])
            except InputError as exc:
                if not isinstance(exc.row, (int, np.integer)):
                    raise
                raise InputError(exc.message, file=exc.file, row=int(exc.row) + start, field=exc.field,
                                 hint=exc.hint) from None
        return out
    p = as_float_array(pred_poses, field="pred", ndim=3, last_dim=3).astype(np.float64)
    g = as_float_array(gt_poses, field="gt", ndim=3, last_dim=3).astype(np.float64)
    check_same_rows(g, p, field_a="gt", field_b="pred")
    qp, qg = _quaternions(p[:, 0]), _quaternions(g[:, 0])
    w = (qg * qp).sum(axis=1)  # real part of conj(q_gt) * q_pred
    v = qg[:, :1] * qp[:, 1:] - qp[:, :1] * qg[:, 1:] - np.cross(qg[:, 1:], qp[:, 1:])
    return np.degrees(2.0 * np.arctan2(np.linalg.norm(v, axis=1), np.abs(w)))


def root_orientation_error(pred_poses, gt_poses) -> Score:
    """Mean geodesic angle (degrees) between predicted and ground-truth root rotations, with `per_sample`."""
    per_sample = root_orientation_errors(pred_poses, gt_poses)
    return Score(ROOT_KEY, float(per_sample.mean()), ROOT_PROTOCOL, len(per_sample),
                 details={"per_sample": per_sample})
