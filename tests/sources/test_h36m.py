"""Human3.6M readers: CA-PF label pkl, VideoPose3D-style npz, HMR2's h36m_val_p2.npz; actions and split."""

import numpy as np
import pytest

from benchmark.errors import InputError
from datasets_build.sources.h36m import (ACTIONS, action_class, read_h36m_eval_p2, read_h36m_labels, read_h36m_npz,
                                         split_of)
from tests.sources.fixtures import (evil_pickle_bytes, make_h36m_label_frames, object_scalar, write_h36m_labels,
                                    write_hmr2_eval_npz, write_npz, write_pickle)

CLIPS = [(1, 2, 1, 0), (1, 12, 2, 3), (9, 15, 1, 1), (11, 16, 2, 2)]


def test_action_reduction_and_split():
    assert action_class("Directions 1") == "Directions"
    assert action_class("Photo") == "TakingPhoto" and action_class("Photo 1") == "TakingPhoto"
    assert action_class("TakingPhoto 1") == "TakingPhoto"
    assert action_class("WalkDog 1") == "WalkDog" and action_class("WalkingDog") == "WalkDog"
    assert action_class("SittingDown 2") == "SittingDown" and action_class("WalkTogether") == "WalkTogether"
    assert len(set(ACTIONS)) == 15
    with pytest.raises(InputError, match="unknown Human3.6M action 'Dancing 1'"):
        action_class("Dancing 1")
    assert [split_of(s) for s in (1, 5, 6, 7, 8, 9, 11)] == ["train"] * 5 + ["test"] * 2
    with pytest.raises(InputError, match="S2 is in neither split"):
        split_of(2)


def test_labels_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    frames = make_h36m_label_frames(rng, CLIPS)
    path = write_h36m_labels(tmp_path / "h36m_train.pkl", frames)
    samples = read_h36m_labels(path, progress=False)
    assert len(samples) == len(frames) and samples.split == "test+train"
    np.testing.assert_allclose(samples.joints_3d, np.stack([f["joints_3d"] for f in frames]), atol=1e-6)
    # normalised screen coordinates are turned back into the pixels they came from
    np.testing.assert_allclose(samples.keypoints_2d[..., :2], np.stack([f["_pixels"] for f in frames]), atol=1e-3)
    np.testing.assert_allclose(samples.extras["keypoints_2d_cpn"], np.stack([f["_cpn_pixels"] for f in frames]),
                               atol=1e-3)
    assert samples.actions == tuple({2: "Directions", 12: "TakingPhoto", 15: "WalkDog", 16: "WalkTogether"}[a]
                                    for _, a, _, _ in CLIPS for _ in range(3))
    assert list(samples.extras["camera_index"]) == [c for *_, c in CLIPS for _ in range(3)]
    assert samples.source_ids[3] == "S1/TakingPhoto-2/cam3/frame000001"
    # the camera maps world mm -> camera metres and projects onto the ground-truth pixels
    for i, frame in enumerate(frames):
        cam = samples.cameras[samples.camera_index[i]]
        cam_m = cam.world_to_camera(frame["_world_mm"] / 1000.0)
        np.testing.assert_allclose(cam_m, frame["joints_3d"], atol=1e-9)
        np.testing.assert_allclose(cam.project(cam_m), frame["_pixels"], atol=1e-6)
        assert (cam.width, cam.height) == ((1000, 1002) if frame["camera_id"] in (0, 3) else (1000, 1000))
    test_only = read_h36m_labels(path, split="test", progress=False)
    assert set(test_only.extras["subject"]) == {9, 11} and test_only.split == "test"


