"""Local evaluate module: PA-MPJPE in mm on the 12 limb joints two skeletons share (shoulders, elbows, wrists, hips,
knees, ankles), each side's joints taken by name from its own joint set (`benchmark.metrics.shared_joints`).

Predictions are joints [J, 3] of `pred_joint_set` (e.g. "blazepose-33"), references joints of `gt_joint_set` (e.g.
"smpl-body-22"), both in metres; the two may have different joint counts.
"""

import evaluate

from benchmark.metrics import METRICS
from benchmark.metrics.evaluate_modules import joint_array_info

_INFO = METRICS["pa_mpjpe_limbs12"].info
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of [J, 3] float arrays): predicted joints in metres, of the joint set `pred_joint_set`.
    references (list of [K, 3] float arrays): ground-truth joints in metres, of the joint set `gt_joint_set`.
    pred_joint_set, gt_joint_set (str): names of `benchmark.body.joints.JOINT_SETS` ("blazepose-33",
        "smpl-body-22", "h36m-17", "smpl-24", "smplh-52").
Returns:
    "PA-MPJPE limbs-12" (mm, mean over items), protocol (str).
Examples:
    >>> import evaluate, numpy as np
    >>> from benchmark.body.joints import BLAZEPOSE_33, LIMB_JOINTS_12, SMPL_BODY_22
    >>> from benchmark.metrics.evaluate_modules import module_path
    >>> metric = evaluate.load(module_path("pa_mpjpe_limbs12"))
    >>> gt = np.random.default_rng(0).standard_normal((3, 22, 3)) * 0.3
    >>> pred = np.zeros((3, 33, 3))
    >>> pred[:, BLAZEPOSE_33.indices(LIMB_JOINTS_12)] = 2.0 * gt[:, SMPL_BODY_22.indices(LIMB_JOINTS_12)] + 0.5
    >>> result = metric.compute(predictions=list(pred), references=list(gt), pred_joint_set="blazepose-33",
    ...                         gt_joint_set="smpl-body-22")
    >>> round(result["PA-MPJPE limbs-12"], 3)  # the same limbs, scaled and moved: nothing left after alignment
    0.0
"""


@evaluate.utils.file_utils.add_start_docstrings(_INFO.description, _KWARGS_DESCRIPTION)
class PaMpjpeLimbs12(evaluate.Metric):
    def _info(self):
        return joint_array_info(_INFO, _KWARGS_DESCRIPTION, ["https://github.com/google-ai-edge/mediapipe",
                                                            "https://github.com/shubham-goel/4D-Humans"])

    def _compute(self, predictions, references, pred_joint_set=None, gt_joint_set=None):
        import numpy as np

        from benchmark.metrics.shared_joints import pa_mpjpe_limbs12

        score = pa_mpjpe_limbs12(np.stack([np.asarray(p, np.float64) for p in predictions]), pred_joint_set,
                                 np.stack([np.asarray(r, np.float64) for r in references]), gt_joint_set)
        return {"PA-MPJPE limbs-12": score.value, "protocol": score.protocol}
