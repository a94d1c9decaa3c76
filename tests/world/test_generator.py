import numpy as np
import pytest
import torch

from benchmark.body.frames import amass_to_captioning, normalize_pose_heading
from benchmark.body.joints import SMPL_BODY_22
from benchmark.body.rotations import matrix_to_euler, axis_angle_to_matrix
from benchmark.body.skeleton import SkeletonBody
from benchmark.errors import InputError
from datasets_build.world.archetypes import ARCHETYPE_NAMES, ARCHETYPES, archetype_index
from datasets_build.world.generator import BLEND_ROOT_TOLERANCE_DEG, generate_poses, mirror_poses, \
    root_orientation
from datasets_build.world.limits import LIMITS, check_limits, mirror_euler

BODY = SkeletonBody()
MIRROR_X = np.array([-1.0, 1.0, 1.0])


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


class Body:
    """FK joints of heading-normalised poses in the y-up captioning frame (+x body-left, +z front)."""

    def __init__(self, poses):
        self.j = amass_to_captioning(BODY.joints(normalize_pose_heading(poses)).astype(np.float64))
        self.floor = self.j[:, :, 1].min(1)

    def __getitem__(self, name):
        return self.j[:, SMPL_BODY_22.index(name)]

    def h(self, name):
        """Height above the lowest joint."""
        return self[name][:, 1] - self.floor

    def both(self, fn, base):
        return fn(self.h(f"left_{base}"), self.h(f"right_{base}"))

    def dist(self, a, b):
        return np.linalg.norm(self[a] - self[b], axis=-1)

    def up(self):
        return _unit(self["neck"] - self["pelvis"])

    def left(self):
        return _unit(self["left_hip"] - self["right_hip"])

    def forward(self):
        return _unit(np.cross(self.left(), self.up()))

    def angle(self, a, b, c):
        u, v = _unit(self[a] - self[b]), _unit(self[c] - self[b])
        return np.degrees(np.arccos(np.clip((u * v).sum(-1), -1.0, 1.0)))

    def upright(self):
        return self.up()[:, 1] > 0.9

    def feet_lowest(self, tol=0.1):
        """Both feet (toe joints) within `tol` of the lowest joint (0.1 m: PoseScript's "on the ground")."""
        return self.both(np.maximum, "foot") < tol

    def head_highest(self):
        return self.h("head") >= self.j[:, :, 1].max(1) - self.floor - 1e-9

    def lying(self):
        """Head and pelvis at about the same height, the body's long axis horizontal."""
        return (np.abs(self.h("head") - self.h("pelvis")) < 0.25) & (np.abs(self.up()[:, 1]) < 0.3)


def standing(b):
    return {"upright": b.upright(), "feet lowest": b.feet_lowest()}


def one_side(fn):
    """fn(this side, other side) holds for one of the two sides (poses may be mirrored)."""
    return fn("left", "right") | fn("right", "left")


def lowest_wrist(b):
    return b.both(np.minimum, "wrist")


def highest_wrist(b):
    return b.both(np.maximum, "wrist")


def elbow_angle(b, side):
    return b.angle(f"{side}_shoulder", f"{side}_elbow", f"{side}_wrist")


