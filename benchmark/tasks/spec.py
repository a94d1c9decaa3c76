"""Typed task specifications (pydantic, extra fields forbidden).

A task = one of the seven task ids on one dataset, e.g. "pose_to_text/embedded" or "text_to_pose/posescript-h".
Its spec pins everything the score depends on: the dataset (repo, config, split, revision), the version of the task
(bumped whenever prompts, metrics or protocols change), the metrics and the main one, the evaluator models and the
joint protocol.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from benchmark.adapters import TASK_IDS, TASK_KIND

TaskId = Literal["pose_to_text", "pose_diff", "image_to_text", "image_diff", "text_to_pose", "pose_estimation",
                 "pose_edit"]


class DatasetRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    repo: str = Field(description="Hub dataset id, or a name that `--dataset-dir NAME=DIR` maps to a local folder")
    config: str
    split: str = "test"
    revision: str | None = Field(None, description="Hub commit sha; None for a locally built dataset (its content "
                                                   "fingerprint is recorded instead)")
    train_split: str = "train"


class TaskSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    task_id: TaskId
    version: int
    description: str
    dataset: DatasetRef
    metrics: tuple[str, ...]
    main_metric: str
    evaluators: tuple[Literal["pose-text", "pair-text"], ...] = ()
    joint_protocol: str | None = Field(None, description="joint-set protocol of pose metrics, see benchmark.metrics")
    text_references: Literal["human", "automatic", "refined", "any"] = Field(
        "any", description="which texts of a row are the references (human where the dataset has them)")
    template_set: Literal["finetune", "pretrain"] = "finetune"
    n_samples: int = 1
    citation: str = ""
    license: str = ""
    superseded_by: str | None = None

    @property
    def request_kind(self) -> str:
        return TASK_KIND[self.task_id]

    def model_post_init(self, __context) -> None:
        if self.task_id not in TASK_IDS:
            raise ValueError(f"unknown task id {self.task_id}")
        if self.main_metric not in self.metrics:
            raise ValueError(f"task {self.name}: main metric {self.main_metric} is not among {self.metrics}")
