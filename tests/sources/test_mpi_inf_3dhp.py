"""MPI-INF-3DHP: training annot.mat + camera.calibration, test annot_data.mat (v5 and v7.3)."""

import numpy as np
import pytest

from benchmark.errors import InputError
from datasets_build.sources.joint_sets import MPI_INF_3DHP_17_TO_H36M, MPI_INF_3DHP_28_TO_H36M
from datasets_build.sources.mpi_inf_3dhp import ACTIVITIES, read_calibration, read_mpi_inf_3dhp
from tests.sources.fixtures import (make_3dhp_test_annotations, write_3dhp_test_v5, write_3dhp_test_v73,
                                    write_3dhp_train_sequence, write_calibration)

# The published H36M-order index lists (e.g. P-STMO / PoseFormer preprocessing of MPI-INF-3DHP).
TRAIN_TO_H36M = [4, 23, 24, 25, 18, 19, 20, 3, 5, 6, 7, 9, 10, 11, 14, 15, 16]
TEST_TO_H36M = [14, 8, 9, 10, 11, 12, 13, 15, 1, 16, 0, 5, 6, 7, 2, 3, 4]


def test_index_lists_match_the_published_ones():
    assert list(MPI_INF_3DHP_28_TO_H36M) == TRAIN_TO_H36M
    assert list(MPI_INF_3DHP_17_TO_H36M) == TEST_TO_H36M


def test_train_sequences(tmp_path):
    rng = np.random.default_rng(0)
    truth = {(s, q): write_3dhp_train_sequence(tmp_path / f"S{s}" / f"Seq{q}", rng, n_frames=5)
             for s in (1, 2) for q in (1, 2)}
    samples = read_mpi_inf_3dhp(tmp_path, "train", subjects=[1, 2], cameras=(0, 4), frame_step=2, progress=False)
    assert len(samples) == 2 * 2 * 2 * 3
    assert samples.source_ids[:4] == ("S1/Seq1/video_0/frame_000001", "S1/Seq1/video_0/frame_000003",
                                      "S1/Seq1/video_0/frame_000005", "S1/Seq1/video_4/frame_000001")
    assert samples.image_paths[3] == "S1/Seq1/imageFrames/video_4/frame_000001.jpg"
    t = truth[(2, 1)]
    row = samples.source_ids.index("S2/Seq1/video_4/frame_000003")
    a3 = t["annot3"][4, 0].reshape(5, 28, 3)[2]
    np.testing.assert_allclose(samples.joints_3d[row], a3[TRAIN_TO_H36M] / 1000.0, atol=1e-6)
    np.testing.assert_allclose(samples.extras["univ_joints_3d"][row],
                               t["univ_annot3"][4, 0].reshape(5, 28, 3)[2][TRAIN_TO_H36M] / 1000, atol=1e-6)
    np.testing.assert_allclose(samples.keypoints_2d[row, :, :2],
                               t["annot2"][4, 0].reshape(5, 28, 2)[2][TRAIN_TO_H36M], atol=1e-3)
    cam = samples.cameras[samples.camera_index[row]]
    np.testing.assert_allclose(cam.K, t["cameras"][4]["K"])
    np.testing.assert_allclose(cam.R, t["cameras"][4]["R"], atol=1e-9)
    np.testing.assert_allclose(cam.t, t["cameras"][4]["t_mm"] / 1000.0, atol=1e-9)
    assert samples.joints_3d_joint_set == "h36m-17"


def _test_set(tmp_path):
    rng = np.random.default_rng(1)
    arrays = {ts: make_3dhp_test_annotations(rng, 6) for ts in (1, 5)}
    write_3dhp_test_v5(tmp_path / "mpi_inf_3dhp_test_set/TS1/annot_data.mat", arrays[1])
    write_3dhp_test_v5(tmp_path / "mpi_inf_3dhp_test_set/TS5/annot_data.mat", arrays[5])
    return arrays, read_mpi_inf_3dhp(tmp_path, "test", subjects=[1, 5], progress=False)


