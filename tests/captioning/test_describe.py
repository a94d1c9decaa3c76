"""PoseScript descriptions end to end: content on hand-built poses, mirror symmetry, determinism, versions."""

import re

import numpy as np
import pytest

from benchmark.errors import InputError
from benchmark.posecodes.extract import compute_categories, description_eligibility
from benchmark.posecodes.records import Code
from benchmark.posecodes.table import posecode_table
from datasets_build.captioning import describe as describe_module
from datasets_build.captioning.actions import DANCE_SOURCE
from datasets_build.captioning.codes import MultiPredicate, MultiSubject
from datasets_build.captioning.describe import (aggregate_description_codes, codes_of_row, describe_poses,
                                                describe_poses_from_axis_angle)
from datasets_build.captioning.selection import select
from datasets_build.captioning.templates_pose import HEAD, ONE_COMPONENT
from datasets_build.captioning.versions import DESCRIPTION_VERSIONS, description_version
from tests.captioning.helpers import (joints, kneeling, mirror_joints, mirror_poses, swap_left_right, upright,
                                      with_rotations)


def phrases(interp):
    """The fixed part of the 1-component templates of an interpretation ("bent at a right angle", ...)."""
    return [t.replace("{s} {v} ", "") for t in ONE_COMPONENT[interp]]


def selected_codes(pose_joints, version="F", rotations=None):
    table = posecode_table()
    cats, supers, flipped, has_rot = compute_categories(pose_joints, rotations, table=table)
    keep = select(description_eligibility(cats, supers, table, has_rot), None, False, 0.0)
    return [codes_of_row(cats[i], keep[i], table) for i in range(len(cats))], flipped


def asymmetric_pose():
    return with_rotations(left_elbow=(0, -np.pi / 2, 0), right_knee=(np.radians(100), 0, 0),
                          right_hip=(-np.radians(60), 0, 0), left_shoulder=(0, 0, -np.radians(70)),
                          head=(0, np.radians(40), 0), spine2=(0, 0, np.radians(15)))


def test_right_angle_elbow_is_described():
    pose = with_rotations(left_elbow=(0, -np.pi / 2, 0))
    text = describe_poses(joints(pose), "F", seed=0, noise=False)[0]
    assert re.search("left elbow (is|are) (" + "|".join(map(re.escape, phrases("right angle"))) + ")", text), text


def test_kneeling_pose_is_described_as_kneeling():
    (codes,), _ = selected_codes(joints(kneeling()))
    assert Code(None, "body", "kneeling") in codes
    # the support interpretations behind it are gone: knees "on the ground" are never described alone
    assert not any(c.interp == "on_ground" and c.part1 == "knee" for c in codes)
    for seed in range(5):
        text = describe_poses(joints(kneeling()), "N2", seed=seed, noise=False)[0]
        assert re.search(r"kneeling|on (their|his|her|the) knees|down on both knees|knees are", text), text


def test_a_lying_body_has_a_horizontal_torso():
    pose = upright()
    pose[0, 0] = [0, 0, 0]
    (codes,), _ = selected_codes(joints(pose))
    assert Code(None, "torso", "horizontal") in codes
    assert not any(c.part1 == "backdiag" for c in codes)  # support I: never described


def test_support_one_codes_are_never_described():
    rng = np.random.default_rng(0)
    poses = upright(64)
    poses[:, 1:] = rng.normal(0, 0.5, (64, 21, 3))
    table = posecode_table()
    cats, supers, _, _ = compute_categories(joints(poses), table=table)
    elig = description_eligibility(cats, supers, table, False)
    support1 = table.support1[np.arange(table.n_columns)[None], cats]
    assert support1.any() and not (elig[:, :table.n_columns][support1] > 0).any()


def test_mirrored_pose_gets_the_mirrored_description():
    pose = asymmetric_pose()
    j, jm = joints(pose), mirror_joints(joints(pose))
    for version in DESCRIPTION_VERSIONS:
        for seed in (0, 1, 2):
            for noise in (False, True):
                text = describe_poses(j, version, seed, noise)[0]
                mirrored = describe_poses(jm, version, seed, noise)[0]
                assert mirrored == swap_left_right(text), (version, seed, noise)
    assert "left" in text and "right" in text


def test_mirror_symmetry_with_head_rotations():
    pose = asymmetric_pose()
    mirrored = mirror_poses(pose)
    for seed in range(4):
        a = describe_poses_from_axis_angle(pose, version="N7", seed=seed, noise=False)[0]
        b = describe_poses_from_axis_angle(mirrored, version="N7", seed=seed, noise=False)[0]
        assert b == swap_left_right(a)


def test_same_seed_same_text_different_seeds_differ():
    rng = np.random.default_rng(1)
    poses = upright(8)
    poses[:, 1:] = rng.normal(0, 0.4, (8, 21, 3))
    j = joints(poses)
    for version in ("N2", "N6", "N7"):
        a = describe_poses(j, version, seed=3)
        assert a == describe_poses(j, version, seed=3)
        assert a != describe_poses(j, version, seed=4)
    assert describe_poses(j, "N6", seed=3) != describe_poses(j, "N7", seed=3)  # versions draw independently


