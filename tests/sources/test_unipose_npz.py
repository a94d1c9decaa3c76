"""UniPose image-pose npz files and the shared ImageSamples record."""

import numpy as np
import pytest

from benchmark.errors import InputError
from datasets_build.sources.samples import ImageSamples, no_poses
from datasets_build.sources.unipose_npz import read_unipose_npz
from tests.sources.fixtures import write_npz, write_unipose_npz


@pytest.mark.parametrize("n_keypoints,object_paths", [(44, False), (19, True)])
def test_round_trip(tmp_path, n_keypoints, object_paths):
    rng = np.random.default_rng(0)
    truth = write_unipose_npz(tmp_path / "h36m.npz", rng, 5, n_keypoints=n_keypoints, object_paths=object_paths)
    samples = read_unipose_npz(tmp_path / "h36m.npz")
    assert samples.source == "unipose-h36m" and samples.image_paths == tuple(truth["img_path"])
    full = np.concatenate([truth["global_orient"], truth["body_pose"][:, :63]], axis=1).reshape(5, 22, 3)
    np.testing.assert_allclose(samples.poses, full, atol=1e-6)
    assert samples.has_pose.all() and samples.joints_3d.shape == (5, 44, 3)
    if n_keypoints == 19:       # front-padded with zeros, extra joints at 25..43
        assert not samples.joints_3d[:, :25].any()
    np.testing.assert_allclose(samples.joints_3d[:, 44 - n_keypoints:], truth["keypoints_3d"][..., :3], atol=1e-6)


def test_eval_file_without_smpl(tmp_path):
    rng = np.random.default_rng(1)
    write_unipose_npz(tmp_path / "h36m_val.npz", rng, 3, smpl=False, n_keypoints=19)
    samples = read_unipose_npz(tmp_path / "h36m_val.npz")
    assert samples.split == "val" and not samples.has_pose.any()


def test_malformed(tmp_path):
    rng = np.random.default_rng(2)
    truth = write_unipose_npz(tmp_path / "coco.npz", rng, 3)
    arrays = dict(truth, body_pose=truth["body_pose"][:, :60])
    write_npz(tmp_path / "coco.npz", arrays)
    with pytest.raises(InputError, match=r"is not \[3, 63 \| 69\]") as err:
        read_unipose_npz(tmp_path / "coco.npz")
    assert err.value.field == "body_pose" and err.value.file == str(tmp_path / "coco.npz")
    write_npz(tmp_path / "coco.npz", {k: v for k, v in truth.items() if k != "global_orient"})
    with pytest.raises(InputError, match="missing key") as err:
        read_unipose_npz(tmp_path / "coco.npz")
    assert err.value.field == "global_orient"
    bad = dict(truth, keypoints_3d=truth["keypoints_3d"].copy())
    bad["keypoints_3d"][1, 3, 0] = np.inf
    write_npz(tmp_path / "coco.npz", bad)
    with pytest.raises(InputError, match="NaN or infinite") as err:
        read_unipose_npz(tmp_path / "coco.npz")
    assert err.value.row == 1


def test_image_samples_checks_and_take():
    poses, has_pose, betas = no_poses(3)
    samples = ImageSamples("x", "test", ("a", "b", "c"), ("a.jpg", "b.jpg", "c.jpg"), poses, has_pose, betas,
                           extras={"frame": np.arange(3)})
    sub = samples.take(np.array([True, False, True]))
    assert sub.source_ids == ("a", "c") and list(sub.extras["frame"]) == [0, 2]
    with pytest.raises(InputError, match="duplicate row id 'a'"):
        ImageSamples("x", "test", ("a", "a", "c"), ("1", "2", "3"), poses, has_pose, betas)
    with pytest.raises(InputError, match="columns disagree"):
        ImageSamples("x", "test", ("a", "b"), ("1", "2", "3"), poses[:2], has_pose[:2], betas[:2])
