"""PoseScript's joint preparation for the captioning pipelines (naver/posescript `posescript/utils.prepare_input`).

The posecode operators measure 24 real joints (the 22 body joints + the two middle-finger second phalanxes) and 11
virtual ones (hands, torso, limb midpoints). With SMPL-H joints (52) the phalanxes are real; with only the 22 body
joints (the embedded skeleton, or a body model without hands) a "prosthesis" phalanx is placed 0.1367 m beyond the
wrist along the elbow->wrist direction, as PoseScript does.
"""

from __future__ import annotations

import numpy as np
import torch

from benchmark.body.joints import SMPL_BODY_JOINT_NAMES, SMPLH_52, JointSet
from benchmark.errors import InputError

PROSTHESIS_LENGTH = 0.1367  # metres, wrist -> middle2

VIRTUAL_JOINTS: dict[str, tuple[str, ...]] = {
    "left_hand": ("left_wrist", "left_middle2"),
    "right_hand": ("right_wrist", "right_middle2"),
    "torso": ("pelvis", "neck", "spine3"),
    "left_thigh": ("left_hip", "left_knee"),
    "right_thigh": ("right_hip", "right_knee"),
    "left_shin": ("left_knee", "left_ankle"),
    "right_shin": ("right_knee", "right_ankle"),
    "left_upperarm": ("left_shoulder", "left_elbow"),
    "right_upperarm": ("right_shoulder", "right_elbow"),
    "left_forearm": ("left_elbow", "left_wrist"),
    "right_forearm": ("right_elbow", "right_wrist"),
}

CAPTIONING_JOINTS = JointSet(
    "posescript-captioning-35",
    SMPL_BODY_JOINT_NAMES + ("left_middle2", "right_middle2") + tuple(VIRTUAL_JOINTS),
)

_BODY = {n: i for i, n in enumerate(SMPL_BODY_JOINT_NAMES)}


def captioning_joints(joints):
    """[B, 22|52, 3] joints (SMPL/SMPL-H order, captioning frame) -> [B, 35, 3] in `CAPTIONING_JOINTS` order."""
    is_tensor = isinstance(joints, torch.Tensor)
    xp_stack = torch.stack if is_tensor else np.stack
    if joints.ndim != 3 or joints.shape[-1] != 3 or joints.shape[1] not in (22, 52):
        raise InputError(f"shape {list(joints.shape)} is not [B, 22, 3] or [B, 52, 3]", field="joints",
                         hint="joint positions in SMPL (22 body joints) or SMPL-H (52 joints) order")
    body = joints[:, :22]
    if joints.shape[1] == 52:
        middle = [joints[:, SMPLH_52.index("left_middle2")], joints[:, SMPLH_52.index("right_middle2")]]
    else:
        middle = []
        for side in ("left", "right"):
            wrist, elbow = body[:, _BODY[f"{side}_wrist"]], body[:, _BODY[f"{side}_elbow"]]
            direction = wrist - elbow
            norm = direction.norm(dim=-1, keepdim=True) if is_tensor else np.linalg.norm(direction, axis=-1,
                                                                                          keepdims=True)
            middle.append(wrist + PROSTHESIS_LENGTH * direction / (norm + 1e-9))
    real = {**_BODY, "left_middle2": 22, "right_middle2": 23}
    columns = [body[:, i] for i in range(22)] + middle
    for parts in VIRTUAL_JOINTS.values():
        columns.append(sum(columns[real[p]] for p in parts) / len(parts))
    return xp_stack(columns, 1)