def test_every_version_runs_and_flags_behave():
    rng = np.random.default_rng(2)
    poses = upright(6)
    poses[:, 1:] = rng.normal(0, 0.4, (6, 21, 3))
    j = joints(poses)
    for name in DESCRIPTION_VERSIONS:
        texts = describe_poses(j, name, seed=0)
        assert len(texts) == 6 and all(t.endswith(".") and t[0].isupper() for t in texts)
        assert all("  " not in t and " ." not in t and "{" not in t for t in texts)
    # simplified (E, F) never aggregates: no plural "both" from symmetry, no chained predicates
    codes, _ = selected_codes(j)
    for row in codes:
        agg = aggregate_description_codes(row, description_version("F"), np.random.default_rng(0))
        assert not any(isinstance(c, (MultiSubject, MultiPredicate)) for c in agg)
    # random skip (N2-E) drops some eligible codes on average; F keeps them all
    n_f = sum(len(t.split()) for t in describe_poses(j, "F", seed=0, noise=False))
    n_e = sum(len(t.split()) for t in describe_poses(j, "E", seed=0, noise=False))
    assert n_e < n_f


def test_noise_false_gives_the_exact_categories():
    pose = with_rotations(left_elbow=(0, -np.radians(74), 0))  # 106 deg: right angle is 1 deg away
    texts = {describe_poses(joints(pose), "F", seed=s, noise=False)[0] for s in range(6)}
    assert all(any(p in t for p in phrases("bent less")) for t in texts)
    noisy = [describe_poses(joints(pose), "F", seed=s, noise=True)[0] for s in range(12)]
    assert any(any(p in t for p in phrases("right angle")) for t in noisy)  # noise crosses the threshold


def test_head_rotation_is_described_only_with_rotations():
    pose = with_rotations(head=(0, np.radians(40), 0))
    with_rot = describe_poses(joints(pose), "F", seed=0, noise=False, rotations=pose)[0]
    without = describe_poses(joints(pose), "F", seed=0, noise=False)[0]
    turn_left = [t.split("{v} ")[1] for t in HEAD["turn left"]]
    assert any(p in with_rot for p in turn_left) and not any(p in without for p in turn_left)


def test_descriptions_from_axis_angle_leave_head_rotations_out_unless_asked():
    """Upstream's released texts come from joint positions only: no head-rotation codes by default."""
    from datasets_build.captioning import describe_poses_from_axis_angle

    pose = with_rotations(head=(0, np.radians(40), 0))
    turn_left = [t.split("{v} ")[1] for t in HEAD["turn left"]]
    default = describe_poses_from_axis_angle(pose, version="F", seed=0, noise=False)[0]
    asked = describe_poses_from_axis_angle(pose, version="F", seed=0, noise=False, use_rotations=True)[0]
    assert not any(p in default for p in turn_left) and any(p in asked for p in turn_left)


def test_action_sentences():
    j = joints(upright(3))
    actions = [["walk"], [DANCE_SOURCE], None]
    n6 = describe_poses(j, "N6", seed=0, actions=actions)
    assert re.match(r"^[A-Z][a-z]*( [a-z]+)? (is|are) (walking|taking a step)\. ", n6[0]), n6[0]
    assert "danc" in n6[1]
    # the action sentence is drawn after its description: the description itself is unchanged
    plain = describe_poses(j, "N6", seed=0)
    assert n6[0].endswith(plain[0]) and n6[0] != plain[0]
    assert describe_poses(j, "N6", seed=0, actions=[None, [], ["unknown label"]]) == plain
    c = describe_poses(j, "C", seed=0, actions=actions)  # C has no dancing information
    assert "danc" not in c[1]
    n7 = describe_poses(j, "N7", seed=0, actions=actions)
    assert n7 == describe_poses(j, "N7", seed=0)  # versions without action sentences ignore them
    with pytest.raises(InputError, match="actions"):
        describe_poses(j, "N6", actions=[["walk"]])


def test_bad_inputs_raise_input_errors():
    j = joints(upright(3))
    bad = j.copy()
    bad[1, 4, 0] = np.nan
    with pytest.raises(InputError, match="row 1"):
        describe_poses(bad)
    with pytest.raises(InputError, match="shape"):
        describe_poses(j[:, :20])
    with pytest.raises(InputError, match="version"):
        describe_poses(j, version="N9")
    with pytest.raises(InputError, match="seed"):
        describe_poses(j, seed=-1)
    with pytest.raises(InputError, match="rotations"):
        describe_poses(j, rotations=upright(2))


def test_batch_of_generated_like_poses_has_no_template_leftovers():
    rng = np.random.default_rng(7)
    poses = upright(40)
    poses[:, 1:] = rng.normal(0, 0.6, (40, 21, 3))
    poses[:, 0] = describe_module.np.array([np.pi / 2, 0, 0]) + rng.normal(0, 0.6, (40, 3))
    for version in ("N2", "N7", "D"):
        for t in describe_poses_from_axis_angle(poses, version=version, seed=1):
            assert not re.search(r"[{}<>]|\b(is|are) (is|are)\b|\bthey is\b|\bhe are\b", t), t
