"""Body models, pose conventions, frames and rotations.

`get_body_model("skeleton")` is the embedded default; `get_body_model("smplh", model_dir=...)` (also "smpl",
"smplx") loads the user's licensed SMPL-family files through smplx.

Importing the package loads no torch (`BodyModel` is imported on first use), so that the light modules (joint names,
body parts) serve declarations such as `benchmark.metrics.specs` without a backend.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from benchmark.body.joints import SMPL_24, SMPL_BODY_22, SMPLH_52, JointSet

if TYPE_CHECKING:
    from benchmark.body.base import BodyModel

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


def __getattr__(name: str):
    if name == "BodyModel":
        from benchmark.body.base import BodyModel

        return BodyModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BodyModel", "JointSet", "SMPL_BODY_22", "SMPL_24", "SMPLH_52", "BODY_MODEL_NAMES", "get_body_model"]
