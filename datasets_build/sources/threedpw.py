"""3DPW (3D Poses in the Wild): the native sequence pickles, and HMR 2.0's `3dpw_test.npz`.

Native files (3DPW readme): `sequenceFiles/{train,validation,test}/<sequence>.pkl`, Python-2 pickles (read with
latin1 through the restricted unpickler), one dict per sequence with, per actor p (lists over actors):
`poses[p]` (N, 72) SMPL axis-angle in the world frame, `trans[p]` (N, 3), `betas[p]` (10+,), `jointPositions[p]`
(N, 72) = 24 SMPL joints in world metres, `poses2d[p]` (N, 3, 18) OpenPose COCO-18 detections (x, y, confidence),
`campose_valid[p]` (N,) whether the camera pose is aligned for that actor and frame, `genders` ('m' / 'f'); and per
frame `cam_poses` (N, 4, 4) world -> camera extrinsics, `img_frame_ids` (N,), `cam_intrinsics` (3, 3), `sequence`.
N is the number of image frames; image f is `imageFiles/<sequence>/image_<f:05d>.jpg`.

`read_3dpw` returns one row per (actor, frame), actors first then frames, valid frames only by default (as SPIN's
`datasets/preprocess/pw3d.py`). The pose's root is brought into the camera frame, R_root_cam = R_cam @ R_root (SPIN
does the same), the joints likewise: X_cam = R_cam X + t_cam. Camera per row: the sequence intrinsics with R = I,
t = 0 because every 3D quantity of the row is already in the camera frame; the original extrinsics are kept in
extras `cam_R` [N, 3, 3] / `cam_t` [N, 3]. Other extras: `frame`, `person` (int32), `sequence`, `gender` (str),
`campose_valid` (bool). keypoints_2d: `poses2d` transposed to [18, 3] with the detector confidence as flag.
joints_3d: the 24 SMPL joints (`smpl-24`).

`read_3dpw_eval` reads `3dpw_test.npz` with `hmr2_eval.read_hmr2_eval` (14 evaluation joints + pelvis).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from benchmark.body import rotations as rot
from benchmark.body.joints import SMPL_24
from benchmark.errors import InputError
from datasets_build.sources.files import float_array, restricted_load
from datasets_build.sources.hmr2_eval import read_hmr2_eval
from datasets_build.sources.joint_sets import OPENPOSE_COCO_18
from datasets_build.sources.samples import Camera, ImageSamples

SPLIT_FOLDERS = {"train": "train", "val": "validation", "validation": "validation", "test": "test"}
PER_ACTOR_KEYS = ("poses", "betas", "jointPositions", "poses2d", "campose_valid")
HINT = "download 3DPW (sequenceFiles.zip, imageFiles.zip) from virtualhumans.mpi-inf.mpg.de/3DPW"


def _actor_array(seq: dict, key: str, p: int, shape: tuple, path: str) -> np.ndarray:
    values = seq[key]
    if not isinstance(values, (list, tuple)) or len(values) <= p:
        raise InputError(f"expected a list with one entry per actor ({p + 1} needed)", file=path, field=key)
    if key == "campose_valid":
        arr = np.asarray(values[p])
        if arr.shape != shape:
            raise InputError(f"shape {list(arr.shape)} is not {list(shape)}", file=path, row=f"actor {p}", field=key)
        return arr.astype(bool)
    return float_array(values[p], shape=shape, source=path, row=f"actor {p}", field=key, dtype=np.float64)


def _read_sequence(path: Path, valid_only: bool) -> dict[str, object]:
    seq = restricted_load(path, hint=HINT)
    where = str(path)
    if not isinstance(seq, dict):
        raise InputError(f"expected a dict, got {type(seq).__name__}", file=where)
    gender_key = "genders" if "genders" in seq else "gender"
    missing = [k for k in PER_ACTOR_KEYS + ("cam_poses", "cam_intrinsics", "sequence", gender_key) if k not in seq]
    if missing:
        raise InputError(f"missing key; the sequence has {sorted(seq)}", file=where, field=missing[0], hint=HINT)
    name = str(seq["sequence"])
    cam_poses = float_array(seq["cam_poses"], shape=(None, 4, 4), source=where, field="cam_poses", dtype=np.float64)
    n = len(cam_poses)
    K = float_array(seq["cam_intrinsics"], shape=(3, 3), source=where, field="cam_intrinsics", dtype=np.float64)
    if not isinstance(seq["poses"], (list, tuple)) or not seq["poses"]:
        raise InputError("expected a non-empty list of per-actor arrays", file=where, field="poses")
    genders = seq[gender_key]
    rows: dict[str, list] = {k: [] for k in ("poses", "joints", "kp2d", "betas", "frame", "person", "gender",
                                             "valid", "cam_R", "cam_t")}
    r_cam, t_cam = cam_poses[:, :3, :3], cam_poses[:, :3, 3]
    for p in range(len(seq["poses"])):
        poses = _actor_array(seq, "poses", p, (n, 72), where)
        joints = _actor_array(seq, "jointPositions", p, (n, 72), where).reshape(n, 24, 3)
        kp2d = _actor_array(seq, "poses2d", p, (n, 3, 18), where).transpose(0, 2, 1)
        valid = _actor_array(seq, "campose_valid", p, (n,), where)
        betas = np.asarray(seq["betas"][p], dtype=np.float64).reshape(-1)
        if betas.size < 10 or not np.isfinite(betas).all():
            raise InputError(f"{betas.size} betas; expected 10 finite values", file=where, row=f"actor {p}",
                             field="betas")
        frames = np.flatnonzero(valid) if valid_only else np.arange(n)
        root = r_cam[frames] @ rot.axis_angle_to_matrix(poses[frames, :3])
        body = poses[frames, :66].reshape(-1, 22, 3).copy()
        body[:, 0] = rot.matrix_to_axis_angle(root)
        rows["poses"].append(body)
        rows["joints"].append(joints[frames] @ np.swapaxes(r_cam[frames], 1, 2) + t_cam[frames, None])
        rows["kp2d"].append(kp2d[frames])
        rows["betas"].append(np.repeat(betas[None, :10], len(frames), 0))
        rows["frame"].append(frames)
        rows["person"].append(np.full(len(frames), p))
        rows["gender"].append(np.full(len(frames), str(genders[p]) if p < len(genders) else ""))
        rows["valid"].append(valid[frames])
        rows["cam_R"].append(r_cam[frames])
        rows["cam_t"].append(t_cam[frames])
    out = {k: np.concatenate(v) for k, v in rows.items()}
    out["name"], out["K"] = name, K
    return out


def read_3dpw(root: str | Path, split: str = "test", *, valid_only: bool = True, progress: bool = True
              ) -> ImageSamples:
    """Rows of the 3DPW sequences of `split` ("train" | "validation" | "test"); see the module docstring."""
    if split not in SPLIT_FOLDERS:
        raise ValueError(f"split {split!r}: 3DPW has train, validation, test")
    folder = Path(root) / "sequenceFiles" / SPLIT_FOLDERS[split]
    files = sorted(folder.glob("*.pkl"))
    if not files:
        raise InputError("no sequence pickles found", file=str(folder), hint=HINT)
    parts, cameras = [], []
    for i, path in enumerate(tqdm(files, desc=f"3DPW {split}", disable=not progress)):
        part = _read_sequence(path, valid_only)
        part["camera"] = np.full(len(part["frame"]), i, np.int32)
        parts.append(part)
        cameras.append(Camera(K=part["K"], name=part["name"]))
    col = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if k not in ("name", "K")}
    names = np.concatenate([np.full(len(p["frame"]), p["name"]) for p in parts])
    frames, persons = col["frame"].astype(np.int32), col["person"].astype(np.int32)
    return ImageSamples(
        source="3dpw", split=SPLIT_FOLDERS[split],
        source_ids=tuple(f"{s}/frame_{f:05d}/person_{p}" for s, f, p in zip(names, frames, persons)),
        image_paths=tuple(f"imageFiles/{s}/image_{f:05d}.jpg" for s, f in zip(names, frames)),
        poses=col["poses"].astype(np.float32), has_pose=np.ones(len(frames), bool),
        betas=col["betas"].astype(np.float32), keypoints_2d=col["kp2d"].astype(np.float32),
        keypoints_2d_joint_set=OPENPOSE_COCO_18.name, joints_3d=col["joints"].astype(np.float32),
        joints_3d_joint_set=SMPL_24.name, cameras=tuple(cameras), camera_index=col["camera"],
        extras={"frame": frames, "person": persons, "sequence": names, "gender": col["gender"],
                "campose_valid": col["valid"].astype(bool), "cam_R": col["cam_R"].astype(np.float32),
                "cam_t": col["cam_t"].astype(np.float32)})


def read_3dpw_eval(npz_path: str | Path) -> ImageSamples:
    """HMR 2.0's `3dpw_test.npz`: 14 evaluation joints + pelvis per row (`hmr2_eval.py`)."""
    return read_hmr2_eval(npz_path, source="3dpw", split="test")
