"""The ground truth of tasks written as a predictions file (the format `predictions_file` adapters read, see
models/predictions_file.py): scored like any third-party submission, it is the evaluators' ceiling (a perfect pose
score, the R-precision of the reference texts) and an example of the file format."""

from __future__ import annotations

import json
from pathlib import Path

from benchmark.atomic_files import write_text_atomic
from benchmark.columns import pose_column
from benchmark.tasks.schema import REQUEST_KIND, TARGET_COLUMNS


def ground_truth_records(tasks) -> list[dict]:
    """One record per evaluated row of `tasks` (loaded `Task`s): the first reference text for text tasks, the target
    pose for pose tasks."""
    records = []
    for task in tasks:
        ds, _, _ = task.load()
        ids = list(ds["id"])
        if REQUEST_KIND[task.spec.task_id] == "describe":
            records += [{"task": task.name, "id": i, "text": texts[0]} for i, texts in zip(ids, ds["texts"])]
        else:
            column = TARGET_COLUMNS[task.spec.task_id][0]  # the target pose
            records += [{"task": task.name, "id": i, "pose": p.tolist()} for i, p in zip(ids, pose_column(ds, column))]
    return records


def write_ground_truth(tasks, path: str | Path) -> Path:
    """Write `ground_truth_records(tasks)` as a JSONL predictions file (atomically) and return its path."""
    return write_text_atomic(path, "".join(json.dumps(r) + "\n" for r in ground_truth_records(tasks)))
