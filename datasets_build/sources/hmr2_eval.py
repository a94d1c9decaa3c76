"""HMR 2.0 / 4D-Humans evaluation npz files (`hmr2_evaluation_data/{3dpw_test,h36m_val_p2}.npz`).

Keys (4D-Humans `hmr2/datasets/image_dataset.py`): `imgname` (N,), `center`
(N, 2), `scale` (N,), and the 3D key points either as one `keypoints_3d` array (N, 44 | 19, 3 | 4) (19-point arrays
are the extra joints alone and are front-padded to 44, as UniPose does) or split as `body_keypoints_3d` (N, 25, 4) +
`extra_keypoints_3d` (N, 19, 4); optionally the 2D key points the same way (`body_keypoints_2d` / `extra_keypoints_2d`
or `keypoints_2d`), SMPL parameters `body_pose` (N, 72) + `has_body_pose`, `betas` (N, 10) + `has_betas` (SPIN-style
files name them `pose` / `shape`), and `personid`.

The evaluation protocol (14 LSP-style joints [25..37, 43] of the 44, aligned at the MPII pelvis 39; MPJPE and
PA-MPJPE in mm) needs only these 15 joints, so `joints_3d` is [N, 15, 3] in `HMR2_EVAL_15` order (14 joints, then
the pelvis), metres, camera frame as stored. extras: `confidence_3d` [N, 15] (the 4th column, when present),
`center`, `scale`, `personid` (when present).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmark.errors import InputError
from datasets_build.sources.files import NpzFile, string_column
from datasets_build.sources.joint_sets import HMR2_44, HMR2_EVAL_15, HMR2_EVAL_KEYPOINTS, HMR2_PELVIS
from datasets_build.sources.samples import ImageSamples, no_poses

EVAL_ROWS = HMR2_EVAL_KEYPOINTS + (HMR2_PELVIS,)
HINT = "the HMR 2.0 evaluation files come from 4D-Humans' hmr2_evaluation_data (project page, registration)"


def pad_to_44(keypoints: np.ndarray) -> np.ndarray:
    """Front-pad 19 extra key points with zeros to the 44-point layout (UniPose's Image2PoseDataset does the same)."""
    if keypoints.shape[1] == 44:
        return keypoints
    pad = np.zeros((keypoints.shape[0], 44 - keypoints.shape[1], keypoints.shape[2]), keypoints.dtype)
    return np.concatenate([pad, keypoints], axis=1)


def keypoints_44(npz: NpzFile, prefix: str, n: int, dims: tuple[int, ...]) -> np.ndarray | None:
    """The 44 key points of kind `prefix` ("keypoints_3d" / "keypoints_2d") or None when the file has neither form."""
    whole = prefix
    body, extra = f"body_{prefix}", f"extra_{prefix}"
    if npz.has(whole):
        arr = npz.array(whole)
        if arr.ndim != 3 or len(arr) != n or arr.shape[1] not in (19, 44) or arr.shape[2] not in dims:
            raise InputError(f"shape {list(arr.shape)} is not [{n}, 44 | 19, {' | '.join(map(str, dims))}]",
                             file=str(npz.path), field=whole)
        return pad_to_44(arr.astype(np.float32))
    if npz.has(body) or npz.has(extra):
        if not npz.has(extra):  # the evaluation joints (and the pelvis) are extra key points: nothing to score
            raise npz.missing(extra, f"{body} comes with {extra}, which holds the evaluation joints")
        parts = []
        for key, count in ((body, 25), (extra, 19)):
            if not npz.has(key):
                # 4D-Humans (`ImageDataset.__init__`) zero-fills missing body key points; none is evaluated
                parts.append(None)
                continue
            arr = npz.array(key)
            if arr.ndim != 3 or arr.shape[:2] != (n, count) or arr.shape[2] not in dims:
                raise InputError(f"shape {list(arr.shape)} is not [{n}, {count}, {' | '.join(map(str, dims))}]",
                                 file=str(npz.path), field=key)
            parts.append(arr.astype(np.float32))
        if parts[0] is None:
            parts[0] = np.zeros((n, 25, parts[1].shape[2]), np.float32)
        if parts[0].shape[2] != parts[1].shape[2]:
            raise InputError("body and extra key points have different widths", file=str(npz.path), field=extra)
        return np.concatenate(parts, axis=1)
    return None


def unique_row_ids(names: tuple[str, ...], person_ids: np.ndarray | None) -> tuple[str, ...]:
    if person_ids is not None:
        return tuple(f"{name}/person_{int(p)}" for name, p in zip(names, person_ids))
    seen: dict[str, int] = {}
    out = []
    for name in names:
        k = seen.get(name, 0)
        seen[name] = k + 1
        out.append(name if k == 0 else f"{name}#{k}")
    return tuple(out)


def read_hmr2_eval(npz_path: str | Path, *, source: str, split: str = "test") -> ImageSamples:
    """An HMR 2.0 evaluation npz as ImageSamples (see the module docstring)."""
    path = str(npz_path)
    with NpzFile(npz_path, hint=HINT) as npz:
        if not npz.has("imgname"):
            raise npz.missing("imgname")
        names = string_column(npz.array("imgname"), source=path, field="imgname")
        n = len(names)
        kp3 = keypoints_44(npz, "keypoints_3d", n, (3, 4))
        if kp3 is None:
            raise npz.missing("keypoints_3d", "expected keypoints_3d or body_keypoints_3d + extra_keypoints_3d")
        kp2 = keypoints_44(npz, "keypoints_2d", n, (2, 3))
        poses, has_pose, betas = no_poses(n)
        pose_key = "body_pose" if npz.has("body_pose") else "pose" if npz.has("pose") else None
        if pose_key is not None:
            full = npz.array(pose_key)
            if full.shape != (n, 72):
                raise InputError(f"shape {list(full.shape)} is not [{n}, 72]", file=path, field=pose_key)
            flag_key = "has_body_pose" if pose_key == "body_pose" else "has_smpl"
            flags = npz.array(flag_key).reshape(-1) > 0.5 if npz.has(flag_key) else np.ones(n, bool)
            if len(flags) != n:
                raise InputError(f"{len(flags)} flags for {n} rows", file=path, field=flag_key)
            poses = full[:, :66].reshape(n, 22, 3).astype(np.float32)
            has_pose = flags & np.isfinite(poses).reshape(n, -1).all(1)
            poses[~has_pose] = 0.0
        shape_key = "betas" if npz.has("betas") else "shape" if npz.has("shape") else None
        if shape_key is not None and pose_key is not None:
            b = npz.array(shape_key)
            if b.ndim != 2 or len(b) != n or b.shape[1] < 10:
                raise InputError(f"shape {list(b.shape)} is not [{n}, 10]", file=path, field=shape_key)
            betas = np.where(has_pose[:, None], b[:, :10], 0.0).astype(np.float32)
        extras = {}
        for key, widths in (("center", (2,)), ("scale", (1, 2))):
            if npz.has(key):
                arr = npz.array(key)
                if n == 0 or arr.size % n or arr.size // n not in widths:
                    raise InputError(f"shape {list(arr.shape)} does not give {' or '.join(map(str, widths))} "
                                     f"values per row", file=path, field=key)
                arr = arr.reshape(n, -1).astype(np.float32)
                extras[key] = arr[:, 0] if arr.shape[1] == 1 else arr
        person_ids = npz.array("personid").reshape(-1) if npz.has("personid") else None
        if person_ids is not None:
            extras["personid"] = person_ids.astype(np.int32)

    joints = kp3[:, list(EVAL_ROWS)]
    if not np.isfinite(joints[..., :3]).all():
        row = int(np.flatnonzero(~np.isfinite(joints[..., :3]).reshape(n, -1).all(1))[0])
        raise InputError("evaluation joints contain NaN or infinite values", file=path, row=row, field="keypoints_3d")
    if kp3.shape[2] == 4:
        extras["confidence_3d"] = joints[..., 3].copy()
    if kp2 is not None and kp2.shape[2] == 2:
        kp2 = np.concatenate([kp2, np.full((n, 44, 1), 2.0, np.float32)], axis=-1)
    return ImageSamples(
        source=source, split=split, source_ids=unique_row_ids(names, person_ids), image_paths=names, poses=poses,
        has_pose=has_pose, betas=betas, keypoints_2d=kp2, keypoints_2d_joint_set=HMR2_44.name if kp2 is not None
        else None, joints_3d=np.ascontiguousarray(joints[..., :3]), joints_3d_joint_set=HMR2_EVAL_15.name,
        extras=extras)
