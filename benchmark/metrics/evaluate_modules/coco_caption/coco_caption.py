"""Local evaluate module: the COCO-caption metrics of pycocoevalcap (`benchmark.metrics.text.coco_caption_scores`).

PTBTokenizer (Java; lower-cased, punctuation removed), BLEU-1..4, METEOR 1.5 (Java), ROUGE-L and CIDEr, on 0..1
scales as pycocoevalcap reports them. SPICE is not computed (it downloads Stanford CoreNLP at run time).
"""

import datasets
import evaluate

from benchmark.metrics import METRICS
from benchmark.metrics.text import COCO_SCORERS, coco_caption_scores

_INFO = METRICS["coco_caption"].info
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): one generated text per item.
    references (list of list of str): all reference texts of each item (a plain str is one reference).
    scorers (tuple of str): a subset of ("Bleu", "METEOR", "ROUGE_L", "CIDEr"), default all; METEOR 1.5 starts a
        JVM that spends about 12 s loading its paraphrase table.
Returns:
    Bleu_1, Bleu_2, Bleu_3, Bleu_4, METEOR, ROUGE_L, CIDEr (floats, 0..1 except CIDEr), protocol (str).
Examples:
    >>> import evaluate
    >>> from benchmark.metrics.evaluate_modules import module_path
    >>> coco = evaluate.load(module_path("coco_caption"))
    >>> result = coco.compute(predictions=["The person raises both arms.", "A man kneels on the floor."],
    ...                       references=[["The person raises both arms."], ["A man kneels on the floor."]],
    ...                       scorers=("Bleu", "ROUGE_L", "CIDEr"))
    >>> round(result["Bleu_4"], 4), round(result["ROUGE_L"], 4), "METEOR" in result
    (1.0, 1.0, False)
"""


@evaluate.utils.file_utils.add_start_docstrings(_INFO.description, _KWARGS_DESCRIPTION)
class CocoCaption(evaluate.Metric):
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
            reference_urls=["https://github.com/salaniz/pycocoevalcap"],
        )

    def _compute(self, predictions, references, scorers=COCO_SCORERS):
        scores = coco_caption_scores(list(predictions), list(references), scorers=scorers)
        return {**{name: value / 100.0 for name, value in scores.numbers().items()}, "protocol": scores.protocol}
