"""Scoring predictions made elsewhere: a JSONL or parquet file keyed by task and sample id.

This is how third parties submit: run your model on the split's rows (the ids are the `id` column of the task's
dataset config), write one record per row, and score it with
`unipose-bench evaluate --model predictions_file:path=preds.jsonl,name=my-model,revision=v1 --tasks ...`.

Record format (JSONL: one JSON object per line; parquet: the same columns):
    task     the task name, e.g. "pose_to_text/embedded" (see `unipose-bench ls tasks`)
    id       the row id of the task's evaluation split
    text     for text tasks (pose_to_text, pose_diff, image_to_text, image_diff): the generated text
    pose     for pose tasks: one pose, [22][3] axis-angle (root orientation + 21 body joints), or
    poses    several samples, [n][22][3]
    joints + joint_set   instead of poses, for models that output joints only: [n][J][3] metres and the joint-set
                         name the task accepts (e.g. "h36m-17")
Every record is validated when the file is read (unknown or missing fields, wrong shapes, NaN, empty text,
duplicate (task, id)); an error names the file, the line (row) and the field, and nothing is scored.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.errors import InputError
from benchmark.requests import PoseResponse, TextResponse
from benchmark.tasks.schema import REQUEST_KIND

_FIELDS = {"task", "id", "text", "pose", "poses", "joints", "joint_set"}


def _records(path: Path):
    if path.suffix == ".jsonl":
        with open(path, encoding="utf-8") as f:
            for line_no, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"not valid JSON ({exc.msg})", file=str(path), row=f"line {line_no}") from None
                yield f"line {line_no}", record
    elif path.suffix == ".parquet":
        import pandas as pd

        frame = pd.read_parquet(path)
        for i, record in enumerate(frame.to_dict("records")):
            yield f"row {i}", {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in record.items()
                               if not (v is None or (isinstance(v, float) and np.isnan(v)))}
    else:
        raise InputError(f"unsupported predictions file type '{path.suffix}'", file=str(path),
                         hint="use .jsonl or .parquet")


def _array(value, where, file, field, ndim_options):
    try:
        arr = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise InputError("is not a numeric array", file=file, row=where, field=field) from None
    if arr.ndim not in ndim_options:
        raise InputError(f"has shape {list(arr.shape)}", file=file, row=where, field=field,
                         hint="pose: [22][3]; poses: [n][22][3]; joints: [n][J][3]")
    if not np.isfinite(arr).all():
        raise InputError("contains NaN or infinite values", file=file, row=where, field=field)
    return arr


def read_predictions(path: str | Path) -> dict[tuple[str, str], object]:
    path = Path(path)
    if not path.is_file():
        raise InputError("predictions file not found", file=str(path))
    file = str(path)
    out: dict[tuple[str, str], object] = {}
    first_line: dict[str, str] = {}
    for where, rec in _records(path):
        if not isinstance(rec, dict):
            raise InputError("is not a JSON object", file=file, row=where)
        unknown = set(rec) - _FIELDS
        if unknown:
            raise InputError(f"unknown field(s) {sorted(unknown)}", file=file, row=where, field=sorted(unknown)[0],
                             hint=f"allowed: {', '.join(sorted(_FIELDS))}")
        for key in ("task", "id"):
            if not isinstance(rec.get(key), str) or not rec[key]:
                raise InputError("missing or not a string", file=file, row=where, field=key)
        task_id = rec["task"].split("/")[0]
        if task_id not in REQUEST_KIND:
            raise InputError(f"unknown task '{rec['task']}'", file=file, row=where, field="task",
                             hint="task names are listed by `unipose-bench ls tasks`")
        first_line.setdefault(rec["task"], where)
        key = (rec["task"], rec["id"])
        if key in out:
            raise InputError(f"duplicate prediction for {key}", file=file, row=where, field="id")
        if REQUEST_KIND[task_id] == "describe":
            if not isinstance(rec.get("text"), str) or not rec["text"].strip():
                raise InputError("missing or empty text", file=file, row=where, field="text")
            out[key] = TextResponse(rec["text"])
            continue
        given = [k for k in ("pose", "poses", "joints") if k in rec]
        if len(given) != 1:
            raise InputError(f"give exactly one of pose, poses, joints (got {given or 'none'})", file=file,
                             row=where, field="poses")
        field = given[0]
        if field == "joints":
            if not isinstance(rec.get("joint_set"), str):
                raise InputError("joints need their joint_set name", file=file, row=where, field="joint_set")
            out[key] = PoseResponse(joints=_array(rec["joints"], where, file, field, (3,)),
                                    joint_set=rec["joint_set"])
            continue
        arr = _array(rec[field], where, file, field, (2,) if field == "pose" else (3,))
        arr = arr[None] if field == "pose" else arr
        if arr.shape[1:] != (22, 3):
            raise InputError(f"has shape {list(arr.shape)}, expected [n][22][3]", file=file, row=where, field=field)
        out[key] = PoseResponse(poses=arr)
    if not out:
        raise InputError("the file holds no predictions", file=file)
    _check_task_names(out, first_line, file)
    return out


def _check_task_names(predictions, first_line: dict[str, str], file: str) -> None:
    """Task names are matched exactly, never by prefix: a name the suite does not know is refused with the line
    that first uses it."""
    from benchmark.registry import UnknownName
    from benchmark.tasks.catalog import task_registry

    for task in sorted({task for task, _ in predictions}):
        try:
            task_registry().get(task)
        except UnknownName as exc:
            raise InputError(str(exc), file=file, row=first_line[task], field="task",
                             hint="task names are listed by `unipose-bench ls tasks`") from None


class PredictionsFileAdapter(ModelAdapter):
    SUMMARY = "scores a JSONL / parquet file of predictions keyed by task and row id (third-party submissions)"
    ARGUMENTS = ("path", "name", "revision", "reference")
    # The file answers by row id, not by request content: two identical requests may legitimately get different
    # answers, so its responses are not cached.
    cacheable = False
    # ... but its result may be reused: the revision carries the file's digest, so an edited file is a new revision
    result_reusable = True

    def __init__(self, path: str, name: str | None = None, revision: str = "1", reference: bool | str = False):
        self.path = Path(path)
        self.predictions = read_predictions(self.path)
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:10]
        tasks = tuple(sorted({task.split("/")[0] for task, _ in self.predictions}))
        self.meta = AdapterMeta(name=name or f"predictions:{self.path.stem}", revision=f"{revision}+{digest}",
                                tasks=tasks, description=f"predictions read from {self.path.name}",
                                reference=str(reference).lower() in ("1", "true", "yes"), args={"path": str(self.path)})

    def check_requests(self, requests_by_task):
        """The whole file against every requested task, before anything is scored: task names match exactly, every
        row has a prediction, pose predictions have the samples the task asks for. One error lists what is
        missing across all tasks, so nothing is half-evaluated."""
        problems = []
        for task, requests in requests_by_task.items():
            missing = [r.row_id for r in requests if (task, r.row_id) not in self.predictions]
            if len(missing) == len(requests) and requests:
                problems.append(f"task '{task}': no predictions (the file has {self._tasks_in_file()})")
            elif missing:
                problems.append(f"task '{task}': {len(missing)} of {len(requests)} rows have no prediction "
                                f"(ids {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''})")
            for r in requests:
                answer = self.predictions.get((task, r.row_id))
                if isinstance(answer, PoseResponse) and answer.poses is not None and len(answer.poses) != r.n_samples:
                    problems.append(f"task '{task}' id '{r.row_id}': {len(answer.poses)} pose samples, the task "
                                    f"asks for {r.n_samples}")
        if problems:
            raise InputError("the predictions do not cover the run; nothing was scored:\n  " + "\n  ".join(problems),
                             file=str(self.path), field="id",
                             hint="the file must answer every row of every evaluated task's split, by exact task "
                                  "name (`unipose-bench ls tasks`)")

    def _tasks_in_file(self) -> str:
        return ", ".join(sorted({task for task, _ in self.predictions}))

    def _answer(self, requests):
        self.check_requests({r.task: [q for q in requests if q.task == r.task] for r in requests})
        return [self.predictions[(r.task, r.row_id)] for r in requests]

    describe = _answer
    generate_pose = _answer
