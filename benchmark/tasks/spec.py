"""Typed task specifications (pydantic, extra fields forbidden).

A task = one of the seven task ids on one dataset, e.g. "pose_to_text/embedded" or "text_to_pose/posescript-h".
Its spec pins everything the score depends on: the dataset (repo, config, split, revision), the version of the task
(bumped whenever prompts, metrics or protocols change), the metrics and the main one, the evaluator models and the
joint protocol.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from benchmark.metrics.specs import check_metric_keys
from benchmark.tasks.schema import REQUEST_KIND, TASKS, TaskId


class DatasetRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    repo: str = Field(description="logical dataset name (e.g. unipose-bench/posescript): a local folder given with "
                                  "`--dataset-dir NAME=DIR`, or the Hub repo it was published to (`hub_repo`)")
    config: str
    split: str = "test"
    revision: str | None = Field(None, description="Hub commit sha; None for a locally built dataset (its content "
                                                   "fingerprint is recorded instead)")
    hub_repo: str | None = Field(None, description="the Hub dataset id `repo` was published to (default: `repo`)")
    fingerprint: str | None = Field(None, description="content fingerprint of the evaluation split the task was "
                                                      "defined on (benchmark.fingerprint); results on other content "
                                                      "are flagged on the boards")
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
    query_text: Literal["human", "automatic"] | None = Field(
        None, description="text_to_pose: the text a request is built from is the first text of this kind (PoseScript's "
                          "retrieval protocol: the human caption; UniPose's evaluation: automatic caption 0); None: "
                          "the first reference text")
    template_set: Literal["finetune", "pretrain"] = "finetune"
    n_samples: int = 1
    citation: str = ""
    license: str = ""
    superseded_by: str | None = None

    def options(self) -> dict[str, str]:
        """The protocol choices a result records and a board prints beside its numbers."""
        chosen = {"text references": self.text_references, "joints": self.joint_protocol,
                  "query": f"first {self.query_text} text" if self.query_text else None}
        return {k: v for k, v in chosen.items() if v is not None}

    @property
    def request_kind(self) -> str:
        return REQUEST_KIND[self.task_id]

    def model_post_init(self, __context) -> None:
        if self.task_id not in TASKS:
            raise ValueError(f"unknown task id {self.task_id}")
        check_metric_keys(self.name, self.metrics, self.main_metric)


class EvaluatorTaskSpec(BaseModel):
    """How good a retrieval evaluator is on a test split (PoseScript's retrieval protocol, and the R-precision of the
    ground-truth texts): a task whose "model" is the evaluator itself, named "retrieval:<kind>/<dataset>"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: Literal["pose-text", "pair-text"]
    version: int
    description: str
    dataset: DatasetRef
    text_kind: Literal["human", "automatic"] | None = Field(
        None, description="score only texts of this kind (None: every text, up to three text indices averaged)")
    metrics: tuple[str, ...] = ("recall_p2t@1", "recall_p2t@5", "recall_p2t@10", "recall_t2p@1", "recall_t2p@5",
                                "recall_t2p@10", "mrecall", "r_precision_gt@1", "r_precision_gt@2",
                                "r_precision_gt@3")
    main_metric: str = "mrecall"

    def model_post_init(self, __context) -> None:
        check_metric_keys(self.name, self.metrics, self.main_metric)
