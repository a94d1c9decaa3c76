"""Posecode operators on hand-built poses, checked against hand-worked values and brute-force loops."""

import numpy as np
import pytest

from benchmark.body.virtual_joints import CAPTIONING_JOINTS
from benchmark.posecodes import operators as ops
from benchmark.posecodes.extract import posecode_arrays
from benchmark.posecodes.inputs import captioning_rotations, prepare_joints
from benchmark.posecodes.table import OPERATORS, posecode_table
from tests.captioning.helpers import joints, kneeling, upright, with_rotations

IDX = {n: i for i, n in enumerate(CAPTIONING_JOINTS.names)}


def category(arrays, kind, joint_names, row=0):
    table = arrays.table
    col = table.column(kind, tuple(joint_names)) - table.kind_slices[kind].start
    return OPERATORS[kind].categories[arrays.categories[kind][row, col]]


def test_binning_matches_a_brute_force_loop():
    rng = np.random.default_rng(0)
    thresholds = (-0.15, -0.05, 0.05, 0.15)
    values = np.concatenate([rng.uniform(-0.3, 0.3, 500), np.array(thresholds)])  # exact thresholds included
    want = []
    for v in values:  # upstream's rule: the smallest i with v <= thr[i], else the last category
        want.append(next((i for i, t in enumerate(thresholds) if v <= t), len(thresholds)))
    np.testing.assert_array_equal(ops.bin_values(values, thresholds), want)


def test_angle_distance_and_axis_on_placed_joints():
    j = np.zeros((1, 35, 3))
    j[0, 0] = [0, 0, 0]
    j[0, 1] = [1, 0, 0]
    j[0, 2] = [0, 2, 0]
    j[0, 3] = [-1, 0, 0]
    j[0, 4] = [1, 1, 0]
    assert ops.angle(j, np.array([[1, 0, 2]]))[0, 0] == pytest.approx(90.0)
    assert ops.angle(j, np.array([[1, 0, 3]]))[0, 0] == pytest.approx(180.0)
    assert ops.angle(j, np.array([[1, 0, 4]]))[0, 0] == pytest.approx(45.0)
    assert ops.distance(j, np.array([[1, 3], [0, 2]]))[0].tolist() == pytest.approx([2.0, 2.0])
    assert ops.relative_position(j, np.array([[2, 1]]), 1)[0, 0] == pytest.approx(2.0)
    assert ops.vertical_axis_angle(j, np.array([[0, 2], [2, 0], [0, 1], [0, 4]]))[0].tolist() == pytest.approx(
        [0.0, 0.0, 90.0, 45.0])


@pytest.mark.parametrize("flex_deg, want", [(0, "straight"), (10, "straight"), (30, "slightly bent"),
                                            (60, "bent less"), (90, "right angle"), (120, "bent more"),
                                            (150, "completely bent")])
def test_elbow_angle_categories_from_fk(flex_deg, want):
    # the rest arm is straight; flexing the elbow by t about the vertical makes the elbow angle 180 - t
    pose = with_rotations(left_elbow=(0, -np.radians(flex_deg), 0))
    j = prepare_joints(joints(pose))
    angle = ops.angle(j, np.array([[IDX["left_shoulder"], IDX["left_elbow"], IDX["left_wrist"]]]))[0, 0]
    assert angle == pytest.approx(180.0 - flex_deg, abs=1e-3)
    a = posecode_arrays(joints(pose))
    assert category(a, "angle", ("left_shoulder", "left_elbow", "left_wrist")) == want
    assert category(a, "angle", ("right_shoulder", "right_elbow", "right_wrist")) == "straight"


@pytest.mark.parametrize("gap, want", [(0.1, "close"), (0.3, "shoulder width"), (0.6, "spread"), (1.0, "wide")])
def test_hand_distance_categories(gap, want):
    j = joints(upright())
    j[0, 20] = [gap / 2, 0.2, 0.3]  # wrists, placed directly; the hands are wrist -> prosthesis phalanx midpoints
    j[0, 21] = [-gap / 2, 0.2, 0.3]
    j[0, 18] = [gap / 2, 0.2, 0.0]  # elbows behind the wrists: the phalanxes point forward, keeping the gap
    j[0, 19] = [-gap / 2, 0.2, 0.0]
    assert category(posecode_arrays(j), "distance", ("left_hand", "right_hand")) == want


def test_raised_foot_is_above_and_thigh_becomes_horizontal():
    pose = with_rotations(left_hip=(-np.pi / 2, 0, 0))  # hip flexion: the left leg straight out in front
    a = posecode_arrays(joints(pose))
    assert category(a, "relativePosY", ("left_foot", "right_foot")) == "above"
    assert category(a, "relativeVAxis", ("left_hip", "left_knee")) == "horizontal"
    assert category(a, "relativeVAxis", ("right_hip", "right_knee")) == "vertical"
    assert category(a, "relativePosZ", ("left_foot", "torso")) == "front"
    assert category(a, "onGround", ("right_foot",)) == "on_ground"
    assert category(a, "onGround", ("left_foot",)) != "on_ground"


def test_torso_bent_60_degrees_forward():
    pose = upright()
    pose[0, 0] = [np.pi / 2 + np.radians(60), 0, 0]  # the whole body pitched 60 deg toward its front
    j = prepare_joints(joints(pose))
    # independent value: the rest pelvis -> mid-shoulder vector, rotated by 60 deg about x, against +y
    rest = prepare_joints(joints(upright()))[0]
    up = 0.5 * (rest[IDX["left_shoulder"]] + rest[IDX["right_shoulder"]]) - rest[IDX["pelvis"]]
    want = np.degrees(np.arctan2(up[2], up[1])) + 60
    assert ops.body_incline(j)[0, 0] == pytest.approx(want, abs=1e-3)
    assert category(posecode_arrays(joints(pose)), "bodyInclineX", (
        "left_shoulder", "right_shoulder", "pelvis", "left_ankle", "right_ankle")) == "body incline forward"


