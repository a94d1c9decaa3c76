"""Result objects: one schema-versioned JSON per (adapter, task), per-sample records beside it.

A result names everything its numbers depend on: the task and its version, the dataset (repo, config, split,
revision, fingerprint), the evaluator models and their versions, the adapter and its revision, every score with its
protocol and confidence interval, the seed, package versions, the git hash and the runtime. Leaderboards compare
only results whose task version, dataset revision and evaluator versions agree.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import json
import math
import platform
import sys
import subprocess
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from benchmark.atomic_files import atomic_path, write_text_atomic
from benchmark.errors import InputError
from benchmark.metrics.specs import metric_spec

# 2: the result carries the sha256 of its own content and of its records / embeddings files, the run key it was
# computed under and how many cached responses were rejected. Results of schema 1 still load for boards, the site and
# compare (range-checked, not digest-checked); `evaluate` never reuses them (no run key): they are scored again.
SCHEMA_VERSION = 2
READABLE_SCHEMAS = (1, 2)
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
    n_cache_rejected: int = 0  # cached responses that failed validation: not scored, asked again
    runtime_s: float = 0.0
    created_at: str = Field(default_factory=lambda: datetime.datetime.now(datetime.timezone.utc).isoformat())
    environment: Environment
    run_key: str | None = Field(default=None, description="digest of every option that changes a number "
                                                          "(benchmark.evaluation.run_key); reuse needs it equal")
    files_sha256: dict[str, str] = Field(default_factory=dict, description="sha256 of the records ('samples') and "
                                                                           "embeddings files beside the result")
    content_sha256: str | None = Field(default=None, description="sha256 of this JSON's content without this field")
    _reused_from: Path | None = PrivateAttr(default=None)

    @property
    def reused_from(self) -> Path | None:
        """The file this result was read from when a run reused it instead of scoring (None: computed now)."""
        return self._reused_from

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
        """Write the result (atomically) with the digests of the records and embeddings files already beside it
        (the runner writes those first) and of its own content."""
        path = Path(path)
        self.schema_version = SCHEMA_VERSION
        self.files_sha256 = {name: file_sha256(companion) for name, companion in companion_files(path).items()
                             if companion.is_file()}
        data = json.loads(self.model_dump_json(exclude={"content_sha256"}))
        for entry in data["scores"].values():
            # a percentile bootstrap can leave a biased statistic (FID) outside its own interval: said at write time
            # (and sealed by the digest), so that a value edited out of its interval is told from such a one
            if _outside_ci(entry):
                entry["details"]["value_outside_ci"] = True
        data["content_sha256"] = self.content_sha256 = content_digest(data)
        return write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def from_disk(cls, path: str | Path) -> "TaskResult":
        """The result in `path`, checked: readable JSON of a known schema, its content digest (schema 2), finite
        scores, percentages within [0, 100], each value inside its own interval. Anything else is a
        ResultFileError naming the file (a ValueError)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise ResultFileError("not UTF-8 text", file=str(path)) from None
        except json.JSONDecodeError as exc:
            raise ResultFileError(f"not JSON ({exc.msg} at line {exc.lineno})", file=str(path)) from None
        except OSError as exc:
            raise ResultFileError(f"cannot be read ({exc.strerror or exc})", file=str(path)) from None
        if not isinstance(data, dict):
            raise ResultFileError("not a JSON object", file=str(path))
        version = data.get("schema_version")
        if version not in READABLE_SCHEMAS:
            raise ResultFileError(f"result schema version {version!r} is not one of {READABLE_SCHEMAS}",
                                  file=str(path), field="schema_version",
                                  hint="re-run `unipose-bench evaluate` with this suite version")
        if version >= 2:
            stored = data.pop("content_sha256", None)
            if stored != content_digest(data):
                raise ResultFileError("its content does not match its content_sha256 (edited or damaged)",
                                      file=str(path), field="content_sha256",
                                      hint="delete it and re-run `unipose-bench evaluate`: results are not edited")
            data["content_sha256"] = stored
        try:
            result = cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ResultFileError(first["msg"], file=str(path),
                                  field=".".join(str(p) for p in first["loc"]) or None) from None
        problem = range_problem(result)
        if problem is not None:
            raise ResultFileError(problem[1], file=str(path), field=problem[0],
                                  hint="delete it and re-run `unipose-bench evaluate`")
        return result


