"""The result types every metric returns, the static description of a metric, and the input checks they share.

Conventions
* `Score.value` is in the unit its `MetricInfo.unit` names: "%" for recalls, R-precision and the text metrics (the
  papers' x100 tables), "mm" for joint errors, "" for FID.
* `Score.protocol` names the upstream protocol the number follows, precisely enough that two scores with the same
  protocol string are comparable ("posescript-r-precision (31 random distractors + GT, 10 repetitions, mean rank < k,
  cosine)").
* `Score.details` holds what a reader or the bootstrap needs besides the headline number. Two keys are shared:
  `per_sample` (float64 [N], one value per item in the unit of `value`, whose mean is `value`; for ROUGE-L, whose
  bootstrap median is) and, for corpus metrics that are a function of summed per-item statistics,
  `sufficient_statistics` (float64 [N, K]) together with `statistic` ("module:function" mapping summed statistics
  [..., K] to the value). Per-item values that do not average to `value` (sentence-level BLEU and METEOR of the
  COCO-caption scores) are stored as `per_item`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmark.errors import BenchmarkError, InputError


class MissingMetricResource(BenchmarkError, FileNotFoundError):
    """A metric needs data or a program that is not installed here (WordNet, Java, a regressor file)."""


@dataclass(frozen=True)
class MetricInfo:
    """What a metric measures and how to read its number."""

    name: str
    description: str
    citation: str
    protocol: str
    higher_is_better: bool
    unit: str


@dataclass(frozen=True)
class Score:
    """One number, the protocol it follows, the item count it was computed on, and an optional confidence interval."""

    name: str
    value: float
    protocol: str
    n: int
    ci_low: float | None = None
    ci_high: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def with_ci(self, low: float, high: float) -> Score:
        return dataclasses.replace(self, ci_low=float(low), ci_high=float(high))

    def to_dict(self, *, include_arrays: bool = False) -> dict:
        """A JSON-ready dict; per-item arrays are left out unless `include_arrays`."""
        details = {k: _jsonable(v) for k, v in self.details.items()
                   if include_arrays or not isinstance(v, np.ndarray)}
        return {"name": self.name, "value": self.value, "protocol": self.protocol, "n": self.n,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "details": details}


@dataclass(frozen=True)
class Scores(Mapping[str, Score]):
    """Several scores computed together under one protocol (R@1/5/10, BLEU-1..4 ...), looked up by name."""

    protocol: str
    scores: tuple[Score, ...]
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        names = [s.name for s in self.scores]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate score names in {names}")

    def __getitem__(self, name: str) -> Score:
        for score in self.scores:
            if score.name == name:
                return score
        raise KeyError(f"no score '{name}' (have: {', '.join(s.name for s in self.scores)})")

    def __iter__(self) -> Iterator[str]:
        return (s.name for s in self.scores)

    def __len__(self) -> int:
        return len(self.scores)

    def numbers(self) -> dict[str, float]:
        """{name: value}, the plain numbers."""
        return {s.name: s.value for s in self.scores}

    def replace(self, score: Score) -> Scores:
        """A copy with the score of the same name replaced (e.g. by one carrying a confidence interval)."""
        return dataclasses.replace(self, scores=tuple(score if s.name == score.name else s for s in self.scores))

    def to_dict(self, *, include_arrays: bool = False) -> dict:
        return {"protocol": self.protocol,
                "scores": [s.to_dict(include_arrays=include_arrays) for s in self.scores],
                "details": {k: _jsonable(v) for k, v in self.details.items()
                            if include_arrays or not isinstance(v, np.ndarray)}}


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def as_float_array(values, *, field: str, ndim: int, last_dim: int | None = None, min_rows: int = 1,
                   file: str | None = None, hint: str | None = None) -> np.ndarray:
    """`values` (numpy, torch or nested lists) as a finite float array of `ndim` dims, or an InputError naming the
    field and the first bad row. Float32 stays float32; other real types become float64."""
    if hasattr(values, "detach"):  # torch without importing torch here
        values = values.detach().cpu().numpy()
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError) as exc:
        raise InputError(f"cannot read as a numeric array ({exc})", file=file, field=field, hint=hint) from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise InputError(f"dtype {arr.dtype} is not numeric", file=file, field=field, hint=hint)
    if arr.ndim != ndim or (last_dim is not None and arr.shape[-1] != last_dim):
        want = "[" + ", ".join(["N"] + ["..."] * (ndim - 2) + [str(last_dim) if last_dim else "D"]) + "]"
        raise InputError(f"shape {list(arr.shape)} is not {want}", file=file, field=field, hint=hint)
    if arr.shape[0] < min_rows:
        raise InputError(f"needs at least {min_rows} rows, got {arr.shape[0]}", file=file, field=field, hint=hint)
    if arr.dtype != np.float32:
        arr = arr.astype(np.float64)
    finite = np.isfinite(arr).reshape(arr.shape[0], -1).all(axis=1)
    if not finite.all():
        raise InputError("contains NaN or infinite values", file=file, row=int(np.flatnonzero(~finite)[0]),
                         field=field, hint=hint)
    return arr


def check_same_rows(a: np.ndarray, b: np.ndarray, *, field_a: str, field_b: str) -> None:
    if a.shape[0] != b.shape[0]:
        raise InputError(f"{a.shape[0]} rows in '{field_a}' but {b.shape[0]} in '{field_b}'", field=field_b,
                         hint=f"row i of '{field_b}' must belong to row i of '{field_a}'")


def check_seed(seed) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or int(seed) < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}", field="seed")
    return int(seed)
