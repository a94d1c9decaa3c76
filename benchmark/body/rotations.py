"""Rotation conversions (axis-angle, rotation matrix, 6D, Euler) on top of roma.

Every function accepts a numpy array or a torch tensor and returns the same kind, so numpy code (the pose
generator, dataset builders) and torch code (models, body models) share one implementation.

6D convention: the first two *rows* of the rotation matrix, flattened (pytorch3d's `matrix_to_rotation_6d`, which
the UniPose and TokenHMR tokenizers use). Euler convention names follow roma/scipy: lowercase = extrinsic, so
`"xyz"` means R = Rz(tz) @ Ry(ty) @ Rx(tx), the decomposition PoseScript uses to normalise the heading.
"""

from __future__ import annotations

import numpy as np
import roma
import torch


def _as_tensor(x):
    if isinstance(x, torch.Tensor):
        return x, None
    arr = np.asarray(x)
    return torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float64)), arr.dtype


def _back(t: torch.Tensor, np_dtype):
    if np_dtype is None:
        return t
    out = t.numpy()
    return out.astype(np_dtype if np.issubdtype(np_dtype, np.floating) else np.float64, copy=False)


def axis_angle_to_matrix(aa):
    t, d = _as_tensor(aa)
    return _back(roma.rotvec_to_rotmat(t), d)


def matrix_to_axis_angle(rotmat):
    t, d = _as_tensor(rotmat)
    return _back(roma.rotmat_to_rotvec(t), d)


def matrix_to_6d(rotmat):
    t, d = _as_tensor(rotmat)
    return _back(t[..., :2, :].reshape(*t.shape[:-2], 6), d)


def sixd_to_matrix(sixd):
    """Gram-Schmidt on the two stored rows; the third row is their cross product."""
    t, d = _as_tensor(sixd)
    rows = t.reshape(*t.shape[:-1], 2, 3)
    # roma orthonormalises columns: feed the rows as columns, transpose back.
    rot = roma.special_gramschmidt(rows.transpose(-1, -2)).transpose(-1, -2)
    return _back(rot, d)


def axis_angle_to_6d(aa):
    return matrix_to_6d(axis_angle_to_matrix(aa))


def sixd_to_axis_angle(sixd):
    return matrix_to_axis_angle(sixd_to_matrix(sixd))


def matrix_to_euler(rotmat, convention: str = "xyz", degrees: bool = False):
    t, d = _as_tensor(rotmat)
    return _back(roma.rotmat_to_euler(convention, t, degrees=degrees), d)


def euler_to_matrix(angles, convention: str = "xyz", degrees: bool = False):
    t, d = _as_tensor(angles)
    return _back(roma.euler_to_rotmat(convention, t, degrees=degrees), d)


def rotation_about(axis: str, angle: float, dtype=np.float64) -> np.ndarray:
    """The 3x3 matrix of a rotation by `angle` radians about the coordinate axis 'x', 'y' or 'z'."""
    c, s = np.cos(angle), np.sin(angle)
    mats = {
        "x": [[1, 0, 0], [0, c, -s], [0, s, c]],
        "y": [[c, 0, s], [0, 1, 0], [-s, 0, c]],
        "z": [[c, -s, 0], [s, c, 0], [0, 0, 1]],
    }
    return np.array(mats[axis], dtype=dtype)


def geodesic_angle(rot_a, rot_b):
    """Angle (radians) of the rotation taking rot_a to rot_b, for batches of 3x3 matrices."""
    ta, d = _as_tensor(rot_a)
    tb, _ = _as_tensor(rot_b)
    return _back(roma.rotmat_geodesic_distance(ta, tb), d)
