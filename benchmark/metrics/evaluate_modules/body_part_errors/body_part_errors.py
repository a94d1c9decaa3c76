"""Local evaluate module: where a pose goes wrong, per-joint MPJPE and per-body-part MPJPE / PA-MPJPE in mm
(`benchmark.metrics.pose_diagnostics.body_part_errors`; parts from the joint names, `benchmark.body.parts`).

Predictions and references are joints [J, 3] per item in metres with their `joint_names` (MPJPE without alignment,
PA per part after the Procrustes alignment of the whole skeleton), or, with joint_protocol= one of "smplh-52-jtr",
"skeleton-22", "hmr2-14", "h36m-17", what that protocol takes, with its joints and its MPJPE alignment.
"""

import evaluate

from benchmark.metrics import METRICS
from benchmark.metrics.evaluate_modules import body_part_errors, joint_array_info

_INFO = METRICS["body_part_errors"].info
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of [J, 3] float arrays): predicted joints in metres (or poses, with joint_protocol).
    references (list of [J, 3] float arrays): ground-truth joints, same layout.
    joint_names (list of str): the name of each joint (needed without joint_protocol).
    joint_protocol (str, optional): a named joint protocol; other keyword arguments configure it.
Returns:
    "mpjpe_joint@<joint>", "mpjpe_part@<part>", "pa_mpjpe_part@<part>" (mm), protocol (str).
Examples:
    >>> import evaluate, numpy as np
    >>> from benchmark.metrics.evaluate_modules import module_path
    >>> metric = evaluate.load(module_path("body_part_errors"))
    >>> gt = np.random.default_rng(0).standard_normal((3, 4, 3)) * 0.3
    >>> pred = gt.copy(); pred[:, 3] += [0.05, 0.0, 0.0]  # only the wrist is 5 cm off
    >>> names = ["pelvis", "left_knee", "left_shoulder", "left_wrist"]
    >>> result = metric.compute(predictions=list(pred), references=list(gt), joint_names=names)
    >>> [round(result[k], 3) for k in ("mpjpe_joint@left_wrist", "mpjpe_part@arms", "mpjpe_part@legs")]
    [50.0, 25.0, 0.0]
"""


@evaluate.utils.file_utils.add_start_docstrings(_INFO.description, _KWARGS_DESCRIPTION)
class BodyPartErrors(evaluate.Metric):
    def _info(self):
        return joint_array_info(_INFO, _KWARGS_DESCRIPTION, ["https://github.com/naver/posescript"])

    def _compute(self, predictions, references, joint_names=None, joint_protocol=None, **protocol_options):
        return body_part_errors(predictions, references, joint_names, joint_protocol, **protocol_options)
