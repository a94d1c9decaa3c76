"""Local evaluate module: Fréchet distance between real and generated features (`benchmark.metrics.fid`).

predictions = generated features, references = real features (one generated sample per real item: equal N).
PoseScript's computation: unbiased covariances, scipy sqrtm, 1e-6 retry, imaginary part tolerance 1e-3.
"""

import datasets
import evaluate

from benchmark.metrics import METRICS
from benchmark.metrics.fid import frechet_distance

_INFO = METRICS["frechet_distance"].info
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of float lists): generated features [N, D].
    references (list of float lists): real features [N, D].
Returns:
    fid (float), protocol (str).
Examples:
    >>> import evaluate, numpy as np
    >>> from benchmark.metrics.evaluate_modules import module_path
    >>> metric = evaluate.load(module_path("frechet_distance"))
    >>> real = np.random.default_rng(0).standard_normal((200, 4))
    >>> shifted = real + np.array([1.0, 0.0, 0.0, 0.0])  # same covariance, mean moved by 1
    >>> round(metric.compute(predictions=shifted.tolist(), references=real.tolist())["fid"], 4)
    1.0
"""


@evaluate.utils.file_utils.add_start_docstrings(_INFO.description, _KWARGS_DESCRIPTION)
class FrechetDistance(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=f"{_INFO.description}; protocol: {_INFO.protocol}",
            citation=_INFO.citation,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Sequence(datasets.Value("float64")),
                                        "references": datasets.Sequence(datasets.Value("float64"))}),
            reference_urls=["https://github.com/naver/posescript", "https://github.com/mseitzer/pytorch-fid"],
        )

    def _compute(self, predictions, references):
        score = frechet_distance(references, predictions)
        return {"fid": score.value, "protocol": score.protocol}
