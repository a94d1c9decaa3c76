"""Local Hugging Face `evaluate` modules of the suite's metrics, one folder per metric (`<name>/<name>.py`).

    import evaluate
    from benchmark.metrics.evaluate_modules import module_path
    bleu = evaluate.load(module_path("bleu"))   # a local folder: the Hub is never contacted

Each module's `_compute` delegates to the functions in `benchmark.metrics`, so both routes give the same numbers.
Text modules return HF's keys and 0..1 fractions (drop-in for evaluate's "bleu", "rouge", "meteor"); the others
return the suite's units (% for retrieval, mm for joint errors). Every result has a "protocol" entry. Set
HF_HUB_OFFLINE=1 (and a writable HF_HOME) on machines without network: `evaluate.load` copies the script into
$HF_HOME/modules before importing it.
"""

from __future__ import annotations

from pathlib import Path

MODULES = ("bleu", "rouge_l", "meteor", "coco_caption", "r_precision", "recall_at_k", "cross_modal_recall", "mpjpe",
           "pa_mpjpe", "body_part_errors", "root_orientation_error", "posecode_agreement", "frechet_distance",
           "pa_mpjpe_limbs12")


def module_path(name: str) -> str:
    """Absolute path of the folder of the local evaluate module `name` (for `evaluate.load`)."""
    if name not in MODULES:
        raise KeyError(f"no local evaluate module '{name}' (known: {', '.join(MODULES)})")
    return str(Path(__file__).resolve().parent / name)


def numbers(scores) -> dict:
    """{score name: value} of a Scores plus its protocol: the plain result an evaluate module returns."""
    return {**scores.numbers(), "protocol": scores.protocol}


def joint_array_info(info, inputs_description: str, reference_urls: list[str]):
    """The `evaluate.MetricInfo` of a module whose items are [J, 3] float arrays (joints, or axis-angle poses),
    from the metric's own info (`benchmark.metrics.METRICS[name].info`)."""
    import datasets
    import evaluate

    items = datasets.Array2D(shape=(None, 3), dtype="float32")
    return evaluate.MetricInfo(description=f"{info.description}; protocol: {info.protocol}", citation=info.citation,
                               inputs_description=inputs_description,
                               features=datasets.Features({"predictions": items, "references": items}),
                               reference_urls=list(reference_urls))


def joint_error(metric: str, predictions, references, joint_protocol=None, actions=None, **protocol_options) -> dict:
    """The result of the "mpjpe" / "pa_mpjpe" modules: `metric` ("MPJPE" or "PA-MPJPE") on joints [J, 3] per
    item, or through a named joint protocol on what that protocol takes (with its per-action mean first)."""
    import numpy as np

    from benchmark.metrics.joint_protocols import get_joint_protocol
    from benchmark.metrics.pose import mpjpe, pa_mpjpe

    pred = np.stack([np.asarray(p, dtype=np.float32) for p in predictions])
    gt = np.stack([np.asarray(r, dtype=np.float32) for r in references])
    if joint_protocol is None:
        score = (mpjpe if metric == "MPJPE" else pa_mpjpe)(pred, gt)
        return {metric: score.value, "name": score.name, "protocol": score.protocol}
    scores = get_joint_protocol(joint_protocol, **protocol_options).score(pred, gt, actions=actions)
    chosen = [s for s in scores.scores if s.details.get("metric") == metric]
    return {metric: chosen[0].value, "name": chosen[0].name, **{s.name: s.value for s in chosen[1:]},
            "protocol": scores.protocol}


def body_part_errors(predictions, references, joint_names=None, joint_protocol=None, **protocol_options) -> dict:
    """The result of the "body_part_errors" module: per-joint MPJPE and per-part MPJPE / PA-MPJPE (mm) of joints
    [J, 3] per item named by `joint_names` (no alignment for MPJPE), or through a named joint protocol."""
    import numpy as np

    from benchmark.errors import InputError
    from benchmark.metrics.joint_protocols import get_joint_protocol
    from benchmark.metrics.pose import MM_PER_M, check_joint_pair, per_joint_errors, procrustes_align
    from benchmark.metrics.pose_diagnostics import body_part_errors as errors_of

    pred = np.stack([np.asarray(p, dtype=np.float32) for p in predictions])
    gt = np.stack([np.asarray(r, dtype=np.float32) for r in references])
    if joint_protocol is not None:
        protocol = get_joint_protocol(joint_protocol, **protocol_options)
        return numbers(errors_of(protocol.joint_errors(pred, gt), protocol.joint_names, protocol=protocol.name))
    if joint_names is None:
        raise InputError("joints without a joint protocol need their joint_names", field="joint_names",
                         hint="e.g. joint_names=benchmark.body.joints.SMPL_BODY_JOINT_NAMES, or joint_protocol=")
    p, g = check_joint_pair(pred, gt)
    joint_errors = {"MPJPE": MM_PER_M * per_joint_errors(p, g),
                    "PA-MPJPE": MM_PER_M * per_joint_errors(procrustes_align(p, g), g)}
    return numbers(errors_of(joint_errors, joint_names, protocol="no alignment"))
