"""UniPose presets: which language model, tokenizer and visual processor, and the recipe of each training stage.

* `tiny`: a from-scratch Llama with a tokenizer trained on the world's texts (first pre-trained on those texts as a
  stand-in for a pretrained LM), the tiny tokenizer and towers; all four stages within minutes on 2 CPU cores. The
  main job trains it on the embedded world.
* `smoke`: the tiny architecture trained for a few steps: the plumbing of every stage, for tests.
* `small`: SmolLM2-135M-Instruct (`make smollm2`, a real pretrained instruction LM) with the tiny tokenizer and
  towers; meant for a GPU, a short CPU run shows it learning.
* `paper`: UniPose's own setting (App. Tables 1 and 3; upstream scripts/gpt_stage_*_full_mask.sh @14de673):
  LLaVA-1.6-Mistral-7B, CLIP ViT-L/14-336 and TokenHMR's ViT-H from local paths, the 2048-code tokenizer, LoRA r 64 /
  alpha 16 / dropout 0.05 (LLaVA's defaults, which upstream's scripts leave in place), bf16, batch 24 / 8 / 8, lr
  1.5e-4 / 5e-5 / 5e-5, 6 / 2 / 2 epochs, gradient checkpointing. Multi-GPU under `accelerate launch
  --config_file models/unipose/accelerate_zero2.yaml` (DeepSpeed ZeRO-2, bf16; see models/unipose/README.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from benchmark.errors import InputError

POSE_TEXT_TASKS = ("pose_to_text", "pose_diff", "text_to_pose", "pose_edit")
VISUAL_TASKS = ("image_to_text", "image_diff", "pose_estimation")
ALL_TASKS = ("pose_to_text", "pose_diff", "image_to_text", "image_diff", "text_to_pose", "pose_estimation",
             "pose_edit")


@dataclass(frozen=True)
class StageRecipe:
    tasks: tuple[str, ...]
    template_set: str  # "pretrain" (one template per task) or "finetune" (the instruction variants)
    trains: str  # "lora" (LoRA + embeddings + output head), "projector", "lora+projector"
    batch_size: int
    lr: float
    steps: int | None = None  # a fixed number of optimiser steps, or
    epochs: float | None = None  # passes over the stage's examples
    limit_per_task: int | None = None

    def n_steps(self, n_examples: int) -> int:
        if self.steps is not None:
            return self.steps
        return max(1, round(self.epochs * n_examples / self.batch_size))


@dataclass(frozen=True)
class UniPosePreset:
    name: str
    language_model: str  # "tiny" (built here), "smollm2" (`make smollm2`), or a local path
    tokenizer_preset: str  # models.unipose.vqvae.VQVAE_PRESETS
    tokenizer_steps: int | None  # None: the tokenizer preset's own recipe (models.unipose.tokenizer_training)
    vision_preset: str  # models.unipose.vision.VISION_PRESETS
    pose_vit_steps: int
    alignment: StageRecipe
    projector: StageRecipe
    instruction: StageRecipe
    lora_r: int = 64
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    lm_pretrain_steps: int = 0  # tiny only: causal-LM pre-training on the world's texts before stage 2
    tiny_lm: dict = field(default_factory=dict)  # build_tiny_language_model arguments
    max_answer_tokens: int | None = None
    mixed_precision: str = "no"
    attention: str = "mixed"  # "causal": the Table 7 ablation
    # recompute the LM's activations in the backward pass (memory for time: the 7B model's stages on 80 GB GPUs)
    gradient_checkpointing: bool = False

    def to_dict(self) -> dict:
        out = asdict(self)
        if not out["gradient_checkpointing"]:
            # added after presets had trained checkpoints: left out while off, so their cache keys stay the same
            del out["gradient_checkpointing"]
        return out


PRESETS: dict[str, UniPosePreset] = {
    "tiny": UniPosePreset(
        name="tiny", language_model="tiny", tokenizer_preset="tiny", tokenizer_steps=None, vision_preset="tiny",
        pose_vit_steps=400, lm_pretrain_steps=150, lora_r=32, lora_alpha=64, lora_dropout=0.0,
        tiny_lm={"hidden": 128, "layers": 4, "heads": 4},
        # 800 / 150 / 300 steps at a LoRA learning rate of 3e-3: at 1e-3 a from-scratch model this small had not
        # yet learnt to read the pose tokens after 600 steps (captions scored at chance); about 9 minutes on 2
        # cores of an Intel Xeon (tokenizer 136 s, LM pre-training 41 s, LM stages 220 / 18 / 66 s)
        alignment=StageRecipe(POSE_TEXT_TASKS, "pretrain", "lora", batch_size=16, lr=3e-3, steps=800),
        projector=StageRecipe(VISUAL_TASKS, "pretrain", "projector", batch_size=16, lr=3e-3, steps=150),
        instruction=StageRecipe(ALL_TASKS, "finetune", "lora+projector", batch_size=16, lr=1.5e-3, steps=300),
        max_answer_tokens=96),
    # the plumbing of all four stages in well under a minute, for tests; not a model to score
    "smoke": UniPosePreset(
        name="smoke", language_model="tiny", tokenizer_preset="tiny", tokenizer_steps=40, vision_preset="tiny",
        pose_vit_steps=20, lm_pretrain_steps=10, lora_r=8, lora_alpha=16, lora_dropout=0.0,
        tiny_lm={"hidden": 64, "layers": 2, "heads": 4},
        alignment=StageRecipe(POSE_TEXT_TASKS, "pretrain", "lora", batch_size=8, lr=1e-3, steps=8, limit_per_task=32),
        projector=StageRecipe(VISUAL_TASKS, "pretrain", "projector", batch_size=8, lr=1e-3, steps=4,
                              limit_per_task=32),
        instruction=StageRecipe(ALL_TASKS, "finetune", "lora+projector", batch_size=8, lr=5e-4, steps=8,
                                limit_per_task=16),
        max_answer_tokens=24),
    "small": UniPosePreset(
        name="small", language_model="smollm2", tokenizer_preset="tiny", tokenizer_steps=None, vision_preset="tiny",
        pose_vit_steps=600, lora_r=64, lora_alpha=16,
        alignment=StageRecipe(POSE_TEXT_TASKS, "pretrain", "lora", batch_size=16, lr=1.5e-4, epochs=6),
        projector=StageRecipe(VISUAL_TASKS, "pretrain", "projector", batch_size=8, lr=5e-5, epochs=2),
        instruction=StageRecipe(ALL_TASKS, "finetune", "lora+projector", batch_size=8, lr=5e-5, epochs=2),
        max_answer_tokens=128),
    "paper": UniPosePreset(
        name="paper", language_model="llava-v1.6-mistral-7b", tokenizer_preset="paper", tokenizer_steps=None,
        vision_preset="paper", pose_vit_steps=0, lora_r=64, lora_alpha=16, lora_dropout=0.05,
        alignment=StageRecipe(POSE_TEXT_TASKS, "pretrain", "lora", batch_size=24, lr=1.5e-4, epochs=6),
        projector=StageRecipe(VISUAL_TASKS, "pretrain", "projector", batch_size=8, lr=5e-5, epochs=2),
        instruction=StageRecipe(ALL_TASKS, "finetune", "lora+projector", batch_size=8, lr=5e-5, epochs=2),
        mixed_precision="bf16", gradient_checkpointing=True),
}


def get_preset(name: str, **overrides) -> UniPosePreset:
    if name not in PRESETS:
        raise InputError(f"unknown UniPose preset '{name}'", field="preset", hint=f"choose one of {', '.join(PRESETS)}")
    return replace(PRESETS[name], **overrides) if overrides else PRESETS[name]
