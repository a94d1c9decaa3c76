"""Shared pieces of the real-source builders: the build report, config names, text ordering and dataset writing.

* `BuildInfo` records what was built (config -> split -> rows), what was not and why, notes, counters (e.g. missing
  images skipped), the card's source keys and text versions; `BuildResult` = (datasets, info) is what every
  builder returns.
* Config names are `<task>-<variant>` (`config_name`, `task_of`, defined in `benchmark.tasks.schema` and
  re-exported here for the builders).
* Text order: the kind a config is about comes first (`ordered_texts`), so that "the first text of kind k" keeps the
  upstream caption index 0 of that kind.
* Datasets: small pose/text configs are built in memory (`dataset_from_columns`); image configs are streamed into an
  Arrow file under a work folder (`ArrowRowWriter`) and memory-mapped, so 100k PNG crops never sit in memory.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from benchmark.errors import InputError
from benchmark.tasks.schema import SPLITS, config_name, features, task_of  # noqa: F401 - config names re-exported
from datasets_build.sources.captions import Texts

TEXT_COLUMNS = ("texts", "text_kinds", "text_versions")


@dataclass
class BuildInfo:
    """What a build produced; `card_fields()` gives the matching `hub.card.CardMetadata` fields."""

    built: dict[str, dict[str, int]] = field(default_factory=dict)     # config -> split -> rows
    not_built: list[tuple[str, str]] = field(default_factory=list)     # (config / variant / split, reason)
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)                   # keys of hub.card.SOURCES
    text_versions: dict[str, str] = field(default_factory=dict)        # version -> how it was made
    counts: dict[str, int] = field(default_factory=dict)               # named counters

    def record(self, config: str, splits) -> None:
        self.built[config] = {split: len(ds) for split, ds in splits.items()}

    def skip(self, what: str, reason: str) -> None:
        if (what, reason) not in self.not_built:
            self.not_built.append((what, reason))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def add_source(self, *keys: str) -> None:
        for key in keys:
            if key not in self.sources:
                self.sources.append(key)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + int(n)

    def merge(self, other: "BuildInfo") -> "BuildInfo":
        """A new BuildInfo holding both reports (other's entries after self's)."""
        out = BuildInfo({**self.built, **other.built}, list(self.not_built), list(self.notes), list(self.sources),
                        {**self.text_versions, **other.text_versions}, dict(self.counts))
        for what, reason in other.not_built:
            out.skip(what, reason)
        for text in other.notes:
            out.note(text)
        out.add_source(*other.sources)
        for key, n in other.counts.items():
            out.count(key, n)
        return out

    def card_fields(self) -> dict:
        """`sources`, `not_built`, `text_versions` and `notes` in the form `hub.card.CardMetadata` takes."""
        notes = list(self.notes) + [f"{key}: {n}" for key, n in self.counts.items()]
        return {"sources": tuple(self.sources), "not_built": tuple({"what": w, "reason": r} for w, r in self.not_built),
                "text_versions": dict(self.text_versions), "notes": tuple(notes)}

    def summary(self) -> str:
        lines = [f"{config}: " + ", ".join(f"{split} {n}" for split, n in splits.items())
                 for config, splits in self.built.items()]
        lines += [f"not built: {what} ({reason})" for what, reason in self.not_built]
        lines += [f"{key}: {n}" for key, n in self.counts.items()]
        lines += [f"note: {text}" for text in self.notes]
        return "\n".join(lines)


class BuildResult(NamedTuple):
    datasets: dict  # config name -> datasets.DatasetDict
    info: BuildInfo


def ordered_texts(texts: Texts, kind_order: tuple[str, ...]) -> Texts:
    """The texts of the kinds in `kind_order`, grouped in that order (file order within a kind); others dropped."""
    out = Texts()
    for kind in kind_order:
        out = out + texts.only((kind,))
    return out


def dataset_from_columns(task: str, columns: dict[str, list]):
    """An in-memory `datasets.Dataset` with exactly the task's Features; `columns` must name every column."""
    import datasets

    want = features(task)
    if set(columns) != set(want):
        raise ValueError(f"columns {sorted(columns)} do not match the {task} schema {sorted(want)}")
    return datasets.Dataset.from_dict({name: columns[name] for name in want}, features=want)


def dataset_dict(splits: dict):
    """A DatasetDict of the non-empty splits, in SPLITS order."""
    import datasets

    unknown = set(splits) - set(SPLITS)
    if unknown:
        raise ValueError(f"unknown splits {sorted(unknown)}; the splits are {SPLITS}")
    return datasets.DatasetDict({s: splits[s] for s in SPLITS if s in splits and len(splits[s])})


def work_folder(work_dir: str | Path | None, prefix: str) -> Path:
    """A new folder for streamed Arrow files: under `work_dir` when given, else a temporary one (kept: the returned
    datasets memory-map their files)."""
    if work_dir is None:
        return Path(tempfile.mkdtemp(prefix=f"unipose-bench-{prefix}-"))
    root = Path(work_dir)
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir=root))


class ArrowRowWriter:
    """Rows of one task streamed into `path` (an Arrow file) in batches; `finish()` returns the memory-mapped Dataset.

    Rows are dicts naming every column of the task's Features; images as {"bytes": PNG bytes, "path": None}.
    """

    def __init__(self, task: str, path: str | Path, batch_size: int = 256):
        from datasets.arrow_writer import ArrowWriter

        self.task = task
        self.features = features(task)
        self.path = Path(path)
        self.batch_size = batch_size
        self._writer = ArrowWriter(features=self.features, path=str(self.path))
        self._buffer: dict[str, list] = {name: [] for name in self.features}
        self._pending = 0
        self.rows = 0

    def add(self, row: dict) -> None:
        if row.keys() != self._buffer.keys():
            missing = sorted(set(self._buffer) - set(row))
            extra = sorted(set(row) - set(self._buffer))
            raise ValueError(f"row does not match the {self.task} schema (missing {missing}, extra {extra})")
        for name, value in row.items():
            self._buffer[name].append(value)
        self._pending += 1
        self.rows += 1
        if self._pending >= self.batch_size:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._writer.write_batch(self._buffer)
            self._buffer = {name: [] for name in self.features}
            self._pending = 0

    def finish(self):
        import datasets

        self._flush()
        self._writer.finalize()
        self._writer.close()
        ds = datasets.Dataset.from_file(str(self.path))
        if ds.features != self.features:  # a broken invariant of ours, not bad input
            raise RuntimeError(f"{self.path}: written features differ from the {self.task} schema")
        return ds


def check_unique_ids(config: str, splits: dict) -> None:
    """InputError when a row id repeats within a config (across its splits)."""
    seen: dict[str, str] = {}
    for split, ids in splits.items():
        for row_id in ids:
            if row_id in seen:
                raise InputError(f"{config}: row id {row_id!r} is in both the {seen[row_id]} and the {split} split",
                                 row=row_id, field="id",
                                 hint="the inputs of two splits overlap; pass each source split once")
            seen[row_id] = split


def report_skipped(result, skipped: dict[str, list[int]], what: str):
    """Count in the build report the captions a reader skipped because their ids are in no split file."""
    for file_name, ids in sorted(skipped.items()):
        result.info.count(f"captions skipped in {file_name} ({what} in no split file, as upstream skips them)",
                          len(ids))
    return result
