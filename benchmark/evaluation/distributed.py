"""Evaluation across processes: `torchrun` / `accelerate launch` start N copies of a command; one of them (rank 0)
does all the bookkeeping and the others only answer requests.

* Rank 0 is the only process that opens the response cache, loads the splits, looks up hits, validates responses,
  writes the cache and the result files, and prints. The others (workers) build the same adapter and then serve.
  (An adapter that trains its weights when it has none, UniPose, trains them with all the processes, one writing.)
* The misses of a task are cut into batches exactly as in one process; batch j*W + r goes to rank r (round-robin),
  one round of W batches at a time (`scatter_object_list`), and the answers come back to rank 0 (`gather_object`),
  which yields them in batch order. Each round is committed to the cache before the next one starts, so a killed
  run still resumes from the last round, and the cache and the scores are those of one process: the same batches
  are answered, only on different processes (adapters seed per request, not per call).
* The process group is gloo on CPU, NCCL when CUDA is there (the backends `torch.distributed` documents for object
  collectives); rank, world size and local rank come from the environment that torchrun and accelerate set
  (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT).

torch is imported only when a launched run initialises the group: a single-process evaluation never imports it here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from benchmark.errors import BenchmarkError

_STOP = ("stop",)


class WorkerFailed(BenchmarkError):
    """A worker process could not answer its batch (the adapter raised a BenchmarkError there)."""


@dataclass(frozen=True)
class Group:
    """This process's place in a launched run, and the two collectives the evaluation uses (rank 0 is the source
    and the destination of both). Tests swap the collectives for an in-process fake."""

    rank: int
    world_size: int
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def scatter(self, jobs: list | None):
        import torch.distributed as dist

        received = [None]
        dist.scatter_object_list(received, jobs if self.is_main else None, src=0)
        return received[0]

    def gather(self, answer) -> list | None:
        import torch.distributed as dist

        gathered = [None] * self.world_size if self.is_main else None
        dist.gather_object(answer, gathered, dst=0)
        return gathered


_GROUP: Group | None = None


def launched_world_size() -> int:
    """The number of processes the launcher started (1 when run directly)."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


def current() -> Group | None:
    """The group this process belongs to, or None in a single-process run."""
    return _GROUP


def is_main_process() -> bool:
    return _GROUP is None or _GROUP.is_main


def init() -> Group | None:
    """Join the launched run's process group (None when not launched with more than one process)."""
    global _GROUP
    if _GROUP is not None or launched_world_size() <= 1:
        return _GROUP
    import torch
    import torch.distributed as dist

    rank, world = int(os.environ["RANK"]), launched_world_size()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        if torch.cuda.is_available():
            # NCCL's object collectives move the pickled bytes through the current device
            torch.cuda.set_device(local_rank)
            dist.init_process_group("nccl", device_id=torch.device("cuda", local_rank))
        else:
            dist.init_process_group("gloo")
    _GROUP = Group(rank=rank, world_size=world, local_rank=local_rank)
    return _GROUP


def shutdown() -> None:
    """Leave the group (rank 0 first tells serving workers to stop)."""
    global _GROUP
    group, _GROUP = _GROUP, None
    if group is None:
        return
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()


@contextmanager
def launch() -> Iterator[Group | None]:
    """The process group of a launched run for the duration of a command (None when not launched); on leaving,
    rank 0 releases the workers still serving, and every rank destroys the group."""
    group = init()
    try:
        yield group
    except BaseException:
        if group is not None and group.is_main:
            # rank 0's own error is the one to report; a worker that already left makes this fail too
            with suppress(Exception):
                group.scatter([_STOP] * group.world_size)
        raise
    else:
        if group is not None and group.is_main:
            group.scatter([_STOP] * group.world_size)
    finally:
        shutdown()


def _answer(adapter, batch):
    """`adapter.answer` on one batch; a failure is returned (as text), so that every rank still reaches the gather."""
    if not batch:
        return ("ok", [])
    try:
        return ("ok", list(adapter.answer(batch[0].kind, batch)))
    except Exception as exc:  # noqa: BLE001 - reported by rank 0, which raises it
        return ("error", isinstance(exc, BenchmarkError), f"{type(exc).__name__}: {exc}")


def _raise_failures(outcomes: list) -> None:
    for rank, outcome in enumerate(outcomes):
        if outcome[0] == "error":
            _, benchmark_error, message = outcome
            where = f"process {rank} of {len(outcomes)}"
            raise (WorkerFailed if benchmark_error else RuntimeError)(f"{where}: {message}")


def local_batches(adapter, misses: Sequence, batch_size: int) -> Iterator[tuple[list, list]]:
    """(batch, answers) for consecutive batches of `misses`, answered in this process."""
    for start in range(0, len(misses), batch_size):
        batch = list(misses[start:start + batch_size])
        yield batch, adapter.answer(batch[0].kind, batch)


def sharded_batches(adapter, misses: Sequence, batch_size: int, group: Group) -> Iterator[tuple[list, list]]:
    """Rank 0's side of a launched run: the batches of `local_batches`, answered round-robin by all ranks, in the
    same order."""
    batches = [list(misses[s:s + batch_size]) for s in range(0, len(misses), batch_size)]
    world = group.world_size
    for first in range(0, len(batches), world):
        round_ = batches[first:first + world]
        jobs = [("answer", b) for b in round_] + [("answer", [])] * (world - len(round_))
        own = group.scatter(jobs)
        outcomes = group.gather(_answer(adapter, own[1]))
        _raise_failures(outcomes)
        for batch, outcome in zip(round_, outcomes):
            yield batch, outcome[1]


def serve(adapter, group: Group) -> None:
    """A worker's side: answer the batches rank 0 sends until it says stop."""
    while True:
        job = group.scatter(None)
        if job == _STOP:
            return
        group.gather(_answer(adapter, job[1]))


def answered_batches(adapter, misses: Sequence, batch_size: int) -> Iterator[tuple[list, list]]:
    """(batch, answers) for the misses: across the launched processes when there are several, else here."""
    if _GROUP is not None and _GROUP.world_size > 1:
        return sharded_batches(adapter, misses, batch_size, _GROUP)
    return local_batches(adapter, misses, batch_size)
