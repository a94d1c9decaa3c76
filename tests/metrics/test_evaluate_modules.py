"""The local `evaluate` modules load offline from their folders, their docstring examples pass, and they return what
the functional API returns. Everything `evaluate` does runs in one fresh process (evaluate_runner.py) with
HF_HUB_OFFLINE=1, HF_DATASETS_OFFLINE=1, a temporary HF_HOME and sockets blocked: evaluate reads those variables
at import, and a blocked socket proves the Hub is never contacted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmark.metrics import fid, pose, pose_diagnostics, posecode_agreement, retrieval, text
from benchmark.metrics.evaluate_modules import MODULES, module_path
from evaluate_runner import build_inputs


@pytest.fixture(scope="module")
def runner_results(tmp_path_factory):
    """Runs evaluate_runner.py once (about 30 s here, half of it `import evaluate`) and returns its report."""
    tmp = tmp_path_factory.mktemp("evaluate")
    (tmp / "inputs.json").write_text(json.dumps(build_inputs()))
    env = {**os.environ, "HF_HOME": str(tmp / "hf_home"), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "HF_EVALUATE_OFFLINE": "1"}
    for var in ("HF_MODULES_CACHE", "HF_EVALUATE_CACHE", "HF_METRICS_CACHE"):
        env.pop(var, None)
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("evaluate_runner.py")),
                           str(tmp / "inputs.json"), str(tmp / "results.json")],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"evaluate_runner.py failed:\n{(done.stdout + done.stderr)[-4000:]}"
    results = json.loads((tmp / "results.json").read_text())
    results["_hf_home"] = str(tmp / "hf_home")
    return results


def test_no_module_reached_the_network(runner_results):
    assert runner_results["_network_attempts"] == []
    copied = list(Path(runner_results["_hf_home"]).glob("modules/evaluate_modules/metrics/*"))
    assert copied, "evaluate.load should have copied the scripts into the temporary HF_HOME"


@pytest.mark.parametrize("name", MODULES)
def test_module_loads_and_its_docstring_examples_pass(runner_results, name):
    result = runner_results[name]
    if result["status"] == "skipped":
        pytest.skip(result["reason"])
    doc = result["doctest"]
    assert doc["attempted"] >= 4, f"{name} has no executable examples"
    assert doc["failed"] == 0, doc["report"]
    assert result["info"]["citation"].startswith("@") and "protocol" in result["info"]["description"]
    assert "predictions" in result["info"]["features"] and "Examples" in result["info"]["inputs_description"]
    assert Path(module_path(name), f"{name}.py").is_file()


def _expected(name: str, spec: dict) -> dict:
    args, kwargs = spec["args"], spec.get("kwargs", {})
    if name == "bleu":
        s = text.bleu(args["predictions"], args["references"])
        return {"bleu": s.details["bleu"], "brevity_penalty": s.details["brevity_penalty"]}
    if name == "rouge_l":
        return {"rougeL": text.rouge_l(args["predictions"], args["references"], **kwargs).details["rougeL"]}
    if name == "meteor":
        return {"meteor": text.meteor(args["predictions"], args["references"]).details["meteor"]}
    q, g = np.asarray(args["predictions"], np.float32), np.asarray(args["references"], np.float32)
    if name == "r_precision":
        return retrieval.r_precision(q, g, **kwargs).numbers()
    if name == "recall_at_k":
        return retrieval.recall_at_k(q, g, **kwargs).numbers()
    if name == "cross_modal_recall":
        return retrieval.cross_modal_recall(q, g, **kwargs).numbers()
    if name == "mpjpe":
        from benchmark.metrics.joint_protocols import get_joint_protocol

        scores = get_joint_protocol("h36m-17").score(q, g, actions=kwargs["actions"])
        return {"MPJPE": scores["MPJPE (P1)"].value, "MPJPE (P1) frame mean": scores["MPJPE (P1) frame mean"].value}
    if name == "pa_mpjpe":
        return {"PA-MPJPE": pose.pa_mpjpe(q, g).value}
    if name == "frechet_distance":
        return {"fid": fid.frechet_distance(np.asarray(args["references"]), np.asarray(args["predictions"])).value}
    if name == "body_part_errors":
        from benchmark.metrics.joint_protocols import get_joint_protocol

        protocol = get_joint_protocol(kwargs["joint_protocol"])
        return pose_diagnostics.body_part_errors(protocol.joint_errors(q, g), protocol.joint_names).numbers()
    if name == "root_orientation_error":
        return {"root_orientation_error": pose_diagnostics.root_orientation_error(q, g).value}
    if name == "posecode_agreement":
        scores = posecode_agreement.posecode_agreement(q, g)
        return {k: v for k, v in scores.numbers().items() if np.isfinite(v)}  # NaN: a kind neither side has
    raise AssertionError(name)


@pytest.mark.parametrize("name", sorted(build_inputs()))
def test_module_returns_what_the_functional_api_returns(runner_results, name):
    result = runner_results[name]
    if result["status"] == "skipped":
        pytest.skip(result["reason"])
    if name == "meteor":
        pytest.importorskip("nltk")
        from benchmark.metrics.base import MissingMetricResource

        try:
            text.load_wordnet()
        except MissingMetricResource as exc:
            pytest.skip(f"WordNet missing: {exc}")
    computed = result["result"]
    for key, value in _expected(name, build_inputs()[name]).items():
        assert computed[key] == pytest.approx(value, rel=1e-6), key
    assert isinstance(computed["protocol"], str) and computed["protocol"]