# What each archetype looks like: named conditions on the joints (metres, captioning frame, heights above the
# lowest joint).
LOOKS = {
    "stand_relaxed": lambda b: {**standing(b), "head highest": b.head_highest(),
                                "hands below the hips": highest_wrist(b) < b.h("pelvis") + 0.1},
    "stand_attention": lambda b: {**standing(b), "head highest": b.head_highest(),
                                  "hands by the thighs": np.abs(b["left_wrist"][:, 0] - b["right_wrist"][:, 0]) < 0.6},
    "stand_t_pose": lambda b: {**standing(b),
                               "hands at shoulder height": np.abs(lowest_wrist(b) - b.h("left_shoulder")) < 0.25,
                               "hands far apart": b.dist("left_wrist", "right_wrist") > 1.2},
    "stand_a_pose": lambda b: {**standing(b), "head highest": b.head_highest(),
                               "hands apart": b.dist("left_wrist", "right_wrist") > 0.75,
                               "hands below the shoulders": highest_wrist(b) < b.h("left_shoulder")},
    "stand_wide": lambda b: {**standing(b), "head highest": b.head_highest(),
                             "feet wide apart": b.dist("left_ankle", "right_ankle") > 0.3},
    "hands_on_hips": lambda b: {**standing(b), "head highest": b.head_highest(),
                                "hands at the hips": np.abs(highest_wrist(b) - b.h("pelvis")) < 0.2,
                                "elbows out": np.abs(b["left_elbow"][:, 0]) > np.abs(b["left_wrist"][:, 0]) + 0.05},
    "arms_crossed": lambda b: {**standing(b), "head highest": b.head_highest(),
                               "hands crossed": b["left_wrist"][:, 0] < b["right_wrist"][:, 0],
                               "hands in front": b["left_wrist"][:, 2] > b["spine3"][:, 2] + 0.1},
    "hands_behind_head": lambda b: {**standing(b), "hands above the neck": lowest_wrist(b) > b.h("neck"),
                                    "hands at the head": np.maximum(b.dist("left_wrist", "head"),
                                                                    b.dist("right_wrist", "head")) < 0.25},
    "arms_raised": lambda b: {**standing(b), "hands above the head": lowest_wrist(b) > b.h("head") + 0.15},
    "reach_up": lambda b: {"upright": b.upright(), "one hand high": highest_wrist(b) > b.h("head") + 0.2,
                           "other hand low": lowest_wrist(b) < b.h("left_shoulder"),
                           "on tiptoe": b.both(np.minimum, "ankle") - b.both(np.maximum, "foot") > 0.07},
    "reach_forward": lambda b: {**standing(b), "hands up": lowest_wrist(b) > b.h("pelvis") + 0.1,
                                "hands forward": np.minimum(b["left_wrist"][:, 2], b["right_wrist"][:, 2]) > 0.4},
    "point_forward": lambda b: {**standing(b), "one arm forward, the other down": one_side(
        lambda s, o: (b[f"{s}_wrist"][:, 2] > 0.45) & (b.h(f"{o}_wrist") < b.h("pelvis") + 0.1))},
    "wave": lambda b: {**standing(b), "one hand up, the other down": one_side(
        lambda s, o: (b.h(f"{s}_wrist") > b.h(f"{s}_shoulder")) & (b.h(f"{o}_wrist") < b.h("pelvis") + 0.1))},
    "lean_sideways": lambda b: {"feet lowest": b.feet_lowest(),
                                "torso tilted sideways": np.abs(b["neck"][:, 0] - b["pelvis"][:, 0]) > 0.15,
                                "one hand over the head": highest_wrist(b) > b.h("head")},
    "bend_forward": lambda b: {"feet lowest": b.feet_lowest(), "torso near horizontal": np.abs(b.up()[:, 1]) < 0.5,
                               "hands below the hips": highest_wrist(b) < b.h("pelvis") - 0.2},
    "hands_on_knees": lambda b: {"feet lowest": b.feet_lowest(), "leaning forward": b.forward()[:, 1] < -0.4,
                                 "hands at the knees": np.maximum(
                                     np.minimum(b.dist("left_wrist", "left_knee"), b.dist("left_wrist", "right_knee")),
                                     np.minimum(b.dist("right_wrist", "right_knee"),
                                                b.dist("right_wrist", "left_knee"))) < 0.25},
    "one_leg_knee_up": lambda b: {"upright": b.upright(),
                                  "one foot well above the other": np.abs(b.h("left_foot") - b.h("right_foot")) > 0.25,
                                  "knee raised": b.both(np.maximum, "knee") > b.h("pelvis") - 0.2},
    "tree_pose": lambda b: {"upright": b.upright(),
                            "one foot well above the other": np.abs(b.h("left_foot") - b.h("right_foot")) > 0.25,
                            "foot at the other knee": one_side(lambda s, o: b.dist(f"{s}_ankle", f"{o}_knee") < 0.35),
                            "hands above the head": lowest_wrist(b) > b.h("head")},
    "front_kick": lambda b: {"upright": b.upright(), "one foot kicking forward and high, the other down": one_side(
        lambda s, o: (b[f"{s}_ankle"][:, 2] > 0.5) & (b.h(f"{s}_ankle") > b.h("pelvis") - 0.45)
        & (b.h(f"{o}_foot") < 0.1))},
    "boxing_guard": lambda b: {**standing(b), "fists up": lowest_wrist(b) > b.h("left_shoulder") - 0.15,
                               "fists in front": np.minimum(b["left_wrist"][:, 2], b["right_wrist"][:, 2]) > 0.1,
                               "elbows bent": np.maximum(elbow_angle(b, "left"), elbow_angle(b, "right")) < 90},
    "walk": lambda b: {"upright": b.upright(),
                       "feet apart front to back": np.abs(b["left_ankle"][:, 2] - b["right_ankle"][:, 2]) > 0.2,
                       "both feet near the floor": b.both(np.maximum, "foot") < 0.3},
    "run": lambda b: {"upright": b.upright(),
                      "a knee driven forward": np.maximum(b["left_knee"][:, 2], b["right_knee"][:, 2]) > 0.2,
                      "elbows bent": np.maximum(elbow_angle(b, "left"), elbow_angle(b, "right")) < 120},
    "jump_star": lambda b: {"upright": b.upright(), "legs spread": b.dist("left_ankle", "right_ankle") > 0.6,
                            "hands above the shoulders": lowest_wrist(b) > b.h("left_shoulder"),
                            "arms spread": b.dist("left_wrist", "right_wrist") > 0.9},
    "jump_tuck": lambda b: {"upright": b.upright(),
                            "knees pulled up": b.both(np.minimum, "knee") > b.h("pelvis") - 0.25,
                            "knees forward": np.minimum(b["left_knee"][:, 2], b["right_knee"][:, 2]) > 0.25},
    "lunge": lambda b: {"upright": b.upright(),
                        "feet far apart front to back": np.abs(b["left_ankle"][:, 2] - b["right_ankle"][:, 2]) > 0.55,
                        "pelvis lowered": b.h("pelvis") < 0.85},
    "warrior_two": lambda b: {"upright": b.upright(), "wide stance": b.dist("left_ankle", "right_ankle") > 0.6,
                              "arms spread": b.dist("left_wrist", "right_wrist") > 1.2},
    "squat": lambda b: {"feet lowest": b.feet_lowest(), "pelvis low": b.h("pelvis") < 0.55,
                        "thighs about horizontal": b.both(np.minimum, "knee") > b.h("pelvis") - 0.12},
    "pick_up": lambda b: {"feet lowest": b.feet_lowest(0.1), "pelvis lowered": b.h("pelvis") < 0.8,
                          "a hand near the floor": lowest_wrist(b) < 0.5},
    "kneel_one_knee": lambda b: {"upright": b.upright(), "a knee on the floor": b.both(np.minimum, "knee") < 0.22,
                                 "the other knee up": b.both(np.maximum, "knee") > 0.4},
    "kneel_upright": lambda b: {"upright": b.upright(), "both knees on the floor": b.both(np.maximum, "knee") < 0.25,
                                "pelvis high": b.h("pelvis") > 0.45},
    "kneel_sit_on_heels": lambda b: {"upright": b.upright(),
                                     "both knees on the floor": b.both(np.maximum, "knee") < 0.2,
                                     "pelvis low": b.h("pelvis") < 0.4},
    "sit_chair": lambda b: {"upright": b.upright(), "thighs horizontal": np.maximum(
        np.abs(b.h("left_knee") - b.h("left_hip")), np.abs(b.h("right_knee") - b.h("right_hip"))) < 0.15,
        "shins down": b.both(np.minimum, "knee") - b.both(np.maximum, "ankle") > 0.3},
    "sit_cross_legged": lambda b: {"upright": b.upright(), "pelvis low": b.h("pelvis") < 0.4,
                                   "knees apart": b.dist("left_knee", "right_knee") > 0.5,
                                   "ankles together": b.dist("left_ankle", "right_ankle") < 0.3,
                                   "knees low": b.both(np.maximum, "knee") < 0.4},
    "sit_floor_legs_extended": lambda b: {"pelvis low": b.h("pelvis") < 0.3, "torso up": b.up()[:, 1] > 0.7,
                                          "legs out in front": np.minimum(b["left_ankle"][:, 2],
                                                                          b["right_ankle"][:, 2]) > 0.6,
                                          "knees low": b.both(np.maximum, "knee") < 0.3},
    "sit_hug_knees": lambda b: {"pelvis low": b.h("pelvis") < 0.4,
                                "knees above the pelvis": b.both(np.minimum, "knee") > b.h("pelvis") + 0.1,
                                "feet on the floor": b.both(np.maximum, "ankle") < 0.2},
    "hands_and_knees": lambda b: {"torso horizontal": np.abs(b.up()[:, 1]) < 0.4,
                                  "knees on the floor": b.both(np.maximum, "knee") < 0.25,
                                  "hands on the floor": highest_wrist(b) < 0.2, "pelvis high": b.h("pelvis") > 0.4},
    "plank": lambda b: {"inclined": b.up()[:, 1] < 0.5, "facing the floor": b.forward()[:, 1] < -0.8,
                        "hands on the floor": highest_wrist(b) < 0.2, "pelvis off the floor": b.h("pelvis") > 0.25,
                        "body straight": b.angle("neck", "pelvis", "left_ankle") > 155},
    "lie_back": lambda b: {"lying": b.lying(), "facing up": b.forward()[:, 1] > 0.8},
    "lie_back_knees_up": lambda b: {"lying": b.lying(), "facing up": b.forward()[:, 1] > 0.8,
                                    "knees up": b.both(np.minimum, "knee") > b.h("pelvis") + 0.2},
    "lie_side": lambda b: {"lying": b.lying(), "on a side": np.abs(b.left()[:, 1]) > 0.8},
    "lie_belly": lambda b: {"lying": b.lying(), "facing the floor": b.forward()[:, 1] < -0.8},
}


