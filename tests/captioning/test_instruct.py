"""PoseFix instructions: paircodes, super-paircodes, the rotation sentence, the changed-part filter, versions."""

import re

import numpy as np
import pytest

from benchmark.body import rotations as rot
from benchmark.body.frames import UPRIGHT_ROOT
from benchmark.errors import InputError
from benchmark.posecodes.extract import absolute_eligibility, categorize, measure, super_posecodes
from benchmark.posecodes.inputs import prepare_joints
from benchmark.posecodes.records import PLURAL, Code
from benchmark.posecodes.table import posecode_table
from datasets_build.captioning.instruct import (categorize_pairs, changed_parts, depends_on,
                                                describe_pose_pairs, describe_pose_pairs_from_axis_angle,
                                                filter_changed_parts, pair_eligibility, pair_values,
                                                rotation_change_degrees)
from datasets_build.captioning.paircode_table import PAIR_OPERATORS, pair_table
from datasets_build.captioning.text_pair import conjugate, gerund, third_person
from datasets_build.captioning.versions import INSTRUCTION_VERSIONS
from tests.captioning.helpers import joints, upright, with_rotations

L, R = "left", "right"
PELVIS = 0


def pair_codes(pose_a, pose_b):
    """(paircodes with eligibility > 0 (incl. super-paircodes), pose-B posecode eligibility) without noise."""
    table, ptable = posecode_table(), pair_table()
    ja, jb = prepare_joints(joints(pose_a)), prepare_joints(joints(pose_b))
    ja, jb = ja - ja[:, :1], jb - jb[:, :1]
    cats_a, cats_b = categorize(measure(ja, None, table), table), categorize(measure(jb, None, table), table)
    pcats = categorize_pairs(pair_values(ja, jb, None, None, ptable), ptable)
    b_elig = absolute_eligibility(cats_b, super_posecodes(cats_b, table), table, False)
    elig, b_elig = pair_eligibility(pcats, cats_a, cats_b, b_elig, ptable, False)
    n = ptable.n_columns
    codes = [ptable.code(c, pcats[0, c]) if c < n else ptable.super_codes[c - n] for c in np.flatnonzero(elig[0])]
    return codes, b_elig, cats_b


def test_bending_the_left_elbow_more_is_an_instruction_about_the_left_elbow():
    a = with_rotations(left_elbow=(0, -np.radians(20), 0))
    b = with_rotations(left_elbow=(0, -np.radians(110), 0))
    codes, _, _ = pair_codes(a, b)
    assert Code(L, "elbow", "bent much more", pair=True) in codes  # 160 deg -> 70 deg: a 90 deg change
    assert not any(c.part1 == "elbow" and c.side1 == R for c in codes)
    bend = re.compile(r"\b(bend|bending|fold|folding|flex|flexing)\b (the |your )?left (elbow|arm)", re.I)
    for version in INSTRUCTION_VERSIONS:
        texts = [describe_pose_pairs(joints(a), joints(b), version, seed, noise=False)[0] for seed in range(6)]
        said = [bool(bend.search(t)) for t in texts]
        # pfA keeps every code; pfB and pfC may randomly skip it (p = 0.15), but not in most instructions
        assert all(said) if version == "pfA" else sum(said) >= 3, texts
        assert not any(re.search(r"right (elbow|arm|hand|forearm|upper arm)", t) for t in texts), texts


def test_straightening_a_knee_is_the_straighten_super_paircode():
    a = with_rotations(right_knee=(np.radians(90), 0, 0))
    b = upright()
    codes, b_elig, cats_b = pair_codes(a, b)
    assert Code(R, "leg", "straighten", pair=True) in codes
    # the "bent less" angle paircode is support II of straighten: gone once straighten fires
    assert not any(c.part1 == "knee" and c.interp.startswith("bent") for c in codes)
    # and pose B's "the right knee is straight" (absolute, required by straighten) is not repeated
    table = posecode_table()
    col = table.column("angle", ("right_hip", "right_knee", "right_ankle"))
    assert table.interp_names[col][cats_b[0, col]] == "straight" and b_elig[0, col] == 0
    text = describe_pose_pairs(joints(a), joints(b), "pfA", 0, noise=False)[0]
    assert re.search(r"(straighten|extend|stretch|unbend|lock)\w* (the|your) right leg", text, re.I), text


