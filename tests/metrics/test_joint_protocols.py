"""Joint protocols: which joints, which alignment, per-action averaging, streaming with exact shard merges."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from benchmark.body.frames import rotate_root
from benchmark.body.rotations import rotation_about
from benchmark.body.skeleton import SkeletonBody
from benchmark.errors import InputError, MissingModelFiles
from benchmark.metrics.joint_protocols import (H36M_ACTIONS, HMR2_EVAL_J19, HMR2_PELVIS_J19, PoseErrorAccumulator,
                                               get_joint_protocol, h36m_action)
from benchmark.metrics.pose import pa_mpjpe_per_sample


def joint_errors_mm(pred, gt):
    """Brute force: mean joint distance per sample in mm, one sample and joint at a time."""
    return np.array([np.mean([np.linalg.norm(p - g) for p, g in zip(ps, gs)]) * 1000 for ps, gs in zip(pred, gt)])


# ----------------------------------------------------------------------------------------------- skeleton-22
def test_skeleton_22_scores_the_body_joints_without_alignment(random_poses):
    pred, gt = random_poses(6, seed=1), random_poses(6, seed=2)
    protocol = get_joint_protocol("skeleton-22")
    scores = protocol.score(pred, gt)
    body = SkeletonBody()
    expected = joint_errors_mm(body.joints(pred), body.joints(gt))
    np.testing.assert_allclose(scores["MPJPE"].details["per_sample"], expected, rtol=1e-6)
    assert scores["MPJPE"].value == pytest.approx(expected.mean(), rel=1e-6)
    assert scores["MPJPE"].protocol.startswith("skeleton-22")
    assert protocol.score(gt, gt)["MPJPE"].value == 0.0


def test_global_orientation_counts_for_mpjpe_not_for_pa_mpjpe(random_poses):
    gt = random_poses(5, seed=3)
    turned = rotate_root(gt, rotation_about("z", 0.7)).astype(np.float32)  # same pose, other heading
    scores = get_joint_protocol("skeleton-22").score(turned, gt)
    assert scores["MPJPE"].value > 50.0
    assert scores["PA-MPJPE"].value == pytest.approx(0.0, abs=1e-3)


def test_smplh_52_jtr_uses_all_52_joints_of_the_model(body_models_dir, random_poses):
    from benchmark.body import get_body_model

    pred, gt = random_poses(4, seed=4), random_poses(4, seed=5)
    protocol = get_joint_protocol("smplh-52-jtr", model_dir=body_models_dir)
    p_joints, g_joints = protocol.prepare(pred, gt)
    assert p_joints.shape == (4, 52, 3)
    model = get_body_model("smplh", body_models_dir)
    np.testing.assert_allclose(p_joints, model.joints(pred), atol=1e-6)
    scores = protocol.score(pred, gt)
    np.testing.assert_allclose(scores["MPJPE"].details["per_sample"],
                               joint_errors_mm(model.joints(pred), model.joints(gt)), rtol=1e-5)
    np.testing.assert_allclose(scores["PA-MPJPE"].details["per_sample"],
                               pa_mpjpe_per_sample(model.joints(pred), model.joints(gt)), rtol=1e-6)
    # 22-joint poses get flat hands: the same as passing zero finger rotations explicitly.
    with_hands = np.concatenate([pred, np.zeros((4, 30, 3), np.float32)], axis=1)
    np.testing.assert_allclose(protocol.prepare(with_hands, gt)[0], p_joints, atol=1e-6)


def test_smplh_protocol_without_model_files_says_where_to_get_them(tmp_path):
    with pytest.raises(MissingModelFiles, match="mano.is.tue.mpg.de"):
        get_joint_protocol("smplh-52-jtr", model_dir=tmp_path).prepare(np.zeros((1, 22, 3)), np.zeros((1, 22, 3)))


# ------------------------------------------------------------------------------------------------- hmr2-14
def write_regressor(path, n_vertices=6890, seed=0):
    rng = np.random.default_rng(seed)
    regressor = np.zeros((19, n_vertices))
    for k in range(19):  # each extra joint: a convex combination of a few vertices, as in the real file
        idx = rng.choice(n_vertices, size=8, replace=False)
        regressor[k, idx] = rng.dirichlet(np.ones(8))
    with open(path, "wb") as f:
        pickle.dump(regressor, f, protocol=2)
    return regressor


def test_hmr2_14_regresses_j19_from_the_smpl_mesh_and_centres_the_pelvis(body_models_dir, tmp_path, random_poses):
    from benchmark.body import get_body_model

    regressor = write_regressor(tmp_path / "SMPL_to_J19.pkl")
    pred, gt_poses = random_poses(5, seed=6), random_poses(5, seed=7)
    smpl = get_body_model("smpl", body_models_dir)
    gt_j19 = np.einsum("kv,nvc->nkc", regressor, smpl.vertices(gt_poses).astype(np.float64))
    gt = np.concatenate([gt_j19[:, HMR2_EVAL_J19], gt_j19[:, [HMR2_PELVIS_J19]]], axis=1)  # [N, 15, 3]
    protocol = get_joint_protocol("hmr2-14", model_dir=body_models_dir, regressor_path=tmp_path / "SMPL_to_J19.pkl")
    scores = protocol.score(pred, gt)
    pred_j19 = np.einsum("kv,nvc->nkc", regressor, smpl.vertices(pred).astype(np.float64))
    p = pred_j19[:, HMR2_EVAL_J19] - pred_j19[:, [HMR2_PELVIS_J19]]
    g = gt[:, :14] - gt[:, [14]]
    np.testing.assert_allclose(scores["MPJPE"].details["per_sample"], joint_errors_mm(p, g), rtol=1e-5)
    assert protocol.score(gt_poses, gt)["MPJPE"].value == pytest.approx(0.0, abs=1e-3)
    # the same numbers from J19 joints regressed by the user, and from [N, 15, 3] joints
    np.testing.assert_allclose(protocol.errors(pred_j19, gt)["MPJPE"], scores["MPJPE"].details["per_sample"])
    j15 = np.concatenate([pred_j19[:, HMR2_EVAL_J19], pred_j19[:, [HMR2_PELVIS_J19]]], axis=1)
    np.testing.assert_allclose(protocol.errors(j15, gt)["PA-MPJPE"], scores["PA-MPJPE"].details["per_sample"])


def test_hmr2_14_use_hips_centres_on_the_mid_hip():
    rng = np.random.default_rng(8)
    pred, gt = rng.normal(size=(3, 15, 3)), rng.normal(size=(3, 15, 3))
    protocol = get_joint_protocol("hmr2-14", use_hips=True, regressor=np.eye(19, 6890))
    p = pred[:, :14] - pred[:, [2, 3]].mean(axis=1, keepdims=True)  # right hip, left hip
    g = gt[:, :14] - gt[:, [2, 3]].mean(axis=1, keepdims=True)
    np.testing.assert_allclose(protocol.errors(pred, gt)["MPJPE"], joint_errors_mm(p, g))
    assert "mid-hip" in protocol.protocol


def test_hmr2_14_optional_root_rotation_turns_amass_poses_into_the_camera_frame(body_models_dir, tmp_path,
                                                                                 random_poses):
    write_regressor(tmp_path / "r.pkl")
    poses = random_poses(3, seed=9)
    to_camera = rotation_about("x", np.pi / 2)  # UniPose's AMASS -> camera conversion of the root
    rotated = get_joint_protocol("hmr2-14", model_dir=body_models_dir, regressor_path=tmp_path / "r.pkl",
                                 root_rotation=to_camera)
    plain = get_joint_protocol("hmr2-14", model_dir=body_models_dir, regressor_path=tmp_path / "r.pkl")
    np.testing.assert_allclose(rotated.j19_from_poses(poses),
                               plain.j19_from_poses(rotate_root(poses, to_camera).astype(np.float32)), atol=1e-6)


def test_hmr2_14_missing_or_malformed_regressor(tmp_path, body_models_dir):
    with pytest.raises(MissingModelFiles, match=r"SMPL_to_J19\.pkl.*4D-Humans"):
        _ = get_joint_protocol("hmr2-14", model_dir=body_models_dir).regressor
    with open(tmp_path / "bad.pkl", "wb") as f:
        pickle.dump(np.zeros((24, 6890)), f)
    with pytest.raises(InputError, match=r"bad\.pkl.*\[19, V\]"):
        _ = get_joint_protocol("hmr2-14", regressor_path=tmp_path / "bad.pkl").regressor
    with pytest.raises(InputError, match=r"not \[N, 15, 3\]"):
        get_joint_protocol("hmr2-14", regressor=np.eye(19, 6890)).errors(np.zeros((2, 15, 3)), np.zeros((2, 14, 3)))


# ------------------------------------------------------------------------------------------------- h36m-17
def test_h36m_action_names():
    assert h36m_action("Walking 1") == "Walking"
    assert h36m_action("Photo") == h36m_action("TakingPhoto 1") == "TakingPhoto"
    assert h36m_action("WalkingDog") == h36m_action("WalkDog 1") == "WalkDog"
    assert h36m_action("sittingdown") == "SittingDown"
    assert len(H36M_ACTIONS) == 15
    with pytest.raises(InputError, match="not a Human3.6M action"):
        h36m_action("Dancing")


def test_h36m_p1_per_action_then_over_actions_hand_worked():
    gt = np.zeros((4, 17, 3))
    gt[:, :, 2] = 5.0  # camera-frame depth; made root-relative by the protocol
    pred = np.zeros((4, 17, 3))
    pred[0, :, 0] = 0.010  # Walking: 10 mm
    pred[1, :, 0] = 0.030  # Eating: 30, 50, 70 mm (frame-weighted within the action: 50 mm)
    pred[2, :, 0] = 0.050
    pred[3, :, 0] = 0.070
    actions = ["Walking 1", "Eating", "Eating 2", "Eating"]
    scores = get_joint_protocol("h36m-17").score(pred, gt, actions=actions)
    assert scores["MPJPE (P1)"].value == pytest.approx((10 + 50) / 2)  # unweighted mean of the action means
    assert scores["MPJPE (P1) frame mean"].value == pytest.approx((10 + 30 + 50 + 70) / 4)
    table = scores.details["per_action"]
    assert table["Eating"]["MPJPE"] == pytest.approx(50.0) and table["Eating"]["n"] == 3
    assert table["Walking"]["MPJPE"] == pytest.approx(10.0) and table["Walking"]["n"] == 1
    assert "Sitting" in scores.details["missing_actions"]
    assert scores["PA-MPJPE (P2)"].value == pytest.approx(0.0, abs=1e-9)  # pure translations


def test_h36m_ground_truth_is_root_relative_and_the_prediction_is_not_recentred():
    rng = np.random.default_rng(10)
    gt = rng.normal(scale=0.3, size=(6, 17, 3)) + np.array([0.0, 0.0, 4.0])
    pred = gt - gt[:, :1] + np.array([0.0, 0.02, 0.0])  # a root-relative prediction, 20 mm off
    protocol = get_joint_protocol("h36m-17")
    assert protocol.errors(pred, gt)["MPJPE"] == pytest.approx(np.full(6, 20.0))
    recentred_elsewhere = pred + np.array([0.1, 0.0, 0.0])  # the root offset counts: no re-centring
    assert protocol.errors(recentred_elsewhere, gt)["MPJPE"] == pytest.approx(
        joint_errors_mm(recentred_elsewhere, gt - gt[:, :1]))


def test_h36m_needs_action_labels():
    z = np.zeros((2, 17, 3))
    with pytest.raises(InputError, match="per action"):
        get_joint_protocol("h36m-17").score(z, z)
    with pytest.raises(InputError, match="action labels for 2 samples"):
        get_joint_protocol("h36m-17").score(z, z, actions=["Walking"])
    with pytest.raises(InputError, match=r"not \[N, 17, 3\]"):
        get_joint_protocol("h36m-17").score(np.zeros((2, 16, 3)), np.zeros((2, 16, 3)), actions=["Eating"] * 2)


# ------------------------------------------------------------------------------------------------ streaming
def test_sharded_streaming_equals_one_pass_exactly():
    rng = np.random.default_rng(11)
    n = 500
    gt = rng.normal(scale=0.3, size=(n, 17, 3))
    pred = gt + rng.normal(scale=0.04, size=gt.shape)
    actions = rng.choice(list(H36M_ACTIONS), size=n)
    protocol = get_joint_protocol("h36m-17")
    whole = protocol.score(pred, gt, actions=actions)
    shards = []
    for part in np.array_split(rng.permutation(n), 4):
        acc = protocol.accumulator()
        for batch in np.array_split(part, 3):
            acc.update(pred[batch], gt[batch], actions=actions[batch])
        shards.append(PoseErrorAccumulator.from_state(protocol, json.loads(json.dumps(acc.state()))))
    merged = shards[3].merge(shards[1]).merge(shards[0]).merge(shards[2])
    assert merged.compute().numbers() == whole.numbers()  # bit for bit
    assert merged.compute().details["per_action"] == whole.details["per_action"]


def test_accumulator_guards():
    skeleton = get_joint_protocol("skeleton-22")
    with pytest.raises(InputError, match="no samples"):
        skeleton.accumulator().compute()
    with pytest.raises(ValueError, match="cannot merge"):
        skeleton.accumulator().merge(get_joint_protocol("h36m-17").accumulator())
    with pytest.raises(InputError, match="unknown joint protocol"):
        get_joint_protocol("smpl-24")
