"""The `posefix` adapter: PoseFix's editing generator (pose_edit) and instruction generator (pose_diff); see
models/posescript/adapter.py for its arguments."""

from __future__ import annotations

from models.posescript.adapter import PoseTextBaselineAdapter


class PoseFixAdapter(PoseTextBaselineAdapter):
    SUMMARY = "PoseFix baselines: pose editing generator and correctional instruction generator"
    FAMILY = "posefix"
    POSE_TASK, TEXT_TASK = "pose_edit", "pose_diff"
    TASKS = ("pose_edit", "pose_diff")
    CITATION = "Delmas et al., PoseFix: Correcting 3D Human Poses with Natural Language, ICCV 2023"
