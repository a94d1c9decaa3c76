"""Posecode agreement: the ground truth scores 100 %, random poses of the world's distribution sit at the floor of
unrelated poses, and a hand-worked pose pair disagrees exactly where it was changed."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.errors import InputError
from benchmark.metrics.posecode_agreement import (GROUPS, MEASURES, agreement_counts, describe_posecodes,
                                                  f1_from_counts, posecode_agreement, posecode_keys,
                                                  precision_from_counts, recall_from_counts)
from benchmark.metrics.specs import metric_spec
from benchmark.posecodes.table import KINDS, OPERATORS, posecode_table
from benchmark.tasks.scoring import posecode_scores


@pytest.fixture(scope="module")
def world_poses():
    """Test-like poses of the embedded world's generator (the distribution its splits and the random baseline's
    training poses come from): 240 ground-truth poses and 240 independent draws."""
    from datasets_build.world.generator import generate_poses

    return generate_poses(240, 11).poses, generate_poses(240, 12).poses


def standing(n: int = 1) -> np.ndarray:
    """The rest pose (arms spread, legs straight) stood upright in the AMASS frame."""
    poses = np.zeros((n, 22, 3), np.float32)
    poses[:, 0] = [np.pi / 2, 0.0, 0.0]
    return poses


def test_the_groups_are_the_tables_kinds_and_every_key_is_declared():
    assert GROUPS == ("all", *KINDS, "super")
    assert len(posecode_keys()) == 3 * len(GROUPS)
    for key in posecode_keys():
        spec = metric_spec(key)
        assert spec.unit == "%" and spec.higher_is_better and spec.group == "posecodes"


def test_the_ground_truth_scores_100_on_every_measure(world_poses):
    truth, _ = world_poses
    scores = posecode_agreement(truth.copy(), truth)
    counts = scores.details["counts"]
    assert (counts[..., 0] == counts[..., 1]).all() and (counts[..., 1] == counts[..., 2]).all()
    assert counts[:, 0, 2].min() > 5  # every pose says something
    for name in scores:
        s = scores[name]
        assert s.value == 100.0 or (np.isnan(s.value) and "reason" in s.details), name
    # through the task's scoring: result entries of 100 with an interval of [100, 100]
    entries, records = posecode_scores(truth.copy(), truth, seed=0, resamples=100)
    f1 = entries["posecode_f1"]
    assert (f1.value, f1.ci_low, f1.ci_high) == (100.0, 100.0, 100.0)
    assert records["posecode_counts"][0]["all"] == [int(counts[0, 0, 0])] * 3


def test_random_poses_sit_at_the_floor_of_unrelated_poses(world_poses):
    truth, random = world_poses
    scores = posecode_agreement(random, truth)
    floor = scores["posecode_f1"].details["shuffled_truth_f1"]  # each truth against the next row's truth
    assert 10.0 < floor < 40.0
    assert scores["posecode_f1"].value == pytest.approx(floor, abs=4.0)
    for measure in MEASURES:
        assert scores[f"posecode_{measure}"].value < 40.0
    # a pose edit that returns the source pose is scored against the target: between the floor and 100
    edited = posecode_agreement(random, truth, source_poses=truth[::-1].copy())
    assert edited["posecode_f1"].details["source_f1"] == pytest.approx(floor, abs=6.0)


def test_bending_one_knee_is_one_angle_disagreement():
    truth = standing(2)
    generated = truth.copy()
    generated[1, 4] = [np.pi / 2, 0.0, 0.0]  # row 1: the left knee (joint 4) bent 90 degrees about its x axis
    table = posecode_table()
    column = table.column("angle", ("left_hip", "left_knee", "left_ankle"))
    categories = OPERATORS["angle"].categories
    described_truth, described_generated = describe_posecodes(truth), describe_posecodes(generated)
    # the four elbow and knee angles of the rest pose are straight (> 160 deg) and described; bent, the left knee
    # is at 90 deg: "right angle" (75..105)
    angle_columns = np.arange(table.kind_slices["angle"].start, table.kind_slices["angle"].stop)
    assert [categories[c] for c in described_truth.categories[1, angle_columns]] == ["straight"] * 4
    assert described_truth.described[1, angle_columns].all()
    assert categories[described_generated.categories[1, column]] == "right angle"
    counts = agreement_counts(described_generated, described_truth)
    angle = GROUPS.index("angle")
    assert counts[0, angle].tolist() == [4, 4, 4]
    assert counts[1, angle].tolist() == [3, 4, 4]
    scores = posecode_agreement(generated, truth)
    assert scores["posecode_precision@angle"].value == pytest.approx(100 * 7 / 8)
    assert scores["posecode_f1@angle"].value == pytest.approx(100 * 2 * 7 / (8 + 8))
    # the arms did not move: every arm-only code agrees
    assert scores["posecode_f1@distance"].value == 100.0
    assert scores["posecode_f1"].value < 100.0


def test_degenerate_counts_follow_the_documented_convention():
    counts = np.array([[0, 0, 0], [0, 0, 5], [0, 3, 0], [2, 4, 2]], dtype=float)
    np.testing.assert_allclose(precision_from_counts(counts), [100.0, 0.0, 0.0, 50.0])
    np.testing.assert_allclose(recall_from_counts(counts), [100.0, 0.0, 0.0, 100.0])
    np.testing.assert_allclose(f1_from_counts(counts), [100.0, 0.0, 0.0, 100 * 4 / 6])


def test_a_kind_no_pose_has_is_not_computed_and_bad_input_is_named():
    truth = standing(3)
    entries, _ = posecode_scores(truth.copy(), truth, seed=0, resamples=50)
    assert entries["posecode_f1@distance"].value == 100.0
    # the head looks straight ahead; feet on the ground only feed super-posecodes (support I) and no hand is down
    for kind in ("relativeRotY", "onGround"):
        entry = entries[f"posecode_f1@{kind}"]
        assert entry.value is None and f"no {kind} posecode" in entry.details["reason"]
    with pytest.raises(InputError, match="field 'pred'"):
        posecode_agreement(np.zeros((2, 21, 3), np.float32), standing(2))
    with pytest.raises(InputError, match="2 generated poses but 3 ground-truth poses"):
        agreement_counts(describe_posecodes(standing(2)), describe_posecodes(standing(3)))
