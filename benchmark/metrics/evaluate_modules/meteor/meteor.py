"""Local evaluate module: METEOR as Hugging Face's "meteor" computes it (`benchmark.metrics.text.meteor`).

NLTK's meteor_score (alpha 0.9, beta 3, gamma 0.5) against the best reference, averaged over items, with WordNet 3.0
found through $NLTK_DATA or the suite's data folder (fetch it with `bash scripts/fetch_wordnet.sh <dir>`).
Tokenisation replaces punkt (unavailable offline) by a regex sentence split + NLTKWordTokenizer; see "protocol".
"""

import datasets
import evaluate

from benchmark.metrics import METRICS
from benchmark.metrics.text import meteor

_INFO = METRICS["meteor"].info
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): one generated text per item.
    references (list of list of str): all reference texts of each item (a plain str is one reference).
    alpha, beta, gamma (float): NLTK's METEOR parameters (defaults 0.9, 3.0, 0.5, as HF's module).
Returns:
    meteor (float, 0..1), protocol (str).
Examples:
    >>> import evaluate
    >>> from benchmark.metrics.evaluate_modules import module_path
    >>> meteor = evaluate.load(module_path("meteor"))
    >>> hypothesis = "It is a guide to action which ensures that the military always obeys the commands of the party"
    >>> references = ["It is a guide to action that ensures that the military will forever heed Party commands",
    ...               "It is the guiding principle which guarantees the military forces always being under the "
    ...               "command of the Party",
    ...               "It is the practical guide for the army always to heed the directions of the party"]
    >>> result = meteor.compute(predictions=[hypothesis], references=[references])
    >>> round(result["meteor"], 4)  # NLTK's documented value for this case
    0.6944
"""


@evaluate.utils.file_utils.add_start_docstrings(_INFO.description, _KWARGS_DESCRIPTION)
class Meteor(evaluate.Metric):
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
            reference_urls=["https://aclanthology.org/W05-0909",
                            "https://www.nltk.org/api/nltk.translate.meteor_score.html"],
        )

    def _compute(self, predictions, references, alpha=0.9, beta=3.0, gamma=0.5):
        score = meteor(list(predictions), list(references), alpha=alpha, beta=beta, gamma=gamma)
        return {"meteor": score.details["meteor"], "protocol": score.protocol}
