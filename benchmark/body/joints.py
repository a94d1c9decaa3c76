"""Joint sets: names, kinematic parents and left/right mirror maps.

A pose in this suite is SMPL-family axis-angle: root orientation + 21 body joints (`float32[22, 3]`), optionally
with the 30 SMPL-H finger joints (`float32[52, 3]`). The joint *positions* a body model returns are described by a
`JointSet` so that metrics can check that prediction and reference use the same joints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

SMPL_BODY_JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle", "right_ankle",
    "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)
SMPL_BODY_PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19)

_FINGERS = ("index", "middle", "pinky", "ring", "thumb")
SMPLH_HAND_JOINT_NAMES: tuple[str, ...] = tuple(
    f"{side}_{finger}{k}" for side in ("left", "right") for finger in _FINGERS for k in (1, 2, 3)
)
SMPLH_JOINT_NAMES: tuple[str, ...] = SMPL_BODY_JOINT_NAMES + SMPLH_HAND_JOINT_NAMES


def _smplh_parents() -> tuple[int, ...]:
    parents = list(SMPL_BODY_PARENTS)
    for wrist in (20, 21):
        for _finger in _FINGERS:
            base = len(parents)
            parents += [wrist, base, base + 1]
    return tuple(parents)


SMPLH_PARENTS: tuple[int, ...] = _smplh_parents()
# SMPL (24 joints) replaces the fingers by one hand joint per side.
SMPL_JOINT_NAMES: tuple[str, ...] = SMPL_BODY_JOINT_NAMES + ("left_hand", "right_hand")
SMPL_PARENTS: tuple[int, ...] = SMPL_BODY_PARENTS + (20, 21)

N_BODY_JOINTS = 22  # root + 21 body joints: the pose unit of PoseScript, PoseFix and UniPose
N_SMPLH_JOINTS = 52


def mirror_name(name: str) -> str:
    """The name of the joint on the other side of the body (unchanged for central joints)."""
    if name.startswith("left_"):
        return "right_" + name[5:]
    if name.startswith("right_"):
        return "left_" + name[6:]
    return name


@dataclass(frozen=True)
class JointSet:
    """Named joints in a fixed order, with their kinematic parents (-1 for a root)."""

    name: str
    names: tuple[str, ...]
    parents: tuple[int, ...] = field(default=())

    def __post_init__(self):
        if self.parents and len(self.parents) != len(self.names):
            raise ValueError(f"joint set {self.name}: {len(self.names)} names but {len(self.parents)} parents")
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"joint set {self.name}: duplicate joint names")

    def __len__(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"joint '{name}' is not in joint set {self.name} ({', '.join(self.names)})") from None

    def indices(self, names) -> list[int]:
        return [self.index(n) for n in names]

    @cached_property
    def mirror_permutation(self) -> np.ndarray:
        """perm such that joints[perm] are the joints of the left/right mirrored body."""
        return np.array([self.index(mirror_name(n)) for n in self.names], dtype=np.int64)

    def subset(self, names, name: str | None = None) -> "JointSet":
        """The joints `names` (parents dropped: a subset is not generally a tree)."""
        self.indices(names)
        return JointSet(name or f"{self.name}-subset", tuple(names))


SMPL_BODY_22 = JointSet("smpl-body-22", SMPL_BODY_JOINT_NAMES, SMPL_BODY_PARENTS)
# The 17 Human3.6M joints of VideoPose3D, CA-PF and MetaPose (the h36m-17 joint protocol; the dataset readers take them
# from the 32 mocap joints, `datasets_build.sources.joint_sets`).
H36M_17 = JointSet("h36m-17", (
    "pelvis", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "spine", "thorax",
    "nose", "head", "left_shoulder", "left_elbow", "left_wrist", "right_shoulder", "right_elbow", "right_wrist",
))
SMPL_24 = JointSet("smpl-24", SMPL_JOINT_NAMES, SMPL_PARENTS)
SMPLH_52 = JointSet("smplh-52", SMPLH_JOINT_NAMES, SMPLH_PARENTS)
# MediaPipe BlazePose's 33 landmarks, in the order of `mediapipe.python.solutions.pose.PoseLandmark` (mediapipe
# 0.10.14, Bazarevsky et al., "BlazePose: On-device Real-time Body Pose tracking", CVPR-W 2020). Its MOUTH_LEFT /
# MOUTH_RIGHT are named left_mouth / right_mouth here so that the left/right mirror map pairs them. Its 12 limb
# joints carry the SMPL names (the person's own left and right, as in SMPL).
BLAZEPOSE_33 = JointSet("blazepose-33", (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "left_mouth", "right_mouth", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb",
    "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
))
# The limb joints every body skeleton of the field names alike (SMPL, Human3.6M, the HMR2 14, BlazePose, COCO): what
# joints of two different skeletons are compared on (`benchmark.metrics.shared_joints`).
LIMB_JOINTS_12: tuple[str, ...] = (
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)
JOINT_SETS = {s.name: s for s in (SMPL_BODY_22, H36M_17, SMPL_24, SMPLH_52, BLAZEPOSE_33)}
