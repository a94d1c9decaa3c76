"""Inputs of the captioning pipelines: joint positions from any body model, and optional joint rotations.

* Joint positions [B, 22|52, 3] (metres, SMPL / SMPL-H joint order) in the y-up captioning frame
  (`benchmark.body.frames`: +y up, the body faces +z, +x is the body's left), each pose heading-normalised.
  They become the 35 captioning joints (`benchmark.body.virtual_joints.captioning_joints`).
* Joint rotations [B, 22|52, 3]: the SMPL axis-angle pose itself (root orientation in the AMASS z-up frame, as in
  pose files); only the 22 body joints are used, by the relativeRot (head) codes. The root is re-expressed in the
  captioning frame (`captioning_rotations`) so that "head turned left" is measured against the normalised facing
  direction; upstream composes the raw root, whose AMASS-frame tilt (about Rx(90 deg)) would move a head turn out of
  the y Euler angle.
* `joints_from_poses` runs a body model on axis-angle poses [B, 22|52, 3] (AMASS frame) and returns both.
"""

from __future__ import annotations

import numpy as np
import torch

from benchmark.body import frames
from benchmark.body import rotations as rot
from benchmark.body.base import BodyModel
from benchmark.body.validation import check_joints, check_poses
from benchmark.body.virtual_joints import captioning_joints
from benchmark.errors import InputError


def _as_numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return x


def prepare_joints(joints, field: str = "joints") -> np.ndarray:
    """Validate joints [B, 22|52, 3] and return the 35 captioning joints as float64 [B, 35, 3]."""
    arr = _as_numpy(joints)
    if not isinstance(arr, np.ndarray):
        try:
            arr = np.asarray(arr, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"cannot read as a numeric array ({exc})", field=field) from None
    if not np.issubdtype(arr.dtype, np.floating):
        raise InputError(f"dtype {arr.dtype} is not a floating-point type", field=field,
                         hint="joint positions in metres, e.g. joints.astype(np.float32)")
    check_joints(arr, field=field)
    if arr.shape[1] not in (22, 52):
        raise InputError(f"shape {list(arr.shape)} is not [B, 22, 3] or [B, 52, 3]", field=field,
                         hint="SMPL body joints (22) or SMPL-H joints (52), in the y-up captioning frame")
    return np.asarray(captioning_joints(arr.astype(np.float64, copy=False)))


def captioning_rotations(rotations, n_poses: int, field: str = "rotations") -> np.ndarray:
    """Validate an axis-angle pose batch [B, 22|52, 3] and return [B, 22, 3] with the root in the captioning frame."""
    arr = check_poses(_as_numpy(rotations), field=field)
    arr = np.asarray(arr, dtype=np.float64)[:, :22]
    if arr.shape[0] != n_poses:
        raise InputError(f"{arr.shape[0]} rotation rows for {n_poses} poses", field=field,
                         hint="one axis-angle pose per joint-position row")
    out = arr.copy()
    root = rot.axis_angle_to_matrix(arr[:, 0])
    out[:, 0] = rot.matrix_to_axis_angle(frames.AMASS_TO_CAPTIONING @ root)
    return out


def joints_from_poses(poses, body_model: BodyModel | None = None, normalize_heading: bool = True,
                      field: str = "poses") -> tuple[np.ndarray, np.ndarray]:
    """Axis-angle poses [B, 22|52, 3] (AMASS z-up frame) -> (joints [B, J, 3] captioning frame, poses [B, 22|52, 3]).

    With `normalize_heading` (default, as PoseScript does for captioning coordinates) the heading is zeroed first;
    the returned poses (float64) are the normalised ones, usable as `rotations`.
    """
    # float32 poses are exact in float64; normalising and posing in float64 keeps every CPU on the same posecodes
    poses = np.asarray(np.asarray(check_poses(_as_numpy(poses), field=field), dtype=np.float32), dtype=np.float64)
    if normalize_heading:
        poses = frames.normalize_pose_heading(poses)
    if body_model is None:
        from benchmark.body.skeleton import SkeletonBody

        body_model = SkeletonBody()
    joints = np.asarray(body_model.joints(poses, dtype=torch.float64))
    return np.asarray(frames.amass_to_captioning(_captioning_joint_subset(joints, body_model.name))), poses


# SMPL-X orders its joints as SMPL-H's 22 body joints, jaw and eyes, then the two hands in SMPL-H's finger order.
_SMPLX_HANDS = slice(25, 55)


def _captioning_joint_subset(joints: np.ndarray, model_name: str) -> np.ndarray:
    """The SMPL-H-ordered [B, 52, 3] (when the model has hands) or body-only [B, 22, 3] joints of a body model."""
    if joints.shape[1] == 52:
        return joints
    if model_name == "smplx" and joints.shape[1] >= _SMPLX_HANDS.stop:
        return np.concatenate([joints[:, :22], joints[:, _SMPLX_HANDS]], axis=1)
    return joints[:, :22]  # SMPL's 24 joints: its two "hand" joints are not the middle phalanxes
