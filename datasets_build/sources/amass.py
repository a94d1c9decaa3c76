"""AMASS sequences ("SMPL+H G" npz files) and single frames from them.

An AMASS npz holds `poses` (N, 156) = 52 joints x axis-angle (root, 21 body joints, 2 x 15 finger joints), `trans`
(N, 3), `betas` (16,), the frame rate as `mocap_framerate` (older releases) or `mocap_frame_rate`, and `gender`
(a 0-d string array; object and bytes variants are read too).
PoseScript ignores `trans` and `betas` and zeroes the heading of the root (`benchmark.body.frames`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.body.frames import normalize_pose_heading
from benchmark.errors import InputError
from datasets_build.sources.files import NpzFile

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


AMASS_HINT = ("download the 'SMPL+H G' archives from https://amass.is.tue.mpg.de and unpack them under one folder; "
              "pass that folder as the AMASS root")
FRAMERATE_KEYS = ("mocap_framerate", "mocap_frame_rate")  # older releases / newer releases


def read_amass_sequence(path: str | Path) -> AmassSequence:
    """Read one AMASS 'SMPL+H G' npz (see the module docstring); validates shapes and values."""
    path = Path(path)
    if not path.is_file():
        raise InputError("AMASS file not found", file=str(path), hint=AMASS_HINT)
    with NpzFile(path, hint="AMASS 'SMPL+H G' npz files hold poses (N, 156), trans, betas, gender and the frame "
                            "rate") as data:
        if not data.has("poses"):
            raise data.missing("poses")
        poses = data.array("poses")
        if poses.ndim != 2 or poses.shape[1] != 156:
            raise InputError(f"shape {list(poses.shape)} is not [N, 156]", file=str(path), field="poses",
                             hint="52 SMPL-H joints x 3 axis-angle values per frame")
        if not np.issubdtype(poses.dtype, np.floating):
            raise InputError(f"dtype {poses.dtype} is not floating point", file=str(path), field="poses")
        if not np.isfinite(poses).all():
            row = int(np.flatnonzero(~np.isfinite(poses).all(1))[0])
            raise InputError("contains NaN or infinite values", file=str(path), row=row, field="poses")
        fps_key = next((k for k in FRAMERATE_KEYS if data.has(k)), None)
        if fps_key is None:
            raise InputError("missing frame rate (neither 'mocap_framerate' nor 'mocap_frame_rate')",
                             file=str(path), field="mocap_framerate")
        fps = data.array(fps_key)
        if fps.size != 1 or not np.issubdtype(fps.dtype, np.number) or not float(fps.reshape(())) > 0:
            raise InputError(f"frame rate {fps!r} is not one positive number", file=str(path), field=fps_key)
        n = len(poses)
        trans = data.array("trans") if data.has("trans") else np.zeros((n, 3), np.float32)
        if trans.shape != (n, 3):
            raise InputError(f"shape {list(trans.shape)} is not [{n}, 3] (one translation per pose)",
                             file=str(path), field="trans")
        betas = data.array("betas").reshape(-1) if data.has("betas") else np.zeros(16, np.float32)
        gender = "neutral"
        if data.has("gender"):
            value = data.array("gender").reshape(-1)
            if value.size != 1:
                raise InputError(f"expected one gender string, got {value.size} values", file=str(path),
                                 field="gender")
            gender = value[0].decode() if isinstance(value[0], bytes) else str(value[0])
            if gender.startswith("b'"):  # a bytes repr saved as text by some conversions
                gender = gender[2:-1]
        return AmassSequence(path, poses.reshape(-1, 52, 3).astype(np.float32), trans.astype(np.float32),
                             betas.astype(np.float32), float(fps.reshape(())), gender)


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
