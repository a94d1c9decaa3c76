"""The `unipose` adapter: UniPose answers all seven tasks through the harness.

    unipose:checkpoint=DIR                         a checkpoint of this suite (`unipose-bench train-unipose`)
    unipose:checkpoint=DIR,language_model=LLAVA,vqvae=best_MPJPE.ckpt
                                                   the released weights (LoRA adapter, non_lora_trainables.bin,
                                                   tokenizer) on their base model and pose tokenizer
    unipose:train=DIR,preset=tiny                  train the preset on DIR's train splits first (cached), as the
                                                   main job does on the embedded world
    unipose:checkpoint=DIR,device=cuda             where the model answers: auto (default: the GPU when torch sees
                                                   one, else the CPU), cpu, cuda or cuda:N
    unipose:...,no_repeat_ngram=4,min_tokens=30    text decoding: greedy with repeated 4-grams barred and no end
                                                   before 30 tokens (defaults 0 and 1: upstream's plain greedy)

Requests arrive with the task's filled-in instruction; its placeholders (<pose>, <poseA>, <image>, ...) become
pose tokens and image features. Decoding is greedy, so a request for several samples gets the same pose repeated.
Texts are greedy as upstream's (num_beams 1, no sampling), which a briefly trained model turns into loops and into
one short modal instruction for every pair; `no_repeat_ngram` and `min_tokens` are transformers' logits processors
(NoRepeatNGramLogitsProcessor, MinNewTokensLengthLogitsProcessor), part of the adapter's revision.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from benchmark import workspace
from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.errors import InputError
from benchmark.requests import PoseResponse, TextResponse
from benchmark.tasks.schema import TASKS as ALL_TASKS
from models.unipose.sequences import Example

# the files whose code decides what a preset trains to: their content is part of the cache key of trained weights
_CODE = ("attention.py", "checkpoint.py", "data.py", "language_model.py", "model.py", "pose_vit_training.py",
         "presets.py", "sequences.py", "stages.py", "tokenizer_training.py", "training.py", "vision.py", "vocab.py",
         "vqvae.py")


def trained_checkpoint(train: str | Path, preset: str, seed: int, log=print) -> Path:
    """The checkpoint of `preset` trained on dataset folder `train` with `seed`, trained once and cached in the
    suite's home (keyed by the training code, the train split's files, the preset's recipe and the seed)."""
    from models.baselines.training_data import TrainingData, training_key
    from models.unipose.presets import ALL_TASKS, get_preset
    from models.unipose.stages import train_unipose

    recipe = get_preset(preset)
    here = Path(__file__).resolve().parent
    key = training_key((here / c for c in _CODE), TrainingData(train).files(ALL_TASKS), recipe.to_dict(), seed)
    output = workspace.home() / "models" / "unipose" / f"{preset}-{key}"
    return train_unipose(train, recipe, output, seed=seed, log=log)


def _weights_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*.safetensors")) + sorted(folder.glob("*.bin")):
        h.update(path.relative_to(folder).as_posix().encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:12]


