"""Shared scoring steps of the tasks: metric Score -> result ScoreEntry (with a bootstrap interval), text metrics,
retrieval of generated outputs through the frozen evaluators, pose errors under a joint protocol with their
diagnostics (per joint, per body part, root orientation), and the posecode agreement of generated poses."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from benchmark.results import ScoreEntry
from benchmark.metrics.base import Score, Scores
from benchmark.metrics.bootstrap import score_with_ci
from benchmark.metrics.specs import metric_spec


def entry(score: Score, key: str, *, seed: int, resamples: int) -> ScoreEntry:
    """The result entry of `key` (its unit and direction from `benchmark.metrics.specs`), with a bootstrap interval
    when the score carries per-sample values or sufficient statistics."""
    spec = metric_spec(key)
    details = score.details
    if resamples and ("per_sample" in details or "sufficient_statistics" in details):
        score = score_with_ci(score, n_resamples=resamples, seed=seed)
    small = {k: v for k, v in score.details.items() if isinstance(v, (int, float, str, bool))}
    if spec.group:  # a diagnostic: tables and the site set these apart from the headline numbers
        small["group"] = spec.group
    for key in ("per_action", "std_over_repetitions", "per_repetition"):
        if key in score.details:
            value = score.details[key]
            small[key] = value.tolist() if isinstance(value, np.ndarray) else value
    return ScoreEntry(value=float(score.value), ci_low=score.ci_low, ci_high=score.ci_high, protocol=score.protocol,
                      unit=spec.unit, n=score.n, higher_is_better=spec.higher_is_better, details=small)


def text_scores(predictions: list[str], references: list[list[str]], *, seed: int, resamples: int):
    """BLEU-4, ROUGE-L and METEOR (HF evaluate semantics) with CIs, and their per-item values for the records."""
    from benchmark.metrics.text import bleu, meteor, rouge_l

    out: dict[str, ScoreEntry] = {}
    per_item: dict[str, np.ndarray] = {}
    for key, score in (("bleu", bleu(predictions, references)), ("rouge_l", rouge_l(predictions, references, seed)),
                       ("meteor", meteor(predictions, references))):
        out[key] = entry(score, key, seed=seed, resamples=resamples)
        if "per_sample" in score.details:
            per_item[key] = np.asarray(score.details["per_sample"])
    return out, per_item


def retrieval_scores(query_emb: np.ndarray, gallery_emb: np.ndarray, *, seed: int, resamples: int,
                     recall_ks=(1, 5, 10, 20)):
    """R-precision (PoseScript protocol as `r_precision@k`, UniPose's grouped one as `r_precision_grouped@k`) and
    full-split recall of generated queries against their ground-truth gallery items, both directions."""
    from benchmark.metrics.retrieval import r_precision

    out: dict[str, ScoreEntry] = {}
    per_item: dict[str, np.ndarray] = {}
    n = len(query_emb)
    pool = 32
    if n >= pool:
        ps = r_precision(query_emb, gallery_emb, (1, 2, 3), "posescript", pool, 10, seed)
        for k in (1, 2, 3):
            out[f"r_precision@{k}"] = entry(ps[f"R-Precision@{k}"], f"r_precision@{k}", seed=seed,
                                            resamples=resamples)
        out["multimodality"] = entry(ps["multimodality"], "multimodality", seed=seed, resamples=resamples)
        per_item["r_precision_mean_rank"] = np.asarray(ps.details["mean_rank"])
        per_item["gt_cosine"] = np.asarray(ps["multimodality"].details["per_sample"])
        grouped = r_precision(query_emb, gallery_emb, (1, 2, 3), "grouped", pool, 10, seed)
        for k in (1, 2, 3):
            out[f"r_precision_grouped@{k}"] = entry(grouped[f"R-Precision@{k}"], f"r_precision_grouped@{k}",
                                                    seed=seed, resamples=resamples)
    else:
        reason = f"R-precision needs at least {pool} rows (pools of {pool}); the split has {n}"
        for key in [f"r_precision@{k}" for k in (1, 2, 3)] + [f"r_precision_grouped@{k}" for k in (1, 2, 3)] + \
                ["multimodality"]:
            out[key] = ScoreEntry.not_computed(key, n, reason)
    if recall_ks:
        # cross_modal_recall(pose side, text side): here the "pose side" is the ground-truth gallery
        entries, ranks = recall_scores(gallery_emb, query_emb, ks=recall_ks, seed=seed, resamples=resamples)
        out.update(entries)
        per_item.update(ranks)
    return out, per_item


def _recall_entries(rec: Scores, ks, all_ks, n: int, seed: int, resamples: int) -> dict[str, ScoreEntry]:
    out = {}
    for direction in ("p2t", "t2p"):
        for k in all_ks:
            key = f"recall_{direction}@{k}"
            out[key] = entry(rec[f"{direction} R@{k}"], key, seed=seed, resamples=resamples) if k in ks else \
                ScoreEntry.not_computed(key, n, f"recall@{k} needs at least {k} rows; the split has {n}")
    out["mrecall"] = entry(rec["mRecall"], "mrecall", seed=seed, resamples=resamples)
    return out


def recall_scores(pose_side: np.ndarray, text_side: np.ndarray, *, ks, seed: int, resamples: int):
    from benchmark.metrics.retrieval import cross_modal_recall

    reachable = tuple(k for k in ks if k <= len(pose_side))
    rec = cross_modal_recall(pose_side, text_side, reachable)
    return _recall_entries(rec, reachable, ks, len(pose_side), seed, resamples), {
        "rank_t2p": np.asarray(rec.details["ranks_t2p"]), "rank_p2t": np.asarray(rec.details["ranks_p2t"])}


def _headline(scores, metric: str):
    """The score of `metric` a protocol reports first: "MPJPE" itself, or a protocol's own label of it (h36m-17
    names them "MPJPE (P1)" / "PA-MPJPE (P2)", averaged over actions, beside frame means)."""
    for name in scores:
        if name == metric or scores[name].details.get("metric") == metric:
            return scores[name]
    raise KeyError(f"the joint protocol reports no {metric} (it reports {', '.join(scores)})")


def pose_error_scores(protocol, pred, gt, *, seed: int, resamples: int, actions=None, declared=()):
    """MPJPE and PA-MPJPE under `protocol`, and those of its diagnostics (`benchmark.metrics.pose_diagnostics`)
    that the task declares in `declared`, from one pass of the protocol's joints."""
    from benchmark.metrics.pose_diagnostics import ROOT_KEY, body_part_errors, root_orientation_error

    joint_errors = protocol.joint_errors(pred, gt)
    scores = protocol.score_errors({m: e.mean(axis=1) for m, e in joint_errors.items()}, actions)
    out = {}
    per_item = {}
    for name, key in (("MPJPE", "mpjpe"), ("PA-MPJPE", "pa_mpjpe")):
        s = _headline(scores, name)
        out[key] = entry(s, key, seed=seed, resamples=resamples)
        if "per_sample" in s.details:
            per_item[key] = np.asarray(s.details["per_sample"])
    if "per_action" in scores.details:
        for key in out:
            out[key].details["per_action"] = scores.details["per_action"]
    diagnostics = list(body_part_errors(joint_errors, protocol.joint_names, protocol=protocol.name).scores)
    if ROOT_KEY in declared and getattr(protocol, "pred_is_pose", True):  # joints answers have no root rotation
        diagnostics.append(root_orientation_error(pred, gt))
    for s in diagnostics:
        if s.name in declared:
            out[s.name] = entry(s, s.name, seed=seed, resamples=resamples)
            per_item[s.name] = np.asarray(s.details["per_sample"])
    return out, per_item


