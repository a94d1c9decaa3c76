"""Joints of one skeleton scored against the ground truth of another, on the joints both name.

An estimator with its own skeleton (BlazePose's 33 landmarks, a COCO keypoint model, a Human3.6M lifter) cannot be
scored with a body-model protocol that needs a pose, and its joints do not sit where the ground truth's do (a
landmark "hip" is not the SMPL hip joint). What both skeletons do share is the limbs: shoulders, elbows, wrists,
hips, knees and ankles (`benchmark.body.joints.LIMB_JOINTS_12`). The protocol here takes those joints from each side
by name and reports PA-MPJPE on them: the prediction mapped onto the ground truth by the per-sample similarity
Procrustes (rotation, scale, translation, no reflection; `pose.procrustes_align`), so that neither the skeletons'
frames, their roots nor their absolute scale matter. What remains is the difference in joint placement between the
two skeletons (a floor no model beats) plus the model's error; a row of a pose model scored the same way on its own
skeleton's 12 joints is the comparison.
"""

from __future__ import annotations

import numpy as np

from benchmark.body.joints import JOINT_SETS, LIMB_JOINTS_12, JointSet
from benchmark.errors import InputError
from benchmark.metrics.base import Score
from benchmark.metrics.pose import MM_PER_M, check_joint_pair, per_joint_errors, procrustes_align

LIMBS_12_PROTOCOL = ("limbs-12: the 12 limb joints both skeletons name (shoulders, elbows, wrists, hips, knees, "
                     "ankles), taken by name from each; similarity Procrustes (prediction -> ground truth, scale, no "
                     "reflection); mm")


def joint_set(name_or_set: str | JointSet, field: str) -> JointSet:
    if isinstance(name_or_set, JointSet):
        return name_or_set
    if name_or_set not in JOINT_SETS:
        raise InputError(f"unknown joint set {name_or_set!r}", field=field,
                         hint=f"one of {', '.join(sorted(JOINT_SETS))}")
    return JOINT_SETS[name_or_set]


def select_joints(joints, joints_of: str | JointSet, names=LIMB_JOINTS_12, field: str = "pred") -> np.ndarray:
    """The joints `names` (in that order) out of `joints` [N, J, 3] of joint set `joints_of`."""
    js = joint_set(joints_of, field + "_joint_set")
    arr = np.asarray(joints)
    if arr.ndim != 3 or arr.shape[1] != len(js) or arr.shape[2] != 3:
        raise InputError(f"shape {list(arr.shape)} is not [N, {len(js)}, 3] (joint set {js.name})", field=field)
    missing = [n for n in names if n not in js.names]
    if missing:
        raise InputError(f"joint set {js.name} has no {', '.join(missing)}", field=field + "_joint_set",
                         hint="the shared-joint protocol needs every joint it scores on both sides")
    return arr[:, js.indices(names)]


def shared_joint_errors(pred, pred_joint_set, gt, gt_joint_set, names=LIMB_JOINTS_12) -> np.ndarray:
    """Per-sample PA-MPJPE in mm (float64 [N]) on the joints `names` of both skeletons."""
    p, g = check_joint_pair(select_joints(pred, pred_joint_set, names, "pred"),
                            select_joints(gt, gt_joint_set, names, "gt"))
    return MM_PER_M * per_joint_errors(procrustes_align(p, g), g).mean(axis=1)


def pa_mpjpe_limbs12(pred, pred_joint_set, gt, gt_joint_set) -> Score:
    """PA-MPJPE (mm) on the 12 limb joints both skeletons share; `per_sample` in the details for the bootstrap."""
    errors = shared_joint_errors(pred, pred_joint_set, gt, gt_joint_set)
    return Score("PA-MPJPE limbs-12", float(errors.mean()), LIMBS_12_PROTOCOL, len(errors),
                 details={"per_sample": errors, "pred_joint_set": joint_set(pred_joint_set, "pred").name,
                          "gt_joint_set": joint_set(gt_joint_set, "gt").name})
