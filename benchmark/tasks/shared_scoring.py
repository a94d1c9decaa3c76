"""Pose estimation scored across skeletons: a task that declares `pa_mpjpe_limbs12` also accepts joints of another
skeleton (`SHARED_JOINT_SETS`, e.g. BlazePose's 33 landmarks) and scores every answer, poses and joints alike, on
the 12 limb joints both skeletons share (`benchmark.metrics.shared_joints`), so that such a model and the pose
models of the board have one number in common.

A pose answer keeps every score of the task's joint protocol and adds the shared-joint one (from the 12 joints of the
protocol's own skeleton). A joints answer has only the shared-joint score: MPJPE, PA-MPJPE and the per-joint
diagnostics of the task's protocol need that protocol's joints, so they are reported as not computed, with the
reason. Joints of the protocol's own body model (`BODY_MODEL_JOINT_SETS`, e.g. a joint lifter's `smpl-body-22` on
skeleton-22) are scored by the protocol itself, as the poses are, except the root orientation (joints have none).
An answer an adapter flags as a fallback (`PoseResponse.extras["fallback"]`, e.g. no person was found) is
scored like any other and counted: `n_fallback` in the score's details, `fallback` in the per-sample records.
"""

from __future__ import annotations

import numpy as np

from benchmark.body.joints import JointSet
from benchmark.errors import BenchmarkError
from benchmark.results import ScoreEntry

SHARED_JOINTS_KEY = "pa_mpjpe_limbs12"
SHARED_JOINT_SETS = ("blazepose-33",)


def fallback_flags(responses) -> np.ndarray:
    return np.array([bool((r.extras or {}).get("fallback", False)) for r in responses], dtype=bool)


def shared_joint_task_scores(task, protocol, responses, pred, truth):
    """(scores, per-item values) of a pose-estimation task that declares the shared-joint score; `pred` holds the
    first sample of each response (poses, or joints of one accepted joint set), `truth` the ground-truth poses."""
    from benchmark.metrics.joint_protocols import BODY_MODEL_JOINT_SETS, BodyModelJoints
    from benchmark.metrics.pose_diagnostics import ROOT_KEY
    from benchmark.metrics.shared_joints import pa_mpjpe_limbs12
    from benchmark.tasks.scoring import entry

    if not isinstance(protocol, BodyModelJoints):
        raise BenchmarkError(f"task {task.name}: {SHARED_JOINTS_KEY} needs a body-model joint protocol "
                             f"(skeleton-22 or smplh-52-jtr), not {protocol.name}; fix the task spec")
    joint_sets = {r.joint_set for r in responses}
    if len(joint_sets) > 1:
        raise BenchmarkError(f"task {task.name}: the adapter answered with poses and joints of "
                             f"{sorted(str(s) for s in joint_sets)} mixed; one kind of answer per run")
    joint_set = next(iter(joint_sets), None)
    ctx, n = task.context, len(responses)
    own = JointSet(protocol.name, protocol.joint_names)
    own_joints = joint_set is not None and joint_set == BODY_MODEL_JOINT_SETS.get(protocol.name)
    if joint_set is None or own_joints:
        if own_joints:  # joints of the protocol's own body model (a joint lifter): scored as the poses are
            protocol = protocol.with_predicted_joints()
        scores, per_item = task.pose_errors(protocol, pred, truth)
        if own_joints and ROOT_KEY in task.spec.metrics:
            scores[ROOT_KEY] = ScoreEntry.not_computed(ROOT_KEY, n, f"the answers are joints of {joint_set}, "
                                                       "not poses: they have no root rotation")
        pred_joints, gt_joints = protocol.prepare(pred, truth)
        pred_set = own
    else:
        _, gt_joints = protocol.prepare(truth, truth)
        reason = (f"the answers are joints of {joint_set}, not poses: the {protocol.name} protocol needs poses; "
                  f"they are scored on the 12 limb joints both skeletons share ({SHARED_JOINTS_KEY})")
        scores = {k: ScoreEntry.not_computed(k, n, reason) for k in task.spec.metrics if k != SHARED_JOINTS_KEY}
        per_item = {}
        pred_joints, pred_set = pred, joint_set
    score = pa_mpjpe_limbs12(pred_joints, pred_set, gt_joints, own)
    flags = fallback_flags(responses)
    scores[SHARED_JOINTS_KEY] = entry(score, SHARED_JOINTS_KEY, seed=ctx.seed, resamples=ctx.bootstrap_resamples)
    scores[SHARED_JOINTS_KEY].details["n_fallback"] = int(flags.sum())
    per_item[SHARED_JOINTS_KEY] = np.asarray(score.details["per_sample"])
    if joint_set is not None and not own_joints:
        per_item["fallback"] = flags
    return scores, per_item
