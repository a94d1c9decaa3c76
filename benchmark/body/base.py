"""The body-model interface: joint positions (and vertices where there is a mesh) of a batch of poses."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import torch

from benchmark.body.joints import JointSet
from benchmark.body.validation import check_poses


class BodyModel(ABC):
    """Maps axis-angle poses [B, 22|52, 3] to joint positions [B, J, 3] in metres.

    Shape is the neutral mean shape (betas = 0) and there is no translation, as PoseScript, PoseFix and UniPose use
    their body models. Output coordinates are in the frame of the root orientation (z-up for AMASS-style poses).
    """

    name: str
    joint_set: JointSet
    has_mesh: bool = False

    def joints(self, poses, dtype: torch.dtype = torch.float32):
        """Joint positions of `poses`; numpy in -> numpy out, torch in -> torch out.

        Computed in `dtype`: float32 by default; float64 where a result must not depend on the CPU (the embedded
        world's build, the metrics): float64 kernels of different CPUs differ by an ulp, so a decision taken on
        their output flips with negligible probability, while float32 rounding differs often enough to matter.
        """
        as_numpy = not isinstance(poses, torch.Tensor)
        poses = check_poses(poses)
        # torch.tensor copies: numpy inputs may be read-only (frozen request inputs), which as_tensor warns about
        t = poses.to(dtype) if isinstance(poses, torch.Tensor) else torch.tensor(poses, dtype=dtype)
        with torch.no_grad() if not t.requires_grad else torch.enable_grad():
            out = self._joints(t)
        return out.numpy() if as_numpy else out

    def vertices(self, poses):
        if not self.has_mesh:
            raise NotImplementedError(
                f"body model '{self.name}' has no mesh; use an SMPL-family model (--body-model smplh with "
                "--body-models DIR) for vertex-based metrics")
        as_numpy = not isinstance(poses, torch.Tensor)
        t = torch.as_tensor(check_poses(poses), dtype=torch.float32)
        out = self._vertices(t)
        return out.detach().numpy() if as_numpy else out

    @abstractmethod
    def _joints(self, poses: torch.Tensor) -> torch.Tensor: ...

    def _vertices(self, poses: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @property
    def faces(self) -> np.ndarray:
        raise NotImplementedError(f"body model '{self.name}' has no mesh")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, joints={len(self.joint_set)})"
