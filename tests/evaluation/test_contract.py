"""Every registered adapter on the small world's tiny test splits: the floors sit at chance, the references on top,
a ground-truth predictions file scores perfectly, and bad responses or unsupported tasks are refused early."""

import numpy as np
import pytest

from benchmark.adapters import AdapterMeta, ModelAdapter, load_adapter
from benchmark.evaluation.cache import ResponseCache
from benchmark.evaluation.runner import UnsupportedTask, evaluate
from benchmark.evaluation.validate import InvalidResponse
from benchmark.requests import PoseResponse
from benchmark.tasks.catalog import EMBEDDED_REPO, get_task


def _near_chance(entry, chance: float) -> bool:
    """The score lies within 4 binomial standard errors of its chance level (over the n rows, each scored once or
    averaged over pools). The test evaluators are trained in the session, so which draws a random text wins differs
    from CPU to CPU: the band must hold for any fair draw, not only for this machine's."""
    p = chance / 100
    standard_error = 100 * np.sqrt(p * (1 - p) / entry.n)
    return abs(entry.value - chance) <= 4 * standard_error


def test_floors_sit_at_chance(scored):
    from benchmark.metrics.retrieval import r_precision_chance

    rp = scored[("random", "pose_to_text")].scores["r_precision@1"]
    assert _near_chance(rp, r_precision_chance(rp.n))  # mean rank over 10 pools of 32 < 1: 4.75 % for 40 rows
    t2p = scored[("random", "text_to_pose")]
    n = t2p.dataset.n_evaluated
    assert _near_chance(t2p.scores["recall_t2p@5"], 100 * 5 / n)
    # a constant answer ties everywhere: it never counts as retrieved
    assert scored[("mean_pose", "text_to_pose")].scores["recall_t2p@5"].value == 0.0


def test_references_score_above_the_floor(scored):
    for task in ("pose_to_text", "pose_diff"):
        ref, rnd = scored[("auto_captioner", task)], scored[("random", task)]
        assert ref.adapter.reference
        assert ref.scores["bleu"].value > rnd.scores["bleu"].value
        assert ref.scores["rouge_l"].value > rnd.scores["rouge_l"].value
    assert scored[("copy_source", "pose_edit")].scores["mpjpe"].value < scored[("random", "pose_edit")].scores[
        "mpjpe"].value


def test_ground_truth_predictions_score_perfectly(scored):
    for task in ("text_to_pose", "pose_estimation", "pose_edit"):
        scores = scored[("ground_truth", task)].scores
        assert scores["mpjpe"].value == pytest.approx(0.0, abs=1e-3)
        assert scores["pa_mpjpe"].value == pytest.approx(0.0, abs=1e-3)
    assert scored[("ground_truth", "text_to_pose")].scores["fid"].value == pytest.approx(0.0, abs=1e-3)
    assert scored[("ground_truth", "pose_to_text")].scores["bleu"].value == pytest.approx(100.0)


def test_results_name_what_they_depend_on(scored):
    r = scored[("nearest_neighbour", "pose_to_text")]
    assert r.dataset.repo == EMBEDDED_REPO and r.dataset.fingerprint and r.evaluators[0].kind == "pose-text"
    from benchmark.retrieval import load_evaluator

    used = load_evaluator(r.evaluators[0].path)  # the result names the exact weights it was scored with
    assert (r.evaluators[0].version, r.evaluators[0].sha256) == (used.version, used.config["weights_sha256"])
    assert r.environment.packages["torch"] and r.scores["r_precision@1"].protocol.startswith("posescript")
    assert r.scores["mpjpe" if "mpjpe" in r.scores else "bleu"].ci_low is not None


def test_unsupported_task_is_refused_before_loading(context, tmp_path):
    context.dataset_dirs[EMBEDDED_REPO] = tmp_path / "does-not-exist"  # loading would raise another error
    task = get_task("pose_to_text/embedded", context)
    with ResponseCache(tmp_path / "c.sqlite") as cache, pytest.raises(UnsupportedTask, match="nothing was loaded"):
        evaluate(load_adapter("copy_source"), [task], tmp_path, cache)


class _Broken(ModelAdapter):
    meta = AdapterMeta(name="broken", revision="1", tasks=("text_to_pose",))

    def generate_pose(self, requests):
        return [PoseResponse(poses=np.zeros((1, 21, 3), np.float32)) for _ in requests]


def test_malformed_responses_are_refused_and_nothing_is_written(context, tmp_path):
    task = get_task("text_to_pose/embedded", context)
    with ResponseCache(tmp_path / "c.sqlite") as cache, pytest.raises(InvalidResponse, match="poses have shape") as err:
        evaluate(_Broken(), [task], tmp_path / "out", cache, progress=False)
    assert err.value.row and err.value.field == "poses"
    assert not (tmp_path / "out").exists()
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        assert cache.count("broken") == 0


def test_blazepose_is_scored_on_the_limb_joints_both_skeletons_share(scored):
    pytest.importorskip("mediapipe", reason="the blazepose extra (mediapipe==0.10.14) is not installed")
    result = scored[("blazepose", "pose_estimation")]
    limbs = result.scores["pa_mpjpe_limbs12"]
    assert limbs.unit == "mm" and limbs.higher_is_better is False and limbs.n == result.n_requests
    assert 0 < limbs.value < 400 and limbs.ci_low <= limbs.value <= limbs.ci_high
    assert 0 <= limbs.details["n_fallback"] < limbs.n  # counted, and the person is found in most renders
    # its joints are not poses: the skeleton-22 numbers are absent, with the reason, never made up
    assert result.scores["mpjpe"].value is None and "blazepose-33" in result.scores["mpjpe"].details["reason"]
    assert result.main_metric == "pa_mpjpe"
    # pose answers get the same number from their own skeleton's 12 joints; the ground truth scores zero
    assert scored[("ground_truth", "pose_estimation")].scores["pa_mpjpe_limbs12"].value == pytest.approx(0, abs=1e-3)
    mean = scored[("mean_pose", "pose_estimation")].scores
    assert mean["pa_mpjpe_limbs12"].value > 0 and mean["pa_mpjpe_limbs12"].details["n_fallback"] == 0


def test_metapose_joints_are_scored_by_the_skeleton_protocol(scored):
    result = scored[("metapose-smoke", "pose_estimation")]
    assert result.adapter.args["joint_set"] == "smpl-body-22" and result.adapter.args["text_variant"] == \
        "action-agnostic"
    # joints of the skeleton's own joint set: the skeleton-22 numbers are computed, as for the pose answers
    for key in ("mpjpe", "pa_mpjpe", "pa_mpjpe_limbs12", "pa_mpjpe_part@arms"):
        entry = result.scores[key]
        assert entry.value is not None and 0 < entry.value < 2000 and entry.n == result.n_requests, key
    assert result.scores["pa_mpjpe"].value <= result.scores["mpjpe"].value  # Procrustes only lowers the error
    # a joint has no rotation: the root orientation is absent, with the reason
    root = result.scores["root_orientation_error"]
    assert root.value is None and "smpl-body-22" in root.details["reason"]
