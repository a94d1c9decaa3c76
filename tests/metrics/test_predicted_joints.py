"""A body-model protocol scoring predicted joints of its own joint set (a joint lifter such as MetaPose)."""

import numpy as np
import pytest

from benchmark.errors import InputError
from benchmark.metrics.joint_protocols import BODY_MODEL_JOINT_SETS, get_joint_protocol


def test_skeleton_protocol_scores_given_joints_against_the_poses_joints():
    protocol = get_joint_protocol("skeleton-22")
    joints_protocol = protocol.with_predicted_joints()
    assert BODY_MODEL_JOINT_SETS["skeleton-22"] == protocol.body_model.joint_set.name == "smpl-body-22"
    assert protocol.pred_is_pose and not joints_protocol.pred_is_pose
    rng = np.random.default_rng(0)
    poses = (0.3 * rng.standard_normal((4, 22, 3))).astype(np.float32)
    truth = np.asarray(protocol.body_model.joints(poses), dtype=np.float64)
    # the ground truth's own joints score zero; a prediction moved by 10 cm along x scores 100 mm MPJPE (not
    # re-centred) and 0 PA-MPJPE (the Procrustes takes the translation out)
    errors = joints_protocol.errors(truth.astype(np.float32), poses)
    assert errors["MPJPE"] == pytest.approx(np.zeros(4), abs=1e-3)
    shifted = joints_protocol.errors((truth + [0.1, 0.0, 0.0]).astype(np.float32), poses)
    assert shifted["MPJPE"] == pytest.approx(np.full(4, 100.0), abs=1e-3)
    assert shifted["PA-MPJPE"] == pytest.approx(np.zeros(4), abs=1e-3)
    with pytest.raises(InputError, match=r"is not \[N, 22, 3\]"):
        joints_protocol.errors(np.zeros((4, 17, 3), np.float32), poses)
