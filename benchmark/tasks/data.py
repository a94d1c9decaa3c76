"""Locating and loading a task's dataset split.

Datasets live in the Hub layout (one config per task, parquet shards `<config>/<split>-NNNNN-of-NNNNN.parquet`, a
README whose YAML lists the configs), either on the Hub (pinned revision) or in a local folder with the same layout
(`unipose-bench publish --to-dir`, or the embedded world the main job builds). `dataset_dirs` maps a repo name to
such a folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from benchmark.errors import BenchmarkError
from benchmark.fingerprint import dataset_fingerprint, shards_fingerprint
from benchmark.tasks.spec import DatasetRef


class DatasetUnavailable(BenchmarkError):
    """The dataset of a task cannot be found or loaded (not built, not published, offline)."""


def locate(ref: DatasetRef, dataset_dirs: Mapping[str, str | Path] | None = None) -> Path | None:
    """The local folder of `ref.repo`, or None when it must come from the Hub."""
    if dataset_dirs and ref.repo in dataset_dirs:
        path = Path(dataset_dirs[ref.repo])
        if not path.is_dir():
            raise DatasetUnavailable(f"dataset folder {path} (for {ref.repo}) does not exist")
        return path
    path = Path(ref.repo).expanduser()
    return path if path.is_dir() else None


def split_files(folder: Path, config: str, split: str) -> list[Path]:
    return sorted((folder / config).glob(f"{split}-*.parquet"))


def load_split(ref: DatasetRef, split: str | None = None, dataset_dirs: Mapping[str, str | Path] | None = None):
    """(datasets.Dataset, fingerprint) of `split` (default: the spec's evaluation split); the fingerprint of a local
    folder is its content fingerprint (`benchmark.fingerprint`)."""
    import datasets

    split = split or ref.split
    folder = locate(ref, dataset_dirs)
    if folder is not None:
        files = split_files(folder, ref.config, split)
        if not files:
            raise DatasetUnavailable(f"no parquet shards for config '{ref.config}' split '{split}' in {folder} "
                                     f"(expected {folder / ref.config}/{split}-*.parquet)")
        ds = datasets.load_dataset(str(folder), ref.config, split=split)
        return ds, shards_fingerprint(files)
    if ref.revision is None:
        raise DatasetUnavailable(
            f"dataset {ref.repo} ({ref.config}) has no pinned revision and no local folder: build it and pass "
            f"--dataset-dir {ref.repo}=DIR, or publish it and record the revision")
    try:
        ds = datasets.load_dataset(ref.hub_repo or ref.repo, ref.config, split=split, revision=ref.revision)
    except Exception as exc:  # noqa: BLE001 - offline, auth and missing repos raise many kinds
        raise DatasetUnavailable(f"cannot load {ref.hub_repo or ref.repo} ({ref.config}, {split}, revision "
                                 f"{ref.revision}): "
                                 f"{type(exc).__name__}: {exc}. Offline? Pass --dataset-dir {ref.repo}=DIR") from exc
    # the content fingerprint, as for a local folder: it is what the published revision pins (revisions.json)
    return ds, dataset_fingerprint(ds)
