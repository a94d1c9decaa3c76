"""pose_estimation-<dataset> configs from sample files of 3DPW, HMR 2.0, Human3.6M, MPII, COCO, MPI-INF-3DHP."""

from pathlib import Path

import numpy as np
import pytest

from benchmark.errors import InputError
from benchmark.tasks.schema import features
from datasets_build.real.crops import CropOptions
from datasets_build.real.image_rows import ImageSet, row_geometry, with_cameras_by_image, with_h36m_cameras
from datasets_build.real.pose_estimation import build_pose_estimation
from datasets_build.sources.coco import read_coco
from datasets_build.sources.h36m import read_h36m_eval_p2, read_h36m_labels
from datasets_build.sources.hmr2_eval import EVAL_ROWS
from datasets_build.sources.mpi_inf_3dhp import read_mpi_inf_3dhp
from datasets_build.sources.mpii import read_mpii
from datasets_build.sources.threedpw import read_3dpw, read_3dpw_eval

SIZE = 96


@pytest.fixture(scope="module")
def samples(sources):
    native = read_3dpw(sources.threedpw, "test", progress=False)
    labels_test = read_h36m_labels(sources.h36m / "h36m_validation.pkl", split="test", progress=False)
    return {
        "3dpw": native,
        "3dpw_eval": with_cameras_by_image(read_3dpw_eval(sources.hmr2 / "3dpw_test.npz"), native),
        "h36m_p2": with_h36m_cameras(read_h36m_eval_p2(sources.hmr2 / "h36m_val_p2.npz"), labels_test),
        "h36m_train": read_h36m_labels(sources.h36m / "h36m_train.pkl", split="train", progress=False),
        "h36m_test": labels_test,
        "mpii": read_mpii(sources.mpii / "mpii_human_pose_v1_u12_1.mat", eft_file=sources.eft / "MPII_ver01.json",
                          progress=False),
        "coco": read_coco(sources.coco / "annotations" / "person_keypoints_train2014.json",
                          eft_file=sources.eft / "COCO2014-All-ver01.json"),
        "3dhp_test": read_mpi_inf_3dhp(sources.mpi_inf_3dhp, "test", subjects=[1], progress=False),
    }


@pytest.fixture(scope="module")
def built(samples, sources, tmp_path_factory):
    sets = {
        "3dpw": {"test": ImageSet(samples["3dpw_eval"], sources.threedpw, box="center-scale", name="3dpw")},
        "3dpw-native": {"test": ImageSet(samples["3dpw"], sources.threedpw, name="3dpw")},
        "h36m": {"test": ImageSet(samples["h36m_p2"], sources.h36m, box="center-scale", name="h36m")},
        "h36m17": {"train": ImageSet(samples["h36m_train"], sources.h36m / "images", name="h36m"),
                   "test": ImageSet(samples["h36m_test"], sources.h36m / "images", name="h36m")},
        "mpii": {"train": ImageSet(samples["mpii"], sources.mpii)},
        "coco": {"train": ImageSet(samples["coco"], sources.coco)},
        "mpi-inf-3dhp": {"test": ImageSet(samples["3dhp_test"], sources.mpi_inf_3dhp)},
    }
    return build_pose_estimation(sets, crop=CropOptions(size=SIZE), work_dir=tmp_path_factory.mktemp("work"),
                                 progress=False)


def _numpy(ds, column):
    return [np.asarray(v, dtype=np.float64) for v in ds.with_format("numpy")[column]]


def test_configs_schema_and_ids(built):
    want = {"pose_estimation-3dpw", "pose_estimation-3dpw-native", "pose_estimation-h36m", "pose_estimation-h36m17",
            "pose_estimation-mpii", "pose_estimation-coco", "pose_estimation-mpi-inf-3dhp"}
    assert set(built.datasets) == want
    for name, dsd in built.datasets.items():
        for split, ds in dsd.items():
            assert ds.features == features("pose_estimation"), (name, split)
            assert len(set(ds["id"])) == len(ds)
            image = ds[0]["image"]
            assert image.size == (SIZE, SIZE)
    assert set(built.datasets["pose_estimation-h36m17"]) == {"train", "test"}
    assert {"3dpw", "human36m", "mpii", "coco", "mpi-inf-3dhp"} <= set(built.info.sources)


