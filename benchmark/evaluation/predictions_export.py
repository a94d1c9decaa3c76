"""A model's answers to tasks written as a predictions file instead of scored: the format the `predictions_file`
adapter reads (models/predictions_file.py), one JSON record per evaluated row.

For a model that runs where the scoring cannot, e.g. a GPU machine that lacks Java (METEOR) or the retrieval
evaluators: `unipose-bench predict` there, then `unipose-bench evaluate --model predictions_file:path=FILE,...` where
the metrics run. The answers go through the same response cache and the same checks as in `evaluate`, so an
interrupted export resumes, and a file holds only answers `evaluate` would have accepted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmark.atomic_files import write_text_atomic
from benchmark.requests import TextResponse


def response_record(request, response) -> dict:
    """The predictions-file record of one answered request: its text, or its pose samples exactly as answered
    (float32 values written as JSON numbers read back to the same float32), or its joints and joint set."""
    record = {"task": request.task, "id": request.row_id}
    if isinstance(response, TextResponse):
        return {**record, "text": response.text}
    if response.poses is not None:
        return {**record, "poses": np.asarray(response.poses, dtype=np.float32).tolist()}
    return {**record, "joints": np.asarray(response.joints, dtype=np.float32).tolist(),
            "joint_set": response.joint_set}


def prediction_records(adapter, task, cache, *, limit: int | None = None, split: str | None = None,
                       batch_size: int | None = None, progress: bool = True) -> list[dict]:
    """The records of `adapter`'s answers to every row of `task`'s split (cache first, then the adapter)."""
    from benchmark.evaluation.runner import collect_responses

    ds, _, _ = task.load(limit, split)
    requests = task.requests(ds)
    responses, _ = collect_responses(adapter, requests, cache, joint_sets=task.accepted_joint_sets,
                                     batch_size=batch_size, progress=progress,
                                     desc=f"{adapter.meta.name} {task.name}")
    return [response_record(r, a) for r, a in zip(requests, responses)]


def write_predictions(adapter, tasks: Sequence, path: str | Path, cache, *, keep_going: bool = False,
                      **options) -> tuple[Path, dict[str, str]]:
    """Write the records of every task in `tasks` (loaded `Task`s) to the JSONL file `path`, atomically, once all
    are answered. Returns the path and the tasks left out: with `keep_going`, a task whose answers fail (an invalid
    response, say) is left out of the file with its error, and the others are written (whatever was answered stays
    in the cache); without it the error is raised and nothing is written. `options`: those of
    `prediction_records`."""
    from benchmark.errors import BenchmarkError
    from benchmark.evaluation.runner import check_support

    check_support(adapter, tasks)
    records: list[dict] = []
    skipped: dict[str, str] = {}
    for task in tasks:
        try:
            records += prediction_records(adapter, task, cache, **options)
        except BenchmarkError as exc:
            if not keep_going:
                raise
            skipped[task.name] = " ".join(str(exc).split())
    if not records:
        raise BenchmarkError("no task was answered, nothing was written: " + "; ".join(
            f"{name}: {message}" for name, message in skipped.items()))
    return write_text_atomic(path, "".join(json.dumps(rec) + "\n" for rec in records)), skipped
