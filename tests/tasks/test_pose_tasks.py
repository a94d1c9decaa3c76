"""Pose tasks score with the joint protocol their spec names (regressions of the spine's audit)."""

import numpy as np
import pytest
from datasets import Dataset, Features, Value

from benchmark.metrics.joint_protocols import H36M_ACTIONS, get_joint_protocol
from benchmark.requests import PoseResponse
from benchmark.tasks.base import TaskContext
from benchmark.tasks.catalog import get_task
from benchmark.tasks.schema import JOINTS


def _h36m_rows(n_per_action=3, seed=0):
    rng = np.random.default_rng(seed)
    actions = [a for a in H36M_ACTIONS[:4] for _ in range(n_per_action)]
    gt = rng.normal(scale=0.3, size=(len(actions), 17, 3))
    pred = gt - gt[:, :1] + rng.normal(scale=0.02, size=gt.shape)
    ds = Dataset.from_dict({"id": [f"f{i}" for i in range(len(actions))], "joints_3d": gt.astype(np.float32),
                            "action": actions},
                           features=Features({"id": Value("string"), "joints_3d": JOINTS, "action": Value("string")}))
    return ds, gt.astype(np.float32).astype(np.float64), pred.astype(np.float32), actions


def test_h36m_17_pose_estimation_is_scored_as_p1_averaged_over_actions():
    """It used to raise KeyError at scoring: the protocol names its scores "MPJPE (P1)", the task looked up "MPJPE"."""
    ds, gt, pred, actions = _h36m_rows()
    task = get_task("pose_estimation/h36m-17", TaskContext(seed=0, bootstrap_resamples=0))
    scores = task.score(ds, [PoseResponse(joints=p[None], joint_set="h36m-17") for p in pred]).scores
    # by hand: root-relative ground truth, prediction as given, mean over each action's frames, then over actions
    errors = np.linalg.norm(pred.astype(np.float64) - (gt - gt[:, :1]), axis=-1).mean(axis=1) * 1000
    per_action = [errors[[a == b for b in actions]].mean() for a in dict.fromkeys(actions)]
    assert scores["mpjpe"].value == pytest.approx(np.mean(per_action), rel=1e-5)
    assert 0 < scores["pa_mpjpe"].value < scores["mpjpe"].value
    assert set(scores["mpjpe"].details["per_action"]) == set(actions)


def test_hmr2_14_centres_on_the_pelvis_for_every_dataset_and_the_mid_hip_is_a_named_variant():
    """4D-Humans subtracts the pelvis (J19[14]) on 3DPW and on Human3.6M-P2; the task used to switch H36M-P2 to the
    mid-hip from its config name."""
    ctx = TaskContext(seed=0, bootstrap_resamples=0)
    for name in ("pose_estimation/3dpw", "pose_estimation/h36m-p2"):
        protocol = get_task(name, ctx).joint_protocol()
        assert protocol.name == "hmr2-14" and not protocol.use_hips
        assert "pelvis (J19[14]" in protocol.protocol
    rng = np.random.default_rng(3)
    pred, gt = rng.normal(size=(4, 15, 3)), rng.normal(size=(4, 15, 3))
    pelvis = get_joint_protocol("hmr2-14", regressor=np.eye(19, 6890))
    expected = np.linalg.norm((pred[:, :14] - pred[:, 14:]) - (gt[:, :14] - gt[:, 14:]), axis=-1).mean(axis=1) * 1000
    np.testing.assert_allclose(pelvis.errors(pred, gt)["MPJPE"], expected, rtol=1e-9)
    assert get_task("pose_estimation/h36m-p2", ctx).spec.version == 2  # its protocol changed: old results stay out
    midhip = get_joint_protocol("hmr2-14-midhip", regressor=np.eye(19, 6890))
    assert midhip.name == "hmr2-14-midhip" and "mid-hip" in midhip.protocol
    assert not np.allclose(midhip.errors(pred, gt)["MPJPE"], expected)


def test_text_to_pose_queries_are_a_named_option_printed_on_the_board():
    """PoseScript's retrieval queries with the human caption, UniPose's evaluation with automatic caption 0."""
    from benchmark.leaderboard.build import build_table
    from benchmark.leaderboard.render import to_markdown
    from benchmark.leaderboard.spec import load_specs
    from tests.leaderboard.test_leaderboard import result

    ds = Dataset.from_dict({"id": ["a", "b"], "texts": [["human a", "auto a0", "auto a1"], ["human b", "auto b0"]],
                            "text_kinds": [["human", "automatic", "automatic"], ["human", "automatic"]]})
    ctx = TaskContext(seed=0, bootstrap_resamples=0)
    posescript, unipose = get_task("text_to_pose/posescript-h", ctx), get_task("text_to_pose/posescript-h-unipose", ctx)
    assert posescript.query_texts(ds) == ["human a", "human b"]
    assert unipose.query_texts(ds) == ["auto a0", "auto b0"]
    assert unipose.spec.options()["query"] == "first automatic text"
    assert unipose.spec.dataset == posescript.spec.dataset  # the same rows, another protocol

    table3 = load_specs()["paper-table-3-text-to-pose"]
    measured = result(unipose.name, "m", {"recall_t2p@5": 10.0})
    measured.options = unipose.spec.options()
    md = to_markdown(build_table(table3, [measured]))
    assert f"{unipose.name} v1" in md and "query: first automatic text" in md