class ResultFileError(InputError):
    """A result file (or a file beside it) that cannot be trusted: unreadable, malformed, edited or out of range."""


def content_digest(data: dict) -> str:
    """sha256 of a result's JSON content (without `content_sha256`), key order and spacing aside."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def companion_files(path: str | Path) -> dict[str, Path]:
    """The files written beside a result: its per-sample records and its retrieval embeddings."""
    path = Path(path)
    return {"samples": path.with_suffix(".samples.jsonl"), "embeddings": path.with_suffix(".embeddings.npz")}


def check_companions(path: str | Path, result: "TaskResult") -> None:
    """The records / embeddings files beside `path` are the ones its result was written with (schema 2); a missing
    one is left to the reader that needs it (which says what it needed it for)."""
    for name, companion in companion_files(path).items():
        expected = result.files_sha256.get(name)
        if expected is None or not companion.is_file():
            continue
        if file_sha256(companion) != expected:
            raise ResultFileError(f"does not match the sha256 that result {Path(path).name} records for it "
                                  "(edited or damaged)", file=str(companion),
                                  hint="re-run `unipose-bench evaluate` for this task")


_TOLERANCE = 1e-9


def _outside_ci(entry: dict) -> bool:
    value, low, high = entry.get("value"), entry.get("ci_low"), entry.get("ci_high")
    if value is None or low is None or high is None:
        return False
    slack = _TOLERANCE * max(1.0, abs(value))
    return not (low - slack <= value <= high + slack)


def range_problem(result: "TaskResult") -> tuple[str, str] | None:
    """(field, what is wrong) of the first score out of range, or None: non-finite numbers, a percentage outside
    [0, 100], an interval upside down, or a value outside its own interval that was not outside it when written."""
    for key, entry in result.scores.items():
        numbers = {"value": entry.value, "ci_low": entry.ci_low, "ci_high": entry.ci_high}
        for name, number in numbers.items():
            if number is None:
                continue
            if not math.isfinite(number):
                return f"scores.{key}.{name}", f"{number} is not a finite number"
            if entry.unit == "%" and not -_TOLERANCE <= number <= 100 + _TOLERANCE:
                return f"scores.{key}.{name}", f"{number} is a percentage outside [0, 100]"
        if entry.ci_low is not None and entry.ci_high is not None and entry.ci_low > entry.ci_high:
            return f"scores.{key}", f"its interval [{entry.ci_low}, {entry.ci_high}] is upside down"
        if (_outside_ci(entry.model_dump()) and not entry.details.get("value_outside_ci")
                and result.schema_version >= 2):
            return (f"scores.{key}.value", f"{entry.value} lies outside its own interval "
                    f"[{entry.ci_low}, {entry.ci_high}]")
    return None


def write_jsonl_atomic(path: str | Path, rows) -> Path:
    """One JSON object a line, streamed to the temporary file (never the whole text in memory), then renamed."""
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


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


def load_result_files(paths, *, check_files: bool = False) -> dict[Path, TaskResult]:
    """{path: result} of the result files that pass their checks (and, with `check_files`, whose records and
    embeddings match their digests); a damaged or edited one is named in a warning and left out."""
    results = {}
    for path in paths:
        try:
            result = TaskResult.from_disk(path)
            if check_files:
                check_companions(path, result)
        except ResultFileError as exc:
            print(f"unipose-bench: warning: result ignored: {exc}", file=sys.stderr, flush=True)
            continue
        results[Path(path)] = result
    return results


def load_results(output_dir: str | Path) -> list[TaskResult]:
    """The results under OUTPUT/results that pass their checks (a damaged one is named and skipped)."""
    return list(load_result_files(result_files(output_dir)).values())
