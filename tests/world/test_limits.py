import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from benchmark.body.joints import SMPL_BODY_22
from benchmark.body.skeleton import SkeletonBody
from benchmark.errors import InputError
from datasets_build.world.limits import BODY_JOINT_NAMES, JOINT_KINDS, LIMITS, anatomical_to_euler, \
    axis_angle_to_euler, check_limits, clamp_to_limits, euler_to_axis_angle, joint_kind, mirror_euler

BODY = SkeletonBody()
REST = BODY.joints(np.zeros((1, 22, 3), np.float32))[0].astype(np.float64)
SIDES = ("left", "right")
OUTWARD = {"left": 1.0, "right": -1.0}  # +x is the body's left in SMPL's canonical frame


def pose_from(**motions) -> np.ndarray:
    """One pose [22, 3] with identity root (SMPL canonical frame: y up, facing +z) from "joint__motion" degrees."""
    euler = np.zeros((21, 3))
    for key, value in motions.items():
        joint, motion = key.split("__")
        euler[SMPL_BODY_22.index(joint) - 1] += anatomical_to_euler(joint, **{motion: value})
    pose = np.zeros((22, 3), np.float32)
    pose[1:] = euler_to_axis_angle(euler)
    return pose


def moved(joint: str, **motions) -> np.ndarray:
    """Displacement [3] of `joint` from the T-pose under the given motions, by forward kinematics."""
    return BODY.joints(pose_from(**motions)[None])[0, SMPL_BODY_22.index(joint)] - REST[SMPL_BODY_22.index(joint)]


def local_rotation(joint: str, **motions) -> np.ndarray:
    return Rotation.from_rotvec(pose_from(**{f"{joint}__{m}": v for m, v in motions.items()})
                                [SMPL_BODY_22.index(joint)]).as_matrix()


# ---- signs, derived with forward kinematics -------------------------------------------------------------------

@pytest.mark.parametrize("side", SIDES)
def test_leg_signs(side):
    s = OUTWARD[side]
    knee = moved(f"{side}_knee", **{f"{side}_hip__flexion": 60})
    assert knee[2] > 0.3 and knee[1] > 0.15  # hip flexion brings the knee forward and up
    assert moved(f"{side}_knee", **{f"{side}_hip__flexion": -20})[2] < -0.1  # extension: backward
    assert s * moved(f"{side}_knee", **{f"{side}_hip__abduction": 30})[0] > 0.15  # abduction: outward
    # external rotation turns the toes out; with the knee bent it swings the foot in, towards the midline
    assert s * moved(f"{side}_foot", **{f"{side}_hip__external_rotation": 30})[0] > 0.03
    assert s * moved(f"{side}_ankle", **{f"{side}_hip__external_rotation": 30, f"{side}_knee__flexion": 90})[0] < -0.1
    # knee flexion takes the ankle behind the thigh line (the thigh line is vertical here)
    ankle = moved(f"{side}_ankle", **{f"{side}_knee__flexion": 60})
    assert ankle[2] < -0.3 and ankle[1] > 0.1
    assert s * moved(f"{side}_ankle", **{f"{side}_knee__abduction": 6})[0] > 0.03
    # plantarflexion points the toes down, ankle abduction turns them out
    assert moved(f"{side}_foot", **{f"{side}_ankle__plantarflexion": 40})[1] < -0.05
    assert moved(f"{side}_foot", **{f"{side}_ankle__plantarflexion": -20})[1] > 0.03
    assert s * moved(f"{side}_foot", **{f"{side}_ankle__abduction": 20})[0] > 0.03
    # inversion turns the sole (-y at rest) towards the midline
    sole = local_rotation(f"{side}_ankle", inversion=20) @ np.array([0.0, -1.0, 0.0])
    assert s * sole[0] < -0.3


