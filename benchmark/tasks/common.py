"""Row-level helpers shared by the tasks: poses and texts out of a dataset split, evaluator loading."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from benchmark.columns import fixed_shape_array
from benchmark.errors import InputError
from benchmark.evaluation.results import EvaluatorInfo


def pose_column(ds, column: str) -> np.ndarray:
    """A fixed-shape pose column as float32 [N, 22, 3], read straight from Arrow (datasets' numpy formatter builds
    it row by row, hundreds of times slower)."""
    return fixed_shape_array(ds, column).astype(np.float32, copy=False)


def reference_texts(ds, mode: str) -> list[list[str]]:
    """Per row, the texts that serve as references: those of kind `mode` ("human", "automatic"), or all ("any")."""
    out = []
    for row_id, texts, kinds in zip(ds["id"], ds["texts"], ds["text_kinds"]):
        chosen = list(texts) if mode == "any" else [t for t, k in zip(texts, kinds) if k == mode]
        if not chosen:
            raise InputError(f"has no {mode} text", row=row_id, field="texts",
                             hint="the task's split must only hold rows with such texts")
        out.append(chosen)
    return out


@lru_cache(maxsize=8)
def _load(path: str):
    from benchmark.retrieval import load_evaluator

    return load_evaluator(path)


def load_evaluator(path: Path, kind: str):
    evaluator = _load(str(path))
    return evaluator, EvaluatorInfo(kind=kind, version=evaluator.version, path=str(path),
                                    sha256=evaluator.config.get("weights_sha256", ""))
