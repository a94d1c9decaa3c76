"""Retrieval evaluators: PoseScript's PoseText (pose <-> text) and PoseFix's PairText (pose pair <-> text).

They score the suite's tasks (R-precision, recall, FID features). Trained by the suite (`train_pose_text`,
`train_pair_text`, or `unipose-bench train-retrieval`), frozen, versioned, and loaded with `load_evaluator(path)`.
Names are imported lazily so that `import benchmark.retrieval` does not load torch or transformers.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "load_evaluator": "benchmark.retrieval.checkpoint",
    "save_checkpoint": "benchmark.retrieval.checkpoint",
    "PoseTextEvaluator": "benchmark.retrieval.evaluator",
    "PairTextEvaluator": "benchmark.retrieval.evaluator",
    "train_pose_text": "benchmark.retrieval.training",
    "train_pair_text": "benchmark.retrieval.training",
    "train_retrieval": "benchmark.retrieval.training",
    "TrainingResult": "benchmark.retrieval.training",
    "TrainConfig": "benchmark.retrieval.config",
    "StageConfig": "benchmark.retrieval.config",
    "ArchitectureConfig": "benchmark.retrieval.config",
    "recipe": "benchmark.retrieval.config",
    "flip_poses": "benchmark.retrieval.flip",
    "flip_text": "benchmark.retrieval.flip",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'benchmark.retrieval' has no attribute '{name}'")
