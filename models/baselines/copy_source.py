"""Pose editing's trivial reference: return the source pose unchanged (PoseFix's "copy A" control)."""

from __future__ import annotations

import numpy as np

from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.requests import PoseResponse


class CopySourceAdapter(ModelAdapter):
    SUMMARY = "pose_edit: return pose A unchanged"
    ARGUMENTS = ()
    TASKS = ("pose_edit",)

    def __init__(self):
        self.meta = AdapterMeta(name="copy_source", revision="1", tasks=self.TASKS,
                                description="returns the source pose A unchanged", license="CC0-1.0",
                                n_parameters=0)

    def generate_pose(self, requests):
        return [PoseResponse(poses=np.repeat(np.asarray(r.inputs["pose"], np.float32)[None], r.n_samples, axis=0))
                for r in requests]
