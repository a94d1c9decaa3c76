"""Local evaluate module: pose-to-text and text-to-pose recall@k and mRecall
(`benchmark.metrics.retrieval.cross_modal_recall`).

predictions = pose (or pose-pair) embeddings, references = text embeddings of the same items, row i matching row i,
L2-normalised. mRecall is the mean of all the recalls (PoseScript: ks 1/5/10; UniPose text-to-pose: 5/10/20).
"""

import datasets
import evaluate

from benchmark.metrics import METRICS
from benchmark.metrics.evaluate_modules import numbers
from benchmark.metrics.retrieval import cross_modal_recall

_INFO = METRICS["cross_modal_recall"].info
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of float lists): pose embeddings [N, D], unit norm.
    references (list of float lists): text embeddings [N, D], unit norm; row i describes pose i.
    ks (tuple of int): default (1, 5, 10).
Returns:
    "p2t R@k" and "t2p R@k" for each k (%), "mRecall" (%), protocol (str).
Examples:
    >>> import evaluate
    >>> from benchmark.metrics.evaluate_modules import module_path
    >>> metric = evaluate.load(module_path("cross_modal_recall"))
    >>> poses = [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]
    >>> texts = [[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]
    >>> result = metric.compute(predictions=poses, references=texts, ks=(1, 2))
    >>> round(result["p2t R@1"], 2), round(result["t2p R@1"], 2), round(result["mRecall"], 2)
    (33.33, 33.33, 58.33)
"""


@evaluate.utils.file_utils.add_start_docstrings(_INFO.description, _KWARGS_DESCRIPTION)
class CrossModalRecall(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=f"{_INFO.description}; protocol: {_INFO.protocol}",
            citation=_INFO.citation,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Sequence(datasets.Value("float32")),
                                        "references": datasets.Sequence(datasets.Value("float32"))}),
            reference_urls=["https://github.com/naver/posescript"],
        )

    def _compute(self, predictions, references, ks=(1, 5, 10)):
        return numbers(cross_modal_recall(predictions, references, ks=ks))