@pytest.fixture(scope="module")
def big():
    return generate_poses(100_000, seed=0)


def test_library_has_at_least_15_archetypes_and_every_one_has_a_check():
    assert len(ARCHETYPES) >= 15
    assert set(LOOKS) == set(ARCHETYPE_NAMES)


def test_100k_poses_are_finite_inside_the_limits_and_reproducible(big):
    assert big.poses.shape == (100_000, 22, 3) and big.poses.dtype == np.float32
    assert np.isfinite(big.poses).all()
    check = check_limits(big.poses)
    assert check.all_within, check.describe(*check.offending[0])
    # the Euler parameters reported are those of the poses, up to the 2^-16 rad grid the poses are snapped to
    # (canonical.py), which near gimbal lock (middle angle close to +-90 degrees) moves the outer angles by up to
    # ~0.003 degrees
    np.testing.assert_allclose(check.euler_deg, big.euler_deg, atol=5e-3)
    again = generate_poses(100_000, seed=0)
    assert np.array_equal(again.poses, big.poses) and np.array_equal(again.archetype_ids, big.archetype_ids)


def test_another_seed_gives_other_poses():
    a, b = generate_poses(1000, seed=1), generate_poses(1000, seed=2)
    assert not np.allclose(a.poses, b.poses)
    assert (np.abs(a.poses - b.poses).max(axis=(1, 2)) > 1e-3).mean() > 0.99


