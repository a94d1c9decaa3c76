"""AMASS npz reading: frame-rate key variants, missing keys, malformed files, heading normalisation."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from benchmark.errors import InputError
from datasets_build.sources.amass import amass_frames, read_amass_sequence, resolve_amass_path
from tests.sources.fixtures import random_amass_poses, write_amass_npz


@pytest.mark.parametrize("fps_key", ["mocap_framerate", "mocap_frame_rate"])
def test_reads_both_framerate_keys(tmp_path, fps_key):
    rng = np.random.default_rng(0)
    poses = random_amass_poses(rng, 4)
    trans = rng.normal(size=(4, 3))
    path = write_amass_npz(tmp_path / "seq_poses.npz", poses, fps=59.94, fps_key=fps_key, trans=trans,
                           gender=np.array(b"female"))
    seq = read_amass_sequence(path)
    assert seq.fps == pytest.approx(59.94) and seq.gender == "female" and len(seq) == 4
    np.testing.assert_allclose(seq.poses, poses.astype(np.float32))
    np.testing.assert_allclose(seq.trans, trans.astype(np.float32))
    assert seq.poses.dtype == np.float32 and seq.poses.shape == (4, 52, 3)


@pytest.mark.parametrize("missing,match", [("poses", "missing key"), ("mocap_framerate", "missing frame rate")])
def test_missing_keys(tmp_path, missing, match):
    path = write_amass_npz(tmp_path / "s.npz", np.zeros((2, 52, 3)), omit=(missing,))
    with pytest.raises(InputError, match=match) as err:
        read_amass_sequence(path)
    assert err.value.file == str(path) and err.value.field in (missing, "mocap_framerate")


def test_malformed_values(tmp_path):
    path = tmp_path / "a.npz"
    np.savez(path, poses=np.zeros((3, 66)), mocap_framerate=np.array(60.0))
    with pytest.raises(InputError, match=r"shape \[3, 66\] is not \[N, 156\]") as err:
        read_amass_sequence(path)
    assert err.value.field == "poses"
    poses = np.zeros((3, 156))
    poses[1, 7] = np.nan
    write_amass_npz(path, poses)
    with pytest.raises(InputError, match="NaN") as err:
        read_amass_sequence(path)
    assert err.value.row == 1
    write_amass_npz(path, np.zeros((3, 156)), trans=np.zeros((2, 3)))
    with pytest.raises(InputError, match="trans") as err:
        read_amass_sequence(path)
    assert err.value.field == "trans"
    write_amass_npz(path, np.zeros((3, 156)), fps=-1.0)
    with pytest.raises(InputError, match="frame rate"):
        read_amass_sequence(path)
    corrupt = tmp_path / "c.npz"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="not a readable npz") as err:
        read_amass_sequence(corrupt)
    assert err.value.file == str(corrupt)
    with pytest.raises(InputError, match="not found"):
        read_amass_sequence(tmp_path / "nope.npz")


def test_frames_are_heading_normalised_like_scipy(tmp_path):
    rng = np.random.default_rng(1)
    poses = random_amass_poses(rng, 6)
    seq = read_amass_sequence(write_amass_npz(tmp_path / "s.npz", poses))
    out = amass_frames(seq, [4, 0, 2], n_joints=22)
    assert out.shape == (3, 22, 3)
    # independent check with scipy: extrinsic xyz Euler = Rz Ry Rx; zero the z angle
    angles = Rotation.from_rotvec(poses[[4, 0, 2], 0]).as_euler("xyz")
    angles[:, 2] = 0
    expected = Rotation.from_euler("xyz", angles).as_matrix()
    np.testing.assert_allclose(Rotation.from_rotvec(out[:, 0].astype(np.float64)).as_matrix(), expected, atol=1e-5)
    np.testing.assert_allclose(out[:, 1:], poses[[4, 0, 2], 1:22], atol=1e-6)
    with pytest.raises(InputError, match="frame index 6 is outside 0..5"):
        amass_frames(seq, [6])


def test_resolve_renamed_subset(tmp_path):
    write_amass_npz(tmp_path / "BMLrub" / "x" / "a_poses.npz", np.zeros((1, 156)))
    assert resolve_amass_path(tmp_path, "BioMotionLab_NTroje/x/a_poses.npz") == tmp_path / "BMLrub/x/a_poses.npz"
