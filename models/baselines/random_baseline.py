"""The floor: a random training caption (or instruction) for text tasks, a random training pose for pose tasks."""

from __future__ import annotations

import numpy as np

from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.tasks.schema import TASKS as ALL_TASKS
from benchmark.requests import PoseResponse, TextResponse
from models.baselines.seeding import request_rng
from models.baselines.training_data import TrainingData


class RandomAdapter(ModelAdapter):
    SUMMARY = "floor: a random training caption / instruction / pose (all seven tasks)"
    ARGUMENTS = ("train", "seed")
    TASKS = ALL_TASKS

    def __init__(self, train: str, seed: int | str = 0):
        self.data = TrainingData(train)
        self.seed = int(seed)
        self.meta = AdapterMeta(name="random", revision=f"seed{self.seed}", tasks=self.TASKS,
                                description="random training caption / instruction / pose (the chance floor)",
                                license="CC0-1.0", n_parameters=0, training_data=(str(train),),
                                args={"train": str(train), "seed": self.seed})

    def describe(self, requests):
        out = []
        for r in requests:
            pool = self.data.instructions if {"pose_a", "image_a"} & r.modalities else self.data.descriptions
            out.append(TextResponse(pool[request_rng(self.seed, r.request_hash).integers(len(pool))]))
        return out

    def generate_pose(self, requests):
        out = []
        for r in requests:
            if "image" in r.modalities:
                pool = self.data.poses("pose_estimation")
            elif "pose" in r.modalities:
                pool = self.data.poses("pose_edit", "pose_b")
            else:
                pool = self.data.poses("text_to_pose")
            idx = request_rng(self.seed, r.request_hash).integers(len(pool), size=r.n_samples)
            out.append(PoseResponse(poses=np.ascontiguousarray(pool[idx], dtype=np.float32)))
        return out