def test_a_generator_seed_is_used_and_advanced():
    rng = np.random.default_rng(5)
    first, second = generate_poses(10, rng), generate_poses(10, rng)
    assert not np.allclose(first.poses, second.poses)
    np.testing.assert_array_equal(first.poses, generate_poses(10, np.random.default_rng(5)).poses)


def test_archetype_frequencies_blends_and_mirrors(big):
    counts = np.bincount(big.archetype_ids[:, 0], minlength=len(ARCHETYPES))
    expected = len(big) / len(ARCHETYPES)
    assert (np.abs(counts - expected) < 5 * np.sqrt(expected)).all()  # uniform by default
    blended = big.archetype_ids[:, 1] >= 0
    assert abs(blended.mean() - 0.3) < 0.01
    assert abs(big.mirrored.mean() - 0.5) < 0.01
    np.testing.assert_allclose(big.blend_weights.sum(1), 1.0, atol=1e-6)
    assert (big.blend_weights[~blended, 1] == 0).all() and (big.blend_weights[:, 1] <= 0.5).all()
    a, p = big.archetype_ids[blended, 0], big.archetype_ids[blended, 1]
    assert (a != p).all()
    roots = np.array([arch.root_deg for arch in ARCHETYPES])
    assert (np.abs(roots[a] - roots[p]) <= BLEND_ROOT_TOLERANCE_DEG).all()  # never standing + lying
    # asymmetric archetypes occur on both sides
    lunge = big.archetype_ids[:, 0] == archetype_index("lunge")
    assert 0.4 < big.mirrored[lunge].mean() < 0.6