def _device(name: str):
    """The torch device of the adapter's `device` argument; "auto" is the GPU when torch sees one (the small preset
    answers the seven test splits in minutes there, far slower on a CPU)."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        target = torch.device(name)
    except RuntimeError:
        raise InputError(f"device {name!r} is not a torch device", field="device",
                         hint="use auto, cpu, cuda or cuda:N") from None
    if target.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {name!r}: torch sees no GPU here", field="device", hint="use device=cpu or auto")
    if target.type not in ("cpu", "cuda"):
        raise InputError(f"device {name!r} is not supported (cpu or cuda)", field="device",
                         hint="use auto, cpu, cuda or cuda:N")
    return target


class UniPoseAdapter(ModelAdapter):
    SUMMARY = "UniPose (CVPR'25), the reference model: pose tokens, mixed attention, visual processor"
    ARGUMENTS = ("checkpoint", "train", "preset", "seed", "language_model", "vqvae", "batch_size", "device",
                 "no_repeat_ngram", "min_tokens")
    TASKS = ALL_TASKS

    def __init__(self, checkpoint: str | None = None, train: str | None = None, preset: str = "tiny",
                 seed: str = "0", language_model: str | None = None, vqvae: str | None = None,
                 batch_size: str = "32", device: str = "auto", no_repeat_ngram: str = "0", min_tokens: str = "1"):
        from models.unipose.checkpoint import load_unipose

        try:
            seed_value, self.batch_size = int(seed), int(batch_size)
            self.no_repeat_ngram, self.min_tokens = int(no_repeat_ngram), int(min_tokens)
        except ValueError:
            raise InputError(f"seed, batch_size, no_repeat_ngram and min_tokens must be integers, got {seed!r} / "
                             f"{batch_size!r} / {no_repeat_ngram!r} / {min_tokens!r}",
                             field="unipose arguments") from None
        if self.no_repeat_ngram < 0 or self.min_tokens < 1:
            raise InputError(f"no_repeat_ngram must be >= 0 and min_tokens >= 1, got {self.no_repeat_ngram} / "
                             f"{self.min_tokens}", field="unipose arguments")
        target = _device(device)  # checked before any training or loading
        if checkpoint is None:
            if train is None:
                raise InputError("UniPose needs checkpoint=DIR (trained weights) or train=DIR (a dataset folder "
                                 "to train the preset on)", field="unipose arguments")
            checkpoint = trained_checkpoint(train, preset, seed_value)
        folder = Path(checkpoint)
        self.model = load_unipose(folder, language_model=language_model, vqvae=vqvae).to(target)
        info = self.model.info
        tasks = ALL_TASKS if self.model.visual is not None else tuple(
            t for t in ALL_TASKS if not t.startswith("image") and t != "pose_estimation")
        n_params = sum(p.numel() for p in self.model.parameters())
        name = "unipose" if info.get("attention", "mixed") == "mixed" else "unipose-causal"
        self.meta = AdapterMeta(
            name=f"{name}-{info['preset']}" if info.get("preset") else name,
            # the decoding settings change the texts, so they are part of the revision (cached responses follow it)
            revision=_weights_digest(folder) + (f"-nr{self.no_repeat_ngram}-min{self.min_tokens}"
                                                if (self.no_repeat_ngram, self.min_tokens) != (0, 1) else ""),
            tasks=tasks,
            description=f"UniPose ({info.get('preset', 'released')} preset, {info.get('attention', 'mixed')} "
                        f"attention, language model {info.get('language_model', language_model)})",
            license="Apache-2.0", n_parameters=n_params,
            training_data=(str(info["train"]),) if info.get("train") else (),
            citation="Li et al., UniPose: A Unified Multimodal Framework for Human Pose Comprehension, "
                     "Generation and Editing, CVPR 2025",
            args={"checkpoint": str(folder), **({"train": str(train)} if train else {}), "preset": preset,
                  "seed": seed_value, "no_repeat_ngram": self.no_repeat_ngram, "min_tokens": self.min_tokens})

    @staticmethod
    def _examples(requests, codes_of) -> list[Example]:
        poses = {}
        for key in ("pose", "pose_a", "pose_b"):
            rows = [i for i, r in enumerate(requests) if key in r.inputs]
            if rows:
                codes = codes_of(np.stack([requests[i].inputs[key] for i in rows]))
                poses.update({(i, key): c for i, c in zip(rows, codes)})
        out = []
        for i, r in enumerate(requests):
            inputs = {k: (poses[(i, k)] if k.startswith("pose") else v) for k, v in r.inputs.items() if k != "text"}
            out.append(Example(instruction=r.instruction, inputs=inputs, output_pose=r.kind == "generate_pose"))
        return out

    def _batched(self, requests, fn):
        out = []
        # similar lengths together: the instructions differ; sort by instruction length, restore the order after
        order = sorted(range(len(requests)), key=lambda i: len(requests[i].instruction))
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            out += list(zip(idx, fn(self._examples([requests[i] for i in idx], self.model.pose_codes))))
        return [v for _, v in sorted(out, key=lambda x: x[0])]

    def describe(self, requests):
        max_new = self.model.builder.max_answer_tokens or 128
        return [TextResponse(t) for t in self._batched(requests, lambda ex: self.model.describe(
            ex, max_new, no_repeat_ngram=self.no_repeat_ngram, min_new_tokens=self.min_tokens))]

    def generate_pose(self, requests):
        poses = self._batched(requests, self.model.generate_poses)
        return [PoseResponse(poses=np.repeat(p[None], r.n_samples, 0).astype(np.float32))
                for p, r in zip(poses, requests)]
