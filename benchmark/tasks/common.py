"""Row-level helpers shared by the tasks: texts out of a dataset split, evaluator loading (poses: benchmark.columns)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from benchmark.errors import InputError
from benchmark.results import EvaluatorInfo


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
