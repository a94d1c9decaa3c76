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

from benchmark.adapters import TASK_KIND, AdapterMeta, ModelAdapter
from benchmark.errors import InputError
from benchmark.requests import PoseResponse, TextResponse

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
        if task_id not in TASK_KIND:
            raise InputError(f"unknown task '{rec['task']}'", file=file, row=where, field="task")
        key = (rec["task"], rec["id"])
        if key in out:
            raise InputError(f"duplicate prediction for {key}", file=file, row=where, field="id")
        if TASK_KIND[task_id] == "describe":
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
    return out


class PredictionsFileAdapter(ModelAdapter):
    ARGUMENTS = ("path", "name", "revision")
    # The file answers by row id, not by request content: two identical requests may legitimately get different
    # answers, so its responses are not cached.
    cacheable = False

    def __init__(self, path: str, name: str | None = None, revision: str = "1"):
        self.path = Path(path)
        self.predictions = read_predictions(self.path)
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:10]
        tasks = tuple(sorted({task.split("/")[0] for task, _ in self.predictions}))
        self.meta = AdapterMeta(name=name or f"predictions:{self.path.stem}", revision=f"{revision}+{digest}",
                                tasks=tasks, description=f"predictions read from {self.path.name}",
                                args={"path": str(self.path)})

    def _answer(self, requests):
        out = []
        for r in requests:
            answer = self.predictions.get((r.task, r.row_id))
            if answer is None:
                raise InputError(f"no prediction for task '{r.task}' id '{r.row_id}'", file=str(self.path),
                                 field="id", hint="the file must cover every row of the evaluated split")
            if isinstance(answer, PoseResponse) and answer.poses is not None and len(answer.poses) != r.n_samples:
                raise InputError(f"{len(answer.poses)} pose samples for id '{r.row_id}', the task asks for "
                                 f"{r.n_samples}", file=str(self.path), field="poses")
            out.append(answer)
        return out

    describe = _answer
    generate_pose = _answer


def ground_truth_records(tasks) -> list[dict]:
    """Records of a predictions file that answers every row of `tasks` (loaded `Task`s) with its ground truth: the
    first reference text for text tasks, the target pose for pose tasks. It scores the evaluators' ceiling (a
    perfect pose score, R-precision of the human-level texts) and shows the file format by example."""
    from benchmark.tasks.common import pose_column

    records = []
    for task in tasks:
        ds, _, _ = task.load()
        ids = list(ds["id"])
        if TASK_KIND[task.spec.task_id] == "describe":
            records += [{"task": task.name, "id": i, "text": texts[0]} for i, texts in zip(ids, ds["texts"])]
        else:
            column = "pose_b" if task.spec.task_id == "pose_edit" else "pose"
            records += [{"task": task.name, "id": i, "pose": p.tolist()} for i, p in zip(ids, pose_column(ds, column))]
    return records


def write_ground_truth(tasks, path: str | Path) -> Path:
    """Write `ground_truth_records(tasks)` as a JSONL predictions file (atomically) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in ground_truth_records(tasks)), encoding="utf-8")
    tmp.replace(path)
    return path
