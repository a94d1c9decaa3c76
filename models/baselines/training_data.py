"""Lazy access to the training splits a baseline draws from (a Hub-layout dataset folder, one config per task)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from benchmark.columns import fixed_shape_array
from benchmark.errors import BenchmarkError


class TrainingData:
    def __init__(self, root: str | Path, split: str = "train"):
        self.root = Path(root)
        self.split = split
        if not self.root.is_dir():
            raise BenchmarkError(f"training data folder {self.root} does not exist (pass train=DIR: a dataset "
                                 "folder in the Hub layout, e.g. the embedded world the main job builds)")
        self._cache: dict[str, object] = {}

    def table(self, config: str):
        if config not in self._cache:
            import datasets

            files = sorted((self.root / config).glob(f"{self.split}-*.parquet"))
            if not files:
                raise BenchmarkError(f"{self.root} has no {self.split} split for {config}")
            self._cache[config] = datasets.load_dataset(str(self.root), config, split=self.split)
        return self._cache[config]

    def texts(self, config: str, kinds: tuple[str, ...] | None = None) -> list[str]:
        """The first text of each row (human where it exists and `kinds` allows)."""
        rows = self.table(config)
        out = []
        for texts, text_kinds in zip(rows["texts"], rows["text_kinds"]):
            chosen = [t for t, k in zip(texts, text_kinds) if kinds is None or k in kinds] or list(texts)
            out.append(str(chosen[0]))
        return out

    def poses(self, config: str, column: str = "pose") -> np.ndarray:
        return fixed_shape_array(self.table(config), column).astype(np.float32, copy=False)

    @cached_property
    def descriptions(self) -> list[str]:
        return self.texts("pose_to_text")

    @cached_property
    def instructions(self) -> list[str]:
        return self.texts("pose_diff")
