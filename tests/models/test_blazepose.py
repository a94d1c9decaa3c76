"""BlazePose (MediaPipe, the `blazepose` extra) as a pose estimator, and the shared-joint protocol that scores joints of
its 33-landmark skeleton against the embedded world's 22-joint ground truth."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.spatial.transform import Rotation

from benchmark.body.joints import BLAZEPOSE_33, H36M_17, LIMB_JOINTS_12, SMPL_BODY_22
from benchmark.errors import InputError, MissingExtra
from benchmark.metrics.shared_joints import pa_mpjpe_limbs12, shared_joint_errors
from benchmark.requests import PoseResponse, response_from_bytes, response_to_bytes


def test_blazepose_joint_set_shares_the_twelve_limb_joints():
    assert len(BLAZEPOSE_33) == 33 and len(set(LIMB_JOINTS_12)) == 12
    for joint_set in (BLAZEPOSE_33, SMPL_BODY_22, H36M_17):
        assert set(LIMB_JOINTS_12) <= set(joint_set.names), joint_set.name
    # MediaPipe's PoseLandmark order: 11/12 shoulders, 15/16 wrists, 23/24 hips, 27/28 ankles
    assert BLAZEPOSE_33.indices(["left_shoulder", "right_shoulder", "left_wrist", "right_wrist", "left_hip",
                                 "right_hip", "left_ankle", "right_ankle"]) == [11, 12, 15, 16, 23, 24, 27, 28]
    perm = BLAZEPOSE_33.mirror_permutation
    assert BLAZEPOSE_33.names[perm[BLAZEPOSE_33.index("left_mouth")]] == "right_mouth"
    assert perm[0] == 0 and sorted(perm.tolist()) == list(range(33))


def _pa_by_optimisation(pred: np.ndarray, gt: np.ndarray) -> float:
    """The least mean error over similarity transforms s R x + t, found by a generic optimiser (independent of the
    closed-form Umeyama solution the metric uses): minimising the squared error, then reporting the mean distance
    at that optimum, as PA-MPJPE does."""
    def transform(params):
        return np.exp(params[3]) * Rotation.from_rotvec(params[:3]).apply(pred) + params[4:]

    def objective(params):
        return np.sum((transform(params) - gt) ** 2)

    x0 = np.zeros(7)
    x0[4:] = gt.mean(0) - pred.mean(0)
    best = min((minimize(objective, np.r_[Rotation.random(random_state=k).as_rotvec(), x0[3:]], method="BFGS",
                         options={"gtol": 1e-12, "maxiter": 10000}) for k in range(4)), key=lambda r: r.fun)
    return 1000.0 * float(np.linalg.norm(transform(best.x) - gt, axis=1).mean())


def test_shared_joint_pa_mpjpe_matches_an_independent_optimisation():
    rng = np.random.default_rng(7)
    gt22 = rng.normal(scale=0.4, size=(3, 22, 3))
    pred33 = rng.normal(scale=5.0, size=(3, 33, 3))  # the 21 landmarks not scored: junk that must not matter
    limbs_gt = gt22[:, SMPL_BODY_22.indices(LIMB_JOINTS_12)]
    rot = Rotation.from_rotvec([0.3, -1.2, 0.5])
    noise = rng.normal(scale=0.03, size=(3, 12, 3))
    pred33[:, BLAZEPOSE_33.indices(LIMB_JOINTS_12)] = 1.7 * rot.apply((limbs_gt + noise).reshape(-1, 3)).reshape(
        3, 12, 3) + np.array([0.2, -3.0, 1.0])
    errors = shared_joint_errors(pred33, "blazepose-33", gt22, SMPL_BODY_22)
    expected = [_pa_by_optimisation(pred33[i, BLAZEPOSE_33.indices(LIMB_JOINTS_12)], limbs_gt[i]) for i in range(3)]
    np.testing.assert_allclose(errors, expected, rtol=1e-5, atol=1e-4)
    assert 5.0 < errors.mean() < 60.0  # 3 cm of noise per axis, not zero and not junk-sized
    score = pa_mpjpe_limbs12(pred33, "blazepose-33", gt22, "smpl-body-22")
    assert score.value == pytest.approx(errors.mean()) and score.n == 3 and "limbs-12" in score.protocol
    # exact limbs under any similarity transform score zero; left and right swapped do not
    exact = pred33.copy()
    exact[:, BLAZEPOSE_33.indices(LIMB_JOINTS_12)] = 0.5 * limbs_gt + 1.0
    assert shared_joint_errors(exact, "blazepose-33", gt22, "smpl-body-22") == pytest.approx(np.zeros(3), abs=1e-9)
    mirrored = exact[:, BLAZEPOSE_33.mirror_permutation]
    assert shared_joint_errors(mirrored, "blazepose-33", gt22, "smpl-body-22").min() > 1.0


def test_shared_joint_metric_refuses_wrong_layouts():
    with pytest.raises(InputError, match=r"\[N, 33, 3\]"):
        shared_joint_errors(np.zeros((2, 22, 3)), "blazepose-33", np.zeros((2, 22, 3)), "smpl-body-22")
    with pytest.raises(InputError, match="unknown joint set"):
        shared_joint_errors(np.zeros((2, 33, 3)), "coco-17", np.zeros((2, 22, 3)), "smpl-body-22")
    with pytest.raises(InputError, match="rows"):
        shared_joint_errors(np.zeros((3, 33, 3)), "blazepose-33", np.zeros((2, 22, 3)), "smpl-body-22")


def test_response_flags_survive_the_cache():
    response = PoseResponse(joints=np.ones((1, 33, 3), np.float32), joint_set="blazepose-33",
                            extras={"fallback": True, "reason": "no person detected"})
    back = response_from_bytes(response_to_bytes(response))
    assert back.joint_set == "blazepose-33" and dict(back.extras) == {"fallback": True, "reason": "no person detected"}
    np.testing.assert_array_equal(back.joints, response.joints)
    assert response_from_bytes(response_to_bytes(PoseResponse(poses=np.zeros((1, 22, 3), np.float32)))).extras == {}


def test_main_job_skips_an_adapter_whose_extra_is_missing(monkeypatch):
    import benchmark.pipeline as pipeline

    def fake_load(spec, **_):
        if spec == "blazepose":
            raise MissingExtra("mediapipe", "blazepose", "the blazepose adapter")
        return spec.upper()

    monkeypatch.setattr(pipeline, "load_adapter", fake_load)
    lines = []
    models, adapters = pipeline.installed_adapters(("mean_pose", "blazepose", "random"), {}, lines.append)
    assert models == ("mean_pose", "random") and adapters == ["MEAN_POSE", "RANDOM"]
    assert len(lines) == 1 and lines[0].startswith("[skipped] blazepose:") and ".[blazepose]" in lines[0]


@pytest.fixture(scope="module")
def blazepose(small_world):
    pytest.importorskip("mediapipe", reason="the blazepose extra (mediapipe==0.10.14) is not installed")
    from benchmark.adapters import load_adapter

    return load_adapter("blazepose", train=str(small_world.hub_dir))


def test_blazepose_finds_the_person_in_embedded_renders(blazepose, small_world):
    import datasets

    from benchmark.requests import PoseRequest

    rows = datasets.load_dataset(str(small_world.hub_dir), "pose_estimation", split="test").select(range(6))
    requests = [PoseRequest("pose_estimation/embedded", row_id, {"image": image}, "estimate", n_samples=2)
                for row_id, image in zip(rows["id"], rows["image"])]
    responses = blazepose.generate_pose(requests)
    found = [not r.extras.get("fallback") for r in responses]
    assert sum(found) >= 4, found  # a rendered body in full view: the detector finds nearly every one
    for r in responses:
        assert r.poses is None and r.joint_set == "blazepose-33"
        assert r.joints.shape == (2, 33, 3) and r.joints.dtype == np.float32 and np.isfinite(r.joints).all()
    detected = responses[found.index(True)].joints[0]
    # world landmarks in metres, centred between the hips: a body-sized skeleton around the origin
    hips = detected[BLAZEPOSE_33.indices(["left_hip", "right_hip"])]
    assert np.linalg.norm(hips.mean(0)) < 0.05
    assert 0.8 < np.ptp(detected, axis=0).max() < 2.5


def test_blazepose_falls_back_visibly_when_no_person_is_found(blazepose):
    from PIL import Image

    from benchmark.requests import PoseRequest

    blank = Image.new("RGB", (256, 256), (127, 127, 127))
    before = blazepose.n_fallback
    (response,) = blazepose.generate_pose([PoseRequest("pose_estimation/embedded", "blank", {"image": blank}, "x")])
    assert response.extras == {"fallback": True, "reason": "no person detected"}
    assert blazepose.n_fallback == before + 1
    # the mean training pose's skeleton joints, with the limb joints where the skeleton has them
    from benchmark.body import get_body_model
    from models.baselines.mean_pose import chordal_mean
    from models.baselines.training_data import TrainingData

    mean = chordal_mean(TrainingData(blazepose.train).poses("pose_estimation", "pose"))
    skeleton = np.asarray(get_body_model("skeleton").joints(mean[None]))[0]
    np.testing.assert_allclose(response.joints[0][BLAZEPOSE_33.indices(LIMB_JOINTS_12)],
                               skeleton[SMPL_BODY_22.indices(LIMB_JOINTS_12)], atol=1e-6)
