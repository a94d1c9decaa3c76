"""A labelled reference, not a model: the suite's automatic captioning pipelines run on the ground-truth poses
(PoseScript posecodes for descriptions, PoseFix paircodes for instructions). On automatically captioned data it
shows how well a fresh draw of the pipeline agrees with the references; on human data, how far the pipeline is
from people (PoseScript's `auto_posescript-A2_cap1` control row).

Each request is captioned on its own with a seed drawn from the request, so the text does not depend on batching
and a resumed run reproduces an uninterrupted one.
"""

from __future__ import annotations

import numpy as np

from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.requests import TextResponse


NO_CHANGE = "Keep the same pose."


class AutoCaptionerAdapter(ModelAdapter):
    ARGUMENTS = ("description_version", "instruction_version", "body_model", "body_models", "seed")
    TASKS = ("pose_to_text", "pose_diff")

    def __init__(self, description_version: str = "N7", instruction_version: str = "pfA", body_model: str = "skeleton",
                 body_models: str | None = None, seed: int | str = 0):
        from benchmark.body import get_body_model

        self.body = get_body_model(body_model, body_models)
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

    def describe(self, requests):
        from datasets_build.captioning import describe_pose_pairs_from_axis_angle, describe_poses_from_axis_angle

        out = []
        for r in requests:
            if "pose" in r.modalities:
                text = describe_poses_from_axis_angle(np.asarray(r.inputs["pose"])[None], self.body,
                                                      self.description_version, self._seed(r))[0]
            else:
                text = describe_pose_pairs_from_axis_angle(np.asarray(r.inputs["pose_a"])[None],
                                                           np.asarray(r.inputs["pose_b"])[None], self.body,
                                                           self.instruction_version, self._seed(r))[0]
                # every paircode under its threshold (a small change, or the noise of this draw): the pipeline
                # has nothing to say, and saying "no change" is the honest answer
                text = text or NO_CHANGE
            out.append(TextResponse(text))
        return out
