"""One declaration per result key: what every number in a result file and on a board is. A task's `score()`
returns exactly its spec's keys (the runner checks), `ScoreEntry`s take their unit and direction from here, and the
boards read the direction from here instead of repeating it.

A key names the function computing it (an entry of `benchmark.metrics.METRICS`), its unit, whether higher is
better, and the protocol in a line; families (R-precision at 1..3, recall at 1..20 both ways, the error at each joint
of every joint protocol, posecode agreement per kind) are declared at once. `group` sorts the diagnostics apart from
the headline numbers ("joints", "body parts", "posecodes"; empty for the headline ones), for tables and the site.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmark.errors import BenchmarkError
from benchmark.registry import Registry


@dataclass(frozen=True)
class MetricSpec:
    key: str               # the result key, e.g. "r_precision@1"
    function: str          # the benchmark.metrics.METRICS entry that computes it
    unit: str              # "%", "mm", "deg", "cosine" or "" (unitless)
    higher_is_better: bool
    protocol: str          # one line: how it is computed
    group: str = ""        # "" for a headline number; "joints", "body parts" or "posecodes" for a diagnostic


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
    MetricSpec("pa_mpjpe_limbs12", "pa_mpjpe_limbs12", "mm", False,
               "PA-MPJPE on the 12 limb joints the prediction's and the ground truth's skeletons share (shoulders, "
               "elbows, wrists, hips, knees, ankles): scores joints of another skeleton (BlazePose) and poses alike"),
    MetricSpec("fid", "frechet_distance", "", False,
               "Fréchet distance between the evaluator's features of the ground-truth and the generated poses"),
]


def _pose_diagnostics() -> list[MetricSpec]:
    from benchmark.body.parts import BODY_PARTS
    from benchmark.metrics.joint_protocols import PROTOCOL_JOINT_NAMES
    from benchmark.metrics.pose_diagnostics import JOINT_KEY, PART_KEYS, ROOT_KEY

    joints = dict.fromkeys(j for names in PROTOCOL_JOINT_NAMES.values() for j in names)  # every protocol's, once
    errors = "body_part_errors"
    return [
        *(MetricSpec(JOINT_KEY.format(joint=j), errors, "mm", False, f"error of the {j} joint after the task's "
                     "MPJPE alignment (the mean over the joints is MPJPE)", "joints") for j in joints),
        *(MetricSpec(PART_KEYS["MPJPE"].format(part=p), errors, "mm", False,
                     f"MPJPE over the {p} joints (benchmark.body.parts) after the task's MPJPE alignment", "body parts")
          for p in BODY_PARTS),
        *(MetricSpec(PART_KEYS["PA-MPJPE"].format(part=p), errors, "mm", False,
                     f"per-joint error over the {p} joints after PA-MPJPE's Procrustes alignment of the whole skeleton",
                     "body parts") for p in BODY_PARTS),
        MetricSpec(ROOT_KEY, "root_orientation_error", "deg", False,
                   "geodesic angle between the predicted and the ground-truth root rotations", "body parts"),
    ]


def _posecode_agreement() -> list[MetricSpec]:
    from benchmark.metrics.posecode_agreement import MEASURES, posecode_groups, result_key

    words = {"precision": "share of the generated pose's posecodes that the ground truth has",
             "recall": "share of the ground truth's posecodes that the generated pose has",
             "f1": "F1 of the generated and the ground-truth posecode sets"}
    return [MetricSpec(result_key(m, g), "posecode_agreement", "%", True,
                       f"{words[m]} ({'all posecodes' if g == 'all' else g + ' posecodes'}; PoseScript posecodes, "
                       "micro-averaged)", "posecodes")
            for g in posecode_groups() for m in MEASURES]


_SPECS += _pose_diagnostics() + _posecode_agreement()
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
