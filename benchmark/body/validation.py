"""Checks on pose arrays with messages that say what is wrong and how to fix it."""

from __future__ import annotations

import numpy as np
import torch

from benchmark.errors import InputError

POSE_HINT = ("a pose is SMPL-family axis-angle: root orientation + 21 body joints, float32 [22, 3] "
             "(or [52, 3] with SMPL-H hands); a batch is [B, 22, 3]")


def check_poses(poses, *, field: str = "poses", file: str | None = None, n_joints: tuple[int, ...] = (22, 52),
                batched: bool = True, allow_flat: bool = True) -> np.ndarray | torch.Tensor:
    """Validate axis-angle poses and return them as float [B, J, 3] (or [J, 3] when `batched` is False).

    Accepts [B, J*3] flat vectors when `allow_flat`. Raises `InputError` naming the field and the first bad row.
    """
    is_tensor = isinstance(poses, torch.Tensor)
    if not is_tensor:
        if isinstance(poses, (list, tuple)):
            try:
                poses = np.asarray(poses, dtype=np.float32)
            except (ValueError, TypeError) as exc:
                raise InputError(f"cannot read as a numeric array ({exc})", file=file, field=field,
                                 hint=POSE_HINT) from None
        elif not isinstance(poses, np.ndarray):
            raise InputError(f"expected a numpy array or torch tensor, got {type(poses).__name__}", file=file,
                             field=field, hint=POSE_HINT)
    dtype_ok = poses.dtype.is_floating_point if is_tensor else np.issubdtype(poses.dtype, np.floating)
    if not dtype_ok:
        raise InputError(f"dtype {poses.dtype} is not a floating-point type", file=file, field=field,
                         hint="cast to float32: poses.astype(np.float32)")
    shape = tuple(poses.shape)
    want_ndim = 3 if batched else 2
    if allow_flat and len(shape) == want_ndim - 1 and shape[-1] % 3 == 0 and shape[-1] // 3 in n_joints:
        poses = poses.reshape(*shape[:-1], shape[-1] // 3, 3)
        shape = tuple(poses.shape)
    if len(shape) != want_ndim or shape[-1] != 3 or shape[-2] not in n_joints:
        expected = " or ".join(f"[{'B, ' if batched else ''}{j}, 3]" for j in n_joints)
        raise InputError(f"shape {list(shape)} is not {expected}", file=file, field=field, hint=POSE_HINT)
    finite = torch.isfinite(poses) if is_tensor else np.isfinite(poses)
    if not bool(finite.all()):
        if batched:
            bad = (~finite).reshape(shape[0], -1).any(1)
            row = int(bad.nonzero()[0][0]) if not is_tensor else int(bad.nonzero()[0, 0])
            raise InputError("contains NaN or infinite values", file=file, row=row, field=field)
        raise InputError("contains NaN or infinite values", file=file, field=field)
    return poses


def check_joints(joints, *, n_joints: int | None = None, field: str = "joints", file: str | None = None):
    """Validate joint positions [B, J, 3] (metres)."""
    arr = joints if isinstance(joints, (np.ndarray, torch.Tensor)) else np.asarray(joints)
    if arr.ndim != 3 or arr.shape[-1] != 3 or (n_joints is not None and arr.shape[1] != n_joints):
        want = f"[B, {n_joints if n_joints is not None else 'J'}, 3]"
        raise InputError(f"shape {list(arr.shape)} is not {want}", file=file, field=field,
                         hint="joint positions in metres, one row per pose")
    finite = torch.isfinite(arr) if isinstance(arr, torch.Tensor) else np.isfinite(arr)
    if not bool(finite.all()):
        bad = (~finite).reshape(arr.shape[0], -1).any(1)
        row = int(np.flatnonzero(np.asarray(bad))[0])
        raise InputError("contains NaN or infinite values", file=file, row=row, field=field)
    return arr
