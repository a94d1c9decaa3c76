"""Local evaluate module: R-precision of a retrieval evaluator (`benchmark.metrics.retrieval.r_precision`).

predictions = query embeddings (e.g. generated texts encoded by the evaluator), references = gallery embeddings
(the ground-truth poses), row i matching row i; all L2-normalised. Protocol "posescript" (default: per query 10
pools of 31 random distractors + the ground truth, mean rank < k) or "grouped" (UniPose/MotionGPT groups of 32).
Values in %.
"""

import datasets
import evaluate

from benchmark.metrics import METRICS
from benchmark.metrics.evaluate_modules import numbers
from benchmark.metrics.retrieval import r_precision

_INFO = METRICS["r_precision"].info
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of float lists): query embeddings [N, D], unit norm.
    references (list of float lists): gallery embeddings [N, D], unit norm; row i is query i's ground truth.
    ks (tuple of int): default (1, 2, 3).
    protocol (str): "posescript" (default) or "grouped".
    pool_size (int): default 32. repetitions (int): default 10 ("posescript" only). seed (int): default 0.
Returns:
    "R-Precision@k" for each k (%), "multimodality" (mean ground-truth cosine), protocol (str).
Examples:
    >>> import evaluate, numpy as np
    >>> from benchmark.metrics.evaluate_modules import module_path
    >>> emb = np.linalg.qr(np.random.default_rng(0).standard_normal((64, 64)))[0]  # 64 orthonormal rows
    >>> metric = evaluate.load(module_path("r_precision"))
    >>> result = metric.compute(predictions=emb.tolist(), references=emb.tolist(), seed=0)
    >>> result["R-Precision@1"], result["R-Precision@3"], round(result["multimodality"], 6)
    (100.0, 100.0, 1.0)
"""


@evaluate.utils.file_utils.add_start_docstrings(_INFO.description, _KWARGS_DESCRIPTION)
class RPrecision(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=f"{_INFO.description}; protocol: {_INFO.protocol}",
            citation=_INFO.citation,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Sequence(datasets.Value("float32")),
                                        "references": datasets.Sequence(datasets.Value("float32"))}),
            reference_urls=["https://github.com/naver/posescript"],
        )

    def _compute(self, predictions, references, ks=(1, 2, 3), protocol="posescript", pool_size=32, repetitions=10,
                 seed=0):
        return numbers(r_precision(predictions, references, ks=ks, protocol=protocol, pool_size=pool_size,
                                   repetitions=repetitions, seed=seed))