def test_headings_cover_the_circle_and_normalisation_removes_them(big):
    h = np.radians(big.heading_deg.astype(np.float64))
    assert abs(np.exp(1j * h).mean()) < 0.01  # uniform: mean resultant length ~ 1/sqrt(n)
    assert big.heading_deg.min() < -179 and big.heading_deg.max() > 179
    upright = np.isin(big.archetype_ids[:, 0], [archetype_index("stand_relaxed"), archetype_index("walk")])
    upright &= big.archetype_ids[:, 1] < 0
    rot = axis_angle_to_matrix(big.poses[upright, 0].astype(np.float64))
    # Rz(heading) @ Rx(90) @ ...: the body's forward axis (canonical +z) points at -y rotated by the heading
    fwd = rot @ np.array([0.0, 0.0, 1.0])
    got = np.degrees(np.arctan2(fwd[:, 0], -fwd[:, 1]))
    diff = (got - big.heading_deg[upright] + 180) % 360 - 180  # forward = (sin h, -cos h, 0) when upright
    assert np.percentile(np.abs(diff), 95) < 10
    normalised = normalize_pose_heading(big.poses[:2000])
    assert np.abs(matrix_to_euler(axis_angle_to_matrix(normalised[:, 0].astype(np.float64)), "xyz")[:, 2]).max() \
        < 1e-4
    assert check_limits(normalised).all_within  # the body joints are untouched
    # only the heading changed: heights (z, AMASS frame) are the same before and after
    np.testing.assert_allclose(BODY.joints(normalised)[..., 2], BODY.joints(big.poses[:2000])[..., 2], atol=1e-5)


@pytest.mark.parametrize("name", ARCHETYPE_NAMES)
def test_every_archetype_generates_poses_that_look_like_it(name):
    gen = generate_poses(200, seed=archetype_index(name), archetypes=[name], blend=0.0)
    assert (gen.archetype_ids[:, 0] == archetype_index(name)).all() and (gen.archetype_ids[:, 1] == -1).all()
    assert check_limits(gen.poses).all_within
    conditions = LOOKS[name](Body(gen.poses))
    looks = np.logical_and.reduce(list(conditions.values()))
    rates = ", ".join(f"{k}: {v.mean():.0%}" for k, v in conditions.items())
    assert looks.mean() >= 0.9, f"{name}: only {looks.mean():.0%} of the samples look like it ({rates})"


def test_standing_feet_lowest_head_highest_but_not_lying():
    stand, lie = (Body(generate_poses(300, 3, [n], blend=0.0).poses) for n in ("stand_relaxed", "lie_back"))
    assert (stand.feet_lowest() & stand.head_highest()).all() and (stand.h("head") > 1.3).all()
    assert (np.abs(lie.h("head") - lie.h("pelvis")) < 0.25).all() and (lie.h("head") < 0.5).all()


