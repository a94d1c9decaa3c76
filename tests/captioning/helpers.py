"""Hand-built poses for the captioning tests (skeleton-body FK in the captioning frame) and text helpers."""

from __future__ import annotations

import re

import numpy as np

from benchmark.body.frames import UPRIGHT_ROOT
from benchmark.body.joints import SMPL_BODY_22
from benchmark.posecodes.inputs import joints_from_poses

J = {name: i for i, name in enumerate(SMPL_BODY_22.names)}


def upright(n: int = 1) -> np.ndarray:
    """n standing T-poses: axis-angle [n, 22, 3], AMASS frame."""
    poses = np.zeros((n, 22, 3), np.float32)
    poses[:, 0] = UPRIGHT_ROOT
    return poses


def with_rotations(**joint_rotations) -> np.ndarray:
    """One upright pose with the given local axis-angle rotations, e.g. left_elbow=(0, -1.57, 0)."""
    poses = upright()
    for name, value in joint_rotations.items():
        poses[0, J[name]] = value
    return poses


def joints(poses: np.ndarray) -> np.ndarray:
    """Captioning-frame joints [n, 22, 3] of axis-angle poses (heading-normalised by the pipeline's own helper)."""
    return joints_from_poses(poses)[0]


def kneeling() -> np.ndarray:
    """Both knees on the floor, thighs upright, shins flat behind, feet pointed back (plantar flexion)."""
    return with_rotations(left_knee=(np.pi / 2, 0, 0), right_knee=(np.pi / 2, 0, 0), left_ankle=(1.2, 0, 0),
                          right_ankle=(1.2, 0, 0))


def mirror_joints(j: np.ndarray) -> np.ndarray:
    """Left/right mirror image of captioning-frame joints [n, 22, 3] (x is the body's left)."""
    return j[:, SMPL_BODY_22.mirror_permutation] * np.array([-1.0, 1.0, 1.0])


def mirror_poses(poses: np.ndarray) -> np.ndarray:
    """Mirror of axis-angle poses: each joint takes its counterpart's rotation with (x, y, z) -> (x, -y, -z)."""
    return poses[:, SMPL_BODY_22.mirror_permutation] * np.array([1.0, -1.0, -1.0], np.float32)


def swap_left_right(text: str) -> str:
    """Swap the words left and right (also inside "leftwards"), leaving the "right angle" of a bent joint alone."""
    text = text.replace("right angle", "\0")
    swap = {"left": "right", "right": "left", "Left": "Right", "Right": "Left"}
    text = re.sub(r"\b(left|right|Left|Right)(?=wards\b|\b)", lambda m: swap[m.group(1)], text)
    return text.replace("\0", "right angle")
