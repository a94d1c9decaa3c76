"""Result objects: one schema-versioned JSON per (adapter, task), per-sample records beside it.

A result names everything its numbers depend on: the task and its version, the dataset (repo, config, split,
revision, fingerprint), the evaluator models and their versions, the adapter and its revision, every score with its
protocol and confidence interval, the seed, package versions, the git hash and the runtime. Leaderboards compare
only results whose task version, dataset revision and evaluator versions agree.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from benchmark.errors import InputError
from benchmark.metrics.specs import metric_spec

SCHEMA_VERSION = 1
_PACKAGES = ("torch", "numpy", "transformers", "datasets", "evaluate", "nltk", "sacrebleu", "rouge-score",
             "pycocoevalcap", "scipy", "smplx", "roma", "peft")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScoreEntry(_Model):
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    protocol: str = ""
    unit: str = ""
    n: int = 0
    higher_is_better: bool = True
    details: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def not_computed(cls, key: str, n: int, reason: str) -> "ScoreEntry":
        """The entry of declared result `key` that this data cannot give (e.g. recall@20 on 12 rows): no value, the
        reason in `details`, unit and direction from benchmark.metrics.specs."""
        spec = metric_spec(key)
        details = {"reason": reason, **({"group": spec.group} if spec.group else {})}
        return cls(value=None, unit=spec.unit, n=n, higher_is_better=spec.higher_is_better, details=details)


class DatasetInfo(_Model):
    repo: str
    config: str
    split: str
    revision: str | None
    fingerprint: str
    n_rows: int
    n_evaluated: int
    pinned_fingerprint: str | None = None  # the content the task spec pins (None: it pins none)

    @property
    def off_pin(self) -> bool:
        """Measured on other content than the task pins (another world seed or preset, a rebuilt dataset)."""
        return self.pinned_fingerprint is not None and self.fingerprint != self.pinned_fingerprint


class EvaluatorInfo(_Model):
    kind: str
    version: str
    path: str = ""
    sha256: str = ""  # of the weights (the config's weights_sha256): names the exact frozen model


class AdapterInfo(_Model):
    name: str
    revision: str
    reference: bool = False
    args: dict[str, Any] = Field(default_factory=dict)
    license: str = "unknown"
    n_parameters: int | None = None
    training_data: tuple[str, ...] = ()


class Environment(_Model):
    suite_version: str
    git_hash: str | None
    python: str
    platform: str
    packages: dict[str, str]


class TaskResult(_Model):
    schema_version: int = SCHEMA_VERSION
    task: str
    task_id: str
    task_version: int
    dataset: DatasetInfo
    evaluators: list[EvaluatorInfo] = Field(default_factory=list)
    adapter: AdapterInfo
    scores: dict[str, ScoreEntry]
    main_metric: str
    options: dict[str, str] = Field(default_factory=dict, description="the task's protocol choices "
                                                                       "(TaskSpec.options)")
    task_spec: dict[str, Any] = Field(default_factory=dict, description="the resolved task spec it was run with")
    seed: int
    limit: int | None = None
    n_requests: int = 0
    n_cached: int = 0
    runtime_s: float = 0.0
    created_at: str = Field(default_factory=lambda: datetime.datetime.now(datetime.timezone.utc).isoformat())
    environment: Environment

    @property
    def main_score(self) -> float | None:
        return self.scores[self.main_metric].value

    @property
    def partial(self) -> bool:
        """Run on part of the split (`--limit`): never compared with full runs."""
        return self.limit is not None and self.dataset.n_evaluated < self.dataset.n_rows

    def comparability_key(self) -> tuple:
        """What must agree for two results to sit in one table: the task and its version, the data (revision,
        content, split and how many of its rows were evaluated), the evaluator versions and the seed (it picks the
        prompt templates, the R-precision candidates and the bootstrap)."""
        return (self.task, self.task_version, self.dataset.revision, self.dataset.fingerprint, self.dataset.split,
                self.dataset.n_evaluated, self.seed, tuple(sorted((e.kind, e.version) for e in self.evaluators)))

    def to_disk(self, path: str | Path) -> Path:
        return write_text_atomic(path, self.model_dump_json(indent=2) + "\n")

    @classmethod
    def from_disk(cls, path: str | Path) -> "TaskResult":
        path = Path(path)
        data = json.loads(path.read_text(encoding="utf-8"))
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(f"{path}: result schema version {version} is not {SCHEMA_VERSION}; re-run the "
                             "evaluation with this suite version")
        return cls.model_validate(data)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write to a temporary file and rename: a killed process never leaves a half-written file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def write_jsonl_atomic(path: str | Path, rows) -> Path:
    return write_text_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def read_sample_records(path: str | Path) -> tuple[list[str], dict[str, dict]]:
    """(row ids in file order, {row id: record}) of a result's per-sample records (`*.samples.jsonl`, as the runner
    writes them); a line that is not a JSON object with a string 'id', or a repeated id, is an InputError naming the
    file and the line."""
    path = Path(path)
    ids: list[str] = []
    records: dict[str, dict] = {}
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not JSON ({exc.msg})", file=str(path), row=line_no) from None
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                raise InputError("a record without a string 'id'", file=str(path), row=line_no, field="id")
            if record["id"] in records:
                raise InputError(f"row id {record['id']!r} appears twice", file=str(path), row=line_no, field="id")
            ids.append(record["id"])
            records[record["id"]] = record
    return ids, records


def result_path(output_dir: str | Path, adapter: str, revision: str, task: str, *, split: str | None = None,
                limit: int | None = None) -> Path:
    """Where a result goes. A run on another split than the task's, or on the first `limit` rows, gets its own file
    (`<task>.split-val.json`, `<task>.limit-100.json`), so it never overwrites the full result."""
    safe = lambda s: s.replace("/", "__").replace(":", "_")  # noqa: E731
    suffix = (f".split-{safe(split)}" if split else "") + (f".limit-{limit}" if limit is not None else "")
    return Path(output_dir) / "results" / safe(adapter) / safe(revision) / f"{safe(task)}{suffix}.json"


def git_hash() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent, capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def environment() -> Environment:
    from benchmark import __version__

    packages = {}
    for name in _PACKAGES:
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return Environment(suite_version=__version__, git_hash=git_hash(), python=platform.python_version(),
                       platform=platform.platform(), packages=packages)


def result_files(output_dir: str | Path) -> list[Path]:
    """The result JSON files under OUTPUT/results (their per-sample records lie beside them, `*.samples.jsonl`)."""
    return sorted((Path(output_dir) / "results").rglob("*.json"))


def load_results(output_dir: str | Path) -> list[TaskResult]:
    return [TaskResult.from_disk(p) for p in result_files(output_dir)]
