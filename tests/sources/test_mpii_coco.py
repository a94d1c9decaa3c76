"""MPII (.mat) and COCO (JSON) 2D annotations joined with EFT SMPL fits."""

import json

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from benchmark.errors import InputError
from datasets_build.sources.coco import read_coco
from datasets_build.sources.eft import read_eft_fits
from datasets_build.sources.mpii import read_mpii
from tests.sources.fixtures import make_coco, make_eft_fit, write_eft_json, write_json, write_mpii_mat

MPII_IMAGES = [
    {"name": "015601864.jpg", "train": True, "activity": "curling", "category": "sports", "people": [
        {"points": {0: (620.0, 394.0, 1), 9: (600.0, 100.0, "0"), 15: (701.5, 300.25, None)},
         "objpos": (594.0, 257.0), "scale": 3.02, "head": (627, 100, 706, 198)},
        {"points": {6: (900.0, 400.0, 0), 7: (910.0, 300.0, 1)}, "objpos": (952.0, 222.0), "scale": 2.47,
         "head": (841, 145, 902, 228)},
        {"objpos": (100.0, 100.0), "scale": 1.0},                       # no key points: not a training row
    ]},
    {"name": "015599452.jpg", "train": False, "people": [{"objpos": (300.0, 200.0), "scale": 1.8}]},
    {"name": "005808361.jpg", "train": True, "people": []},
    {"name": "086617615.jpg", "train": True, "people": [
        {"points": {j: (10.0 * j, 5.0 * j, 1) for j in range(16)}, "objpos": None, "scale": None,
         "head": (1, 2, 3, 4)}]},
]


def test_mpii_train_rows(tmp_path):
    path = write_mpii_mat(tmp_path / "mpii_human_pose_v1_u12_1.mat", MPII_IMAGES)
    samples = read_mpii(path, progress=False)
    assert samples.source_ids == ("015601864.jpg/person_0", "015601864.jpg/person_1", "086617615.jpg/person_0")
    assert samples.image_paths[0] == "images/015601864.jpg"
    kp = samples.keypoints_2d
    np.testing.assert_allclose(kp[0, 0], [620, 394, 2])          # visible
    np.testing.assert_allclose(kp[0, 9], [600, 100, 1])          # is_visible '0' (a string in the file)
    np.testing.assert_allclose(kp[0, 15], [701.5, 300.25, 2])    # is_visible [] -> counted as visible
    assert not kp[0, [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14]].any()   # not annotated
    np.testing.assert_allclose(kp[1, 6], [900, 400, 1])
    np.testing.assert_allclose(kp[2, :, :2], [(10.0 * j, 5.0 * j) for j in range(16)])
    np.testing.assert_allclose(samples.extras["center"][:2], [(594, 257), (952, 222)])
    assert np.isnan(samples.extras["center"][2]).all() and np.isnan(samples.extras["scale"][2])
    np.testing.assert_allclose(samples.extras["head_box"][1], (841, 145, 902, 228))
    assert samples.actions[:2] == ("curling", "curling") and samples.extras["category"][0] == "sports"
    assert not samples.has_pose.any()
    test = read_mpii(path, split="test", progress=False)
    assert test.source_ids == ("015599452.jpg/person_0",) and not test.keypoints_2d.any()


def test_mpii_with_eft(tmp_path):
    rng = np.random.default_rng(0)
    mat = write_mpii_mat(tmp_path / "m.mat", MPII_IMAGES)
    fits = [make_eft_fit(rng, "015601864.jpg", center=(951.0, 223.5), scale=2.9),   # near person 1
            make_eft_fit(rng, "015601864.jpg", center=(594.0, 257.0), scale=3.6)]   # exactly person 0
    eft = write_eft_json(tmp_path / "MPII_ver01.json", fits)
    samples = read_mpii(mat, eft_file=eft, progress=False)
    np.testing.assert_array_equal(samples.has_pose, [True, True, False])
    expected = Rotation.from_matrix(np.array(fits[0]["parm_pose"])[:22]).as_rotvec()
    np.testing.assert_allclose(samples.poses[1], expected, atol=1e-5)
    np.testing.assert_allclose(samples.betas[0], fits[1]["parm_shape"], atol=1e-6)
    far = write_eft_json(tmp_path / "far.json", [make_eft_fit(rng, "015601864.jpg", center=(300.0, 300.0))])
    with pytest.raises(InputError, match="no MPII person of image '015601864.jpg'") as err:
        read_mpii(mat, eft_file=far, progress=False)
    assert err.value.file == str(far) and err.value.row == 0
    assert not read_mpii(mat, eft_file=far, allow_unmatched_fits=True, progress=False).has_pose.any()


def test_mpii_malformed(tmp_path):
    import scipy.io

    path = tmp_path / "m.mat"
    scipy.io.savemat(path, {"annolist": np.zeros(3)})
    with pytest.raises(InputError, match="missing variable") as err:
        read_mpii(path, progress=False)
    assert err.value.field == "RELEASE"
    bad = [dict(MPII_IMAGES[0], people=[{"points": {16: (1.0, 2.0, 1)}, "objpos": (1.0, 1.0), "scale": 1.0}])]
    write_mpii_mat(path, bad)
    with pytest.raises(InputError, match="expected an id in 0..15") as err:
        read_mpii(path, progress=False)
    assert err.value.row == "annolist(1).annorect(1)"
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(InputError, match="not a readable MATLAB file"):
        read_mpii(path, progress=False)


