"""Typed configs of the retrieval evaluators: architecture, training stages, and the named training recipes.

Recipes (naver/posescript `retrieval/script_retrieval.sh`, `retrieval_modifier/script_retrieval_modifier.sh`):
* "paper": the upstream recipes unchanged. PoseText: pre-training on automatic texts, Adam lr 2e-4, StepLR(400, 0.5),
  batch 512, 1000 epochs; fine-tuning on human texts, lr 2e-4, StepLR(40, 0.5), batch 32, 200 epochs, L/R flip.
  PairText: lr 5e-5; pre-training StepLR(400, 0.5), batch 128, 400 epochs; fine-tuning StepLR(40, 0.5), batch 128,
  50 epochs, L/R flip.
* "cpu" (default): the same stages, optimiser, schedule shapes and fine-tuning batch sizes, with the epoch counts
  cut for a 2-core CPU and the StepLR steps cut in the same proportion (the learning rate halves as often relative to
  the run). Two more changes, both for the short CPU budget: PoseText pre-training uses batches of 128 instead of
  512 (with a few thousand items, 512 leaves a handful of steps per epoch), and PairText uses lr 2e-4 instead of
  5e-5 (on 3,000 synthetic pairs, 20 epochs reached validation mRecall 17.4 with 2e-4 and 14.0 with 5e-5).
  Measured here on 5,000 synthetic items (benchmark.retrieval.perf, shared 2-core machine): a PoseText epoch takes
  15 s (2 threads) to 23 s (1 thread), so the recipe's 50 + 20 epochs take 18-26 minutes; a PairText epoch 6-10 s.
* "frozen" and "embedded": the embedded world, whose texts are all automatic (one stage). Upstream's pre-training
  recipe (Adam, symBBC, batch 128, L/R flip) with a one-cycle schedule at lr 1e-3 instead of StepLR at 2e-4, which
  reaches upstream-like accuracy in 60 epochs instead of 1000: "frozen" trains the evaluators the suite ships for
  the default world (60 epochs), "embedded" a quick one for any other world (12 epochs).
* "smoke": a few epochs of small batches, for tests and for checking that a dataset loads end to end.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

KINDS = ("pose-text", "pair-text")
# The task (dataset config) each evaluator trains on by default (benchmark/tasks/schema.py).
DEFAULT_DATASET_CONFIG = {"pose-text": "pose_to_text", "pair-text": "pose_diff"}
Kind = Literal["pose-text", "pair-text"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArchitectureConfig(_Strict):
    """Layer sizes. Defaults are PoseScript's PoseText/PairText and UniPose's BiGRU text encoder."""

    kind: Kind
    n_joints: Literal[22, 52] = Field(22, description="joints per pose fed to the pose encoder (52 = SMPL-H hands)")
    pose_hidden: int = Field(512, ge=1, description="width of the VPoser-style trunk")
    pose_bottleneck: int = Field(32, ge=1, description="width of the retrieval head's bottleneck")
    latent_dim: int = Field(512, ge=1, description="size of the joint embedding space")
    text_hidden: int = Field(256, ge=1, description="MLP width and GRU hidden size per direction")
    text_max_tokens: int = Field(196, ge=3, description="tokens kept per text, special tokens included (UniPose)")
    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    temperature_init: float = Field(10.0, gt=0.0)
    pose_features: Literal["axis_angle", "axis_angle+joints"] = Field(
        "axis_angle", description="what the pose side reads: the axis-angle rotations (PoseScript), or also the "
                                  "joint positions of the 22-joint skeleton body, relative to the pelvis")
    pair_fusion: Literal["embeddings", "features"] = Field(
        "embeddings", description="pair-text only: concatenate the two pose embeddings (PoseFix), or run an MLP on "
                                  "the pose features of A, B and B - A (see models.PairFeatureEncoder)")
    pair_hidden: int = Field(1024, ge=1, description="width of the pair MLP (pair_fusion 'features')")

    @model_validator(mode="after")
    def _joints_need_the_skeleton(self):
        if self.pose_features != "axis_angle" and self.n_joints != 22:
            raise ValueError("joint-position features come from the 22-joint skeleton body: use n_joints=22")
        return self


# The embedded world's evaluators: pose-text as PoseScript; pair-text sees the joint positions of A and B and their
# difference, which PoseFix's fusion of two 32-wide-bottleneck pose embeddings loses (on the embedded world, R-P@1
# of the reference instructions after 10 epochs: 72 % with features, 10 % with embeddings).
EMBEDDED_ARCHITECTURE = {"pose-text": {},
                         "pair-text": {"pose_features": "axis_angle+joints", "pair_fusion": "features"}}


class StageConfig(_Strict):
    """One training stage: which texts, how long, how fast."""

    name: Literal["pretrain", "finetune"]
    text_kinds: tuple[str, ...] = Field(min_length=1, description="values of `text_kinds` whose texts are used")
    epochs: int = Field(ge=1)
    batch_size: int = Field(ge=2, description="items per batch; the last incomplete batch is dropped")
    lr: float = Field(gt=0.0)
    lr_step: int = Field(ge=1, description="StepLR step, in epochs")
    lr_gamma: float = Field(0.5, gt=0.0, le=1.0)
    schedule: Literal["step", "one_cycle"] = Field(
        "step", description="step: StepLR(lr_step, lr_gamma) per epoch, as upstream; one_cycle: a 5% warm-up to lr "
                            "then cosine annealing to ~0, per batch (torch OneCycleLR)")
    lr_flip: bool = Field(description="L/R flip augmentation of pose and text together, with probability 0.5")
    val_every: int = Field(1, ge=1, description="validate every this many epochs (and after the last one)")


class TrainConfig(_Strict):
    """A full training recipe: architecture plus the pre-training ("-A") and fine-tuning ("-H") stages."""

    recipe: str
    architecture: ArchitectureConfig
    pretrain: StageConfig | None
    finetune: StageConfig | None
    eval_batch_size: int = Field(512, ge=1)

    @model_validator(mode="after")
    def _has_a_stage(self):
        if self.pretrain is None and self.finetune is None:
            raise ValueError("a training config needs a pretrain or a finetune stage")
        return self

    def with_epochs(self, epochs: int) -> TrainConfig:
        """The same recipe with every stage run for `epochs` epochs, StepLR steps scaled in proportion."""
        if epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {epochs}")

        def scale(stage: StageConfig | None) -> StageConfig | None:
            if stage is None:
                return None
            step = max(1, round(stage.lr_step * epochs / stage.epochs))
            return stage.model_copy(update={"epochs": epochs, "lr_step": step,
                                            "val_every": min(stage.val_every, epochs)})

        return self.model_copy(update={"pretrain": scale(self.pretrain), "finetune": scale(self.finetune)})


def _stage(name, epochs, batch_size, lr, lr_step, lr_flip, val_every=1, schedule="step"):
    kinds = ("automatic",) if name == "pretrain" else ("human",)
    return StageConfig(name=name, text_kinds=kinds, epochs=epochs, batch_size=batch_size, lr=lr, lr_step=lr_step,
                       lr_flip=lr_flip, val_every=val_every, schedule=schedule)


def _recipes(kind: str) -> dict[str, TrainConfig]:
    arch = ArchitectureConfig(kind=kind)
    embedded_arch = ArchitectureConfig(kind=kind, **EMBEDDED_ARCHITECTURE[kind])
    if kind == "pose-text":
        stages = {
            "paper": (_stage("pretrain", 1000, 512, 2e-4, 400, False, 20), _stage("finetune", 200, 32, 2e-4, 40, True)),
            "cpu": (_stage("pretrain", 50, 128, 2e-4, 20, False), _stage("finetune", 20, 32, 2e-4, 4, True)),
            # the embedded world: "frozen" trains the evaluators the suite ships (about 20 minutes on 2 cores),
            # "embedded" a quick one for a world that is not the shipped one (another seed or size)
            "frozen": (_stage("pretrain", 60, 128, 1e-3, 1, True, 2, "one_cycle"), None),
            "embedded": (_stage("pretrain", 12, 128, 1e-3, 1, True, 2, "one_cycle"), None),
            "smoke": (_stage("pretrain", 3, 32, 1e-3, 3, False), _stage("finetune", 2, 16, 1e-3, 2, True)),
        }
    else:
        stages = {
            "paper": (_stage("pretrain", 400, 128, 5e-5, 400, False, 20), _stage("finetune", 50, 128, 5e-5, 40, True)),
            "cpu": (_stage("pretrain", 40, 128, 2e-4, 40, False), _stage("finetune", 10, 128, 2e-4, 8, True)),
            "frozen": (_stage("pretrain", 60, 128, 1e-3, 1, True, 2, "one_cycle"), None),
            "embedded": (_stage("pretrain", 12, 128, 1e-3, 1, True, 2, "one_cycle"), None),
            "smoke": (_stage("pretrain", 3, 32, 1e-3, 3, False), _stage("finetune", 2, 16, 1e-3, 2, True)),
        }
    return {name: TrainConfig(recipe=name, architecture=embedded_arch if name in ("frozen", "embedded") else arch,
                              pretrain=pre, finetune=ft)
            for name, (pre, ft) in stages.items()}


RECIPES = ("cpu", "embedded", "frozen", "paper", "smoke")


def recipe(kind: str, name: str = "cpu") -> TrainConfig:
    """The named training recipe for evaluator `kind` ("pose-text" or "pair-text")."""
    if kind not in KINDS:
        raise ValueError(f"unknown evaluator kind '{kind}'; choose one of {', '.join(KINDS)}")
    recipes = _recipes(kind)
    if name not in recipes:
        raise ValueError(f"unknown training recipe '{name}'; choose one of {', '.join(recipes)}")
    return recipes[name]