def test_hmr2_eval_rows(built, samples, sources):
    ds = built.datasets["pose_estimation-3dpw"]["test"]
    s = samples["3dpw_eval"]
    assert ds["source_id"] == list(s.source_ids)
    assert set(ds["joint_set"]) == {"hmr2-14"}
    joints = np.stack(_numpy(ds, "joints_3d"))
    assert joints.shape == (len(s), 15, 3)
    np.testing.assert_allclose(joints, s.joints_3d, atol=1e-6)
    written = sources.written["3dpw_eval"]
    np.testing.assert_allclose(joints, written["_kp3"][:, list(EVAL_ROWS), :3], atol=1e-6)
    # box: the file's own centre / scale; key points: the file's 2D points of the 15 joints, in crop pixels
    kp = np.stack(_numpy(ds, "keypoints_2d"))
    centre, side = written["center"], 200.0 * written["scale"]
    want = (written["_kp2"][:, list(EVAL_ROWS), :2] - centre[:, None]) * (SIZE / side)[:, None, None] + (SIZE - 1) / 2
    np.testing.assert_allclose(kp, want, rtol=1e-5, atol=1e-3)
    has = np.asarray(ds["has_pose"])
    np.testing.assert_array_equal(has, written["has_body_pose"] > 0.5)
    poses = np.stack(_numpy(ds, "pose"))
    assert not poses[~has].any()
    np.testing.assert_allclose(poses[has], written["body_pose"][has, :66].reshape(-1, 22, 3), atol=1e-6)
    # intrinsics joined from the 3DPW sequence files of the same image, moved into the crop
    K = np.stack([np.asarray(c["K"]) for c in ds["camera"]])
    seq_k = np.array([[1962.0, 0, 540.0], [0, 1969.0, 960.0], [0, 0, 1]])
    s_ = SIZE / side
    np.testing.assert_allclose(K[:, 0, 0], 1962.0 * s_, rtol=1e-5)
    np.testing.assert_allclose(K[:, :2, 2], (seq_k[:2, 2] - centre) * s_[:, None] + (SIZE - 1) / 2, rtol=1e-4,
                               atol=1e-3)


def test_k_maps_camera_joints_to_keypoints(built):
    """Rows whose key points are the annotation (H36M) or the projection (3DPW sequences, SMPL-24 joints)."""
    for config, split in (("pose_estimation-h36m17", "train"), ("pose_estimation-h36m17", "test"),
                          ("pose_estimation-3dpw-native", "test")):
        ds = built.datasets[config][split]
        for cam, joints, kp in zip(ds["camera"], _numpy(ds, "joints_3d"), _numpy(ds, "keypoints_2d")):
            K = np.asarray(cam["K"], np.float64)
            uvw = joints @ K.T
            front = joints[:, 2] > 0
            proj = uvw[front, :2] / uvw[front, 2:]
            assert np.isfinite(kp[front]).all()
            np.testing.assert_allclose(proj, kp[front], rtol=1e-4, atol=2e-3 * SIZE)
    assert set(built.datasets["pose_estimation-3dpw-native"]["test"]["joint_set"]) == {"smpl-24"}
    assert set(built.datasets["pose_estimation-h36m17"]["test"]["joint_set"]) == {"h36m-17"}


def test_crops_contain_the_annotated_keypoints(built, samples):
    for config, key in (("pose_estimation-coco", "coco"), ("pose_estimation-mpii", "mpii"),
                        ("pose_estimation-h36m17", "h36m_test")):
        ds = built.datasets[config]["train" if key != "h36m_test" else "test"]
        s = samples[key]
        rows = [s.source_ids.index(i) for i in ds["source_id"]]
        for row, kp in zip(rows, _numpy(ds, "keypoints_2d")):
            annotated = s.keypoints_2d[row, :, 2] > 0
            if annotated.sum() < 2:
                continue          # boxed from the source's own box
            assert np.isfinite(kp[annotated]).all()
            assert (kp[annotated] >= -0.5).all() and (kp[annotated] <= SIZE - 0.5).all()
            # a 1.2 box around the extent: the key points span 1/1.2 of the crop along the longer edge
            span = (kp[annotated].max(0) - kp[annotated].min(0)).max()
            assert span == pytest.approx(SIZE / 1.2, rel=1e-4)
            assert np.isnan(kp[~annotated]).all()
        assert set(ds["joint_set"]) == {s.keypoints_2d_joint_set}


