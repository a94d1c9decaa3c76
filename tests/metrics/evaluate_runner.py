"""Runs in a fresh process for test_evaluate_modules.py: loads every local evaluate module the way users do,
executes its docstring examples and computes it on given inputs, with the Hub switched off and sockets blocked.

Usage: python evaluate_runner.py INPUTS.json OUTPUT.json   (HF_HOME, HF_HUB_OFFLINE etc. set by the caller)
Importing this file does nothing but define functions (the tests import `build_inputs`).
"""

import doctest
import importlib.util
import json
import shutil
import socket
import sys

ATTEMPTS = []
TEXTS = {"predictions": ["The man raises his left arm.", "She sits on the floor, legs crossed."],
         "references": [["The man lifts the left arm.", "Left arm raised."], ["She is sitting cross-legged."]]}


def _refuse(*args, **kwargs):
    ATTEMPTS.append(repr(args[:2]))
    raise OSError("network access attempted from an offline evaluate module")


def block_network():
    socket.socket.connect = _refuse  # every TCP/UDP connection, whatever library tries it
    socket.create_connection = _refuse
    socket.getaddrinfo = _refuse


def build_inputs() -> dict:
    """The inputs each module is computed on (the test recomputes them with the functional API)."""
    import numpy as np

    def unit(rows):
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    rng = np.random.default_rng(0)
    q = unit(rng.normal(size=(48, 6)))
    g = unit(q + 0.7 * rng.normal(size=q.shape))
    # float32 values, as the modules' Arrow features store them
    q, g = q.astype(np.float32).tolist(), g.astype(np.float32).tolist()
    joints_gt = rng.normal(scale=0.3, size=(5, 17, 3)).astype(np.float32)
    joints_pred = (joints_gt + rng.normal(scale=0.02, size=joints_gt.shape)).astype(np.float32)
    features = rng.normal(size=(2, 40, 3))
    poses_gt = rng.normal(scale=0.3, size=(6, 22, 3)).astype(np.float32)
    poses_gt[:, 0] = [np.pi / 2, 0.0, 0.0]  # upright roots, so that the posecodes read as on a standing body
    poses_pred = (poses_gt + rng.normal(scale=0.2, size=poses_gt.shape)).astype(np.float32)
    return {
        "bleu": {"args": TEXTS},
        "rouge_l": {"args": TEXTS, "kwargs": {"seed": 3}},
        "meteor": {"args": TEXTS},
        "r_precision": {"args": {"predictions": q, "references": g}, "kwargs": {"protocol": "grouped", "seed": 2}},
        "recall_at_k": {"args": {"predictions": q, "references": g}, "kwargs": {"ks": [1, 5]}},
        "cross_modal_recall": {"args": {"predictions": q, "references": g}, "kwargs": {"ks": [1, 5, 10]}},
        "mpjpe": {"args": {"predictions": joints_pred.tolist(), "references": joints_gt.tolist()},
                  "kwargs": {"joint_protocol": "h36m-17",
                             "actions": ["Walking", "Eating", "Eating", "Photo", "Walking 1"]}},
        "pa_mpjpe": {"args": {"predictions": joints_pred.tolist(), "references": joints_gt.tolist()}},
        "frechet_distance": {"args": {"predictions": features[1].tolist(), "references": features[0].tolist()}},
        "body_part_errors": {"args": {"predictions": poses_pred.tolist(), "references": poses_gt.tolist()},
                             "kwargs": {"joint_protocol": "skeleton-22"}},
        "root_orientation_error": {"args": {"predictions": poses_pred.tolist(), "references": poses_gt.tolist()}},
        "posecode_agreement": {"args": {"predictions": poses_pred.tolist(), "references": poses_gt.tolist()}},
    }


def requirement(name):
    if name == "coco_caption" and shutil.which("java") is None:
        return "Java missing: pycocoevalcap's PTBTokenizer and METEOR 1.5 run on Java"
    if name == "meteor":
        from benchmark.metrics.base import MissingMetricResource
        from benchmark.metrics.text import load_wordnet

        try:
            load_wordnet()
        except MissingMetricResource as exc:
            return f"WordNet missing: {exc}"
    return None


def main(inputs_path, output_path):
    block_network()
    import evaluate

    from benchmark.metrics.evaluate_modules import MODULES, module_path

    with open(inputs_path, encoding="utf-8") as f:
        inputs = json.load(f)
    results = {}
    for name in MODULES:
        reason = requirement(name)
        if reason:
            results[name] = {"status": "skipped", "reason": reason}
            continue
        module = evaluate.load(module_path(name))
        info = module.info
        source = f"{module_path(name)}/{name}.py"
        spec = importlib.util.spec_from_file_location(f"doctest_{name}", source)
        code = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(code)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        report = []
        for test in doctest.DocTestFinder().find(code):
            runner.run(test, out=report.append)
        computed = module.compute(**inputs[name]["args"], **inputs[name].get("kwargs", {})) if name in inputs else None
        results[name] = {
            "status": "ok", "module_class": type(module).__name__,
            "doctest": {"attempted": runner.tries, "failed": runner.failures, "report": "".join(report)},
            "info": {"description": info.description, "citation": info.citation,
                     "features": str(info.features), "inputs_description": info.inputs_description},
            "result": computed,
        }
    results["_network_attempts"] = ATTEMPTS
    with open(output_path, "w", encoding="utf-8") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