def test_lying_flat_is_a_horizontal_torso_and_not_bent():
    pose = upright()
    pose[0, 0] = [0, 0, 0]  # lying on the back in the z-up AMASS frame
    a = posecode_arrays(joints(pose))
    incline = ("left_shoulder", "right_shoulder", "pelvis", "left_ankle", "right_ankle")
    assert category(a, "relativeVAxis", ("pelvis", "left_shoulder")) == "horizontal"
    assert category(a, "bodyInclineX", incline) == "body_ignored_x_incline"  # forced to 0: not upright
    torso = [k for k, sp in enumerate(a.table.supers) if sp.name == "torso_horizontal"][0]
    assert a.super_posecodes[0, torso]


def test_twist_and_lean_signs():
    incline = ("left_shoulder", "right_shoulder", "pelvis", "left_ankle", "right_ankle")
    twisted = with_rotations(spine3=(0, -np.radians(60), 0))  # the left shoulder comes forward
    j = prepare_joints(joints(twisted))
    assert ops.body_incline(j)[0, 1] == pytest.approx(60.0, abs=0.01)
    assert category(posecode_arrays(joints(twisted)), "bodyInclineY", incline) == "body twist right"
    leaning = with_rotations(spine1=(0, 0, -np.radians(60)))  # the trunk tips toward the body's left (+x)
    j = prepare_joints(joints(leaning))
    upper = 0.5 * (j[0, IDX["left_shoulder"]] + j[0, IDX["right_shoulder"]]) - j[0, IDX["pelvis"]]
    want = np.degrees(np.arcsin(upper[0] / np.linalg.norm(upper)))  # the angle to the body's mid plane
    assert ops.body_incline(j)[0, 2] == pytest.approx(want, abs=1e-6)
    assert want > 30
    a = posecode_arrays(joints(leaning))
    assert category(a, "bodyInclineZ", incline) == "body lean left"
    assert category(a, "relativePosY", ("left_shoulder", "right_shoulder")) == "below"


@pytest.mark.parametrize("rotation, kind, joints_, want", [
    ((0, np.radians(40), 0), "relativeRotY", ("head", "pelvis"), "turn left"),
    ((0, -np.radians(20), 0), "relativeRotY", ("head", "pelvis"), "turn right slightly"),
    ((np.radians(40), 0, 0), "relativeRotX", ("head", "neck"), "incline forward"),
    ((-np.radians(60), 0, 0), "relativeRotX", ("head", "neck"), "incline backward"),
    ((0, 0, np.radians(40)), "relativeRotZ", ("head", "neck"), "incline right"),
])
def test_head_rotation_codes(rotation, kind, joints_, want):
    pose = with_rotations(head=rotation)
    a = posecode_arrays(joints(pose), rotations=pose)
    assert category(a, kind, joints_) == want
    # the head's local rotation is the whole relative rotation here: Euler angles of the one rotation
    r = ops.relative_rotation(captioning_rotations(pose, 1), np.array([[15, 12]]))[0, 0]
    np.testing.assert_allclose(r, np.degrees(rotation), atol=1e-4)
    assert kind not in posecode_arrays(joints(pose)).categories  # no rotations: no head codes


def test_head_turn_is_measured_against_the_facing_direction():
    # a whole-body turn (heading) is normalised away; pitching the body does not leak into the head turn
    pose = with_rotations(head=(0, np.radians(40), 0))
    tilted = pose.copy()
    tilted[0, 0] = [np.pi / 2 + np.radians(20), 0, 0]
    a = posecode_arrays(joints(tilted), rotations=tilted)
    assert category(a, "relativeRotY", ("head", "pelvis")) == "turn left"


def test_kneeling_fires_the_kneeling_super_posecode():
    a = posecode_arrays(joints(kneeling()))
    names = {a.table.supers[k].name for k in np.flatnonzero(a.super_posecodes[0])}
    assert "kneeling" in names
    assert category(a, "onGround", ("left_knee",)) == "on_ground"
    standing = posecode_arrays(joints(upright()))
    assert not standing.super_posecodes[0, [k for k, sp in enumerate(a.table.supers) if sp.name == "kneeling"]].any()


def test_noise_stays_within_delta_and_is_seeded():
    table = posecode_table()
    values = np.zeros((200, table.n_columns))
    noisy = ops.add_noise(values, table.noise, np.random.default_rng(3))
    assert (np.abs(noisy) <= table.noise).all()
    assert (np.abs(noisy).max(axis=0) > 0.9 * table.noise).all()  # the full range is used
    np.testing.assert_array_equal(noisy, ops.add_noise(values, table.noise, np.random.default_rng(3)))


def test_prosthesis_phalanx_for_22_joints_matches_real_52_joint_input():
    j22 = joints(with_rotations(left_elbow=(0, -1.0, 0)))
    j35 = prepare_joints(j22)
    wrist, elbow = j22[0, 20], j22[0, 18]
    phalanx = wrist + 0.1367 * (wrist - elbow) / np.linalg.norm(wrist - elbow)
    np.testing.assert_allclose(j35[0, IDX["left_middle2"]], phalanx, atol=1e-9)
    j52 = np.zeros((1, 52, 3))
    j52[0, :22] = j22[0]
    j52[0, 22 + 4] = phalanx  # SMPL-H left_middle2
    j52[0, 37 + 4] = j35[0, IDX["right_middle2"]]
    np.testing.assert_allclose(prepare_joints(j52), j35, atol=1e-9)