def test_has_pose_false_rows_and_unknown_cameras(built, samples):
    ds = built.datasets["pose_estimation-coco"]["train"]
    s = samples["coco"]
    has = np.asarray(ds["has_pose"])
    assert has.any() and (~has).any()
    poses = np.stack(_numpy(ds, "pose"))
    assert not poses[~has].any()
    rows = [s.source_ids.index(i) for i in ds["source_id"]]
    np.testing.assert_allclose(poses[has], s.poses[rows][has], atol=1e-6)
    assert all(np.asarray(c["K"]).sum() == 0 for c in ds["camera"])       # COCO has no calibration
    assert all(len(j) == 0 for j in ds["joints_3d"])
    mpii = built.datasets["pose_estimation-mpii"]["train"]
    assert mpii["has_pose"].count(False) == 1                                  # the person without an EFT fit


def test_actions_and_rows_without_box(built, samples):
    ds = built.datasets["pose_estimation-h36m"]["test"]
    assert set(ds["action"]) == {"Directions"}
    assert set(built.datasets["pose_estimation-h36m17"]["test"]["action"]) == {"Directions", "Sitting"}
    # the MPII person with one key point is boxed from objpos / scale, not dropped
    assert "100000099.jpg/person_0" in built.datasets["pose_estimation-mpii"]["train"]["source_id"]


def test_h36m_p2_cameras_from_the_labels(samples):
    p2 = samples["h36m_p2"]
    labels = samples["h36m_test"]
    assert (p2.camera_index >= 0).all()
    for row, path in enumerate(p2.image_paths):
        subject = int(Path(path).name.split("_")[0][1:])
        cam = p2.cameras[p2.camera_index[row]]
        assert cam.name == "54138969"
        label_rows = [i for i in range(len(labels)) if labels.extras["subject"][i] == subject
                      and labels.extras["camera_index"][i] == 0]
        np.testing.assert_allclose(cam.K, labels.cameras[labels.camera_index[label_rows[0]]].K)


def test_missing_images_error_or_skip(samples, sources, tmp_path):
    root = tmp_path / "images"
    s = samples["h36m_test"]
    for path in s.image_paths[1:]:             # the first image is missing
        dst = root / path
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes((sources.h36m / "images" / path).read_bytes())
    work = tmp_path / "work"
    with pytest.raises(InputError, match="image file not found") as err:
        build_pose_estimation({"h36m17": {"test": ImageSet(s, root)}}, crop=CropOptions(size=32), work_dir=work,
                              progress=False)
    assert s.image_paths[0] in str(err.value)
    assert not any(work.iterdir())               # nothing half-written is left behind
    result = build_pose_estimation({"h36m17": {"test": ImageSet(s, root)}},
                                   crop=CropOptions(size=32, skip_missing_images=True), work_dir=work, progress=False)
    assert len(result.datasets["pose_estimation-h36m17"]["test"]) == len(s) - 1
    assert list(result.info.counts.values()) == [1]


def test_geometry_of_unknown_layouts(samples):
    # UniPose-style rows: 44 joints, no 2D key points, no camera -> empty key points, whole-image box
    from datasets_build.sources.samples import ImageSamples, no_poses

    poses, has, betas = no_poses(2)
    s = ImageSamples("unipose-h36m", "train", ("a", "b"), ("a.jpg", "b.jpg"), poses, has, betas,
                     joints_3d=np.zeros((2, 44, 3), np.float32), joints_3d_joint_set="hmr2-44")
    g = row_geometry(ImageSet(s, ".", box="full"), CropOptions())
    assert g.keypoints.shape == (2, 0, 2) and g.joint_set == "hmr2-44" and g.has_box.all()
    with pytest.raises(InputError, match="center-scale"):
        ImageSet(s, ".", box="center-scale")