def test_test_set_v5(tmp_path):
    rng = np.random.default_rng(1)
    arrays = {ts: make_3dhp_test_annotations(rng, 6) for ts in (1, 5)}
    write_3dhp_test_v5(tmp_path / "mpi_inf_3dhp_test_set/TS1/annot_data.mat", arrays[1])
    write_3dhp_test_v5(tmp_path / "mpi_inf_3dhp_test_set/TS5/annot_data.mat", arrays[5])
    samples = read_mpi_inf_3dhp(tmp_path, "test", subjects=[1, 5], progress=False)
    valid = {ts: np.flatnonzero(arrays[ts]["valid_frame"][0]) for ts in (1, 5)}
    assert len(samples) == len(valid[1]) + len(valid[5])
    f = valid[5][0]
    row = samples.source_ids.index(f"TS5/img_{f + 1:06d}")
    assert samples.image_paths[row] == f"mpi_inf_3dhp_test_set/TS5/imageSequence/img_{f + 1:06d}.jpg"
    a3 = arrays[5]["annot3"].T[f, 0]                  # MATLAB 3 x 17 x 1 x N -> N x 1 x 17 x 3
    np.testing.assert_allclose(samples.joints_3d[row], a3[TEST_TO_H36M] / 1000.0, atol=1e-6)
    assert samples.actions[row] == ACTIVITIES[int(arrays[5]["activity_annotation"][0, f]) - 1]
    assert samples.cameras[samples.camera_index[row]].width == 1920
    everything = read_mpi_inf_3dhp(tmp_path, "test", subjects=[1], valid_only=False, progress=False)
    assert len(everything) == 6


def test_test_set_v73(tmp_path):
    pytest.importorskip("h5py")  # the released test set is MATLAB v7.3 (HDF5)
    arrays, samples = _test_set(tmp_path)
    write_3dhp_test_v73(tmp_path / "v73/TS1/annot_data.mat", arrays[1])
    again = read_mpi_inf_3dhp(tmp_path / "v73", "test", subjects=[1], progress=False)
    first = samples.take(np.flatnonzero(samples.extras["subject"] == 1))
    np.testing.assert_allclose(again.joints_3d, first.joints_3d, atol=1e-6)
    np.testing.assert_allclose(again.keypoints_2d, first.keypoints_2d, atol=1e-4)


def test_calibration_and_malformed_files(tmp_path):
    cams = [{"K": np.array([[1500.0, 0, 1020], [0, 1501, 1040], [0, 0, 1]]), "R": np.eye(3),
             "t_mm": np.array([10.0, -20.0, 3000.0]), "size": (2048, 2048)}]
    path = write_calibration(tmp_path / "camera.calibration", cams)
    parsed = read_calibration(path)
    np.testing.assert_allclose(parsed[0].K, cams[0]["K"])
    np.testing.assert_allclose(parsed[0].t, [0.01, -0.02, 3.0])
    assert (parsed[0].width, parsed[0].height) == (2048, 2048)
    text = path.read_text().replace("  intrinsic   1500 0 1020 0", "  intrinsic   1500 0 1020")
    path.write_text(text)
    with pytest.raises(InputError, match="expected 16 numbers") as err:
        read_calibration(path)
    assert err.value.field == "intrinsic" and err.value.file == str(path)
    path.write_text("not a calibration\n")
    with pytest.raises(InputError, match="first line"):
        read_calibration(path)

    rng = np.random.default_rng(2)
    arrays = make_3dhp_test_annotations(rng, 4)
    del arrays["univ_annot3"]
    write_3dhp_test_v5(tmp_path / "TS1/annot_data.mat", arrays)
    with pytest.raises(InputError, match="missing variable") as err:
        read_mpi_inf_3dhp(tmp_path, "test", subjects=[1], progress=False)
    assert err.value.field == "univ_annot3"
    arrays = make_3dhp_test_annotations(rng, 4)
    arrays["annot3"] = arrays["annot3"][:, :16]
    write_3dhp_test_v5(tmp_path / "TS1/annot_data.mat", arrays)
    with pytest.raises(InputError, match=r"is not \[3, 17, 1, 4\]") as err:
        read_mpi_inf_3dhp(tmp_path, "test", subjects=[1], progress=False)
    assert err.value.field == "annot3"
    write_3dhp_train_sequence(tmp_path / "S1/Seq1", rng, n_frames=3, n_cameras=3)
    with pytest.raises(InputError, match="camera 4 is not in the calibration file"):
        read_mpi_inf_3dhp(tmp_path, "train", subjects=[1], cameras=(4,), progress=False)
