"""The embedded default body: SMPL's 22-joint kinematic tree with rest joints derived from the open Anny model.

It needs no licensed files, so the whole suite runs on a fresh machine. It has no mesh: vertex metrics need an
SMPL-family model. `data/skeleton_22.json` holds the rest joints, the render volumes and their provenance; it is
produced by `data/derive_skeleton_from_anny.py`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import torch

from benchmark.body.base import BodyModel
from benchmark.body.joints import SMPL_BODY_22
from benchmark.body.kinematics import forward_kinematics

DATA_FILE = Path(__file__).parent / "data" / "skeleton_22.json"


@lru_cache(maxsize=1)
def skeleton_data() -> dict:
    with open(DATA_FILE, encoding="utf-8") as f:
        data = json.load(f)
    if tuple(data["joint_names"]) != SMPL_BODY_22.names or tuple(data["parents"]) != SMPL_BODY_22.parents:
        raise RuntimeError(f"{DATA_FILE} does not describe SMPL's 22-joint tree; re-derive it")
    return data


class SkeletonBody(BodyModel):
    """Forward kinematics of the 22 body joints; SMPL-H finger rotations, if given, are ignored."""

    name = "skeleton"
    joint_set = SMPL_BODY_22
    has_mesh = False

    def __init__(self):
        data = skeleton_data()
        self.rest_joints = torch.tensor(data["rest_joints"], dtype=torch.float32)
        self.parents = torch.tensor(data["parents"], dtype=torch.long)
        self.height = float(data["height"])
        self.head_top_y = float(data["head_top_y"])
        self.sole_y = float(data["sole_y"])

    def _joints(self, poses: torch.Tensor) -> torch.Tensor:
        return forward_kinematics(poses[:, :22], self.rest_joints, self.parents)
