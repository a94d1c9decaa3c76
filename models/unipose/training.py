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

from models.unipose.sequences import IGNORE, Encoded, Example, collate


class _Objective(torch.nn.Module):
    """The summed cross-entropy of a batch as one module, so that `accelerator.prepare` wraps (DDP, DeepSpeed) all
    that trains: UniPose looks up the LM's input embeddings and applies the visual projector outside the LM's own
    forward, which a wrapper of the LM alone would not see (nor could it be asked for `get_input_embeddings`)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, batch: dict) -> torch.Tensor:
        loss, n = self.model.loss(batch)
        return loss * n


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
    from accelerate import Accelerator, DistributedDataParallelKwargs
    from transformers import get_cosine_schedule_with_warmup

    torch.manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError(f"{name}: nothing to train (no parameter requires a gradient)")
    n_trainable = sum(p.numel() for p in params)
    sequences = model.encode_examples(examples)
    # a batch without images leaves the projector without a gradient: DDP must not wait for it
    accelerator = Accelerator(mixed_precision=mixed_precision, cpu=not torch.cuda.is_available(),
                              kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=True)])
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    # not prepared: accelerate's scheduler wrapper steps once per process (it assumes each process drew a batch of
    # its own); here the processes share one global batch, so the schedule moves once per optimiser step
    scheduler = get_cosine_schedule_with_warmup(optimizer, math.ceil(warmup_ratio * steps), steps)
    plugin = getattr(accelerator.state, "deepspeed_plugin", None)
    if plugin is not None:  # DeepSpeed sizes its buffers by the batch of one process, which no DataLoader tells it
        plugin.deepspeed_config["train_micro_batch_size_per_gpu"] = math.ceil(batch_size / accelerator.num_processes)
    objective, optimizer = accelerator.prepare(_Objective(model), optimizer)
    model.train()
    losses, start = [], time.perf_counter()
    pad = model.tokenizer.pad_token_id
    # split the batches among processes: each rank takes its share of every global batch
    rank, world = accelerator.process_index, accelerator.num_processes
    main = accelerator.is_main_process
    for step, batch_sequences in enumerate(_batches(sequences, batch_size, steps, seed)):
        local = batch_sequences[rank::world]
        # a rank left without a sequence (a batch smaller than the world) still runs one, at weight 0, so that
        # every rank takes part in the gradients' all-reduce
        weight = 1.0 if local else 0.0
        batch = collate(local or batch_sequences[:1], pad)
        with accelerator.autocast():
            summed = objective(batch) * weight
        # the mean over the global batch's target tokens, as one process computes it: each rank's summed
        # cross-entropy over the global count, times the world size because DDP / DeepSpeed average the gradients
        n_local = torch.tensor(float((batch["targets"] != IGNORE).sum()) * weight, device=accelerator.device)
        n_global = accelerator.reduce(n_local, reduction="sum").clamp_min(1.0)
        accelerator.backward(summed * world / n_global)
        if max_grad_norm:
            accelerator.clip_grad_norm_(params, max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(accelerator.reduce(summed.detach().float(), reduction="sum") / n_global))
        if log is not None and main and (step % log_every == 0 or step == steps - 1):
            window = losses[-log_every:]
            log(f"[{name}] step {step + 1}/{steps} loss {np.mean(window):.3f} "
                f"({time.perf_counter() - start:.0f} s)")
    model.eval()
    k = max(1, min(25, len(losses) // 5))
    return {"stage": name, "steps": steps, "batch_size": batch_size, "lr": lr, "examples": len(examples),
            "trainable_parameters": n_trainable, "seconds": round(time.perf_counter() - start, 1),
            "loss_first": float(np.mean(losses[:k])), "loss_last": float(np.mean(losses[-k:])),
            "losses": [round(x, 4) for x in losses]}
