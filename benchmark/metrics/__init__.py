"""The suite's metrics: pure functions (numpy, vectorised) that return `Score` / `Scores` naming their protocol.

`METRICS` is the one table of them (name -> `MetricEntry(info, target)`), where `target` is a lazy "module:function"
string, so importing this package loads no metric backend (sacrebleu, nltk, rouge_score, pycocoevalcap, scipy).
`get_metric(name)` imports and returns the function. Each metric also exists as a local `evaluate` module:
`benchmark.metrics.evaluate_modules.module_path(name)`.

Modules: retrieval (R-precision, recall@k, mRecall), pose (MPJPE, PA-MPJPE, exact streaming sums), joint_protocols
(smplh-52-jtr, skeleton-22, hmr2-14, h36m-17), pose_diagnostics (per-joint and per-body-part errors, root
orientation), posecode_agreement (posecode precision / recall / F1 of generated poses), fid, text (BLEU, ROUGE-L,
METEOR, COCO caption), bootstrap (CIs), paired_tests (is model A better than model B: paired bootstrap, permutation
test), perf (the R-precision speed benchmark).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from benchmark.metrics.base import MetricInfo, MissingMetricResource, Score, Scores


@dataclass(frozen=True)
class MetricEntry:
    info: MetricInfo
    target: str  # "module:function"

    def load(self):
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)


_POSESCRIPT = ("@inproceedings{delmas2022posescript, title={PoseScript: 3D Human Poses from Natural Language}, "
               "author={Delmas, Ginger and Weinzaepfel, Philippe and Lucas, Thomas and Moreno-Noguer, Francesc and "
               "Rogez, Gr{\\'e}gory}, booktitle={ECCV}, year={2022}}")
_UNIPOSE = ("@inproceedings{li2025unipose, title={UniPose: A Unified Multimodal Framework for Human Pose "
            "Comprehension, Generation and Editing}, author={Li, Yiheng and others}, booktitle={CVPR}, year={2025}}")
_MOTIONGPT = ("@inproceedings{jiang2023motiongpt, title={MotionGPT: Human Motion as a Foreign Language}, "
              "author={Jiang, Biao and others}, booktitle={NeurIPS}, year={2023}}")
_H36M = ("@article{ionescu2014human36m, title={Human3.6M: Large Scale Datasets and Predictive Methods for 3D Human "
         "Sensing in Natural Environments}, author={Ionescu, Catalin and Papava, Dragos and Olaru, Vlad and "
         "Sminchisescu, Cristian}, journal={TPAMI}, year={2014}}")
_UMEYAMA = ("@article{umeyama1991, title={Least-Squares Estimation of Transformation Parameters Between Two Point "
            "Patterns}, author={Umeyama, Shinji}, journal={TPAMI}, year={1991}}")
_HMR2 = ("@inproceedings{goel2023humans, title={Humans in 4D: Reconstructing and Tracking Humans with Transformers}, "
         "author={Goel, Shubham and others}, booktitle={ICCV}, year={2023}}")

METRICS: dict[str, MetricEntry] = {
    "r_precision": MetricEntry(MetricInfo(
        "r_precision", "R-precision@k: how often the retrieval evaluator ranks the ground truth among the top k of a "
        "pool of 32 (ground truth + 31 distractors)", f"{_POSESCRIPT} {_MOTIONGPT} {_UNIPOSE}",
        "posescript (per-query pools, 10 repetitions, mean rank < k) or grouped (UniPose/MotionGPT)", True, "%"),
        "benchmark.metrics.retrieval:r_precision"),
    "recall_at_k": MetricEntry(MetricInfo(
        "recall_at_k", "recall@k of the ground truth among all items of the split", _POSESCRIPT,
        "full-split recall@k, cosine", True, "%"), "benchmark.metrics.retrieval:recall_at_k"),
    "cross_modal_recall": MetricEntry(MetricInfo(
        "cross_modal_recall", "pose-to-text and text-to-pose recall@k over the split and their mean, mRecall",
        f"{_POSESCRIPT} {_UNIPOSE}", "full-split recall@k both directions, mRecall = mean", True, "%"),
        "benchmark.metrics.retrieval:cross_modal_recall"),
    "mpjpe": MetricEntry(MetricInfo(
        "mpjpe", "mean per-joint position error", _H36M,
        "no alignment here; joint protocols (joint_protocols) set joints and alignment", False, "mm"),
        "benchmark.metrics.pose:mpjpe"),
    "pa_mpjpe": MetricEntry(MetricInfo(
        "pa_mpjpe", "mean per-joint position error after similarity Procrustes alignment of the prediction",
        f"{_UMEYAMA} {_HMR2}", "similarity Procrustes (rotation, scale, translation; no reflection)", False, "mm"),
        "benchmark.metrics.pose:pa_mpjpe"),
    "pa_mpjpe_limbs12": MetricEntry(MetricInfo(
        "pa_mpjpe_limbs12", "PA-MPJPE on the 12 limb joints two different skeletons share (shoulders, elbows, wrists, "
        "hips, knees, ankles): joints of another skeleton (BlazePose's 33 landmarks) against the ground truth's",
        f"{_UMEYAMA} {_HMR2}", "the 12 limb joints taken by name from each skeleton; similarity Procrustes (rotation, "
        "scale, translation; no reflection)", False, "mm"), "benchmark.metrics.shared_joints:pa_mpjpe_limbs12"),
    "body_part_errors": MetricEntry(MetricInfo(
        "body_part_errors", "per-joint MPJPE and per-body-part MPJPE / PA-MPJPE (arms, legs, torso, head): where a "
        "pose goes wrong", f"{_H36M} {_UMEYAMA}",
        "the joint protocol's joints and MPJPE alignment; PA per part after the whole skeleton's Procrustes "
        "alignment; parts from the joint names (benchmark.body.parts)", False, "mm"),
        "benchmark.metrics.pose_diagnostics:body_part_errors"),
    "root_orientation_error": MetricEntry(MetricInfo(
        "root_orientation_error", "geodesic angle between the predicted and the ground-truth root (global) rotations",
        "@article{huynh2009metrics, title={Metrics for 3D Rotations: Comparison and Analysis}, author={Huynh, Du Q.}, "
        "journal={Journal of Mathematical Imaging and Vision}, year={2009}}",
        "angle of R_gt^T R_pred, degrees", False, "deg"), "benchmark.metrics.pose_diagnostics:root_orientation_error"),
    "posecode_agreement": MetricEntry(MetricInfo(
        "posecode_agreement", "precision, recall and F1 of the posecodes of a generated pose against those of its "
        "ground truth, overall and per posecode kind (a text-to-pose score without a retrieval model)", _POSESCRIPT,
        "PoseScript posecodes, exact categories, described ones only, micro-averaged over rows", True, "%"),
        "benchmark.metrics.posecode_agreement:posecode_agreement"),
    "frechet_distance": MetricEntry(MetricInfo(
        "frechet_distance", "Fréchet distance between Gaussians fitted to real and generated pose features (FID)",
        "@inproceedings{heusel2017gans, title={GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash "
        f"Equilibrium}}, author={{Heusel, Martin and others}}, booktitle={{NeurIPS}}, year={{2017}}}} {_POSESCRIPT}",
        "posescript-fid", False, ""), "benchmark.metrics.fid:frechet_distance"),
    "bleu": MetricEntry(MetricInfo(
        "bleu", "corpus BLEU-4",
        "@inproceedings{papineni2002bleu, title={BLEU: a Method for Automatic Evaluation of Machine Translation}, "
        "author={Papineni, Kishore and Roukos, Salim and Ward, Todd and Zhu, Wei-Jing}, booktitle={ACL}, year={2002}}",
        "hf-evaluate-bleu", True, "%"), "benchmark.metrics.text:bleu"),
    "rouge_l": MetricEntry(MetricInfo(
        "rouge_l", "ROUGE-L F-measure (longest common subsequence), best reference per item",
        "@inproceedings{lin2004rouge, title={ROUGE: A Package for Automatic Evaluation of Summaries}, "
        "author={Lin, Chin-Yew}, booktitle={Text Summarization Branches Out}, year={2004}}",
        "hf-evaluate-rouge rougeL", True, "%"), "benchmark.metrics.text:rouge_l"),
    "meteor": MetricEntry(MetricInfo(
        "meteor", "METEOR (unigram matching with stems and WordNet synonyms, fragmentation penalty)",
        "@inproceedings{banerjee2005meteor, title={METEOR: An Automatic Metric for MT Evaluation with Improved "
        "Correlation with Human Judgments}, author={Banerjee, Satanjeev and Lavie, Alon}, booktitle={ACL Workshop on "
        "Intrinsic and Extrinsic Evaluation Measures}, year={2005}}", "hf-evaluate-meteor", True, "%"),
        "benchmark.metrics.text:meteor"),
    "coco_caption": MetricEntry(MetricInfo(
        "coco_caption", "COCO-caption BLEU-1..4, METEOR 1.5, ROUGE-L and CIDEr (pycocoevalcap)",
        "@article{chen2015microsoft, title={Microsoft COCO Captions: Data Collection and Evaluation Server}, "
        "author={Chen, Xinlei and others}, journal={arXiv:1504.00325}, year={2015}}", "coco-caption", True, "%"),
        "benchmark.metrics.text:coco_caption_scores"),
}


def get_metric(name: str):
    """The function of metric `name` (imported on first use)."""
    if name not in METRICS:
        import difflib

        close = difflib.get_close_matches(name, list(METRICS), n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise KeyError(f"unknown metric '{name}'{hint} (known: {', '.join(sorted(METRICS))})")
    return METRICS[name].load()


__all__ = ["METRICS", "MetricEntry", "MetricInfo", "MissingMetricResource", "Score", "Scores", "get_metric"]
