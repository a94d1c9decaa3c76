"""Local evaluate module: corpus BLEU-4 with the semantics of Hugging Face's "bleu" (`benchmark.metrics.text.bleu`).

Sacrebleu's 13a tokenizer (case-sensitive), n-gram counts clipped per item by the maximum count over its
references, corpus sums, geometric mean of the 1..4-gram precisions without smoothing, brevity penalty against the
shortest reference of each item. The result keys and 0..1 scale are HF's, plus "protocol".
"""

import datasets
import evaluate

from benchmark.metrics import METRICS
from benchmark.metrics.text import bleu

_INFO = METRICS["bleu"].info
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): one generated text per item.
    references (list of list of str): all reference texts of each item (a plain str is one reference).
Returns:
    bleu (float, 0..1), precisions (list of 4 floats), brevity_penalty, length_ratio, translation_length,
    reference_length, protocol (str).
Examples:
    >>> import evaluate
    >>> from benchmark.metrics.evaluate_modules import module_path
    >>> bleu = evaluate.load(module_path("bleu"))
    >>> result = bleu.compute(predictions=["hello there general kenobi", "foo bar foobar"],
    ...                       references=[["hello there general kenobi", "hello there !"], ["foo bar foobar"]])
    >>> result["bleu"], result["translation_length"], result["reference_length"], round(result["length_ratio"], 4)
    (1.0, 7, 6, 1.1667)
"""


@evaluate.utils.file_utils.add_start_docstrings(_INFO.description, _KWARGS_DESCRIPTION)
class Bleu(evaluate.Metric):
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
            reference_urls=["https://aclanthology.org/P02-1040", "https://github.com/tensorflow/nmt"],
        )

    def _compute(self, predictions, references):
        score = bleu(list(predictions), list(references))
        keys = ("bleu", "precisions", "brevity_penalty", "length_ratio", "translation_length", "reference_length")
        return {**{k: score.details[k] for k in keys}, "protocol": score.protocol}
