"""3DPW sequence pickles (root and joints into the camera frame) and the HMR 2.0 evaluation npz."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from benchmark.errors import InputError
from datasets_build.sources.hmr2_eval import read_hmr2_eval
from datasets_build.sources.threedpw import read_3dpw, read_3dpw_eval
from tests.sources.fixtures import (evil_pickle_bytes, make_3dpw_sequence, write_3dpw_sequence, write_hmr2_eval_npz,
                                    write_npz)


def _root(tmp_path, seqs, split="test"):
    for seq in seqs:
        write_3dpw_sequence(tmp_path / "sequenceFiles" / split / f"{seq['sequence']}.pkl", seq)
    return tmp_path


def test_root_in_camera_frame_with_a_hand_built_camera(tmp_path):
    rng = np.random.default_rng(0)
    seq = make_3dpw_sequence(rng, "downtown_walking_00", n_frames=2, n_actors=1)
    # world root: +90 deg about x (an upright SMPL body in a z-up world); camera: +90 deg about z
    seq["poses"][0][:, :3] = [np.pi / 2, 0, 0]
    r_cam = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    seq["cam_poses"][:, :3, :3] = r_cam
    seq["cam_poses"][:, :3, 3] = [0.5, -0.2, 3.0]
    seq["campose_valid"] = [np.array([True, True])]
    seq["jointPositions"][0][:] = 0.0
    seq["jointPositions"][0][:, 3:6] = [1.0, 2.0, 3.0]        # joint 1 at (1, 2, 3) m in the world
    samples = read_3dpw(_root(tmp_path, [seq]), "test", progress=False)
    # Rz(90) Rx(90) maps x->y, y->z, z->x: the matrix with columns (0,1,0), (0,0,1), (1,0,0)
    expected = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    got = Rotation.from_rotvec(samples.poses[0, 0].astype(np.float64)).as_matrix()
    np.testing.assert_allclose(got, expected, atol=1e-6)
    # its axis-angle: 120 deg about (1, 1, 1)/sqrt(3)
    np.testing.assert_allclose(samples.poses[0, 0], np.full(3, 2 * np.pi / 3 / np.sqrt(3)), atol=1e-6)
    np.testing.assert_allclose(samples.joints_3d[0, 0], [0.5, -0.2, 3.0], atol=1e-6)
    np.testing.assert_allclose(samples.joints_3d[0, 1], [-2.0 + 0.5, 1.0 - 0.2, 3.0 + 3.0], atol=1e-6)
    np.testing.assert_allclose(samples.poses[0, 1:], seq["poses"][0][0, 3:66].reshape(21, 3), atol=1e-6)


def test_rows_paths_and_validity(tmp_path):
    rng = np.random.default_rng(1)
    seqs = [make_3dpw_sequence(rng, name, n_frames=6) for name in ("outdoors_fencing_01", "downtown_bus_00")]
    root = _root(tmp_path, seqs)
    samples = read_3dpw(root, "test", progress=False)
    valid_rows = [(s["sequence"], p, f) for s in sorted(seqs, key=lambda s: s["sequence"])
                  for p in range(2) for f in range(6) if s["campose_valid"][p][f]]
    assert len(samples) == len(valid_rows)
    assert samples.source_ids[0] == f"{valid_rows[0][0]}/frame_{valid_rows[0][2]:05d}/person_{valid_rows[0][1]}"
    assert samples.image_paths[0] == f"imageFiles/{valid_rows[0][0]}/image_{valid_rows[0][2]:05d}.jpg"
    last = valid_rows[-1]
    seq = next(s for s in seqs if s["sequence"] == last[0])
    np.testing.assert_allclose(samples.keypoints_2d[-1], seq["poses2d"][last[1]][last[2]].T, atol=1e-4)
    np.testing.assert_allclose(samples.betas[-1], seq["betas"][last[1]], atol=1e-6)
    assert samples.extras["gender"][-1] == ["m", "f"][last[1]]
    K = samples.cameras[samples.camera_index[-1]].K
    np.testing.assert_allclose(K, seq["cam_intrinsics"])
    # the same rotation rule, checked against scipy on every row
    r_cam = seq["cam_poses"][last[2], :3, :3]
    expected = Rotation.from_matrix(r_cam) * Rotation.from_rotvec(seq["poses"][last[1]][last[2], :3])
    np.testing.assert_allclose(Rotation.from_rotvec(samples.poses[-1, 0].astype(float)).as_matrix(),
                               expected.as_matrix(), atol=1e-5)
    everything = read_3dpw(root, "test", valid_only=False, progress=False)
    assert len(everything) == 2 * 2 * 6 and (~everything.extras["campose_valid"]).sum() == 24 - len(samples)


def test_sequence_malformed(tmp_path):
    rng = np.random.default_rng(2)
    seq = make_3dpw_sequence(rng, "flat_guitar_01", n_frames=3)
    del seq["cam_poses"]
    root = _root(tmp_path, [seq])
    path = root / "sequenceFiles/test/flat_guitar_01.pkl"
    with pytest.raises(InputError, match="missing key") as err:
        read_3dpw(root, progress=False)
    assert err.value.file == str(path) and err.value.field == "cam_poses"
    seq = make_3dpw_sequence(rng, "flat_guitar_01", n_frames=3)
    seq["poses"][1] = seq["poses"][1][:, :69]
    write_3dpw_sequence(path, seq)
    with pytest.raises(InputError, match=r"shape \[3, 69\] is not \[3, 72\]") as err:
        read_3dpw(root, progress=False)
    assert err.value.row == "actor 1" and err.value.field == "poses"
    path.write_bytes(evil_pickle_bytes())
    with pytest.raises(InputError, match="refusing to unpickle"):
        read_3dpw(root, progress=False)
    with pytest.raises(InputError, match="no sequence pickles"):
        read_3dpw(root, "train", progress=False)


@pytest.mark.parametrize("layout", ["split", "whole", "extra19"])
def test_hmr2_eval_npz(tmp_path, layout):
    rng = np.random.default_rng(3)
    truth = write_hmr2_eval_npz(tmp_path / "3dpw_test.npz", rng, 8, layout=layout, person_ids=layout == "split")
    samples = read_3dpw_eval(tmp_path / "3dpw_test.npz")
    rows = list(range(25, 38)) + [43, 39]
    np.testing.assert_allclose(samples.joints_3d, truth["_kp3"][:, rows, :3], atol=1e-6)
    np.testing.assert_allclose(samples.extras["confidence_3d"], truth["_kp3"][:, rows, 3], atol=1e-6)
    has = truth["has_body_pose"] > 0.5
    np.testing.assert_array_equal(samples.has_pose, has)
    np.testing.assert_allclose(samples.poses[has], truth["body_pose"][has, :66].reshape(-1, 22, 3), atol=1e-6)
    assert not samples.poses[~has].any()
    if layout == "split":
        np.testing.assert_allclose(samples.keypoints_2d, truth["_kp2"], atol=1e-4)
        assert samples.source_ids[1].endswith("/person_1")
    else:
        assert samples.keypoints_2d is None


def test_hmr2_eval_malformed(tmp_path):
    rng = np.random.default_rng(4)
    truth = write_hmr2_eval_npz(tmp_path / "a.npz", rng, 4, layout="split")
    arrays = {k: v for k, v in truth.items() if not k.startswith("_") and k != "extra_keypoints_3d"}
    write_npz(tmp_path / "a.npz", arrays)
    with pytest.raises(InputError, match="missing key") as err:
        read_hmr2_eval(tmp_path / "a.npz", source="3dpw")
    assert err.value.field == "extra_keypoints_3d"
    arrays["extra_keypoints_3d"] = truth["extra_keypoints_3d"][:, :18]
    write_npz(tmp_path / "a.npz", arrays)
    with pytest.raises(InputError, match=r"is not \[4, 19, 3 \| 4\]"):
        read_hmr2_eval(tmp_path / "a.npz", source="3dpw")
    arrays["extra_keypoints_3d"] = truth["extra_keypoints_3d"].copy()
    arrays["extra_keypoints_3d"][2, 18, 0] = np.nan              # joint 43: an evaluation joint
    write_npz(tmp_path / "a.npz", arrays)
    with pytest.raises(InputError, match="NaN") as err:
        read_hmr2_eval(tmp_path / "a.npz", source="3dpw")
    assert err.value.row == 2


def test_hmr2_eval_without_body_keypoints_is_read_as_4d_humans_reads_it(tmp_path):
    """4D-Humans zero-fills missing body key points; the evaluation joints are all extra ones (it used to refuse)."""
    rng = np.random.default_rng(5)
    truth = write_hmr2_eval_npz(tmp_path / "a.npz", rng, 4, layout="split")
    full = read_hmr2_eval(tmp_path / "a.npz", source="3dpw")
    arrays = {k: v for k, v in truth.items() if not k.startswith("_") and k not in ("body_keypoints_3d",
                                                                                      "body_keypoints_2d")}
    write_npz(tmp_path / "b.npz", arrays)
    without_body = read_hmr2_eval(tmp_path / "b.npz", source="3dpw")
    np.testing.assert_array_equal(without_body.joints_3d, full.joints_3d)
