"""Local evaluate module: recall@k over the whole split (`benchmark.metrics.retrieval.recall_at_k`).

predictions = query embeddings, references = gallery embeddings, row i matching row i, L2-normalised; a query
counts at k when fewer than k gallery rows score strictly higher than its ground truth. Values in %.
"""

import datasets
import evaluate

from benchmark.metrics import METRICS
from benchmark.metrics.evaluate_modules import numbers
from benchmark.metrics.retrieval import recall_at_k

_INFO = METRICS["recall_at_k"].info
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of float lists): query embeddings [N, D], unit norm.
    references (list of float lists): gallery embeddings [N, D], unit norm; row i is query i's ground truth.
    ks (tuple of int): default (1, 5, 10).
Returns:
    "R@k" for each k (%), protocol (str).
Examples:
    >>> import evaluate
    >>> from benchmark.metrics.evaluate_modules import module_path
    >>> metric = evaluate.load(module_path("recall_at_k"))
    >>> query = [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]
    >>> gallery = [[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]  # query 1 prefers gallery 2, query 2 prefers gallery 1
    >>> result = metric.compute(predictions=query, references=gallery, ks=(1, 2))
    >>> round(result["R@1"], 2), result["R@2"]
    (33.33, 100.0)
"""


@evaluate.utils.file_utils.add_start_docstrings(_INFO.description, _KWARGS_DESCRIPTION)
class RecallAtK(evaluate.Metric):
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
        return numbers(recall_at_k(predictions, references, ks=ks))
