import numpy as np
import pytest
import roma
import torch
from scipy.spatial.transform import Rotation, Slerp

from benchmark.errors import InputError
from datasets_build.world.generator import generate_poses
from datasets_build.world.limits import check_limits
from datasets_build.world.sequences import POSEFIX_MAX_DT_S, interpolate_poses, make_sequences, \
    sample_in_sequence_pairs, smoothstep


def _same_rotations(a, b, atol=1e-5):
    ra = roma.rotvec_to_rotmat(torch.as_tensor(np.asarray(a, np.float64)))
    rb = roma.rotvec_to_rotmat(torch.as_tensor(np.asarray(b, np.float64)))
    return float((ra - rb).abs().max()) < atol


def test_interpolation_endpoints_equal_the_inputs():
    a, b = generate_poses(8, 0).poses, generate_poses(8, 1).poses
    out = interpolate_poses(a, b, [0.0, 0.5, 1.0])
    assert out.shape == (3, 8, 22, 3)
    np.testing.assert_allclose(out[0], a, atol=1e-5)  # generated rotation vectors have angles below pi
    np.testing.assert_allclose(out[-1], b, atol=1e-5)
    assert interpolate_poses(a, b, 0.25).shape == (8, 22, 3)
    assert isinstance(interpolate_poses(torch.from_numpy(a), torch.from_numpy(b), 0.5), torch.Tensor)


def test_interpolation_is_per_joint_slerp():
    a, b = generate_poses(4, 2).poses.astype(np.float64), generate_poses(4, 3).poses.astype(np.float64)
    t = np.array([0.1, 0.37, 0.8])
    got = interpolate_poses(a, b, t)
    for i in range(4):
        for j in range(22):
            ref = Slerp([0.0, 1.0], Rotation.from_rotvec([a[i, j], b[i, j]]))(t).as_rotvec()
            assert _same_rotations(got[:, i, j], ref)


def test_interpolation_rejects_mismatched_poses():
    with pytest.raises(InputError, match="shape"):
        interpolate_poses(np.zeros((22, 3)), np.zeros((21, 3)), 0.5)


@pytest.mark.parametrize("interpolation", ["euler", "slerp"])
def test_sequences_move_between_generated_poses_inside_the_limits(interpolation):
    seqs = make_sequences(40, 5, duration_s=0.5, fps=30.0, interpolation=interpolation)
    assert seqs.poses.shape == (40, 16, 22, 3) and seqs.poses.dtype == np.float32
    np.testing.assert_array_equal(seqs.frame_index, np.arange(16))
    np.testing.assert_allclose(seqs.time_s[-1], 0.5)
    np.testing.assert_array_equal(seqs.poses[:, 0], seqs.start.poses)
    np.testing.assert_array_equal(seqs.poses[:, -1], seqs.end.poses)
    assert np.isfinite(seqs.poses).all()
    assert check_limits(seqs.poses.reshape(-1, 22, 3)).all_within
    # a motion: consecutive frames are close, and the steps add up to the end-to-end change
    steps = np.abs(np.diff(seqs.poses[:, :, 1:], axis=1)).max(axis=(2, 3))
    assert steps.max() < np.abs(seqs.poses[:, -1, 1:] - seqs.poses[:, 0, 1:]).max(axis=(1, 2)).max() / 3
    # the end pose keeps the start's side and turns the heading by at most 30 degrees
    np.testing.assert_array_equal(seqs.end.mirrored, seqs.start.mirrored)
    turn = (seqs.end.heading_deg - seqs.start.heading_deg + 180) % 360 - 180
    assert np.abs(turn).max() <= 30 + 1e-3


def test_euler_sequences_are_straight_lines_in_the_limit_box():
    seqs = make_sequences(6, 1, duration_s=0.3, fps=10.0)
    euler = check_limits(seqs.poses.reshape(-1, 22, 3)).euler_deg.reshape(6, 4, 21, 3)
    s = smoothstep(np.arange(4) / 3)[None, :, None, None]
    want = (1 - s) * seqs.start.euler_deg[:, None] + s * seqs.end.euler_deg[:, None]
    np.testing.assert_allclose(euler, want, atol=5e-3)


def test_sequences_are_seeded():
    a, b = make_sequences(5, 9), make_sequences(5, 9)
    np.testing.assert_array_equal(a.poses, b.poses)
    assert not np.allclose(a.poses, make_sequences(5, 10).poses)


def test_end_archetypes_switch_only_to_root_compatible_ones():
    seqs = make_sequences(300, 4, duration_s=0.1, switch=1.0)
    first, last = seqs.start.archetype_ids[:, 0], seqs.end.archetype_ids[:, 0]
    from datasets_build.world.archetypes import ARCHETYPES

    roots = np.array([a.root_deg for a in ARCHETYPES])
    assert (np.abs(roots[first] - roots[last]) <= 30).all()
    assert (first != last).mean() > 0.9  # every archetype but the lone side-lying one has a compatible partner
    same = make_sequences(50, 4, duration_s=0.1, switch=0.0)
    np.testing.assert_array_equal(same.start.archetype_ids[:, 0], same.end.archetype_ids[:, 0])


def test_in_sequence_pairs_follow_posefix():
    seqs = make_sequences(10, 2, duration_s=1.0, fps=30.0)
    pairs = sample_in_sequence_pairs(seqs, 2000, seed=0)
    assert pairs.shape == (2000, 3)
    seq, fa, fb = pairs.T
    assert ((seq >= 0) & (seq < 10)).all() and (fa >= 0).all() and (fb <= 30).all()
    dt = (fb - fa) / seqs.fps
    assert (dt > 0).all() and (dt < POSEFIX_MAX_DT_S).all()
    assert dt.max() == pytest.approx(14 / 30)  # every allowed gap occurs
    np.testing.assert_array_equal(pairs, sample_in_sequence_pairs(seqs, 2000, seed=0))


@pytest.mark.parametrize("kwargs, message", [(dict(interpolation="cubic"), "interpolation"),
                                             (dict(fps=0.0), "fps"), (dict(switch=2.0), "switch"),
                                             (dict(duration_s=0.01), "frame")])
def test_bad_sequence_options(kwargs, message):
    with pytest.raises(InputError, match=message):
        make_sequences(2, 0, **kwargs)
