"""Leaderboard specs: which tasks and metrics make the columns, which reported numbers are shown beside the
measured rows. A spec names the task version it accepts; results of other versions never enter the table."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

SPEC_DIR = Path(__file__).resolve().parents[2] / "leaderboards"


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str
    label: str
    format: str = "{:.1f}"
    lower_is_better: bool = False


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    task: str
    task_version: int = 1
    columns: list[Column]


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


def spec_paths(spec_dir: Path = SPEC_DIR) -> list[Path]:
    return sorted(spec_dir.glob("*.yaml"))


def load_specs(spec_dir: Path = SPEC_DIR) -> dict[str, LeaderboardSpec]:
    specs = {}
    for path in spec_paths(spec_dir):
        spec = LeaderboardSpec.from_yaml(path)
        specs[spec.name] = spec
    return specs
