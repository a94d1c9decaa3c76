"""Local evaluate module: MPJPE in mm, the mean Euclidean distance per joint (`benchmark.metrics.pose.mpjpe`).

Without options, predictions and references are joints [J, 3] per item in metres. With joint_protocol= one of
"smplh-52-jtr", "skeleton-22", "hmr2-14", "h36m-17" (`benchmark.metrics.joint_protocols`), they are what that
protocol takes (axis-angle poses [22, 3] for the body-model protocols) and its joints and alignment apply; extra
options (model_dir, use_hips, actions ...) go to the protocol.
"""

import evaluate

from benchmark.metrics import METRICS
from benchmark.metrics.evaluate_modules import joint_array_info, joint_error

_INFO = METRICS["mpjpe"].info
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of [J, 3] float arrays): predicted joints in metres (or poses, with joint_protocol).
    references (list of [J, 3] float arrays): ground-truth joints, same layout.
    joint_protocol (str, optional): a named joint protocol; actions (list of str, optional): per-item labels
        (required by "h36m-17"); other keyword arguments configure the protocol.
Returns:
    "MPJPE" (mm; for "h36m-17" the per-action mean, with the frame mean next to it), protocol (str).
Examples:
    >>> import evaluate, numpy as np
    >>> from benchmark.metrics.evaluate_modules import module_path
    >>> metric = evaluate.load(module_path("mpjpe"))
    >>> gt = np.random.default_rng(0).standard_normal((4, 17, 3)) * 0.3
    >>> pred = gt + np.array([0.1, 0.0, 0.0])  # every joint 10 cm off along x
    >>> result = metric.compute(predictions=list(pred), references=list(gt))
    >>> round(result["MPJPE"], 3), result["name"]
    (100.0, 'MPJPE')
"""


@evaluate.utils.file_utils.add_start_docstrings(_INFO.description, _KWARGS_DESCRIPTION)
class Mpjpe(evaluate.Metric):
    def _info(self):
        return joint_array_info(_INFO, _KWARGS_DESCRIPTION, ["https://github.com/shubham-goel/4D-Humans", "https://github.com/naver/posescript"])

    def _compute(self, predictions, references, joint_protocol=None, actions=None, **protocol_options):
        return joint_error("MPJPE", predictions, references, joint_protocol, actions, **protocol_options)
