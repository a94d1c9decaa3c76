"""The per-sample numbers of a result (its `*.samples.jsonl` records) and which samples a page draws.

A record holds the row id, content (the model's text, the reference texts, the input text) and numbers. Every
number is a per-sample metric, whatever its name, so keys a task adds later appear on the site by themselves; a
nested dict of numbers (e.g. errors per body part) becomes one metric per entry, "errors.left_arm". Whether higher is
better comes from the metric declarations (`benchmark.metrics.specs`), then from the record keys the core's scoring
writes (below), then from the declared key the name starts with ("mpjpe_left_arm" -> mpjpe); a key none of these
know is shown with its direction marked unknown, and "worst" then means lowest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from benchmark.metrics.specs import METRIC_SPECS
from benchmark.results import read_sample_records

# record keys written by benchmark.tasks.scoring that are not result keys: (higher is better, what it is)
RECORD_KEYS: dict[str, tuple[bool, str]] = {
    "r_precision_mean_rank": (False, "rank of the ground truth among 32 candidates, mean over the 10 pools "
                                     "(PoseScript R-precision; 0 is best)"),
    "gt_cosine": (True, "cosine between the output and its ground truth in the evaluator's space"),
    "rank_t2p": (False, "rank of the right pose for this text in the full split (0 is best)"),
    "rank_p2t": (False, "rank of the right text for this pose in the full split (0 is best)"),
}


FAMILY_MIN = 3  # keys "prefix@member" of at least this many named members make a family (per joint, per part)


def metric_families(keys) -> tuple[list[str], dict[str, list[str]]]:
    """(single keys, families): "mpjpe_joint@pelvis" ... "mpjpe_joint@right_wrist" make the family "mpjpe_joint",
    shown together (a chart, a heat map) instead of as dozens of columns. Keys "@k" with a number ("recall_t2p@5",
    "r_precision@1") are the field's headline numbers and stay single, as does a family of fewer than FAMILY_MIN
    keys. Both keep the order of `keys`."""
    keys = list(dict.fromkeys(keys))
    groups: dict[str, list[str]] = {}
    for key in keys:
        prefix, sep, member = key.partition("@")
        if sep and not member.isdigit():
            groups.setdefault(prefix, []).append(key)
    families = {prefix: members for prefix, members in groups.items() if len(members) >= FAMILY_MIN}
    in_family = {k for members in families.values() for k in members}
    return [k for k in keys if k not in in_family], families


@dataclass(frozen=True)
class SampleMetric:
    key: str
    higher_is_better: bool | None  # None: not declared anywhere; "worst" then means lowest
    help: str = ""

    @property
    def arrow(self) -> str:
        return "↑" if self.higher_is_better else "↓" if self.higher_is_better is False else "↕"


def describe_metric(key: str) -> SampleMetric:
    if key in METRIC_SPECS:
        spec = METRIC_SPECS.get(key)
        return SampleMetric(key, spec.higher_is_better, spec.protocol)
    if key in RECORD_KEYS:
        return SampleMetric(key, *RECORD_KEYS[key])
    # "mpjpe_left_arm", "mpjpe.left_arm", "errors.mpjpe": the longest known name a part of the key starts with,
    # followed by a separator (so "fidelity" is not taken for "fid")
    parts = [key] + key.split(".")
    for name in sorted(list(METRIC_SPECS) + list(RECORD_KEYS), key=len, reverse=True):
        if any(p == name or (p.startswith(name) and not p[len(name)].isalnum()) for p in parts):
            known = describe_metric(name)
            return SampleMetric(key, known.higher_is_better, f"{known.help} ({key})")
    return SampleMetric(key, None, "a per-sample number of this result (direction not declared)")


def _numbers(record: dict, prefix: str = "") -> dict[str, float]:
    out = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            out[name] = float(value)
        elif isinstance(value, dict):
            out.update(_numbers(value, f"{name}."))
    return out


@dataclass
class SampleTable:
    """The records of one result: ids in file order, each id's numbers, and each id's record."""

    ids: list[str]
    values: dict[str, dict[str, float]]  # id -> metric -> value (NaN-free: non-finite values are left out)
    records: dict[str, dict]
    metrics: list[SampleMetric]

    @property
    def headline(self) -> list[SampleMetric]:
        """The metrics a page ranks and draws samples by: all but the members of families (metric_families)."""
        singles, _ = metric_families(m.key for m in self.metrics)
        return [m for m in self.metrics if m.key in singles]

    @property
    def families(self) -> dict[str, list[SampleMetric]]:
        _, families = metric_families(m.key for m in self.metrics)
        by_key = {m.key: m for m in self.metrics}
        return {prefix: [by_key[k] for k in keys] for prefix, keys in families.items()}

    def column(self, key: str) -> list[float | None]:
        return [self.values[i].get(key) for i in self.ids]

    def ranked(self, metric: SampleMetric, order: str) -> list[str]:
        """Ids with a value of `metric`, worst first (order "worst") or best first ("best")."""
        have = [i for i in self.ids if metric.key in self.values[i]]
        # worst first: lowest first unless lower is better (an undeclared direction counts as higher is better)
        worst_first = sorted(have, key=lambda i: self.values[i][metric.key], reverse=metric.higher_is_better is False)
        # ties keep file order; "best" is the exact reverse ranking
        return worst_first if order == "worst" else worst_first[::-1]

    def drawn(self, n: int) -> list[str]:
        """The ids a page draws: the n worst and n best by every headline metric, in file order."""
        chosen = set()
        for metric in self.headline:
            for order in ("worst", "best"):
                chosen.update(self.ranked(metric, order)[:n])
        return [i for i in self.ids if i in chosen]


def read_samples(path: str | Path) -> SampleTable:
    ids, records = read_sample_records(path)
    values: dict[str, dict[str, float]] = {}
    seen: dict[str, None] = {}
    for row_id in ids:
        values[row_id] = {k: v for k, v in _numbers(records[row_id]).items() if math.isfinite(v)}
        seen.update(dict.fromkeys(values[row_id]))
    return SampleTable(ids, values, records, [describe_metric(k) for k in seen])