@pytest.mark.parametrize("side", SIDES)
def test_arm_signs(side):
    s = OUTWARD[side]
    assert moved(f"{side}_elbow", **{f"{side}_shoulder__elevation": 45})[1] > 0.15  # raises the arm
    down = BODY.joints(pose_from(**{f"{side}_shoulder__elevation": -90})[None])[0]
    shoulder, elbow, wrist = (SMPL_BODY_22.index(f"{side}_{j}") for j in ("shoulder", "elbow", "wrist"))
    np.testing.assert_allclose(down[wrist, [0, 2]], down[shoulder, [0, 2]], atol=1e-5)  # -90: by the side
    assert down[wrist, 1] < down[shoulder, 1] - 0.4
    assert moved(f"{side}_elbow", **{f"{side}_shoulder__flexion": 45})[2] > 0.15  # flexion: arm forward
    # external rotation (elbow bent 90) turns the forearm up
    assert moved(f"{side}_wrist", **{f"{side}_shoulder__external_rotation": 45, f"{side}_elbow__flexion": 90})[1] > 0.1
    # elbow flexion brings the hand forward and inward
    hand = moved(f"{side}_wrist", **{f"{side}_elbow__flexion": 60})
    assert hand[2] > 0.15 and s * hand[0] < -0.05
    assert moved(f"{side}_wrist", **{f"{side}_elbow__valgus": 10})[1] > 0.02
    assert moved(f"{side}_shoulder", **{f"{side}_collar__elevation": 20})[1] > 0.03  # shrug
    assert moved(f"{side}_shoulder", **{f"{side}_collar__protraction": 20})[2] > 0.03
    # the 22-joint skeleton has no joint below the wrist and forearm twist moves no joint: check the frames
    palm = np.array([0.0, -1.0, 0.0])  # palms face down in the T-pose
    assert (local_rotation(f"{side}_elbow", supination=30) @ palm)[2] > 0.3  # the palm turns forward, then up
    bone = np.array([s, 0.0, 0.0])
    assert (local_rotation(f"{side}_wrist", flexion=30) @ bone)[1] < -0.3  # the hand bends to the palm side
    assert (local_rotation(f"{side}_wrist", radial_deviation=15) @ bone)[2] > 0.2  # towards the thumb (forward)


def test_spine_and_head_signs():
    for joint in ("spine1", "spine2", "spine3", "neck"):
        assert moved("head", **{f"{joint}__flexion": 20})[2] > 0.02  # flexion bends forward
        assert moved("head", **{f"{joint}__lateral_bend_left": 15})[0] > 0.01  # towards the body's left
    assert moved("left_shoulder", spine3__rotation_left=20)[2] < -0.03  # turning left: left shoulder back
    assert moved("right_shoulder", spine3__rotation_left=20)[2] > 0.03
    nose = np.array([0.0, 0.0, 1.0])  # the face looks along +z
    assert (local_rotation("head", rotation_left=30) @ nose)[0] > 0.3
    assert (local_rotation("head", flexion=30) @ nose)[1] < -0.3  # chin down


# ---- ranges and the Euler parameterisation --------------------------------------------------------------------

def test_middle_euler_angle_stays_strictly_inside_90_degrees():
    assert (np.abs(LIMITS.lower[:, 1]) < 90).all() and (np.abs(LIMITS.upper[:, 1]) < 90).all()
    assert (LIMITS.lower[:, [0, 2]] > -180).all() and (LIMITS.upper[:, [0, 2]] < 180).all()


def test_ranges_follow_anatomy():
    def rng(kind, motion):
        m = JOINT_KINDS[kind].motions[JOINT_KINDS[kind].motion_index(motion)]
        return m.lower, m.upper

    assert rng("knee", "flexion")[0] >= -5 and rng("knee", "flexion")[1] >= 140  # no hyperextension beyond 5
    assert rng("elbow", "flexion")[0] >= -5 and 140 <= rng("elbow", "flexion")[1] <= 155
    assert rng("hip", "flexion")[1] >= 120 and rng("hip", "flexion")[0] >= -30
    lo, hi = rng("shoulder", "elevation")
    assert lo <= -90 and hi >= 90  # the arm goes from by the side to straight up
    for kind in ("spine1", "spine2", "spine3"):
        assert all(max(abs(m.lower), abs(m.upper)) <= 45 for m in JOINT_KINDS[kind].motions)
    assert all(max(abs(m.lower), abs(m.upper)) <= 35 for m in JOINT_KINDS["collar"].motions)


def test_convention_matches_scipy_intrinsic_euler():
    rng = np.random.default_rng(0)
    euler = rng.uniform(LIMITS.lower, LIMITS.upper, size=(50, 21, 3))
    aa = euler_to_axis_angle(euler)
    for b in range(21):
        want = Rotation.from_euler(LIMITS.conventions[b], euler[:, b], degrees=True).as_rotvec()
        np.testing.assert_allclose(aa[:, b], want, atol=2e-6)