def test_hands_apart_is_farther_only_when_they_started_close():
    a = with_rotations(left_shoulder=(0, -1.85, 0), right_shoulder=(0, 1.85, 0))  # arms forward, crossing in
    b = upright()  # arms out to the sides again
    ja = prepare_joints(joints(a))
    assert np.linalg.norm(ja[0, 22 + 11] - ja[0, 22 + 12]) < 0.2  # hands close together in pose A
    codes, _, _ = pair_codes(a, b)
    assert Code(PLURAL, "hands", "farther", pair=True) in codes
    # the elementary distance paircodes are support I: never said on their own
    assert not any(c.interp in PAIR_OPERATORS["pair_distance"].categories and c.side1 != PLURAL and
                   c.part2 is not None for c in codes)
    back, _, _ = pair_codes(b, a)
    assert Code(PLURAL, "hands", "closer", pair=True) in back and Code(PLURAL, "hands", "farther", pair=True) \
        not in back


def test_rotation_change_sign_and_categories():
    roots_a = np.tile(UPRIGHT_ROOT, (4, 1))
    turns = np.radians([90, -90, 180, 10])
    rb = rot.axis_angle_to_matrix(np.stack([[0, 0, t] for t in turns])) @ rot.axis_angle_to_matrix(roots_a)
    roots_b = rot.matrix_to_axis_angle(rb)
    np.testing.assert_allclose(np.abs(rotation_change_degrees(roots_a, roots_b)), [90, 90, 180, 10], atol=1e-6)
    assert rotation_change_degrees(roots_a, roots_b)[0] == pytest.approx(90)
    j = joints(upright(4))
    texts = describe_pose_pairs(j, j, "pfA", 0, noise=False, in_sequence=[True] * 4, roots_a=roots_a,
                                roots_b=roots_b)
    assert re.match(r"(Turn|Rotate) (a quarter to the left|90 degrees to the left)\.", texts[0]), texts[0]
    assert re.match(r"(Turn|Rotate) (a quarter to the right|90 degrees to the right)\.", texts[1]), texts[1]
    assert re.match(r"(Turn around|Face the other way|Turn to face backward|Spin around|Rotate by half)",
                    texts[2]), texts[2]
    assert texts[3] == ""  # identical poses, a 10 deg turn: nothing to say
    out_of_sequence = describe_pose_pairs(j, j, "pfA", 0, noise=False, in_sequence=[False] * 4, roots_a=roots_a,
                                          roots_b=roots_b)
    assert out_of_sequence == [""] * 4


def test_rotation_sentence_from_axis_angle_pairs_in_sequence():
    a = upright(2)
    a[:, 0] = rot.matrix_to_axis_angle(rot.axis_angle_to_matrix(np.array([0, 0, 0.7])) @
                                       rot.axis_angle_to_matrix(UPRIGHT_ROOT))  # some heading: normalised away
    b = a.copy()
    b[:, 0] = rot.matrix_to_axis_angle(rot.axis_angle_to_matrix(np.array([0, 0, -np.pi / 2])) @
                                       rot.axis_angle_to_matrix(a[:, 0].astype(np.float64)))
    texts = describe_pose_pairs_from_axis_angle(a, b, noise=False, in_sequence=[True, False])
    assert re.match(r"(Turn|Rotate) (a quarter to the right|90 degrees to the right)\. ?$", texts[0]), texts[0]
    assert texts[1] == ""  # out of sequence: both normalised on their own, nothing changed


