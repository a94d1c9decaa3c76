"""MPJPE / PA-MPJPE against hand-worked values, scipy's Procrustes and invariants; exact mergeable sums."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from scipy.linalg import orthogonal_procrustes
from scipy.spatial import procrustes
from scipy.spatial.transform import Rotation

from benchmark.errors import InputError
from benchmark.metrics.exact_sum import ExactSum
from benchmark.metrics.pose import (ErrorSums, mpjpe, mpjpe_per_sample, pa_mpjpe, pa_mpjpe_per_sample,
                                    procrustes_align)


def skeletons(n, joints=17, seed=0):
    return np.random.default_rng(seed).normal(scale=0.4, size=(n, joints, 3))


def test_mpjpe_hand_worked_in_millimetres():
    gt = np.zeros((2, 2, 3))
    pred = np.array([[[0.003, 0.004, 0.0], [0.0, 0.0, 0.0]],      # errors 5 mm and 0 mm -> 2.5 mm
                     [[0.0, 0.0, 0.01], [0.0, 0.006, 0.008]]])    # errors 10 mm and 10 mm -> 10 mm
    score = mpjpe(pred, gt)
    np.testing.assert_allclose(score.details["per_sample"], [2.5, 10.0])
    assert score.value == pytest.approx(6.25)
    assert score.name == "MPJPE" and score.n == 2


def test_identical_joints_score_zero_and_only_pa_ignores_a_common_translation():
    gt = skeletons(5)
    assert mpjpe(gt, gt).value == 0.0
    assert pa_mpjpe(gt, gt).value == pytest.approx(0.0, abs=1e-9)
    moved = gt + np.array([0.1, -0.2, 0.05])  # MPJPE has no alignment: the offset is the error
    assert mpjpe(moved, gt).value == pytest.approx(1000 * np.linalg.norm([0.1, -0.2, 0.05]))
    assert pa_mpjpe(moved, gt).value == pytest.approx(0.0, abs=1e-9)


def test_pa_mpjpe_is_invariant_to_a_similarity_transform_of_the_prediction():
    gt = skeletons(20, seed=1)
    pred = gt + np.random.default_rng(2).normal(scale=0.03, size=gt.shape)
    rotations = Rotation.random(20, random_state=3).as_matrix()
    scales = np.random.default_rng(4).uniform(0.5, 2.0, size=20)
    shifts = np.random.default_rng(5).normal(size=(20, 1, 3))
    transformed = scales[:, None, None] * np.einsum("nij,nkj->nki", rotations, pred) + shifts
    np.testing.assert_allclose(pa_mpjpe_per_sample(transformed, gt), pa_mpjpe_per_sample(pred, gt), rtol=1e-9)
    assert not np.allclose(mpjpe_per_sample(transformed, gt), mpjpe_per_sample(pred, gt))


def test_alignment_matches_scipy_procrustes():
    gt = skeletons(6, seed=7)
    pred = gt @ Rotation.random(random_state=8).as_matrix().T * 1.3 + 0.2
    pred += np.random.default_rng(9).normal(scale=0.05, size=pred.shape)
    aligned = procrustes_align(pred, gt)
    for i in range(len(gt)):
        # scipy standardises both sets (centred, unit Frobenius norm) and maps the second onto the first.
        std_gt, std_pred_aligned, _ = procrustes(gt[i], pred[i])
        centred_gt = gt[i] - gt[i].mean(axis=0)
        ours = (aligned[i] - gt[i].mean(axis=0)) / np.linalg.norm(centred_gt)
        np.testing.assert_allclose(ours, std_pred_aligned, atol=1e-10)
        # the rotation agrees with scipy's orthogonal Procrustes (no reflection needed here)
        x, y = pred[i] - pred[i].mean(axis=0), centred_gt
        rot, _ = orthogonal_procrustes(x, y)  # x @ rot ~ y
        scale = np.trace((x @ rot).T @ y) / np.sum(x**2)
        np.testing.assert_allclose(aligned[i], scale * x @ rot + gt[i].mean(axis=0), atol=1e-10)


def test_reflections_are_excluded():
    gt = skeletons(1, seed=10)
    mirrored = gt * np.array([-1.0, 1.0, 1.0])  # a left/right flip is not a rotation
    rot, _ = orthogonal_procrustes(mirrored[0] - mirrored[0].mean(0), gt[0] - gt[0].mean(0))
    assert np.linalg.det(rot) < 0  # the unconstrained optimum is a reflection...
    aligned = procrustes_align(mirrored, gt)
    centred = aligned[0] - aligned[0].mean(0)
    recovered, _ = orthogonal_procrustes(mirrored[0] - mirrored[0].mean(0), centred)
    assert np.linalg.det(recovered) > 0  # ...ours applies a proper rotation
    assert pa_mpjpe(mirrored, gt).value > 1.0


def test_alignment_is_a_least_squares_optimum():
    gt = skeletons(1, joints=24, seed=11)
    pred = gt + np.random.default_rng(12).normal(scale=0.05, size=gt.shape)
    aligned = procrustes_align(pred, gt)[0]
    best = np.sum((aligned - gt[0]) ** 2)
    centre = gt[0].mean(axis=0)
    for rotvec in np.random.default_rng(13).normal(scale=0.01, size=(50, 3)):
        for scale in (0.99, 1.0, 1.01):
            perturbed = scale * (aligned - centre) @ Rotation.from_rotvec(rotvec).as_matrix().T + centre
            assert np.sum((perturbed - gt[0]) ** 2) >= best - 1e-12


def test_pose_inputs_are_validated():
    gt = skeletons(3)
    with pytest.raises(InputError, match="joints per row"):
        mpjpe(gt[:, :10], gt)
    with pytest.raises(InputError, match=r"rows in 'gt' but"):
        pa_mpjpe(gt[:2], gt)
    bad = gt.copy()
    bad[2, 1, 0] = np.inf
    with pytest.raises(InputError, match=r"row 2.*'pred'.*NaN or infinite"):
        mpjpe(bad, gt)
    with pytest.raises(InputError, match="shape"):
        mpjpe(gt[..., :2], gt[..., :2])


# ----------------------------------------------------------------------------------------------- exact sums
def test_exact_sum_is_the_correctly_rounded_sum_whatever_the_order():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(size=1000) * 10.0 ** rng.integers(-30, 30, size=1000),
                             [5e-324, -5e-324, 1e300, -1e300, 0.1, 0.2, -0.3]])
    total = ExactSum().add(values)
    assert total.value() == math.fsum(values)
    assert ExactSum().add(values[::-1]).total == total.total
    left, right = ExactSum().add(values[:400]), ExactSum().add(values[400:])
    assert right.merge(left) == total
    assert ExactSum().add(np.full(10, 0.1)).mean(10) == 0.1  # the float sum is 0.9999999999999999
    assert ExactSum().add(np.full(10, 0.1)).value() == 1.0


def test_error_sums_merge_exactly_and_round_trip_through_json():
    rng = np.random.default_rng(1)
    values = {"MPJPE": rng.uniform(10, 300, size=997), "PA-MPJPE": rng.uniform(5, 150, size=997)}
    actions = rng.choice(["Walking", "Eating", "Sitting"], size=997)
    whole = ErrorSums(("MPJPE", "PA-MPJPE"))
    whole.add(values, actions)
    cuts = [0, 100, 555, 997]
    shards = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        shard = ErrorSums(("MPJPE", "PA-MPJPE"))
        shard.add({k: v[a:b] for k, v in values.items()}, actions[a:b])
        shards.append(ErrorSums.from_state(json.loads(json.dumps(shard.state()))))
    merged = shards[2].merge(shards[0]).merge(shards[1])
    assert merged == whole
    exact_mean = float(sum(Fraction(v) for v in values["MPJPE"].tolist()) / 997)  # rational arithmetic
    assert merged.frame_mean("MPJPE") == exact_mean
    for action in ("Walking", "Eating", "Sitting"):
        sel = actions == action
        assert merged.action_means("PA-MPJPE")[action] == pytest.approx(values["PA-MPJPE"][sel].mean(), rel=1e-15)
        assert merged.action_counts[action] == sel.sum()