@pytest.fixture()
def coco(tmp_path):
    rng = np.random.default_rng(1)
    data = make_coco(rng)
    path = write_json(tmp_path / "annotations" / "person_keypoints_train2014.json", data)
    return path, data, rng


def test_coco_rows(coco):
    path, data, _ = coco
    samples = read_coco(path)
    people = [a for a in data["annotations"] if a["category_id"] == 1]
    assert samples.source_ids == tuple(str(a["id"]) for a in people) and samples.split == "train"
    np.testing.assert_array_equal(samples.keypoints_2d, np.array([a["keypoints"] for a in people]).reshape(-1, 17, 3))
    np.testing.assert_allclose(samples.extras["bbox"], [a["bbox"] for a in people], atol=1e-4)
    assert samples.image_paths[0] == "train2014/COCO_train2014_000000391895.jpg"
    assert samples.keypoints_2d_joint_set == "coco-17" and not samples.has_pose.any()


def test_coco_with_eft(coco, tmp_path):
    path, data, rng = coco
    people = [a for a in data["annotations"] if a["category_id"] == 1]
    image_of = {im["id"]: im["file_name"] for im in data["images"]}
    fits = [make_eft_fit(rng, image_of[a["image_id"]], annot_id=a["id"]) for a in people[1::2]]
    eft = write_eft_json(tmp_path / "COCO2014-All-ver01.json", fits)
    samples = read_coco(path, eft_file=eft)
    np.testing.assert_array_equal(samples.has_pose, [i % 2 == 1 for i in range(len(people))])
    for k, fit in enumerate(fits):
        row = 2 * k + 1
        expected = Rotation.from_matrix(np.array(fit["parm_pose"])[:22]).as_rotvec()
        np.testing.assert_allclose(samples.poses[row], expected, atol=1e-5)
        np.testing.assert_allclose(samples.betas[row], fit["parm_shape"], atol=1e-6)
    assert not samples.poses[0].any()

    unknown = write_eft_json(tmp_path / "u.json", fits + [make_eft_fit(rng, "x.jpg", annot_id=5)])
    with pytest.raises(InputError, match="unknown COCO annotation id 5") as err:
        read_coco(path, eft_file=unknown)
    assert (err.value.file, err.value.row, err.value.field) == (str(unknown), len(fits), "annotId")
    wrong_image = write_eft_json(tmp_path / "w.json", [dict(fits[0], imageName="COCO_train2014_000000000001.jpg")])
    with pytest.raises(InputError, match="is not the image of annotation"):
        read_coco(path, eft_file=wrong_image)


def test_eft_validation(tmp_path):
    rng = np.random.default_rng(2)
    fit = make_eft_fit(rng, "a.jpg", annot_id=1)
    not_rotation = json.loads(json.dumps(fit))
    not_rotation["parm_pose"][5][0][0] += 0.5
    path = write_eft_json(tmp_path / "e.json", [fit, not_rotation])
    with pytest.raises(InputError, match="joint 5 is not a rotation matrix") as err:
        read_eft_fits(path)
    assert (err.value.row, err.value.field) == (1, "parm_pose")
    short = dict(fit, parm_pose=fit["parm_pose"][:23])
    path = write_eft_json(tmp_path / "e.json", [fit, short])
    with pytest.raises(InputError, match=r"shape \[23, 3, 3\] is not \[24, 3, 3\]") as err:
        read_eft_fits(path)
    assert err.value.row == 1
    missing = {k: v for k, v in fit.items() if k != "parm_shape"}
    path = write_eft_json(tmp_path / "e.json", [missing])
    with pytest.raises(InputError, match="missing key") as err:
        read_eft_fits(path)
    assert err.value.field == "parm_shape"
    write_json(tmp_path / "e.json", [fit])
    with pytest.raises(InputError, match="'data' list"):
        read_eft_fits(tmp_path / "e.json")


def test_coco_malformed(coco):
    path, data, _ = coco
    data["annotations"][0]["keypoints"] = data["annotations"][0]["keypoints"][:50]
    write_json(path, data)
    with pytest.raises(InputError, match="expected a list of 51 numbers") as err:
        read_coco(path)
    assert (err.value.field, err.value.row) == ("keypoints", f"annotation id {data['annotations'][0]['id']}")
    data["annotations"][0]["keypoints"] = [0] * 50 + [3]
    write_json(path, data)
    with pytest.raises(InputError, match="visibility flags") as err:
        read_coco(path)
    data["annotations"][0]["keypoints"] = [0] * 51
    data["annotations"][1]["image_id"] = 42
    write_json(path, data)
    with pytest.raises(InputError, match="unknown image id 42") as err:
        read_coco(path)
    assert err.value.file == str(path) and err.value.field == "image_id"
    del data["images"]
    write_json(path, data)
    with pytest.raises(InputError, match="missing or not a list") as err:
        read_coco(path)
    assert err.value.field == "images"
