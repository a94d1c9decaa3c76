"""Local evaluate module: ROUGE-L as Hugging Face's "rouge" reports rougeL (`benchmark.metrics.text.rouge_l`).

rouge_score's RougeScorer(["rougeL"]) with its default tokenizer and no stemming, the best reference per item, and
rouge_score's BootstrapAggregator mid F-measure, seeded (`seed`, default 0). The result is 0..1, plus "protocol".
"""

import datasets
import evaluate

from benchmark.metrics import METRICS
from benchmark.metrics.text import rouge_l

_INFO = METRICS["rouge_l"].info
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): one generated text per item.
    references (list of list of str): all reference texts of each item (a plain str is one reference).
    seed (int): seed of the aggregator's bootstrap (default 0).
Returns:
    rougeL (float, 0..1): the aggregator's mid F-measure; rougeL_low / rougeL_high: its 95 % interval; protocol.
Examples:
    >>> import evaluate
    >>> from benchmark.metrics.evaluate_modules import module_path
    >>> rouge = evaluate.load(module_path("rouge_l"))
    >>> result = rouge.compute(predictions=["the man raises his left arm", "she sits"],
    ...                        references=[["the man raises his left arm"], ["she is sitting", "she sits down"]])
    >>> round(result["rougeL"], 4)
    0.9
"""


@evaluate.utils.file_utils.add_start_docstrings(_INFO.description, _KWARGS_DESCRIPTION)
class RougeL(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=f"{_INFO.description}; protocol: {_INFO.protocol}",
            citation=_INFO.citation,
            inputs_description=_KWARGS_DESCRIPTION,
            features=[
                datasets.Features({"predictions": datasets.Value("string"),
                                   "references": datasets.Sequence(datasets.Value("string"))}),
                datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
            ],
            reference_urls=["https://aclanthology.org/W04-1013", "https://github.com/google-research/google-research"],
        )

    def _compute(self, predictions, references, seed=0):
        score = rouge_l(list(predictions), list(references), seed=seed)
        return {"rougeL": score.details["rougeL"], "rougeL_low": score.details["aggregator_low"] / 100.0,
                "rougeL_high": score.details["aggregator_high"] / 100.0, "protocol": score.protocol}