def posecode_scores(generated, truth, *, seed: int, resamples: int, body_model=None, source=None):
    """Posecode precision / recall / F1 of generated poses against the ground truth (`posecode_agreement`), and
    each row's counts as the record `posecode_counts` ({kind: [shared, generated, true]})."""
    from benchmark.metrics.posecode_agreement import posecode_agreement, row_counts

    scores = posecode_agreement(generated, truth, body_model=body_model, source_poses=source)
    out = {}
    for s in scores.scores:
        out[s.name] = ScoreEntry.not_computed(s.name, s.n, s.details["reason"]) if "reason" in s.details else \
            entry(s, s.name, seed=seed, resamples=resamples)
    return out, {"posecode_counts": row_counts(scores.details["counts"])}


def fid_score(real: np.ndarray, generated: np.ndarray) -> ScoreEntry:
    from benchmark.metrics.fid import frechet_distance

    s = frechet_distance(real, generated)
    # no interval: resampling a 512-d covariance square root a thousand times costs minutes
    spec = metric_spec("fid")
    return ScoreEntry(value=float(s.value), protocol=s.protocol, unit=spec.unit, n=s.n,
                      higher_is_better=spec.higher_is_better,
                      details={k: s.details[k] for k in ("eps_added", "rank_deficient", "dim")})


_RECORD_BLOCK = 4096  # records built at once when iterated


class SampleRecords(Sequence):
    """The per-sample records of a scored split, built one at a time when read (`{"id": ..., extra..., per-item
    values...}` as plain Python values): 100k records as dicts of Python floats would be the largest thing a scoring
    run holds, while the columns they are read from are a few float64 arrays."""

    def __init__(self, ids, per_item: dict[str, np.ndarray], extra: dict[str, list] | None = None):
        self.ids, self.per_item, self.extra = list(ids), dict(per_item), dict(extra or {})

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        rec = {"id": self.ids[i]}
        for key, values in self.extra.items():
            rec[key] = values[i]
        for key, values in self.per_item.items():
            v = values[i]
            rec[key] = v.item() if hasattr(v, "item") else v
        return rec

    def __iter__(self):
        # a block of rows at a time: one tolist() per column (the same Python values as .item(), much faster)
        # instead of an .item() per value, and never more than a block of Python floats at once
        for start in range(0, len(self.ids), _RECORD_BLOCK):
            stop = min(len(self.ids), start + _RECORD_BLOCK)
            extra = {k: list(v[start:stop]) for k, v in self.extra.items()}
            values = {k: v[start:stop].tolist() if isinstance(v, np.ndarray) else
                      [x.item() if hasattr(x, "item") else x for x in v[start:stop]] for k, v in self.per_item.items()}
            for j, row_id in enumerate(self.ids[start:stop]):
                rec = {"id": row_id}
                for key, column in extra.items():
                    rec[key] = column[j]
                for key, column in values.items():
                    rec[key] = column[j]
                yield rec

    def __eq__(self, other):
        return isinstance(other, Sequence) and list(self) == list(other)


def records(ids, per_item: dict[str, np.ndarray], extra: dict[str, list] | None = None) -> SampleRecords:
    return SampleRecords(ids, per_item, extra)
