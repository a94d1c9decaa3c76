"""The Task: turns a dataset split into requests, and scores the whole split's responses.

The task owns everything that affects the score: the split, the instruction templates, the evaluator models, the
metrics and their protocols. `requests` is deterministic (templates picked from seed + row id); `score` sees the
whole split at once because retrieval metrics are not per-row, and returns per-sample records beside the scores.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmark.requests import Request, Response
from benchmark.response_embeddings import ResponseEmbeddings
from benchmark.results import EvaluatorInfo, ScoreEntry
from benchmark.tasks.data import load_split
from benchmark.tasks.spec import TaskSpec


@dataclass
class TaskContext:
    """Where a task finds what it needs outside its spec."""

    dataset_dirs: dict[str, Path] = field(default_factory=dict)
    # "<dataset repo>/<evaluator kind>" or "<evaluator kind>" -> checkpoint folder
    evaluator_dirs: dict[str, Path] = field(default_factory=dict)
    body_models_dir: str | None = None
    seed: int = 0
    bootstrap_resamples: int = 1000


@dataclass
class TaskScores:
    scores: dict[str, ScoreEntry]
    samples: list[dict[str, Any]]
    evaluators: list[EvaluatorInfo] = field(default_factory=list)
    # the evaluator embeddings behind the retrieval scores, saved beside the records (benchmark.response_embeddings)
    embeddings: ResponseEmbeddings | None = None


class Task(ABC):
    def __init__(self, spec: TaskSpec, context: TaskContext | None = None):
        self.spec = spec
        self.context = context or TaskContext()

    @property
    def name(self) -> str:
        return self.spec.name

    def load(self, limit: int | None = None, split: str | None = None):
        """(dataset, fingerprint, n_rows) of the evaluation split, the first `limit` rows when given."""
        ds, fingerprint = load_split(self.spec.dataset, split, self.context.dataset_dirs)
        n_rows = len(ds)
        if limit is not None and limit < n_rows:
            ds = ds.select(range(limit))
        return ds, fingerprint, n_rows

    def fingerprint(self, split: str | None = None) -> str | None:
        """The content fingerprint of the split without loading it (local folders), or None (Hub: use the
        revision)."""
        from benchmark.fingerprint import shards_fingerprint
        from benchmark.tasks.data import locate, split_files

        folder = locate(self.spec.dataset, self.context.dataset_dirs)
        if folder is None:
            return None
        files = split_files(folder, self.spec.dataset.config, split or self.spec.dataset.split)
        return shards_fingerprint(files) if files else None

    def evaluator_versions(self) -> dict[str, str]:
        """kind -> version of the evaluators the task would use now (from their version.txt; no model loaded)."""
        out = {}
        for kind in self.spec.evaluators:
            version_file = self.evaluator_dir(kind) / "version.txt"
            out[kind] = version_file.read_text().strip() if version_file.is_file() else ""
        return out

    @abstractmethod
    def requests(self, ds) -> list[Request]: ...

    @abstractmethod
    def score(self, ds, responses: list[Response]) -> TaskScores: ...

    # Joint sets a PoseResponse may use instead of axis-angle poses (e.g. a 17-joint Human3.6M lifter).
    accepted_joint_sets: tuple[str, ...] = ()

    def evaluator_dir(self, kind: str) -> Path:
        from benchmark.errors import BenchmarkError

        for key in (f"{self.spec.dataset.repo}/{kind}", kind):
            if key in self.context.evaluator_dirs:
                return Path(self.context.evaluator_dirs[key])
        raise BenchmarkError(
            f"task {self.name} needs a trained {kind} evaluator for {self.spec.dataset.repo}: train one with "
            f"`unipose-bench train-retrieval --kind {kind} ...` and pass --evaluator {kind}=DIR")
