"""PoseScript V2 -> pose_to_text-A/-H and text_to_pose-A/-H (the same rows under two task configs).

Rows follow the release (naver/posescript `config.py`, `data.py`, `evaluate.py`):
* splits: `{train,val,test}_ids_100k.json`, rows in split-file order; a pose is a row of a variant when it has at
  least one text of that variant's kind (upstream's posescript-H2 / posescript-A2 datasets);
* -H: texts = the human texts first (file order: caption index 0 is the one upstream evaluates), then the automatic
  ones; -A: the automatic texts first, then the human ones. Kinds and versions travel with every text;
* pose: the AMASS frame's 52 joints are read and heading-normalised as PoseScript does
  (`sources.posescript_poses.load_poses`); the first 22 (root + 21 body joints) are stored, float32 [22, 3];
* provenance: source_dataset "posescript", source_id = the pose id, id = "posescript-<pose id>".
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from benchmark.errors import InputError
from datasets_build.real.common import (BuildInfo, BuildResult, config_name, dataset_dict, dataset_from_columns,
                                        ordered_texts, report_skipped)
from datasets_build.sources.posescript import PoseScriptSplit

VARIANTS = {"H": ("human", "automatic"), "A": ("automatic", "human")}  # variant -> kind order (first: required)
TASKS = ("pose_to_text", "text_to_pose")
SOURCE = "posescript"


def row_id(pose_id: int) -> str:
    return f"{SOURCE}-{pose_id}"


def _split_columns(split: PoseScriptSplit, kinds: tuple[str, ...], poses: Mapping[int, np.ndarray]) -> dict:
    rows = [(p.pose_id, ordered_texts(p.texts, kinds)) for p in split.poses if kinds[0] in p.texts.kinds]
    missing = [pose_id for pose_id, _ in rows if pose_id not in poses]
    if missing:
        raise InputError(f"{len(missing)} poses of the {split.split} split were not loaded (first: pose id "
                         f"{missing[0]})", row=missing[0], field="pose",
                         hint="load every pose of the split files from AMASS (posescript_poses.load_poses)")
    stacked = (np.stack([np.asarray(poses[i], dtype=np.float32).reshape(-1, 3)[:22] for i, _ in rows])
               if rows else np.zeros((0, 22, 3), np.float32))
    if stacked.shape[1:] != (22, 3) or not np.isfinite(stacked).all():
        raise InputError(f"poses of shape {list(stacked.shape[1:])} or with non-finite values", field="pose",
                         hint="poses are axis-angle [52 | 22, 3] as read from AMASS")
    return {
        "id": [row_id(i) for i, _ in rows], "source_dataset": [SOURCE] * len(rows),
        "source_id": [str(i) for i, _ in rows], "pose": list(stacked),
        "texts": [list(t.texts) for _, t in rows], "text_kinds": [list(t.kinds) for _, t in rows],
        "text_versions": [list(t.versions) for _, t in rows],
    }


def build_posescript(splits: Mapping[str, PoseScriptSplit], poses: Mapping[int, np.ndarray], *,
                     variants: tuple[str, ...] = ("A", "H")) -> BuildResult:
    """The four PoseScript configs from `read_posescript(...)` and the poses {pose id: [52 | 22, 3]} (heading-
    normalised, AMASS frame, as `load_poses` returns them)."""
    info = BuildInfo()
    info.add_source("posescript", "amass")
    out = {}
    for variant in variants:
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}; PoseScript has {sorted(VARIANTS)}")
        kinds = VARIANTS[variant]
        splits_ds = {}
        for split_name, split in splits.items():
            ds = dataset_from_columns("pose_to_text", _split_columns(split, kinds, poses))
            if len(ds):
                splits_ds[split_name] = ds
            else:
                info.skip(f"posescript-{variant} {split_name}", f"no pose of the split has a {kinds[0]} text")
        dsd = dataset_dict(splits_ds)
        for task in TASKS:  # both tasks share the schema and the rows
            name = config_name(task, variant)
            out[name] = dsd
            info.record(name, dsd)
    versions = sorted({v for split in splits.values() for p in split.poses for k, v in
                       zip(p.texts.kinds, p.texts.versions) if k == "automatic"})
    for version in versions:
        info.text_versions[version] = ("PoseScript release automatic caption" + (
            f" at position {version.split('-')[1]} of posescript_auto_100k.json (one of N2/N6/N7; the release does "
            "not say which)" if version.startswith("auto-") else f" ({version})"))
    info.note("PoseScript poses: 52 AMASS joints read, heading zeroed as PoseScript does, first 22 stored")
    return BuildResult(out, info)


def build_posescript_from_files(release_dir: str | Path, amass_dir: str | Path, *,
                                automatic_versions: tuple[str, ...] | None = None, progress: bool = True
                                ) -> BuildResult:
    """Read the PoseScript V2 release in `release_dir` and its poses from AMASS (`amass_dir`), then build."""
    from datasets_build.sources.posescript import read_posescript
    from datasets_build.sources.posescript_poses import POSE_INFO_FILE, load_poses, read_pose_info

    skipped: dict[str, list[int]] = {}
    splits = read_posescript(release_dir, automatic_versions=automatic_versions, skipped=skipped)
    pose_info = read_pose_info(Path(release_dir) / POSE_INFO_FILE)
    ids = sorted({p.pose_id for split in splits.values() for p in split.poses})
    poses = load_poses(pose_info, amass_dir, ids, n_joints=52, normalize=True, progress=progress)
    return report_skipped(build_posescript(splits, poses), skipped, "poses")
