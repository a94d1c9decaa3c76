"""A labelled reference, not a model: the suite's automatic captioning pipelines run on the ground-truth poses
(PoseScript posecodes for descriptions, PoseFix paircodes for instructions). On automatically captioned data it
shows how well a fresh draw of the pipeline agrees with the references; on human data, how far the pipeline is
from people (PoseScript's `auto_posescript-A2_cap1` control row).

For the image tasks it is an oracle: it reads the ground-truth pose(s) of the requested row from the dataset
folder (`dataset=DIR`, the Hub layout the task loads) and captions them, so image_to_text and image_diff get the same
reference row as their pose counterparts.

Each request is captioned on its own with a seed drawn from the request, so the text does not depend on batching
and a resumed run reproduces an uninterrupted one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.errors import BenchmarkError
from benchmark.requests import TextResponse


NO_CHANGE = "Keep the same pose."


class AutoCaptionerAdapter(ModelAdapter):
    SUMMARY = "reference: the automatic captioning pipelines run on the ground-truth poses (the four text tasks)"
    ARGUMENTS = ("description_version", "instruction_version", "body_model", "body_models", "seed", "dataset")
    TASKS = ("pose_to_text", "pose_diff", "image_to_text", "image_diff")

    def __init__(self, description_version: str = "N7", instruction_version: str = "pfA", body_model: str = "skeleton",
                 body_models: str | None = None, seed: int | str = 0, dataset: str | None = None):
        from benchmark.body import get_body_model

        self.body = get_body_model(body_model, body_models)
        self.dataset = dataset
        self._poses_by_id: dict[str, dict[str, dict[str, np.ndarray]]] = {}
        self.description_version, self.instruction_version = description_version, instruction_version
        self.seed = int(seed)
        self.meta = AdapterMeta(
            name="auto_captioner", revision=f"{description_version}-{instruction_version}-{body_model}-s{self.seed}",
            tasks=self.TASKS, reference=True, license="CC0-1.0", n_parameters=0,
            description="automatic captioner on the ground-truth pose(s): a reference row",
            args={"description_version": description_version, "instruction_version": instruction_version,
                  "body_model": body_model, "seed": self.seed})

    def _seed(self, request) -> int:
        return int(request.request_hash[:8], 16) ^ self.seed

    def _ground_truth(self, request) -> dict[str, np.ndarray]:
        """The ground-truth pose columns of an image request's row, read from the task's config in the dataset
        folder (every split: ids are unique within a config)."""
        from benchmark.errors import InputError
        from benchmark.tasks.catalog import task_registry
        from models.baselines.training_data import TrainingData

        if self.dataset is None or not Path(self.dataset).is_dir():
            raise InputError(f"the auto_captioner needs dataset=DIR, the folder {request.task} loads its rows from, "
                             f"to caption the poses behind the images (got {self.dataset})", field="dataset")
        config = task_registry().get(request.task).dataset.config
        if config not in self._poses_by_id:
            columns = ("pose",) if "pose" in TrainingData(self.dataset, "test").table(config).column_names \
                else ("pose_a", "pose_b")
            found = {}
            for split in ("train", "val", "test"):
                data = TrainingData(self.dataset, split)
                try:
                    ids = data.table(config)["id"]
                except BenchmarkError:
                    continue
                arrays = {c: data.poses(config, c) for c in columns}
                found.update({row_id: {c: arrays[c][i] for c in columns} for i, row_id in enumerate(ids)})
            self._poses_by_id[config] = found
        try:
            return self._poses_by_id[config][request.row_id]
        except KeyError:
            raise InputError(f"row '{request.row_id}' of {request.task} is not in {self.dataset} ({config})",
                             field="id", hint="pass the folder the task loads its rows from (dataset=DIR)") from None

    def describe(self, requests):
        from datasets_build.captioning import describe_pose_pairs_from_axis_angle, describe_poses_from_axis_angle

        out = []
        for r in requests:
            inputs = r.inputs if r.modalities & {"pose", "pose_a"} else self._ground_truth(r)
            if "pose" in inputs:
                text = describe_poses_from_axis_angle(np.asarray(inputs["pose"])[None], self.body,
                                                      self.description_version, self._seed(r))[0]
            else:
                text = describe_pose_pairs_from_axis_angle(np.asarray(inputs["pose_a"])[None],
                                                           np.asarray(inputs["pose_b"])[None], self.body,
                                                           self.instruction_version, self._seed(r))[0]
                # every paircode under its threshold (a small change, or the noise of this draw): the pipeline
                # has nothing to say, and saying "no change" is the honest answer
                text = text or NO_CHANGE
            out.append(TextResponse(text))
        return out
