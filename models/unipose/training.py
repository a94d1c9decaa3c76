"""One training stage of UniPose: examples -> token sequences -> AdamW with a cosine schedule and warm-up (paper
App. Table 3: cosine, warm-up ratio 0.03, AdamW), through `accelerate` so the same loop runs on one CPU, one GPU or
under `accelerate launch` across GPUs and machines (bf16 there; upstream uses DeepSpeed ZeRO-2 through it).

Which parameters train is the stage's business (`models.unipose.stages`); this loop trains whatever requires a
gradient and reports the loss curve. Every draw (batch order, dropout) comes from the seed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
import torch

from models.unipose.sequences import Encoded, Example, collate


def _batches(sequences: Sequence[Encoded], batch_size: int, steps: int, seed: int):
    """`steps` batches drawn epoch by epoch in a seeded order; within each run of 16 batches, sequences of similar
    length are batched together (less padding, the same examples)."""
    rng = np.random.default_rng(seed)
    order: list[int] = []
    produced = 0
    while produced < steps:
        if len(order) < batch_size:
            order += list(rng.permutation(len(sequences)))
        chunk, order = order[:batch_size * 16], order[batch_size * 16:]
        chunk.sort(key=lambda i: len(sequences[i].ids))
        groups = [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
        for g in rng.permutation(len(groups)):
            if produced == steps:
                return
            yield [sequences[i] for i in groups[g]]
            produced += 1


def train_stage(model, examples: Sequence[Example], *, steps: int, batch_size: int, lr: float, seed: int,
                warmup_ratio: float = 0.03, weight_decay: float = 0.0, max_grad_norm: float = 1.0,
                mixed_precision: str = "no", log=print, name: str = "stage", log_every: int = 25) -> dict:
    """Train the parameters of `model` (a UniPose) that require a gradient; returns the report (loss per step,
    seconds, trainable parameter count)."""
    from accelerate import Accelerator
    from transformers import get_cosine_schedule_with_warmup

    torch.manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError(f"{name}: nothing to train (no parameter requires a gradient)")
    n_trainable = sum(p.numel() for p in params)
    sequences = model.encode_examples(examples)
    accelerator = Accelerator(mixed_precision=mixed_precision, cpu=not torch.cuda.is_available())
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    scheduler = get_cosine_schedule_with_warmup(optimizer, math.ceil(warmup_ratio * steps), steps)
    lm, optimizer, scheduler = accelerator.prepare(model.lm, optimizer, scheduler)
    model.lm = lm
    if model.visual is not None:
        model.visual = accelerator.prepare(model.visual)
    model.train()
    losses, start = [], time.perf_counter()
    pad = model.tokenizer.pad_token_id
    # split the batches among processes: each rank takes its share of every global batch
    rank, world = accelerator.process_index, accelerator.num_processes
    for step, batch_sequences in enumerate(_batches(sequences, batch_size, steps, seed)):
        local = batch_sequences[rank::world] or batch_sequences[:1]
        batch = collate(local, pad)
        with accelerator.autocast():
            loss, _ = model.loss(batch)
        accelerator.backward(loss)
        if max_grad_norm:
            accelerator.clip_grad_norm_(params, max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(accelerator.reduce(loss.detach(), reduction="mean")))
        if log is not None and (step % log_every == 0 or step == steps - 1):
            window = losses[-log_every:]
            log(f"[{name}] step {step + 1}/{steps} loss {np.mean(window):.3f} "
                f"({time.perf_counter() - start:.0f} s)")
    model.lm = accelerator.unwrap_model(model.lm)
    if model.visual is not None:
        model.visual = accelerator.unwrap_model(model.visual)
    model.eval()
    k = max(1, min(25, len(losses) // 5))
    return {"stage": name, "steps": steps, "batch_size": batch_size, "lr": lr, "examples": len(examples),
            "trainable_parameters": n_trainable, "seconds": round(time.perf_counter() - start, 1),
            "loss_first": float(np.mean(losses[:k])), "loss_last": float(np.mean(losses[-k:])),
            "losses": [round(x, 4) for x in losses]}
