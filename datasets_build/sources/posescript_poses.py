"""PoseScript's pose-id file: `ids_2_dataset_sequence_and_frame_index_100k.json`.

A JSON dict "<pose_id>" -> ["AMASS", "<path of the sequence npz relative to the AMASS root>", <frame index>]. The
ids are contiguous integers 0..N-1 (PoseFix pairs index the same pose space). Poses are read from AMASS and
heading-normalised as PoseScript does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from benchmark.errors import InputError
from datasets_build.sources.amass import amass_frames, read_amass_sequence, resolve_amass_path
from datasets_build.sources.files import read_json  # noqa: F401 - re-exported: part of this module's API

POSE_INFO_FILE = "ids_2_dataset_sequence_and_frame_index_100k.json"


@dataclass(frozen=True)
class PoseSource:
    dataset: str
    relpath: str
    frame: int


def read_pose_info(path: str | Path) -> dict[int, PoseSource]:
    """pose id -> where the pose comes from; validates every entry."""
    raw = read_json(path)
    if not isinstance(raw, dict):
        raise InputError(f"expected a JSON object mapping pose ids to [dataset, path, frame], got "
                         f"{type(raw).__name__}", file=str(path))
    out: dict[int, PoseSource] = {}
    for key, value in raw.items():
        try:
            pose_id = int(key)
        except ValueError:
            raise InputError(f"pose id {key!r} is not an integer", file=str(path), row=key) from None
        if (not isinstance(value, list) or len(value) != 3 or not isinstance(value[1], str)
                or not isinstance(value[2], int) or isinstance(value[2], bool)):
            raise InputError(f"expected [dataset, relative path, frame index], got {value!r}", file=str(path),
                             row=key)
        out[pose_id] = PoseSource(str(value[0]), value[1], value[2])
    return out


def load_poses(pose_info: dict[int, PoseSource], amass_root: str | Path, ids=None, *, n_joints: int = 52,
               normalize: bool = True, progress: bool = True) -> dict[int, np.ndarray]:
    """Read the poses of `ids` (all by default) from AMASS, one file open per sequence."""
    ids = sorted(pose_info) if ids is None else list(ids)
    by_file: dict[str, list[int]] = defaultdict(list)
    for pose_id in ids:
        if pose_id not in pose_info:
            raise InputError(f"pose id {pose_id} is not in the pose-info file", row=pose_id)
        src = pose_info[pose_id]
        if src.dataset != "AMASS":
            raise InputError(f"dataset {src.dataset!r} is not supported (only AMASS)", row=pose_id, field="dataset")
        by_file[src.relpath].append(pose_id)
    poses: dict[int, np.ndarray] = {}
    for relpath, group in tqdm(by_file.items(), desc="AMASS sequences", disable=not progress):
        sequence = read_amass_sequence(resolve_amass_path(amass_root, relpath))
        frames = [pose_info[i].frame for i in group]
        for pose_id, pose in zip(group, amass_frames(sequence, frames, n_joints=n_joints, normalize=normalize)):
            poses[pose_id] = pose
    return poses