def test_decomposition_inverts_inside_the_box_even_at_the_corners():
    rng = np.random.default_rng(1)
    inside = rng.uniform(LIMITS.lower, LIMITS.upper, size=(2000, 21, 3))
    corners = np.where(rng.random((256, 21, 3)) < 0.5, LIMITS.lower, LIMITS.upper)
    for euler in (inside, corners):
        back = axis_angle_to_euler(euler_to_axis_angle(euler))
        assert np.abs(back - euler).max() < 5e-3


def test_limit_box_is_mirror_symmetric():
    lo, hi = mirror_euler(LIMITS.lower), mirror_euler(LIMITS.upper)
    np.testing.assert_array_equal(np.minimum(lo, hi), LIMITS.lower)
    np.testing.assert_array_equal(np.maximum(lo, hi), LIMITS.upper)
    assert joint_kind("left_foot").name == "toes" and joint_kind("spine2").name == "spine2"
    np.testing.assert_array_equal(anatomical_to_euler("right_hip", abduction=20, flexion=30),
                                  [-30.0, -20.0, 0.0])  # X kept, Z negated on the right


# ---- check_limits and clamp_to_limits -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def in_box_poses():
    euler = np.random.default_rng(2).uniform(LIMITS.lower, LIMITS.upper, size=(64, 21, 3))
    poses = np.zeros((64, 22, 3), np.float32)
    poses[:, 0] = [np.pi / 2, 0, 0]
    poses[:, 1:] = euler_to_axis_angle(euler)
    return euler, poses


def test_check_limits_passes_in_box_poses_and_names_the_offending_joint(in_box_poses):
    euler, poses = in_box_poses
    assert check_limits(poses).all_within
    knee = SMPL_BODY_22.index("right_knee")
    bad_euler = euler.copy()
    bad_euler[5, knee - 1, 0] = LIMITS.upper[knee - 1, 0] + 1.0  # 1 degree past full flexion
    bad_euler[9, knee - 1, 0] = LIMITS.upper[knee - 1, 0] + 0.01  # inside the tolerance
    bad = poses.copy()
    bad[:, 1:] = euler_to_axis_angle(bad_euler)
    check = check_limits(bad)
    assert check.within.tolist() == [i != 5 for i in range(64)]
    np.testing.assert_array_equal(check.offending, [[5, knee]])
    assert check.excess_deg[5, knee - 1, 0] == pytest.approx(1.0, abs=1e-3)
    with pytest.raises(InputError, match=r"row 5.*right_knee: flexion angle 156.0"):
        check.raise_if_any(file="poses.npy")


def test_check_limits_accepts_smplh_and_rejects_bad_input(in_box_poses):
    _, poses = in_box_poses
    hands = np.concatenate([poses, np.ones((64, 30, 3), np.float32)], axis=1)  # fingers are not limited
    assert check_limits(hands).all_within
    nan = poses.copy()
    nan[3, 7, 2] = np.nan
    with pytest.raises(InputError, match="row 3"):
        check_limits(nan)
    with pytest.raises(InputError, match="shape"):
        check_limits(poses[:, :21])


def test_clamp_projects_onto_the_box_and_keeps_in_box_joints(in_box_poses):
    _, poses = in_box_poses
    np.testing.assert_allclose(clamp_to_limits(poses), poses, atol=1e-6)
    wild = np.random.default_rng(3).normal(scale=1.2, size=(200, 22, 3)).astype(np.float32)
    assert not check_limits(wild).all_within
    clamped = clamp_to_limits(wild)
    assert check_limits(clamped).all_within
    np.testing.assert_array_equal(clamped[:, 0], wild[:, 0])  # the root is not limited
    # an over-bent knee comes back exactly to full flexion, its other angles unchanged
    knee = SMPL_BODY_22.index("left_knee")
    over = np.zeros((1, 22, 3), np.float32)
    over[0, knee] = euler_to_axis_angle(np.tile([[170.0, 2.0, 5.0]], (21, 1)))[knee - 1]
    np.testing.assert_allclose(axis_angle_to_euler(clamp_to_limits(over)[:, 1:])[0, knee - 1],
                               [LIMITS.upper[knee - 1, 0], 2.0, 5.0], atol=1e-3)


def test_body_joint_names_follow_smpl():
    assert BODY_JOINT_NAMES == SMPL_BODY_22.names[1:] and len(LIMITS.conventions) == 21