def test_labels_of_the_original_toolbox(tmp_path):
    """CHUNYUWANG/H36M-Toolbox generate_labels.py: joints_2d in pixels, joints_3d world mm, joints_3d_camera mm."""
    rng = np.random.default_rng(5)
    frames = make_h36m_label_frames(rng, CLIPS[:2])
    old = [{"image": f["image"], "joints_2d": f["_pixels"], "joints_3d": f["_world_mm"],
            "joints_3d_camera": f["joints_3d"] * 1000.0, "joints_vis": np.ones((17, 3)), "video_id": f["video_id"],
            "image_id": f["image_id"], "subject": f["subject"], "action": f["action"], "subaction": f["subaction"],
            "camera_id": f["camera_id"], "source": "h36m", "camera": f["camera"], "center": f["center"],
            "scale": f["scale"], "box": f["box"]} for f in frames]
    path = write_pickle(tmp_path / "h36m_train.pkl", old, protocol=2)
    samples = read_h36m_labels(path, progress=False)
    np.testing.assert_allclose(samples.joints_3d, np.stack([f["joints_3d"] for f in frames]), atol=1e-6)
    np.testing.assert_allclose(samples.keypoints_2d[..., :2], np.stack([f["_pixels"] for f in frames]), atol=1e-3)


def test_labels_malformed(tmp_path):
    rng = np.random.default_rng(1)
    frames = make_h36m_label_frames(rng, CLIPS[:1])
    del frames[1]["joints_3d"]
    path = write_h36m_labels(tmp_path / "a.pkl", frames)
    with pytest.raises(InputError, match="missing key") as err:
        read_h36m_labels(path, progress=False)
    assert (err.value.file, err.value.row, err.value.field) == (str(path), 1, "joints_3d")
    frames = make_h36m_label_frames(rng, CLIPS[:1])
    frames[2]["joints_3d"] = frames[2]["joints_3d"][:16]
    write_h36m_labels(path, frames)
    with pytest.raises(InputError, match=r"shape \[16, 3\] is not \[17, 3\]") as err:
        read_h36m_labels(path, progress=False)
    assert err.value.row == 2
    frames[2]["joints_3d"] = frames[1]["joints_3d"]
    frames[0]["action"] = 17
    write_h36m_labels(path, frames)
    with pytest.raises(InputError, match="action id 17") as err:
        read_h36m_labels(path, progress=False)
    path.write_bytes(evil_pickle_bytes())
    with pytest.raises(InputError, match="refusing to unpickle"):
        read_h36m_labels(path, progress=False)
    path.write_bytes(write_pickle(tmp_path / "b.pkl", frames, protocol=4).read_bytes()[:500])
    with pytest.raises(InputError, match="not a readable pickle") as err:
        read_h36m_labels(path, progress=False)
    assert err.value.file == str(path)


def _videopose3d(rng, per_camera=True, n_joints=17):
    data3d, data2d = {}, {}
    for subject, keys in (("S1", ["Directions 1", "Photo", "WalkDog 1"]), ("S9", ["Eating 2"])):
        data3d[subject], data2d[subject] = {}, {}
        for key in keys:
            frames = int(rng.integers(3, 6))
            if per_camera:
                data3d[subject][key] = [rng.normal(0, 1, (frames, n_joints, 3)).astype(np.float32) for _ in range(4)]
            else:
                data3d[subject][key] = rng.normal(0, 1, (frames, n_joints, 3)).astype(np.float32)
            # 2D files hold a couple of frames more than the mocap (they are cut)
            data2d[subject][key] = [rng.normal(0, 1, (frames + 2, 17, 2)).astype(np.float32) for _ in range(4)]
    return data3d, data2d


