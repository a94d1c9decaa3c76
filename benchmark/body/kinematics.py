"""Forward kinematics on a kinematic tree (smplx's batched rigid transform)."""

from __future__ import annotations

import torch
from smplx.lbs import batch_rigid_transform

from benchmark.body import rotations


def forward_kinematics_with_rotations(poses: torch.Tensor, rest_joints: torch.Tensor,
                                      parents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Posed joints [B, J, 3] and each joint's global rotation [B, J, 3, 3] from local axis-angle rotations
    [B, J, 3] and rest joints [J, 3]. Joint 0 (the root) stays at its rest position; its rotation orients the body."""
    rotmats = rotations.axis_angle_to_matrix(poses)
    rest = rest_joints.to(poses.dtype).expand(poses.shape[0], -1, -1)
    posed, transforms = batch_rigid_transform(rotmats, rest, parents, dtype=poses.dtype)
    return posed, transforms[..., :3, :3]


def forward_kinematics(poses: torch.Tensor, rest_joints: torch.Tensor, parents: torch.Tensor) -> torch.Tensor:
    """Posed joint positions [B, J, 3] (see `forward_kinematics_with_rotations`)."""
    return forward_kinematics_with_rotations(poses, rest_joints, parents)[0]
