"""AMASS sequences ("SMPL+H G" npz files) and single frames from them.

An AMASS npz holds `poses` (N, 156) = 52 joints x axis-angle (root, 21 body joints, 2 x 15 finger joints), `trans`
(N, 3), `betas` (16,), the frame rate as `mocap_framerate` (older releases) or `mocap_frame_rate`, and `gender`.
PoseScript ignores `trans` and `betas` and zeroes the heading of the root (`benchmark.body.frames`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.body.frames import normalize_pose_heading
from benchmark.errors import InputError

# AMASS renamed some sub-datasets after PoseScript was built; PoseScript's files use the old names.
RENAMED_SUBSETS = {
    "BioMotionLab_NTroje": "BMLrub",
    "MPI_Limits": "PosePrior",
    "MPI_HDM05": "HDM05",
    "MPI_mosh": "MoSh",
    "SSM_synced": "SSM",
    "Transitions_mocap": "Transitions",
    "DFaust_67": "DFaust",
    "BMLmovi": "BMLmovi",
}


@dataclass(frozen=True)
class AmassSequence:
    path: Path
    poses: np.ndarray  # float32 [N, 52, 3]
    trans: np.ndarray  # float32 [N, 3]
    betas: np.ndarray  # float32 [K]
    fps: float
    gender: str

    def __len__(self) -> int:
        return len(self.poses)


def read_amass_sequence(path: str | Path) -> AmassSequence:
    path = Path(path)
    if not path.is_file():
        raise InputError("AMASS file not found", file=str(path),
                         hint="download the 'SMPL+H G' archives from https://amass.is.tue.mpg.de and unpack them "
                              "under one folder; pass that folder as the AMASS root")
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - numpy raises many kinds for corrupt files
        raise InputError(f"not a readable npz file ({exc})", file=str(path)) from exc
    with data:
        keys = set(data.files)
        if "poses" not in keys:
            raise InputError(f"missing key; the file has {sorted(keys)}", file=str(path), field="poses",
                             hint="AMASS 'SMPL+H G' npz files hold poses (N, 156)")
        poses = np.asarray(data["poses"])
        if poses.ndim != 2 or poses.shape[1] != 156:
            raise InputError(f"shape {list(poses.shape)} is not [N, 156]", file=str(path), field="poses",
                             hint="52 SMPL-H joints x 3 axis-angle values per frame")
        if not np.isfinite(poses).all():
            row = int(np.flatnonzero(~np.isfinite(poses).all(1))[0])
            raise InputError("contains NaN or infinite values", file=str(path), row=row, field="poses")
        fps_key = "mocap_framerate" if "mocap_framerate" in keys else "mocap_frame_rate"
        if fps_key not in keys:
            raise InputError("missing frame rate (neither 'mocap_framerate' nor 'mocap_frame_rate')",
                             file=str(path), field="mocap_framerate")
        trans = np.asarray(data["trans"], dtype=np.float32) if "trans" in keys else np.zeros((len(poses), 3),
                                                                                              np.float32)
        betas = np.asarray(data["betas"], dtype=np.float32) if "betas" in keys else np.zeros(16, np.float32)
        gender = str(np.asarray(data["gender"]).item()) if "gender" in keys else "neutral"
        if gender.startswith("b'"):
            gender = gender[2:-1]
        return AmassSequence(path, poses.reshape(-1, 52, 3).astype(np.float32), trans, betas,
                             float(np.asarray(data[fps_key]).item()), gender)


def resolve_amass_path(amass_root: str | Path, relpath: str) -> Path:
    """The file of `relpath` under `amass_root`, trying AMASS's renamed sub-dataset folders."""
    root = Path(amass_root)
    direct = root / relpath
    if direct.is_file():
        return direct
    head, _, rest = relpath.partition("/")
    if head in RENAMED_SUBSETS and (root / RENAMED_SUBSETS[head] / rest).is_file():
        return root / RENAMED_SUBSETS[head] / rest
    return direct  # read_amass_sequence reports it as missing


def amass_frames(sequence: AmassSequence, frames, *, n_joints: int = 52, normalize: bool = True) -> np.ndarray:
    """Poses [len(frames), n_joints, 3] float32 of the given frame indices, heading-normalised by default."""
    frames = np.asarray(frames, dtype=np.int64)
    bad = (frames < 0) | (frames >= len(sequence))
    if bad.any():
        raise InputError(f"frame index {int(frames[bad][0])} is outside 0..{len(sequence) - 1}",
                         file=str(sequence.path), field="frame")
    poses = sequence.poses[frames, :n_joints]
    return normalize_pose_heading(poses) if normalize else poses.copy()
