"""Body models, pose conventions, frames and rotations.

`get_body_model("skeleton")` is the embedded default; `get_body_model("smplh", model_dir=...)` (also "smpl",
"smplx") loads the user's licensed SMPL-family files through smplx.
"""

from __future__ import annotations

import os

from benchmark.body.base import BodyModel
from benchmark.body.joints import SMPL_24, SMPL_BODY_22, SMPLH_52, JointSet

BODY_MODEL_NAMES = ("skeleton", "smpl", "smplh", "smplx")


def get_body_model(name: str = "skeleton", model_dir: str | os.PathLike | None = None) -> BodyModel:
    """The body model `name`; SMPL-family models read `model_dir` or $UNIPOSE_BENCH_BODY_MODELS."""
    if name == "skeleton":
        from benchmark.body.skeleton import SkeletonBody

        return SkeletonBody()
    if name in ("smpl", "smplh", "smplx"):
        from benchmark.body.smpl import SMPLFamilyBody

        return SMPLFamilyBody(name, model_dir)
    raise ValueError(f"unknown body model '{name}'; choose one of {', '.join(BODY_MODEL_NAMES)}")


__all__ = ["BodyModel", "JointSet", "SMPL_BODY_22", "SMPL_24", "SMPLH_52", "BODY_MODEL_NAMES", "get_body_model"]
