"""Posecode agreement: how much of what a caption would say about the ground-truth pose is true of the generated one,
with no retrieval model in between.

Both poses are captioned by the suite's own posecode extractor (`benchmark.posecodes`, PoseScript's posecodes) and
their posecodes compared as sets. A posecode is what a PoseScript description may state about a pose: one category
of an elementary code that is described (acceptable, not a support-I interpretation, and not a support-II one that a
super-posecode made redundant: `description_eligibility`), or one super-posecode that fires. Categories are exact
(no threshold noise) and nothing is randomly skipped, so the sets are a deterministic function of the poses. The
poses are heading-normalised as PoseScript's captioning does, and the head-rotation codes are included (the poses'
rotations are known), so "left knee bent at a right angle", "hands above the head" and "head turned left" are each
compared.

For every kind of posecode (the 13 operators: angle, distance, relativePosX/Y/Z, relativeVAxis, onGround,
bodyInclineX/Y/Z, relativeRotX/Y/Z; "super" for super-posecodes) and over all of them ("all"), per row: shared = the
posecodes in both sets, generated = in the generated pose's set, true = in the ground truth's set. Over the split,
micro-averaged (counts summed over the rows first, the usual choice when rows have different numbers of labels):

    precision = 100 shared / generated,  recall = 100 shared / true,  F1 = 100 * 2 shared / (generated + true)

The ground truth itself scores 100 on each. Two reference points come with the overall F1 (`details`): the
`shuffled_truth_f1` floor, each row's ground truth compared with the next row's (what an output with no relation to
its input, drawn from the data, scores), and, for editing, `source_f1`, the score of returning the source pose.
When a kind has no posecode on either side of the whole split its scores are undefined (NaN, with the reason in
`details`); inside a bootstrap resample such a kind counts as agreement (100) instead, so that intervals exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmark.errors import InputError
from benchmark.metrics.base import Score, Scores

KEY = "posecode_{measure}"
MEASURES = ("precision", "recall", "f1")
COUNTS = ("shared", "generated", "true")
PROTOCOL = ("posecode agreement: PoseScript posecodes (exact categories, no random skip, head rotations included) of "
            "the heading-normalised generated and ground-truth poses compared as sets; micro-averaged over rows; %")


# "all", the operator kinds of the posecode table (`benchmark.posecodes.table.KINDS`, in its order; written out so
# that declaring the result keys loads no torch), then "super"
GROUPS = ("all", "angle", "distance", "relativePosX", "relativePosY", "relativePosZ", "relativeVAxis", "onGround",
          "bodyInclineX", "bodyInclineY", "bodyInclineZ", "relativeRotX", "relativeRotY", "relativeRotZ", "super")


def posecode_groups() -> tuple[str, ...]:
    """The groups of posecodes scored: "all", then the operator kinds of the posecode table, then "super"."""
    return GROUPS


def result_key(measure: str, group: str) -> str:
    """"posecode_f1" for all posecodes, "posecode_f1@angle" for one kind.

    >>> result_key("f1", "all"), result_key("recall", "relativePosY")
    ('posecode_f1', 'posecode_recall@relativePosY')
    """
    return KEY.format(measure=measure) + ("" if group == "all" else f"@{group}")


def posecode_keys() -> tuple[str, ...]:
    """Every result key of the metric: the three measures over all posecodes, then per kind."""
    return tuple(result_key(m, g) for g in posecode_groups() for m in MEASURES)


def _ratio(num, den, empty):
    out = np.full(np.broadcast(num, den).shape, float(empty))
    np.divide(100.0 * num, den, out=out, where=den > 0)
    return out


def precision_from_counts(sums: np.ndarray) -> np.ndarray:
    """100 shared / generated from summed counts [..., 3] (shared, generated, true); nothing generated: 100 if
    nothing is true either, else 0."""
    return np.where(sums[..., 1] > 0, _ratio(sums[..., 0], sums[..., 1], 0.0), np.where(sums[..., 2] > 0, 0.0, 100.0))


def recall_from_counts(sums: np.ndarray) -> np.ndarray:
    """100 shared / true from summed counts [..., 3]; nothing true: 100 if nothing is generated either, else 0."""
    return np.where(sums[..., 2] > 0, _ratio(sums[..., 0], sums[..., 2], 0.0), np.where(sums[..., 1] > 0, 0.0, 100.0))


def f1_from_counts(sums: np.ndarray) -> np.ndarray:
    """100 * 2 shared / (generated + true) from summed counts [..., 3]; both empty: 100.

    >>> float(f1_from_counts(np.array([3, 4, 6])))
    60.0
    """
    return _ratio(2.0 * sums[..., 0], sums[..., 1] + sums[..., 2], 100.0)


STATISTICS = {"precision": f"{__name__}:precision_from_counts", "recall": f"{__name__}:recall_from_counts",
              "f1": f"{__name__}:f1_from_counts"}
_FUNCTIONS = {"precision": precision_from_counts, "recall": recall_from_counts, "f1": f1_from_counts}


@dataclass(frozen=True)
class DescribedPosecodes:
    """The posecodes a description of each of N poses may state: the category of every elementary code [N, C]
    (int8), and which codes are described [N, C + S] (bool; the last S columns are the super-posecodes that fire)."""

    categories: np.ndarray
    described: np.ndarray

    def __len__(self) -> int:
        return len(self.categories)

    def rows(self, index) -> DescribedPosecodes:
        return DescribedPosecodes(self.categories[index], self.described[index])


def describe_posecodes(poses, body_model=None, *, field: str = "poses") -> DescribedPosecodes:
    """The described posecodes of axis-angle poses [N, 22|52, 3] (AMASS frame); joints from `body_model` (the
    embedded skeleton when None)."""
    from benchmark.posecodes.extract import compute_categories, description_eligibility
    from benchmark.posecodes.inputs import joints_from_poses
    from benchmark.posecodes.table import posecode_table

    table = posecode_table()
    joints, normalised = joints_from_poses(poses, body_model, field=field)
    cats, supers, _, has_rotations = compute_categories(joints, normalised, table=table)
    return DescribedPosecodes(cats, description_eligibility(cats, supers, table, has_rotations) > 0)


def agreement_counts(generated: DescribedPosecodes, truth: DescribedPosecodes) -> np.ndarray:
    """int64 [N, G, 3]: per row and posecode group (`posecode_groups()`), the (shared, generated, true) counts."""
    from benchmark.posecodes.table import KINDS, posecode_table

    if len(generated) != len(truth):
        raise InputError(f"{len(generated)} generated poses but {len(truth)} ground-truth poses", field="generated",
                         hint="row i of the generated poses answers row i of the ground truth")
    table = posecode_table()
    n_columns = table.n_columns
    shared = generated.described & truth.described
    shared[:, :n_columns] &= generated.categories == truth.categories
    if GROUPS[1:-1] != KINDS:
        raise RuntimeError("posecode_agreement.GROUPS is out of date with the posecode table's kinds")
    counts = np.empty((len(truth), len(GROUPS), 3), dtype=np.int64)
    slices = [slice(0, shared.shape[1]), *(table.kind_slices[k] for k in KINDS), slice(n_columns, shared.shape[1])]
    for g, cols in enumerate(slices):
        for c, flags in enumerate((shared, generated.described, truth.described)):
            counts[:, g, c] = flags[:, cols].sum(axis=1)
    return counts


def agreement_scores(counts: np.ndarray, *, protocol: str = PROTOCOL) -> Scores:
    """Precision, recall and F1 per posecode group from per-row counts [N, G, 3], named by their result keys; each
    carries its counts as `sufficient_statistics` [N, 3] and the `statistic` that maps their sums to the value."""
    counts = np.asarray(counts)
    groups = posecode_groups()
    if counts.ndim != 3 or counts.shape[1:] != (len(groups), 3):
        raise InputError(f"shape {list(counts.shape)} is not [N, {len(groups)}, 3]", field="counts")
    sums = counts.sum(axis=0)
    scores = []
    for g, group in enumerate(groups):
        for measure in MEASURES:
            details = {"sufficient_statistics": counts[:, g].astype(np.float64), "statistic": STATISTICS[measure],
                       "counts": dict(zip(COUNTS, (int(c) for c in sums[g])))}
            value = float(_FUNCTIONS[measure](sums[g].astype(np.float64)))
            if sums[g, 1] == 0 and sums[g, 2] == 0:
                value = float("nan")
                details["reason"] = f"no {group} posecode in the generated or the ground-truth poses of the split"
            scores.append(Score(result_key(measure, group), value, protocol, len(counts), details=details))
    return Scores(protocol, tuple(scores))


def posecode_agreement(pred_poses, gt_poses, *, body_model=None, source_poses=None) -> Scores:
    """Posecode precision, recall and F1 (%) of generated poses against their ground truth, overall and per kind
    (see the module docstring). `source_poses` (pose editing: the poses the edit starts from) adds the score of
    returning them unchanged to the overall F1's details. The per-row counts [N, G, 3] are `details["counts"]`.

    >>> pose = np.zeros((1, 22, 3), np.float32); pose[:, 0] = [np.pi / 2, 0, 0]  # standing, arms spread
    >>> bent = pose.copy(); bent[:, 4] = [np.pi / 2, 0, 0]                         # left knee bent 90 degrees
    >>> scores = posecode_agreement(np.concatenate([pose, bent]), np.concatenate([pose, pose]))
    >>> scores["posecode_f1@angle"].details["counts"]
    {'shared': 7, 'generated': 8, 'true': 8}
    """
    truth = describe_posecodes(gt_poses, body_model, field="gt")
    generated = describe_posecodes(pred_poses, body_model, field="pred")
    counts = agreement_counts(generated, truth)
    scores = agreement_scores(counts)
    extra = {}
    if len(truth) > 1:
        shuffled = truth.rows(np.roll(np.arange(len(truth)), -1))
        extra["shuffled_truth_f1"] = float(f1_from_counts(agreement_counts(shuffled, truth)[:, 0].sum(axis=0)))
    if source_poses is not None:
        source = describe_posecodes(source_poses, body_model, field="source")
        extra["source_f1"] = float(f1_from_counts(agreement_counts(source, truth)[:, 0].sum(axis=0)))
    overall = scores[result_key("f1", "all")]
    scores = scores.replace(Score(overall.name, overall.value, overall.protocol, overall.n,
                                  details={**overall.details, **extra}))
    return Scores(scores.protocol, scores.scores, details={"counts": counts})


def row_counts(counts: np.ndarray) -> list[dict[str, list[int]]]:
    """Per row, {group: [shared, generated, true]}: the per-sample record of the metric (what a paired comparison
    of two models resums)."""
    groups = posecode_groups()
    return [{group: [int(c) for c in row[g]] for g, group in enumerate(groups)} for row in np.asarray(counts)]
