"""Where a pose goes wrong: body parts from joint names, per-joint and per-part errors under each joint protocol's
alignment, and the root orientation error, on hand-worked cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from benchmark.body.joints import H36M_17, SMPL_BODY_JOINT_NAMES, SMPLH_JOINT_NAMES
from benchmark.body.parts import part_indices, part_of
from benchmark.body.skeleton import SkeletonBody
from benchmark.errors import InputError
from benchmark.metrics.joint_protocols import HMR2_EVAL_NAMES, get_joint_protocol
from benchmark.metrics.pose_diagnostics import (body_part_errors, diagnostic_keys, root_orientation_error,
                                                root_orientation_errors)
from benchmark.metrics.specs import metric_spec
from benchmark.tasks.scoring import pose_error_scores

J = {name: i for i, name in enumerate(SMPL_BODY_JOINT_NAMES)}


def names_of(indices, names=SMPL_BODY_JOINT_NAMES):
    return {names[i] for i in indices}


# ------------------------------------------------------------------------------------------------------ body parts
def test_the_smpl_body_joints_split_into_four_parts():
    parts = part_indices(SMPL_BODY_JOINT_NAMES)
    assert names_of(parts["arms"]) == {f"{s}_{j}" for s in ("left", "right") for j in ("shoulder", "elbow", "wrist")}
    assert names_of(parts["legs"]) == {f"{s}_{j}" for s in ("left", "right") for j in ("hip", "knee", "ankle", "foot")}
    assert names_of(parts["torso"]) == {"pelvis", "spine1", "spine2", "spine3", "left_collar", "right_collar"}
    assert names_of(parts["head"]) == {"neck", "head"}
    assert sum(len(i) for i in parts.values()) == 22


def test_other_joint_sets_split_by_the_same_words():
    smplh = part_indices(SMPLH_JOINT_NAMES)
    assert len(smplh["arms"]) == 6 + 30  # the fingers belong to the arms
    h36m = part_indices(H36M_17.names)
    assert names_of(h36m["torso"], H36M_17.names) == {"pelvis", "spine", "thorax"}
    assert names_of(h36m["head"], H36M_17.names) == {"nose", "head"}
    hmr2 = part_indices(HMR2_EVAL_NAMES)
    assert "torso" not in hmr2  # the 14 LSP-style joints have none
    assert names_of(hmr2["head"], HMR2_EVAL_NAMES) == {"neck_lsp", "head_h36m"}
    with pytest.raises(InputError, match="joint 'tail'"):
        part_of("tail")


def test_diagnostic_keys_follow_the_protocol():
    keys = diagnostic_keys(HMR2_EVAL_NAMES, root=False)
    assert "mpjpe_part@torso" not in keys and "root_orientation_error" not in keys
    assert len([k for k in keys if k.startswith("mpjpe_joint@")]) == 14
    for key in diagnostic_keys(SMPLH_JOINT_NAMES, root=True):
        spec = metric_spec(key)  # every one is declared, with its unit and direction
        assert spec.unit in ("mm", "deg") and spec.higher_is_better is False and spec.group


# -------------------------------------------------------------------------------- per-joint and per-part errors
def _rest_arm_offsets():
    rest = SkeletonBody().rest_joints.double().numpy()
    return rest[J["left_elbow"]] - rest[J["left_shoulder"]], rest[J["left_wrist"]] - rest[J["left_shoulder"]]


def test_turning_the_left_shoulder_only_moves_the_arm_joints_it_carries():
    gt = np.zeros((2, 22, 3), np.float32)  # the rest pose, upright root
    gt[:, 0] = [np.pi / 2, 0.0, 0.0]
    pred = gt.copy()
    upper_arm, shoulder_to_wrist = _rest_arm_offsets()
    axis = np.cross(upper_arm, [0.0, 0.0, 1.0])
    axis /= np.linalg.norm(axis)
    theta = np.radians(50.0)
    pred[0, J["left_shoulder"]] = axis * theta  # row 0: the left shoulder turned by 50 deg; row 1: exact
    protocol = get_joint_protocol("skeleton-22")
    errors = protocol.joint_errors(pred, gt)
    scores = body_part_errors(errors, protocol.joint_names)

    # In the rest pose every parent frame is the root's, a rotation, so distances are those of the local offsets:
    # the elbow moves along a chord 2 |o| sin(theta / 2) (axis perpendicular to the upper arm), the wrist by
    # |R o_w - o_w| with R the same rotation (scipy's, an independent implementation).
    elbow = 1000 * 2 * np.linalg.norm(upper_arm) * np.sin(theta / 2)
    wrist = 1000 * np.linalg.norm(Rotation.from_rotvec(axis * theta).apply(shoulder_to_wrist) - shoulder_to_wrist)
    moved = {j for j in SMPL_BODY_JOINT_NAMES if errors["MPJPE"][0, J[j]] > 1e-9}
    assert moved == {"left_elbow", "left_wrist"}
    assert errors["MPJPE"][0, J["left_elbow"]] == pytest.approx(elbow, rel=1e-6)
    assert errors["MPJPE"][0, J["left_wrist"]] == pytest.approx(wrist, rel=1e-6)
    assert scores["mpjpe_part@arms"].details["per_sample"][0] == pytest.approx((elbow + wrist) / 6, rel=1e-6)
    for part in ("legs", "torso", "head"):
        assert scores[f"mpjpe_part@{part}"].value == 0.0
    assert scores["mpjpe_part@arms"].value == pytest.approx((elbow + wrist) / 12, rel=1e-6)  # row 1 is exact
    assert scores["mpjpe_joint@left_elbow"].value == pytest.approx(elbow / 2, rel=1e-6)


def test_the_parts_add_up_to_the_protocols_mpjpe_and_pa_mpjpe(random_poses):
    pred, gt = random_poses(7, seed=4), random_poses(7, seed=5)
    protocol = get_joint_protocol("skeleton-22")
    headline = protocol.score(pred, gt)
    scores = body_part_errors(protocol.joint_errors(pred, gt), protocol.joint_names)
    parts = part_indices(protocol.joint_names)
    for metric, key in (("MPJPE", "mpjpe_part@{}"), ("PA-MPJPE", "pa_mpjpe_part@{}")):
        weighted = sum(len(idx) * scores[key.format(p)].details["per_sample"] for p, idx in parts.items()) / 22
        np.testing.assert_allclose(weighted, headline[metric].details["per_sample"], rtol=1e-12)
    joints = np.mean([scores[f"mpjpe_joint@{j}"].details["per_sample"] for j in SMPL_BODY_JOINT_NAMES], axis=0)
    np.testing.assert_allclose(joints, headline["MPJPE"].details["per_sample"], rtol=1e-12)


def test_per_joint_errors_use_the_protocols_own_alignment():
    rng = np.random.default_rng(0)
    gt = rng.normal(scale=0.3, size=(3, 15, 3))
    # hmr2-14 centres each skeleton on its pelvis (the 15th row): a translated prediction has no error at all ...
    hmr2 = get_joint_protocol("hmr2-14")
    shifted = gt + [0.4, -0.2, 1.0]
    assert np.abs(hmr2.joint_errors(shifted, gt)["MPJPE"]).max() < 1e-9
    # ... and a wrong left wrist only errs there
    wrong = shifted.copy()
    wrong[:, HMR2_EVAL_NAMES.index("left_wrist")] += [0.03, 0.04, 0.0]
    scores = body_part_errors(hmr2.joint_errors(wrong, gt), hmr2.joint_names)
    assert scores["mpjpe_joint@left_wrist"].value == pytest.approx(50.0)
    assert scores["mpjpe_part@arms"].value == pytest.approx(50.0 / 6)
    assert scores["mpjpe_part@legs"].value == pytest.approx(0.0, abs=1e-9)
    # h36m-17 makes the ground truth root-relative and leaves the prediction where it is: every joint of an
    # absolute prediction is off by the ground truth's root position
    gt17 = rng.normal(scale=0.3, size=(2, 17, 3))
    errors = get_joint_protocol("h36m-17").joint_errors(gt17, gt17)["MPJPE"]
    np.testing.assert_allclose(errors, np.repeat(1000 * np.linalg.norm(gt17[:, 0], axis=1)[:, None], 17, axis=1))


# --------------------------------------------------------------------------------------------- root orientation
def test_root_orientation_error_is_the_angle_of_the_rotation_between_the_roots():
    rng = np.random.default_rng(1)
    gt_roots = Rotation.random(5, random_state=2)
    turns = [10.0, 45.0, 90.0, 179.0, 0.0]
    axes = rng.normal(size=(5, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    pred_roots = gt_roots * Rotation.from_rotvec(axes * np.radians(turns)[:, None])
    gt, pred = np.zeros((5, 22, 3)), np.zeros((5, 22, 3))
    gt[:, 0], pred[:, 0] = gt_roots.as_rotvec(), pred_roots.as_rotvec()
    pred[:, 5] = 0.3  # the body joints play no part
    np.testing.assert_allclose(root_orientation_errors(pred, gt), turns, atol=1e-7)
    assert root_orientation_error(pred, gt).value == pytest.approx(np.mean(turns))
    # the same rotation written the long way round (angle 2 pi - a about -axis) is no error
    long_way = gt.copy()
    angle = np.linalg.norm(gt[:, 0], axis=1, keepdims=True)
    long_way[:, 0] = -gt[:, 0] / angle * (2 * np.pi - angle)
    np.testing.assert_allclose(root_orientation_errors(long_way, gt), 0.0, atol=1e-6)


def test_task_scoring_returns_exactly_the_declared_diagnostics(random_poses):
    pred, gt = random_poses(12, seed=6), random_poses(12, seed=7)
    protocol = get_joint_protocol("skeleton-22")
    declared = ("mpjpe", "pa_mpjpe", "mpjpe_part@arms", "pa_mpjpe_part@head", "mpjpe_joint@left_knee",
                "root_orientation_error")
    entries, per_item = pose_error_scores(protocol, pred, gt, seed=0, resamples=200, declared=declared)
    assert set(entries) == set(declared) and set(per_item) == set(declared)
    arms = entries["mpjpe_part@arms"]
    assert arms.unit == "mm" and arms.higher_is_better is False and arms.details["group"] == "body parts"
    assert arms.ci_low < arms.value < arms.ci_high
    assert entries["root_orientation_error"].unit == "deg"
    np.testing.assert_allclose(per_item["root_orientation_error"], root_orientation_errors(pred, gt))
    with pytest.raises(InputError, match="12 rows in 'gt' but 3 in 'pred'"):
        root_orientation_errors(pred[:3], gt)
