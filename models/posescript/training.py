"""Training of the PoseScript / PoseFix models on a dataset folder's train split (the embedded world or a
real-source build), as upstream's trainers do it in spirit: Adam with weight decay, random batches, one of each
row's texts drawn at random per step (upstream's caption_index='rand'), a fixed number of steps. Seeded: the same
data, preset, seed and number of slices give the same weights on a machine.

Slices. A step's batch can be computed in `slices` contiguous slices whose weighted gradients are summed before the
optimiser step (gradient accumulation), and the slices can be shared by the processes a launcher (`accelerate
launch`, torchrun) started: process r of W computes slices r*S/W .. (r+1)*S/W - 1 and the gradients are summed over
the processes (benchmark.processes). Each slice's loss is the loss upstream computes on a batch (its BatchNorm
statistics, its means), weighted by the slice's share of the batch (rows, or target tokens for the captioners), and
its random draws (dropout, the VAE's reparameterised samples) are seeded by (seed, step, slice). So W processes
train exactly the weights that one process computing the same S slices trains, up to float summation order, and
one slice is a plain batch. Upstream trains on one GPU; BatchNorm over each slice is what DistributedDataParallel
gives without SyncBatchNorm (which torch offers on GPUs only).
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
                steps: int | None = None, slices: int | None = None):
    """The model of `task` trained from scratch; returns (model in eval mode, report). `slices`: how many slices a
    batch is computed in (default: one per launched process; a multiple of the number of processes)."""
    from benchmark.processes import Processes
    from models.posescript.models import PoseTerms

    recipe = getattr(preset, task)
    steps = recipe.steps if steps is None else steps
    if preset.arch.n_joints != 22 or preset.arch.text_encoder == "distilbert":
        raise InputError(f"the {preset.name} preset is not trained by this suite", field="preset",
                         hint="load its released weights (checkpoint=...) or train the tiny preset")
    processes = Processes()
    slices = processes.world if slices is None else slices
    rows = task_rows(data, task)
    batch = min(recipe.batch_size, len(rows))
    # BatchNorm needs two rows a slice in training
    if slices < 1 or slices % processes.world or 2 * slices > batch:
        raise InputError(f"{slices} slices cannot share batches of {batch} among {processes.world} processes",
                         field="slices", hint=f"use a multiple of {processes.world} between 1 and {batch // 2}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # the same initial weights in every process
        model = build_model(task, preset, len(vocab))
    model.train()
    terms = PoseTerms.skeleton()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    task_index = list(POSE_COLUMNS).index(task)
    rng = np.random.default_rng([seed, task_index])  # every process draws every batch
    per_process = slices // processes.world
    mine = range(processes.rank * per_process, (processes.rank + 1) * per_process)
    history: list[dict[str, float]] = []
    start = time.perf_counter()
    for step in range(steps):
        poses, texts = sample_batch(rows, rng, recipe.batch_size)
        tokens, lengths = vocab.batch(texts, preset.arch.max_text_tokens)
        bounds = [len(texts) * i // slices for i in range(slices + 1)]
        weights = slice_weights(task, bounds, tokens, vocab.pad)
        optimizer.zero_grad(set_to_none=True)
        summed: dict[str, torch.Tensor] = {}
        running = _RunningStatistics(model, slices)
        for i in mine:
            running.before_slice()
            part = slice(bounds[i], bounds[i + 1])
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(slice_seed(seed, task_index, step, i))
                losses = _losses(model, task, {c: v[part] for c, v in poses.items()}, tokens[part], lengths[part],
                                 recipe, terms, vocab.pad)
                (losses["total"] * weights[i]).backward()
            for k, v in losses.items():
                summed[k] = summed.get(k, 0.0) + v.detach() * weights[i]
            running.after_slice()
        running.combine(processes)
        processes.sum_gradients(params)
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        optimizer.step()
        names = sorted(summed)
        totals = processes.sum(torch.stack([summed[k] for k in names]))  # the batch's losses, for the report
        history.append({k: float(v) for k, v in zip(names, totals)})
        if log and processes.is_main and (step + 1) % max(1, steps // 5) == 0:
            log(f"[{task}] step {step + 1}/{steps}: loss {history[-1]['total']:.3f}")
    model.eval()
    window = max(1, min(20, steps // 5))
    report = {"task": task, "steps": steps, "seconds": round(time.perf_counter() - start, 1), "seed": seed,
              "n_train_rows": len(rows), "slices": slices, "processes": processes.world,
              "loss_first": _mean(history[:window]), "loss_last": _mean(history[-window:])}
    return model, report


class _RunningStatistics:
    """BatchNorm's running mean and variance over a step's slices: every slice updates them from their value at the
    start of the step, and the step ends with the mean of the slices' updates (with momentum m, the old value moved
    by m towards the mean of the slices' batch statistics), wherever the slices were computed. One slice: a plain
    BatchNorm update."""

    def __init__(self, model: torch.nn.Module, slices: int):
        self.slices = slices
        norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
        self.stats = [t for m in norms for t in (m.running_mean, m.running_var) if t is not None]
        self.start = [t.clone() for t in self.stats]
        self.total = [torch.zeros_like(t) for t in self.stats]
        # counted once a step, as one batch
        self.counts = [(m.num_batches_tracked, m.num_batches_tracked.clone()) for m in norms
                       if m.num_batches_tracked is not None]

    def before_slice(self) -> None:
        for t, start in zip(self.stats, self.start):
            t.copy_(start)
        for t, start in self.counts:
            t.copy_(start)

    def after_slice(self) -> None:
        for total, t in zip(self.total, self.stats):
            total.add_(t)

    def combine(self, processes) -> None:
        for t, total in zip(self.stats, self.total):
            t.copy_(processes.sum(total) / self.slices)


def _losses(model, task, poses, tokens, lengths, recipe, terms, pad):
    if task == "text_to_pose":
        return model.losses(poses["pose"], tokens, lengths, recipe, terms)
    if task == "pose_edit":
        return model.losses(poses["pose_a"], poses["pose_b"], tokens, lengths, recipe, terms)
    if task == "pose_to_text":
        return model.losses(poses["pose"], tokens, lengths, pad)
    return model.losses(poses["pose_a"], poses["pose_b"], tokens, lengths, pad)


def slice_weights(task: str, bounds: list[int], tokens: torch.Tensor, pad: int) -> list[float]:
    """Each slice's share of the batch's loss: the pose models' losses are means over rows, the captioners' cross
    entropy a mean over the target tokens (every token after the first that is not padding), so the weighted sum
    of the slices' losses is the loss of the whole batch computed at once (BatchNorm and the random draws aside)."""
    if task in ("text_to_pose", "pose_edit"):
        counts = [bounds[i + 1] - bounds[i] for i in range(len(bounds) - 1)]
    else:
        targets = (tokens[:, 1:] != pad).sum(1)
        counts = [int(targets[bounds[i]:bounds[i + 1]].sum()) for i in range(len(bounds) - 1)]
    total = sum(counts)
    return [c / total for c in counts]


def slice_seed(seed: int, task_index: int, step: int, index: int) -> int:
    """The seed of slice `index`'s random draws at `step`: the same in whichever process computes the slice."""
    return int(np.random.SeedSequence([seed, task_index, step, index]).generate_state(1, np.uint64)[0] >> 1)


def _mean(history: list[dict[str, float]]) -> dict[str, float]:
    if not history:
        return {}
    return {k: round(float(np.mean([h[k] for h in history])), 4) for k in history[0]}
