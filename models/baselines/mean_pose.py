"""The mean training pose for every pose request: per joint, the chordal L2 mean of the rotations (the rotation
closest to the average rotation matrix, roma.special_procrustes)."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import roma
import torch

from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.requests import PoseResponse
from models.baselines.training_data import TrainingData


def chordal_mean(poses: np.ndarray) -> np.ndarray:
    # [N, J, 3, 3]; torch.tensor copies (the poses may be a read-only dataset column)
    mats = roma.rotvec_to_rotmat(torch.tensor(poses, dtype=torch.float64))
    mean = roma.special_procrustes(mats.mean(0))
    return roma.rotmat_to_rotvec(mean).numpy().astype(np.float32)


class MeanPoseAdapter(ModelAdapter):
    SUMMARY = "floor: the mean training pose (text_to_pose, pose_estimation, pose_edit)"
    ARGUMENTS = ("train",)
    TASKS = ("text_to_pose", "pose_estimation", "pose_edit")

    def __init__(self, train: str):
        self.data = TrainingData(train)
        self.meta = AdapterMeta(name="mean_pose", revision="1", tasks=self.TASKS,
                                description="the mean training pose of the task (chordal rotation mean per joint)",
                                license="CC0-1.0", n_parameters=0, training_data=(str(train),),
                                args={"train": str(train)})

    @cached_property
    def _means(self) -> dict[str, np.ndarray]:
        return {}

    def _mean(self, config: str, column: str) -> np.ndarray:
        if config not in self._means:
            self._means[config] = chordal_mean(self.data.poses(config, column))
        return self._means[config]

    def generate_pose(self, requests):
        out = []
        for r in requests:
            if "image" in r.modalities:
                mean = self._mean("pose_estimation", "pose")
            elif "pose" in r.modalities:
                mean = self._mean("pose_edit", "pose_b")
            else:
                mean = self._mean("text_to_pose", "pose")
            out.append(PoseResponse(poses=np.repeat(mean[None], r.n_samples, axis=0)))
        return out
