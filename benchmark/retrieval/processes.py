"""The processes a launcher (`accelerate launch`, torchrun) started to train one retrieval evaluator together.

The loss (symBBC, benchmark.retrieval.loss) is contrastive over the batch: every text is scored against every input
of the *global* batch. So that N processes train the weights one process trains on the same batches:
* every process runs the pose / pair encoder on the whole global batch (it is a small MLP; its BatchNorm batch
  statistics and dropout masks are then exactly one process's, which a per-process slice could not give);
* each process encodes only its contiguous slice of the batch's texts (the GRU, the costly part), and the slices
  are gathered with `torch.distributed.nn.functional.all_gather`, whose backward sends every process's gradient of
  a slice back to the process that computed it;
* every process computes the same loss on the whole batch, so each parameter's gradient, summed over the
  processes, is N times one process's: the gradients are averaged (all_reduce / N).
One process (world size 1, no collective) when not launched.
"""

from __future__ import annotations

import warnings

import torch


class Processes:
    def __init__(self):
        from accelerate import PartialState

        state = PartialState(cpu=not torch.cuda.is_available())
        self.rank, self.world, self.is_main = state.process_index, state.num_processes, state.is_main_process
        # NCCL runs collectives on the GPU only; this training runs on the CPU
        self.device = torch.device("cuda", torch.cuda.current_device()) if (
            self.world > 1 and torch.distributed.get_backend() == "nccl") else None

    def shard(self, n: int) -> slice:
        """This process's contiguous slice of a batch of `n` (sizes differ by at most one)."""
        return slice(n * self.rank // self.world, n * (self.rank + 1) // self.world)

    def gather_with_grad(self, local: torch.Tensor, n: int) -> torch.Tensor:
        """The rows [n, ...] of the whole batch, in order, from every process's `shard(n)` rows `local`; gradients
        flow back to each process's own rows."""
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

    def average_gradients(self, parameters) -> None:
        if self.world == 1:
            return
        for p in parameters:
            if p.grad is None:
                continue
            grad = p.grad.to(self.device) if self.device is not None else p.grad
            torch.distributed.all_reduce(grad)
            p.grad.copy_(grad / self.world)