def test_changed_part_filter_keeps_kinematic_descendants():
    paircodes = [Code(R, "elbow", "higher", pair=True), Code(L, "knee", "bent more", pair=True)]
    assert changed_parts(paircodes) == {"right_elbow", "left_knee"}
    posecodes_b = [Code(R, "forearm", "horizontal"), Code(R, "upperarm", "vertical"), Code(L, "hand", "above", None,
                   "neck"), Code(R, "hand", "close", L, "knee"), Code(L, "foot", "behind", None, "torso"),
                   Code(PLURAL, "feet", "close")]
    kept = filter_changed_parts(paircodes, posecodes_b)
    # right forearm: below the right elbow; right upper arm: above it; left hand: other limb; right hand close to
    # the changed left knee; left foot below the left knee; the feet include the left foot
    assert kept == [posecodes_b[0], posecodes_b[3], posecodes_b[4], posecodes_b[5]]
    assert depends_on("left_hand", "torso") and not depends_on("torso", "left_hand")
    assert filter_changed_parts([Code(L, "hand", "lower", pair=True)], [Code(R, "forearm", "horizontal")]) == []


def test_pose_b_statements_read_should_be():
    a = with_rotations(left_elbow=(0, -np.radians(20), 0))
    b = with_rotations(left_elbow=(0, -np.radians(90), 0))
    texts = [describe_pose_pairs(joints(a), joints(b), "pfA", s, noise=False)[0] for s in range(12)]
    assert any(re.search(r"(should be|needs? to be|must be|is) (bent at a right angle|at ninety degrees|forming an L|"
                         r"bent to about 90 degrees|in an L shape|at a right angle)", t) for t in texts), texts


def test_versions_determinism_and_pfc_is_simplified():
    rng = np.random.default_rng(3)
    a, b = upright(6), upright(6)
    a[:, 1:] = rng.normal(0, 0.4, (6, 21, 3))
    b[:, 1:] = rng.normal(0, 0.4, (6, 21, 3))
    ja, jb = joints(a), joints(b)
    for version in INSTRUCTION_VERSIONS:
        texts = describe_pose_pairs(ja, jb, version, seed=5)
        assert texts == describe_pose_pairs(ja, jb, version, seed=5)
        assert texts != describe_pose_pairs(ja, jb, version, seed=6)
        assert all(t and t[0].isupper() and t.endswith(".") and not re.search(r"[<>{}]|  | \.", t) for t in texts)
    full = sum(len(t.split()) for t in describe_pose_pairs(ja, jb, "pfA", seed=5, noise=False))
    skipped = sum(len(t.split()) for t in describe_pose_pairs(ja, jb, "pfB", seed=5, noise=False))
    assert skipped < full


def test_head_paircodes_need_rotations():
    a = upright()
    b = with_rotations(head=(0, np.radians(45), 0))
    with_rot = describe_pose_pairs(joints(a), joints(b), "pfA", 0, noise=False, rotations_a=a, rotations_b=b)[0]
    assert re.search(r"(look|turn|rotate)\w* (further |to the |your head |the head )*left", with_rot.lower()), with_rot
    assert describe_pose_pairs(joints(a), joints(b), "pfA", 0, noise=False)[0] == ""


def test_verb_forms():
    assert [gerund(v) for v in ("move", "bend", "tip", "raise", "see")] == ["moving", "bending", "tipping",
                                                                            "raising", "seeing"]
    assert third_person("need to be") == "needs to be" and third_person("should be") == "should be"
    assert conjugate("<bend> {p} more", "gerund") == "bending {p} more"
    assert conjugate("<move> {p} up", "none") == " {p} up"


def test_bad_pair_inputs():
    j = joints(upright(3))
    with pytest.raises(InputError, match="poses B"):
        describe_pose_pairs(j, j[:2])
    with pytest.raises(InputError, match="roots"):
        describe_pose_pairs(j, j, in_sequence=[True, False, False])
    with pytest.raises(InputError, match="rotations"):
        describe_pose_pairs(j, j, rotations_a=upright(3))
    with pytest.raises(InputError, match="version"):
        describe_pose_pairs(j, j, version="N7")
