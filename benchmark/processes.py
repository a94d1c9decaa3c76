"""The processes a launcher (`accelerate launch`, torchrun) started to train one model together, and the few
collectives the suite's training loops need.

Every training loop of the suite (retrieval evaluators, the pose tokenizer, the PoseScript / PoseFix models; UniPose's
LM stages go through accelerate's own loop) shares work the same way: every process draws the whole global batch
from the same seeded stream, computes its contiguous slice of it (`shard`), and the gradients are combined across
the processes (`sum` or `average_gradients`), so that N processes compute what one process computes on the same
batches. The loops' own docstrings say what "the same" means for each model (exactly, or the same slices).

The process group is accelerate's (gloo on CPU, NCCL with CUDA). NCCL reduces tensors on the GPU only, so a CPU
tensor travels through the process's GPU for a collective. One process (world size 1, no collective, no
torch.distributed call) when not launched.
"""

from __future__ import annotations

import warnings

import torch


class Processes:
    def __init__(self):
        from accelerate import PartialState

        state = PartialState(cpu=not torch.cuda.is_available())
        self.state = state
        self.rank, self.world, self.is_main = state.process_index, state.num_processes, state.is_main_process
        self.device = torch.device("cuda", torch.cuda.current_device()) if (
            self.world > 1 and torch.distributed.get_backend() == "nccl") else None

    def shard(self, n: int) -> slice:
        """This process's contiguous slice of a batch of `n` (sizes differ by at most one)."""
        return slice(n * self.rank // self.world, n * (self.rank + 1) // self.world)

    def wait(self) -> None:
        """Every process reaches this line before any goes on (a barrier; nothing when not launched)."""
        if self.world > 1:
            self.state.wait_for_everyone()

    def sum(self, t: torch.Tensor) -> torch.Tensor:
        """`t` summed over the processes (a new tensor on `t`'s device)."""
        if self.world == 1:
            return t
        moved = t.to(self.device) if self.device is not None else t.clone()
        torch.distributed.all_reduce(moved)
        return moved.to(t.device)

    def sum_gradients(self, parameters) -> None:
        """Each parameter's gradient replaced by its sum over the processes."""
        if self.world == 1:
            return
        for p in parameters:
            if p.grad is not None:
                p.grad.copy_(self.sum(p.grad))

    def average_gradients(self, parameters) -> None:
        """Each parameter's gradient replaced by its mean over the processes."""
        if self.world == 1:
            return
        for p in parameters:
            if p.grad is not None:
                p.grad.copy_(self.sum(p.grad) / self.world)

    def concat(self, t: torch.Tensor) -> torch.Tensor:
        """Every process's rows of `t`, by rank (the slices of `shard` back in batch order); no gradient."""
        if self.world == 1:
            return t
        moved = t.to(self.device) if self.device is not None else t
        sizes = [torch.zeros((), dtype=torch.long, device=moved.device) for _ in range(self.world)]
        torch.distributed.all_gather(sizes, torch.tensor(len(t), device=moved.device))
        longest = int(max(sizes))
        padded = torch.zeros((longest, *t.shape[1:]), dtype=t.dtype, device=moved.device)
        padded[:len(t)] = moved
        parts = [torch.empty_like(padded) for _ in range(self.world)]
        torch.distributed.all_gather(parts, padded)
        return torch.cat([part[:int(n)] for part, n in zip(parts, sizes)]).to(t.device)

    def gather_with_grad(self, local: torch.Tensor, n: int) -> torch.Tensor:
        """The rows [n, ...] of the whole batch, in order, from every process's `shard(n)` rows `local`; gradients
        flow back to each process's own rows (`torch.distributed.nn.functional.all_gather`)."""
        if self.world == 1:
            return local
        from torch.distributed.nn.functional import all_gather

        longest = -(-n // self.world)
        # all_gather needs equal shapes: pad to the longest slice, cut after
        padded = torch.cat([local, local.new_zeros((longest - len(local), *local.shape[1:]))])
        moved = padded.to(self.device) if self.device is not None else padded
        with warnings.catch_warnings():  # deprecated in torch 2.13 for a private successor; still the public one
            warnings.simplefilter("ignore", FutureWarning)
            parts = all_gather(moved)
        sizes = [(n * (r + 1) // self.world) - (n * r // self.world) for r in range(self.world)]
        return torch.cat([part[:size] for part, size in zip(parts, sizes)]).to(local.device)
