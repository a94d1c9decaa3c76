"""Coordinate frames and the PoseScript heading normalisation.

* AMASS frame (z-up): the frame of AMASS root orientations. A person standing upright has a root orientation of
  about Rz(heading) @ Rx(+90 deg), because SMPL's canonical body is y-up and faces +z.
* Heading normalisation (PoseScript, naver/posescript `utils.get_pose_data_from_file`): decompose the root rotation as
  Rz(tz) @ Ry(ty) @ Rx(tx) and set tz = 0, keeping pitch and roll. A normalised upright body faces -y.
* Captioning frame (y-up): the AMASS frame rotated by -90 deg about x, (x, y, z) -> (x, z, -y). There a normalised
  body faces +z and +x is the body's *left*, which is what the posecode operators assume.
"""

from __future__ import annotations

import numpy as np
import torch

from benchmark.body import rotations as rot

# (x, y, z) -> (x, z, -y)
AMASS_TO_CAPTIONING = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
CAPTIONING_TO_AMASS = AMASS_TO_CAPTIONING.T
# The root orientation of the "empty" placeholder pose of PoseScript/PoseFix (T_POSE with root (pi/2, 0, 0)).
UPRIGHT_ROOT = np.array([np.pi / 2, 0.0, 0.0])


def _apply(matrix: np.ndarray, points):
    if isinstance(points, torch.Tensor):
        return points @ torch.as_tensor(matrix.T, dtype=points.dtype, device=points.device)
    return np.asarray(points) @ matrix.T.astype(np.asarray(points).dtype, copy=False)


def amass_to_captioning(points):
    """Rotate points (..., 3) from the z-up AMASS frame into the y-up captioning frame."""
    return _apply(AMASS_TO_CAPTIONING, points)


def captioning_to_amass(points):
    return _apply(CAPTIONING_TO_AMASS, points)


def normalize_heading(root_orient, return_correction: bool = False):
    """Zero the heading (z-Euler angle) of AMASS root orientations (..., 3), keeping pitch and roll.

    With `return_correction`, also returns R_norm (..., 3, 3) = R(new root) @ R(old root)^-1: the world rotation
    that was applied. PoseFix applies pose A's correction to pose B of an in-sequence pair to keep their relative
    global rotation.
    """
    root = np.asarray(root_orient, dtype=np.float64)
    r_old = rot.axis_angle_to_matrix(root)
    angles = rot.matrix_to_euler(r_old, "xyz")
    angles[..., 2] = 0.0
    r_new = rot.euler_to_matrix(angles, "xyz")
    new_root = rot.matrix_to_axis_angle(r_new).astype(np.asarray(root_orient).dtype, copy=False)
    if return_correction:
        return new_root, r_new @ np.swapaxes(r_old, -1, -2)
    return new_root


def normalize_pose_heading(poses, return_correction: bool = False):
    """`normalize_heading` applied to the root (joint 0) of poses (..., J, 3); returns a new array."""
    poses = np.array(poses, copy=True)
    out = normalize_heading(poses[..., 0, :], return_correction=return_correction)
    if return_correction:
        poses[..., 0, :], correction = out
        return poses, correction
    poses[..., 0, :] = out
    return poses


def rotate_root(poses, world_rotation):
    """Pre-multiply the root orientation of poses (..., J, 3) by world rotations (..., 3, 3)."""
    poses = np.array(poses, copy=True)
    r = np.asarray(world_rotation) @ rot.axis_angle_to_matrix(poses[..., 0, :].astype(np.float64))
    poses[..., 0, :] = rot.matrix_to_axis_angle(r)
    return poses
