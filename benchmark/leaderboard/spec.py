"""Leaderboard specs: which tasks and metrics make the columns, which reported numbers are shown beside the
measured rows. A spec names the task version it accepts; results of other versions never enter the table."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from benchmark.metrics.specs import metric_spec

# the suite's own boards ship inside the package (so an installed wheel has them); plugins add folders of theirs
SPEC_DIR = Path(__file__).resolve().with_name("specs")


class Column(BaseModel):
    """One column: a result key (declared in benchmark.metrics.specs, which gives its direction) and its label."""

    model_config = ConfigDict(extra="forbid")

    metric: str
    label: str
    format: str = "{:.1f}"

    @property
    def lower_is_better(self) -> bool:
        return not metric_spec(self.metric).higher_is_better


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    task: str
    task_version: int = 1
    columns: list[Column]
    # why the task is in no registry yet (e.g. it comes with the UniPose model): the section shows reported rows only
    awaiting: str | None = None


class ReportedRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    source: str
    note: str = ""
    # section title -> metric -> value (as printed in the source)
    values: dict[str, dict[str, float | None]]


class LeaderboardSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    version: int
    title: str
    description: str = ""
    sections: list[Section]
    # "column_groups": one block of columns per section (Table 4: 3DPW | H3.6M);
    # "row_groups": one block of rows per section, all sections sharing the same columns (Table 2).
    layout: Literal["column_groups", "row_groups"] = "column_groups"
    reported: list[ReportedRow] = Field(default_factory=list)
    # the section whose main column orders measured rows (default: the first)
    sort_by: str | None = None

    @classmethod
    def from_yaml(cls, path: str | Path) -> "LeaderboardSpec":
        with open(path, encoding="utf-8") as f:
            spec = cls.model_validate(yaml.safe_load(f))
        titles = [s.title for s in spec.sections]
        if spec.layout == "row_groups" and len({tuple(c.metric for c in s.columns) for s in spec.sections}) > 1:
            raise ValueError(f"{path}: row_groups sections must share their columns")
        for row in spec.reported:
            unknown = set(row.values) - set(titles)
            if unknown:
                raise ValueError(f"{path}: reported row {row.label!r} names unknown sections {sorted(unknown)}")
        return spec


def validate(spec: LeaderboardSpec, where: str | Path) -> None:
    """A board names registered tasks (model tasks or evaluator tasks) at their current version, and only result
    keys those tasks declare; a section whose task is not registered yet must say what it awaits."""
    from benchmark.tasks.catalog import evaluator_task_registry, task_registry

    tasks, evaluator_tasks = task_registry(), evaluator_task_registry()
    for section in spec.sections:
        for column in section.columns:
            metric_spec(column.metric)  # declared at all (did-you-mean otherwise)
        if section.task in tasks or section.task in evaluator_tasks:
            task = tasks.get(section.task) if section.task in tasks else evaluator_tasks.get(section.task)
            unknown = [c.metric for c in section.columns if c.metric not in task.metrics]
            if unknown:
                raise ValueError(f"{where}: section {section.title!r} shows {unknown}, which task {section.task} "
                                 f"does not compute (it has {', '.join(task.metrics)})")
            if section.task_version != task.version:
                raise ValueError(f"{where}: section {section.title!r} shows version {section.task_version} of "
                                 f"{section.task}, which is at version {task.version}")
        elif not section.awaiting:
            raise ValueError(f"{where}: section {section.title!r} names the unknown task {section.task!r}; register "
                             "it, or say with `awaiting:` what will (its cells stay empty until then)")


def spec_dirs() -> list[Path]:
    """The suite's spec folder, then those of installed plugins (`unipose_bench.leaderboards` entry points: a package
    whose folder holds *.yaml specs)."""
    import importlib

    from benchmark.plugins import declared

    dirs = [SPEC_DIR]
    for module_name in declared("unipose_bench.leaderboards").values():
        module = importlib.import_module(module_name.partition(":")[0])
        dirs.append(Path(module.__file__).resolve().parent)
    return dirs


def spec_paths(spec_dir: Path | None = None) -> list[Path]:
    return sorted(spec_dir.glob("*.yaml")) if spec_dir is not None else \
        [path for folder in spec_dirs() for path in sorted(folder.glob("*.yaml"))]


def load_specs(spec_dir: Path | None = None) -> dict[str, LeaderboardSpec]:
    """Every spec by name (`spec_dir`: only that folder's); two specs of one name are an error naming both files."""
    specs: dict[str, LeaderboardSpec] = {}
    where: dict[str, Path] = {}
    for path in spec_paths(spec_dir):
        spec = LeaderboardSpec.from_yaml(path)
        validate(spec, path)
        if spec.name in specs:
            raise ValueError(f"leaderboard '{spec.name}' is defined in both {where[spec.name]} and {path}")
        specs[spec.name], where[spec.name] = spec, path
    return specs
