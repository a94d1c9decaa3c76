"""One declaration per result key: what every number in a result file and on a board is. A task's `score()`
returns exactly its spec's keys (the runner checks), `ScoreEntry`s take their unit and direction from here, and the
boards read the direction from here instead of repeating it.

A key names the function computing it (an entry of `benchmark.metrics.METRICS`), its unit, whether higher is
better, and the protocol in a line; families (R-precision at 1..3, recall at 1..20 both ways) are declared at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmark.errors import BenchmarkError
from benchmark.registry import Registry


@dataclass(frozen=True)
class MetricSpec:
    key: str               # the result key, e.g. "r_precision@1"
    function: str          # the benchmark.metrics.METRICS entry that computes it
    unit: str              # "%", "mm", "cosine" or "" (unitless)
    higher_is_better: bool
    protocol: str          # one line: how it is computed


def _family(prefix: str, ks, function: str, unit: str, protocol: str) -> list[MetricSpec]:
    return [MetricSpec(f"{prefix}@{k}", function, unit, True, protocol.format(k=k)) for k in ks]


_SPECS = [
    *_family("r_precision", (1, 2, 3), "r_precision", "%",
             "PoseScript R-precision: the ground truth among the top {k} of a 32-candidate pool per query, "
             "10 repetitions"),
    *_family("r_precision_grouped", (1, 2, 3), "r_precision", "%",
             "grouped R-precision (UniPose / MotionGPT): pools of 32 consecutive shuffled items, top {k}"),
    *_family("r_precision_gt", (1, 2, 3), "r_precision", "%",
             "R-precision of the ground-truth texts at top {k} (the evaluator's own quality), averaged over text "
             "indices"),
    MetricSpec("multimodality", "r_precision", "cosine", True,
               "mean cosine similarity of each output with its ground truth in the evaluator's space"),
    *_family("recall_p2t", (1, 5, 10, 20), "cross_modal_recall", "%",
             "full-split recall@{k}, pose (pair) -> text, cosine"),
    *_family("recall_t2p", (1, 5, 10, 20), "cross_modal_recall", "%",
             "full-split recall@{k}, text -> pose (pair), cosine"),
    MetricSpec("mrecall", "cross_modal_recall", "%", True, "mean of the recall@k of both directions (mRecall)"),
    MetricSpec("bleu", "bleu", "%", True, "corpus BLEU-4 (HF evaluate semantics)"),
    MetricSpec("rouge_l", "rouge_l", "%", True, "ROUGE-L F-measure, best reference per item"),
    MetricSpec("meteor", "meteor", "%", True, "METEOR with WordNet synonyms (HF evaluate semantics)"),
    MetricSpec("mpjpe", "mpjpe", "mm", False, "mean per-joint position error under the task's joint protocol"),
    MetricSpec("pa_mpjpe", "pa_mpjpe", "mm", False,
               "MPJPE after similarity Procrustes alignment, under the task's joint protocol"),
    MetricSpec("fid", "frechet_distance", "", False,
               "Fréchet distance between the evaluator's features of the ground-truth and the generated poses"),
]
METRIC_SPECS: Registry[MetricSpec] = Registry("result key")
for _spec in _SPECS:
    METRIC_SPECS.register(_spec.key, _spec, help=_spec.protocol)


def metric_spec(key: str) -> MetricSpec:
    """The declaration of result `key`; an unknown key is an error with a did-you-mean hint."""
    return METRIC_SPECS.get(key)


def check_metric_keys(name: str, metrics, main_metric: str) -> None:
    """A task spec names only declared result keys, and its main metric among them (ValueError otherwise)."""
    undeclared = [m for m in metrics if m not in METRIC_SPECS]
    if undeclared:
        raise ValueError(f"task {name}: metrics {undeclared} are not declared in benchmark.metrics.specs")
    if main_metric not in metrics:
        raise ValueError(f"task {name}: main metric {main_metric} is not among {metrics}")


def check_declared(name: str, declared, scores) -> None:
    """A task's score() returns exactly the result keys its spec declares: a key computed but not declared, or
    declared but not computed, is a bug in the task (raised, naming both lists)."""
    undeclared, missing = sorted(set(scores) - set(declared)), sorted(set(declared) - set(scores))
    if undeclared or missing:
        raise BenchmarkError(f"task {name}: score() returned {undeclared or 'no'} undeclared key(s) and lacks "
                             f"{missing or 'none'} of its spec's metrics; fix the task or its spec")
