"""Local evaluate module: the root orientation error, the geodesic angle in degrees between the predicted and the
ground-truth root (global) rotations (`benchmark.metrics.pose_diagnostics.root_orientation_error`).

Predictions and references are axis-angle poses [J, 3] per item (joint 0 is the root).
"""

import evaluate

from benchmark.metrics import METRICS
from benchmark.metrics.evaluate_modules import joint_array_info, numbers

_INFO = METRICS["root_orientation_error"].info
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of [J, 3] float arrays): predicted axis-angle poses (root first).
    references (list of [J, 3] float arrays): ground-truth axis-angle poses.
Returns:
    "root_orientation_error" (degrees, mean over items), protocol (str).
Examples:
    >>> import evaluate, numpy as np
    >>> from benchmark.metrics.evaluate_modules import module_path
    >>> metric = evaluate.load(module_path("root_orientation_error"))
    >>> gt = np.zeros((2, 22, 3)); pred = gt.copy()
    >>> pred[0, 0] = [0.0, 0.0, np.pi / 2]  # one root turned 90 degrees about z, the other exact
    >>> result = metric.compute(predictions=list(pred), references=list(gt))
    >>> round(result["root_orientation_error"], 3)  # the features are float32
    45.0
"""


@evaluate.utils.file_utils.add_start_docstrings(_INFO.description, _KWARGS_DESCRIPTION)
class RootOrientationError(evaluate.Metric):
    def _info(self):
        return joint_array_info(_INFO, _KWARGS_DESCRIPTION, ["https://doi.org/10.1007/s10851-009-0161-2"])

    def _compute(self, predictions, references):
        import numpy as np

        from benchmark.metrics.base import Scores
        from benchmark.metrics.pose_diagnostics import root_orientation_error

        score = root_orientation_error(np.stack([np.asarray(p, np.float32) for p in predictions]),
                                       np.stack([np.asarray(r, np.float32) for r in references]))
        return numbers(Scores(score.protocol, (score,)))
