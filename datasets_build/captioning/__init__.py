"""Automatic captioning pipelines of PoseScript (pose descriptions, "posecodes") and PoseFix (pose-pair
instructions, "paircodes"), re-implemented from naver/posescript `text2pose/posescript/` and `text2pose/posefix/`.

Public API (imported lazily so that `import datasets_build.captioning` stays light):
  describe_poses, describe_poses_from_axis_angle            -- one description per pose
  describe_pose_pairs, describe_pose_pairs_from_axis_angle  -- one instruction per pose pair (A -> B)
  DESCRIPTION_VERSIONS, INSTRUCTION_VERSIONS                 -- the named flag sets (N2, N6, N7, A-F; pfA-pfC)

The posecodes themselves (operators, tables, the raw posecodes of a batch as arrays, the captioning joints) are pure
pose geometry and live in the core, `benchmark.posecodes`, where the posecode-agreement metric uses them too; the
pipelines here turn them into text.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "describe_poses": "describe", "describe_poses_from_axis_angle": "describe",
    "describe_pose_pairs": "instruct", "describe_pose_pairs_from_axis_angle": "instruct",
    "DESCRIPTION_VERSIONS": "versions", "INSTRUCTION_VERSIONS": "versions",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