def test_sampling_follows_the_archetype_centre_and_spread():
    arch = ARCHETYPES[archetype_index("sit_chair")]
    gen = generate_poses(20_000, seed=7, archetypes=["sit_chair"], blend=0.0, mirror=0.0)
    b = SMPL_BODY_22.index("left_knee") - 1
    knee = gen.euler_deg[:, b, 0].astype(np.float64)
    # a 2.5-sigma truncated normal: mean = centre, std = 0.9586 * spread (away from the joint limits)
    assert abs(knee.mean() - arch.centre_deg[b, 0]) < 0.3
    assert abs(knee.std() - 0.9586 * arch.spread_deg[b, 0]) < 0.3
    assert np.abs(knee - arch.centre_deg[b, 0]).max() <= 2.5 * arch.spread_deg[b, 0] + 1e-4
    # near a limit the truncation is at the limit, without a pile-up of samples on it
    stand = generate_poses(20_000, seed=7, archetypes=["stand_attention"], blend=0.0, mirror=0.0)
    knee = stand.euler_deg[:, b, 0]
    assert knee.min() >= LIMITS.lower[b, 0] - 1e-4 and (knee == LIMITS.lower[b, 0]).mean() < 0.001


def test_weights_and_archetype_subsets():
    gen = generate_poses(20_000, 3, archetypes=["squat", "lie_back"], weights=[3, 1])
    ids = gen.archetype_ids[:, 0]
    assert set(np.unique(ids)) == {archetype_index("squat"), archetype_index("lie_back")}
    assert abs((ids == archetype_index("squat")).mean() - 0.75) < 0.015
    assert (gen.archetype_ids[:, 1] == -1).all()  # the two have incompatible roots: never blended


@pytest.mark.parametrize("kwargs, message", [
    (dict(archetypes=["squatt"]), "did you mean squat"),
    (dict(archetypes=["squat"], weights=[-1]), "weights"),
    (dict(weights=[1, 2]), "weights"),
    (dict(blend=1.5), "blend"),
    (dict(mirror=-0.1), "mirror"),
    (dict(heading_deg=[0.0, 1.0]), "heading"),
])
def test_bad_options_raise_input_errors(kwargs, message):
    with pytest.raises(InputError, match=message):
        generate_poses(5, 0, **kwargs)


def test_seed_is_required():
    with pytest.raises(InputError, match="seed"):
        generate_poses(5, None)


def test_mirror_poses_reflects_the_joints_across_x_and_swaps_sides():
    poses = generate_poses(500, seed=11).poses
    mirrored = mirror_poses(poses)
    perm = SMPL_BODY_22.mirror_permutation
    np.testing.assert_allclose(BODY.joints(mirrored), BODY.joints(poses)[:, perm] * MIRROR_X, atol=1e-5)
    np.testing.assert_array_equal(mirror_poses(mirrored), poses)
    torch_out = mirror_poses(torch.from_numpy(poses))
    assert isinstance(torch_out, torch.Tensor) and np.allclose(torch_out.numpy(), mirrored)
    # on heading-normalised bodies the reflection is across the body's own left-right axis (captioning +x)
    norm = normalize_pose_heading(poses)
    cap, cap_m = (amass_to_captioning(BODY.joints(p)) for p in (norm, mirror_poses(norm)))
    np.testing.assert_allclose(cap_m, cap[:, perm] * MIRROR_X, atol=1e-5)
    left_wrist = SMPL_BODY_22.index("left_wrist")
    lifted = generate_poses(50, 1, ["reach_up"], blend=0.0, mirror=0.0, heading_deg=0.0).poses
    cap = amass_to_captioning(BODY.joints(lifted))
    cap_m = amass_to_captioning(BODY.joints(mirror_poses(lifted)))
    # reach_up raises the right arm; its mirror image raises the left one
    head = SMPL_BODY_22.index("head")
    assert (cap[:, left_wrist, 1] < 0.1).all() and (cap_m[:, left_wrist, 1] > cap_m[:, head, 1] + 0.2).all()