def test_videopose3d_npz(tmp_path):
    rng = np.random.default_rng(2)
    data3d, data2d = _videopose3d(rng)
    p3 = write_npz(tmp_path / "data_3d_h36m_uvd.npz", {"positions_3d": object_scalar(data3d)})
    p2 = write_npz(tmp_path / "data_2d_h36m_hrn_norm.npz", {
        "positions_2d": object_scalar(data2d),
        "metadata": object_scalar({"layout_name": "h36m", "num_joints": 17,
                                   "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]})})
    seqs = read_h36m_npz(p3, p2)
    assert len(seqs) == 4 * 4
    assert [(s.subject, s.action_key, s.camera_index) for s in seqs[:5]] == [
        (1, "Directions 1", 0), (1, "Directions 1", 1), (1, "Directions 1", 2), (1, "Directions 1", 3),
        (1, "Photo", 0)]
    by_key = {(s.subject, s.action_key, s.camera_index): s for s in seqs}
    photo = by_key[(1, "Photo", 2)]
    assert photo.action == "TakingPhoto" and photo.split == "train"
    np.testing.assert_array_equal(photo.joints_3d, data3d["S1"]["Photo"][2])
    np.testing.assert_array_equal(photo.keypoints_2d, data2d["S1"]["Photo"][2][:len(photo.joints_3d)])
    assert by_key[(9, "Eating 2", 0)].split == "test"
    assert photo.metapose_image_paths()[0] == "S1/Photo/2/S1_Photo_2_000001.jpg"

    # world-frame 32-joint mocap (VideoPose3D's data_3d_h36m.npz): one record per action, 17 joints kept
    world, _ = _videopose3d(rng, per_camera=False, n_joints=32)
    pw = write_npz(tmp_path / "data_3d_h36m.npz", {"positions_3d": object_scalar(world)})
    seqs = read_h36m_npz(pw)
    assert len(seqs) == 4 and all(s.camera_index is None and s.keypoints_2d is None for s in seqs)
    d = next(s for s in seqs if s.action_key == "Directions 1")
    np.testing.assert_array_equal(d.joints_3d, world["S1"]["Directions 1"][:, [0, 1, 2, 3, 6, 7, 8, 12, 16, 14, 15,
                                                                                17, 18, 19, 25, 26, 27]])


def test_videopose3d_npz_malformed(tmp_path):
    rng = np.random.default_rng(3)
    data3d, data2d = _videopose3d(rng)
    data2d["S1"]["Photo"][1] = data2d["S1"]["Photo"][1][:1]
    p3 = write_npz(tmp_path / "p3.npz", {"positions_3d": object_scalar(data3d)})
    p2 = write_npz(tmp_path / "p2.npz", {"positions_2d": object_scalar(data2d)})
    with pytest.raises(InputError, match="2D frames for") as err:
        read_h36m_npz(p3, p2)
    assert err.value.file == str(p2) and err.value.row == "S1/Photo/camera 1"
    data3d["S9"]["Dancing 1"] = data3d["S9"].pop("Eating 2")
    p3 = write_npz(tmp_path / "p3.npz", {"positions_3d": object_scalar(data3d)})
    with pytest.raises(InputError, match="unknown Human3.6M action") as err:
        read_h36m_npz(p3)
    assert err.value.row == "S9/Dancing 1"
    p_plain = write_npz(tmp_path / "plain.npz", {"positions_3d": np.zeros((2, 17, 3))})
    with pytest.raises(InputError, match="0-d object array holding a dict"):
        read_h36m_npz(p_plain)
    p_missing = write_npz(tmp_path / "m.npz", {"other": np.zeros(2)})
    with pytest.raises(InputError, match="missing key") as err:
        read_h36m_npz(p_missing)
    assert err.value.field == "positions_3d"


def test_eval_p2(tmp_path):
    rng = np.random.default_rng(4)
    names = [f"images/S9_Directions_1.54138969_{i + 1:06d}.jpg" for i in range(3)] + [
        "images/S11_Photo.60457274_000010.jpg", "images/S11_WalkDog_1.58860488_000005.jpg", "images/odd.jpg"]
    truth = write_hmr2_eval_npz(tmp_path / "h36m_val_p2.npz", rng, len(names), layout="whole", smpl=False,
                                names=names)
    samples = read_h36m_eval_p2(tmp_path / "h36m_val_p2.npz")
    assert samples.actions == ("Directions",) * 3 + ("TakingPhoto", "WalkDog", "")
    expected = truth["_kp3"][:, list(range(25, 38)) + [43, 39], :3]
    np.testing.assert_allclose(samples.joints_3d, expected, atol=1e-6)
    assert samples.joints_3d_joint_set == "hmr2-eval-15" and not samples.has_pose.any()
