"""Training of the PoseScript / PoseFix models on a dataset folder's train split (the embedded world or a
real-source build), as upstream's trainers do it in spirit: Adam with weight decay, random batches, one of each
row's texts drawn at random per step (upstream's caption_index='rand'), a fixed number of steps. Seeded: the same
data, preset and seed give the same weights on a machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from benchmark.errors import InputError
from models.baselines.training_data import TrainingData
from models.posescript.presets import Preset
from models.posescript.vocab import Vocabulary

# the tasks whose train split each model learns from, and its pose columns
POSE_COLUMNS = {"text_to_pose": ("pose",), "pose_to_text": ("pose",), "pose_edit": ("pose_a", "pose_b"),
                "pose_diff": ("pose_a", "pose_b")}


@dataclass
class TaskRows:
    poses: dict[str, np.ndarray]  # column -> [N, 22, 3]
    texts: list[list[str]]

    def __len__(self) -> int:
        return len(self.texts)


def task_rows(data: TrainingData, task: str) -> TaskRows:
    table = data.table(task)
    texts = [[str(t) for t in row] for row in table["texts"]]
    if not texts or any(not t for t in texts):
        raise InputError(f"the {data.split} split of {task} has rows without texts", file=str(data.root),
                         field="texts", hint="every row needs at least one text to train on")
    return TaskRows({c: data.poses(task, c) for c in POSE_COLUMNS[task]}, texts)


def family_vocabulary(data: TrainingData, tasks: tuple[str, ...]) -> Vocabulary:
    """One vocabulary per family (upstream: vocPSA2H2 for PoseScript, vocPFAHPP for PoseFix) over every train
    text of its tasks."""
    return Vocabulary.build(t for task in tasks for texts in data.table(task)["texts"] for t in texts)


def sample_batch(rows: TaskRows, rng: np.random.Generator, batch_size: int):
    idx = rng.choice(len(rows), size=min(batch_size, len(rows)), replace=False)
    poses = {c: torch.from_numpy(np.ascontiguousarray(v[idx])) for c, v in rows.poses.items()}
    texts = [rows.texts[i][int(rng.integers(len(rows.texts[i])))] for i in idx]
    return poses, texts


def build_model(task: str, preset: Preset, vocab_size: int):
    from models.posescript.checkpoint import model_class

    return model_class(task)(preset.arch, vocab_size)


def train_model(task: str, data: TrainingData, preset: Preset, vocab: Vocabulary, *, seed: int, log=print,
                steps: int | None = None):
    """The model of `task` trained from scratch; returns (model in eval mode, report)."""
    from models.posescript.models import PoseTerms

    recipe = getattr(preset, task)
    steps = recipe.steps if steps is None else steps
    if preset.arch.n_joints != 22 or preset.arch.text_encoder == "distilbert":
        raise InputError(f"the {preset.name} preset is not trained by this suite", field="preset",
                         hint="load its released weights (checkpoint=...) or train the tiny preset")
    rows = task_rows(data, task)
    torch.manual_seed(seed)
    model = build_model(task, preset, len(vocab))
    model.train()
    terms = PoseTerms.skeleton()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    rng = np.random.default_rng([seed, list(POSE_COLUMNS).index(task)])
    history: list[dict[str, float]] = []
    start = time.perf_counter()
    for step in range(steps):
        poses, texts = sample_batch(rows, rng, recipe.batch_size)
        tokens, lengths = vocab.batch(texts, preset.arch.max_text_tokens)
        if task == "text_to_pose":
            losses = model.losses(poses["pose"], tokens, lengths, recipe, terms)
        elif task == "pose_edit":
            losses = model.losses(poses["pose_a"], poses["pose_b"], tokens, lengths, recipe, terms)
        elif task == "pose_to_text":
            losses = model.losses(poses["pose"], tokens, lengths, vocab.pad)
        else:
            losses = model.losses(poses["pose_a"], poses["pose_b"], tokens, lengths, vocab.pad)
        optimizer.zero_grad(set_to_none=True)
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        optimizer.step()
        history.append({k: float(v.detach()) for k, v in losses.items()})
        if log and (step + 1) % max(1, steps // 5) == 0:
            log(f"[{task}] step {step + 1}/{steps}: loss {history[-1]['total']:.3f}")
    model.eval()
    window = max(1, min(20, steps // 5))
    report = {"task": task, "steps": steps, "seconds": round(time.perf_counter() - start, 1), "seed": seed,
              "n_train_rows": len(rows),
              "loss_first": _mean(history[:window]), "loss_last": _mean(history[-window:])}
    return model, report


def _mean(history: list[dict[str, float]]) -> dict[str, float]:
    if not history:
        return {}
    return {k: round(float(np.mean([h[k] for h in history])), 4) for k in history[0]}