def test_mirror_poses_handles_smplh_hands():
    poses = np.random.default_rng(0).normal(scale=0.3, size=(4, 52, 3)).astype(np.float32)
    out = mirror_poses(poses)
    from benchmark.body.joints import SMPLH_52

    left, right = SMPLH_52.index("left_index1"), SMPLH_52.index("right_index1")
    np.testing.assert_array_equal(out[:, right], poses[:, left] * np.float32([1, -1, -1]))
    np.testing.assert_array_equal(out[:, 0], poses[:, 0] * np.float32([1, -1, -1]))


def test_the_generator_mirror_flag_is_mirror_poses():
    plain = generate_poses(300, 4, mirror=0.0, heading_deg=0.0)
    flipped = generate_poses(300, 4, mirror=1.0, heading_deg=0.0)  # same draws, every pose mirrored
    assert flipped.mirrored.all() and not plain.mirrored.any()
    np.testing.assert_allclose(flipped.poses, mirror_poses(plain.poses), atol=2e-5)
    np.testing.assert_allclose(flipped.euler_deg, mirror_euler(plain.euler_deg), atol=1e-4)


def test_root_orientation_convention():
    # heading 0, no pitch/roll: the upright root of PoseScript's placeholder T-pose, (pi/2, 0, 0)
    np.testing.assert_allclose(root_orientation(0.0, 0.0, 0.0), [np.pi / 2, 0, 0], atol=1e-7)
    pose = np.zeros((3, 22, 3), np.float32)
    pose[:, 0] = root_orientation(0.0, np.array([90.0, -90.0, 0.0]), np.array([0.0, 0.0, 90.0]))
    cap = amass_to_captioning(BODY.joints(pose))
    head, pelvis, left_hip = (SMPL_BODY_22.index(n) for n in ("head", "pelvis", "left_hip"))
    assert cap[0, head, 2] > 0.5  # pitch +90: the head goes forward (+z), the body lies on its belly
    assert cap[1, head, 2] < -0.5  # pitch -90: lying on the back
    assert cap[2, head, 0] < -0.5 and cap[2, left_hip, 1] > cap[2, pelvis, 1] + 0.05  # roll +90: right side down


def test_left_and_right_deviations_are_the_same_motion_with_the_given_correlation():
    left, right = (SMPL_BODY_22.index(f"{s}_shoulder") - 1 for s in ("left", "right"))
    for correlation in (0.6, 0.0):
        gen = generate_poses(20_000, 8, ["stand_relaxed"], blend=0.0, mirror=0.0, side_correlation=correlation)
        # elevation is about Z: the right side's raw angle is minus the anatomical one
        r = np.corrcoef(gen.euler_deg[:, left, 0], -gen.euler_deg[:, right, 0])[0, 1]
        assert abs(r - correlation) < 0.03  # the 2.5-sigma truncation lowers it by less than 1%


def test_empty_batches():
    gen = generate_poses(0, 0)
    assert gen.poses.shape == (0, 22, 3) and gen.archetype_ids.shape == (0, 2)


def test_archetype_definitions_are_checked():
    from datasets_build.world.archetypes import make_archetype

    with pytest.raises(ValueError, match="outside"):
        make_archetype("bad", "knee bent backwards", {"knee.flexion": -30})
    with pytest.raises(KeyError, match="no motion"):
        make_archetype("bad", "typo", {"knee.flexon": 30})
    with pytest.raises(ValueError, match="unknown joint"):
        make_archetype("bad", "typo", {"kne.flexion": 30})
    one_sided = make_archetype("x", "left knee only", {"knee.flexion": 10, "left_knee.flexion": 50})
    knee = SMPL_BODY_22.index("left_knee") - 1
    assert one_sided.centre_deg[knee, 0] == 50 and one_sided.centre_deg[knee + 1, 0] == 10  # right knee
    assert not one_sided.symmetric and ARCHETYPES[archetype_index("squat")].symmetric
