"""Lazy access to the training splits a baseline draws from: a Hub-layout dataset folder, the embedded world (one
config per task, named by the task id) or a real-source build (configs named task id + variant, e.g.
"pose_to_text-H"); baselines ask by task id and get that task's config."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

import numpy as np

from benchmark.columns import fixed_shape_array
from benchmark.errors import BenchmarkError
from benchmark.tasks.schema import TASKS, sorted_configs


def default_train_dir(train=None):
    """`train`, or the newest embedded world's dataset folder (what the training commands use by default)."""
    from benchmark import workspace
    from benchmark.errors import InputError

    if train is not None:
        return train
    build = workspace.latest_world_id()
    if build is None:
        raise InputError("no embedded world is built yet", field="--train",
                         hint="run `unipose-bench run` (or `unipose-bench build`) first, or pass --train DIR")
    return workspace.world_hub_dir(build)


def files_digest(paths: Iterable[str | Path]) -> str:
    """The names and contents of `paths`, in order, as 12 hex digits."""
    h = hashlib.sha256()
    for p in paths:
        h.update(Path(p).name.encode() + b"\0" + hashlib.sha256(Path(p).read_bytes()).digest())
    return h.hexdigest()[:12]


def training_key(code: Iterable[str | Path], data_files: Iterable[str | Path], *recipe) -> str:
    """The cache key of weights a model trains here: the source files that decide what it trains to, the data files
    it trains on and the recipe (JSON-able: preset, seed, ...). A change of any of them retrains; a model trained
    from the same code, data and recipe is found again under the same key wherever the data folder lives."""
    return hashlib.sha256(json.dumps([files_digest(code), files_digest(data_files), *recipe],
                                     sort_keys=True).encode()).hexdigest()[:12]


class TrainingData:
    def __init__(self, root: str | Path, split: str = "train"):
        self.root = Path(root)
        self.split = split
        if not self.root.is_dir():
            raise BenchmarkError(f"training data folder {self.root} does not exist (pass train=DIR: a dataset "
                                 "folder in the Hub layout, e.g. the embedded world the main job builds)")
        self._cache: dict[str, object] = {}

    def config_for(self, name: str) -> str:
        """The config folder `name` refers to: itself when the folder has it, else the config of task `name` that
        has this split: the plain task id (the embedded world), else the human-text variant "-H" (PoseScript,
        PoseFix builds), else the first variant in publishing order."""
        if (self.root / name).is_dir():
            return name
        present = [c.name for c in self.root.iterdir() if c.is_dir() and any(c.glob(f"{self.split}-*.parquet"))]
        of_task = sorted_configs(c for c in present if c.partition("-")[0] == name) if name in TASKS else []
        if not of_task:
            raise BenchmarkError(f"{self.root} has no {self.split} split of task {name} (it has "
                                 f"{', '.join(sorted(present)) or 'no configs'})")
        return next((c for c in of_task if c in (name, f"{name}-H")), of_task[0])

    def files(self, names: Iterable[str]) -> list[Path]:
        """The parquet files of this split of each config `name` refers to (see `config_for`), in a fixed order."""
        return [f for n in names for f in sorted((self.root / self.config_for(n)).glob(f"{self.split}-*.parquet"))]

    def table(self, name: str):
        """The rows of config `name`, or of the config `config_for(name)` picks for task `name`."""
        config = self.config_for(name)
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
