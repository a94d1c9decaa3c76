"""Local evaluate module: posecode agreement, the precision / recall / F1 (%) of the PoseScript posecodes of generated
poses against those of their ground truth, overall and per posecode kind
(`benchmark.metrics.posecode_agreement.posecode_agreement`): a text-to-pose score without a retrieval model.

Predictions and references are axis-angle poses [22, 3] (or [52, 3]) per item, AMASS frame; joints come from the
embedded skeleton, or from body_model="smplh" with model_dir= (licensed SMPL-H files).
"""

import evaluate

from benchmark.metrics import METRICS
from benchmark.metrics.evaluate_modules import joint_array_info, numbers

_INFO = METRICS["posecode_agreement"].info
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of [22, 3] float arrays): generated axis-angle poses.
    references (list of [22, 3] float arrays): ground-truth axis-angle poses.
    body_model (str, optional): "skeleton" (default), "smpl", "smplh" or "smplx"; model_dir: their folder.
Returns:
    "posecode_precision", "posecode_recall", "posecode_f1" (%), the same per kind ("posecode_f1@angle", ...; NaN
    for a kind no pose has), protocol (str).
Examples:
    >>> import evaluate, numpy as np
    >>> from benchmark.metrics.evaluate_modules import module_path
    >>> metric = evaluate.load(module_path("posecode_agreement"))
    >>> pose = np.zeros((22, 3)); pose[0] = [np.pi / 2, 0, 0]  # standing, arms spread
    >>> bent = pose.copy(); bent[4] = [np.pi / 2, 0, 0]          # the left knee bent 90 degrees
    >>> result = metric.compute(predictions=[pose, bent], references=[pose, pose])
    >>> round(result["posecode_f1@angle"], 2), round(result["posecode_f1@distance"], 2)
    (87.5, 100.0)
"""


@evaluate.utils.file_utils.add_start_docstrings(_INFO.description, _KWARGS_DESCRIPTION)
class PosecodeAgreement(evaluate.Metric):
    def _info(self):
        return joint_array_info(_INFO, _KWARGS_DESCRIPTION, ["https://github.com/naver/posescript"])

    def _compute(self, predictions, references, body_model="skeleton", model_dir=None):
        import numpy as np

        from benchmark.body import get_body_model
        from benchmark.metrics.posecode_agreement import posecode_agreement

        scores = posecode_agreement(np.stack([np.asarray(p, np.float32) for p in predictions]),
                                    np.stack([np.asarray(r, np.float32) for r in references]),
                                    body_model=get_body_model(body_model, model_dir))
        return numbers(scores)
