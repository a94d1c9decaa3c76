"""Scoring predictions made elsewhere: a JSONL, parquet or safetensors file keyed by task and sample id.

This is how third parties submit: run your model on the split's rows (the ids are the `id` column of the task's
dataset config), write one record per row, and score it with
`unipose-bench evaluate --model predictions_file:path=preds.jsonl,name=my-model,revision=v1 --tasks ...`.

Record format (JSONL: one JSON object per line; parquet: the same columns; safetensors: see
models.predictions_formats):
    task     the task name, e.g. "pose_to_text/embedded" (see `unipose-bench ls tasks`)
    id       the row id of the task's evaluation split
    text     for text tasks (pose_to_text, pose_diff, image_to_text, image_diff): the generated text
    pose     for pose tasks: one pose, [22][3] axis-angle (root orientation + 21 body joints), or
    poses    several samples, [n][22][3]
    joints + joint_set   instead of poses, for models that output joints only: [n][J][3] metres and the joint-set
                         name the task accepts (e.g. "h36m-17")
Every record is validated when the file is read (unknown or missing fields, wrong shapes, numbers given as strings or
booleans, NaN or values beyond the limits, empty or oversized text, encodings, duplicate (task, id)), and the whole
file against the whole run before the first task is scored (every row of every task answered, no unknown ids); an
error names the file, the line (row) and the field, and nothing is scored or written. The limits (file size, records,
line length, text length, ...) are in models.predictions_limits.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.errors import InputError
from benchmark.safe_paths import check_component
from benchmark.requests import PoseResponse, TextResponse
from benchmark.tasks.schema import REQUEST_KIND
from models.predictions_formats import read_records
from models.predictions_limits import LIMITS

_FIELDS = {"task", "id", "text", "pose", "poses", "joints", "joint_set"}
_POSE_FIELDS = ("pose", "poses", "joints")
_NONE = object()


def _string(rec: dict, key: str, where: str, file: str, max_chars: int) -> str:
    """A field that must be a non-empty string of at most `max_chars` characters that UTF-8 can write (a lone
    surrogate such as "\\ud800" is valid JSON but not text: it would fail later, when the samples file is
    written)."""
    value = rec.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"missing, empty or not a string (got {type(value).__name__})", file=file, row=where,
                         field=key)
    if len(value) > max_chars:
        raise InputError(f"is {len(value):,} characters, over the limit of {max_chars:,}", file=file, row=where,
                         field=key)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f"holds a lone surrogate (U+{ord(value[exc.start]):04X} at character {exc.start + 1}), "
                         "which is not text", file=file, row=where, field=key,
                         hint="escape only whole characters (surrogate pairs)") from None
    if "\x00" in value:
        raise InputError("holds a NUL character", file=file, row=where, field=key)
    return value


def _array(value, where: str, file: str, field: str, ndim: int) -> np.ndarray:
    """A nested list of numbers -> float32 array, with no coercion: strings, booleans and nulls are refused (numpy
    would turn "1.5" and true into numbers), so is a ragged list; each dimension is bounded before the next is
    expanded, and every value must be finite and within +-LIMITS.abs_value (3e38 would be finite in float32 and
    overflow the first squared distance)."""
    bounds = {2: (22, 3), 3: (LIMITS.samples, LIMITS.joints, 3)}[ndim]
    shape_help = "pose: [22][3]; poses: [n][22][3]; joints: [n][J][3]"
    level, shape = [value], []
    for depth in range(ndim):
        bad = next((v for v in level if type(v) is not list), _NONE)
        if bad is not _NONE:
            raise InputError(f"is not a {ndim}-level nested list of numbers (found {type(bad).__name__} at level "
                             f"{depth + 1})", file=file, row=where, field=field, hint=shape_help)
        lengths = {len(v) for v in level}
        if len(lengths) != 1:
            raise InputError(f"is ragged (lists of lengths {sorted(lengths)[:4]} at level {depth + 1})", file=file,
                             row=where, field=field, hint=shape_help)
        (n,) = lengths
        if n == 0 or n > bounds[depth] or (depth == ndim - 1 and n != 3):
            raise InputError(f"has {n} entries at level {depth + 1}", file=file, row=where, field=field,
                             hint=f"{shape_help}; at most {LIMITS.samples} samples of {LIMITS.joints} joints")
        shape.append(n)
        level = [x for v in level for x in v]
    bad = next((x for x in level if type(x) not in (int, float)), _NONE)
    if bad is not _NONE:
        raise InputError(f"holds {type(bad).__name__} {str(bad)[:20]!r} where a number is expected (no strings, "
                         "booleans or nulls)", file=file, row=where, field=field)
    try:
        arr = np.asarray(level, dtype=np.float64).reshape(shape)
    except OverflowError:  # an integer beyond float64
        raise InputError("holds a number too large for float32", file=file, row=where, field=field) from None
    if not np.isfinite(arr).all():
        raise InputError("contains NaN or infinite values", file=file, row=where, field=field)
    if np.abs(arr).max() > LIMITS.abs_value:
        raise InputError(f"holds a value of magnitude {np.abs(arr).max():.3g}, over the limit of "
                         f"{LIMITS.abs_value:g}", file=file, row=where, field=field,
                         hint="axis-angle in radians, joints in metres")
    return arr.astype(np.float32)


def read_predictions(path: str | Path) -> dict[tuple[str, str], object]:
    path = Path(path)
    file = str(path)
    out: dict[tuple[str, str], object] = {}
    first_line: dict[str, str] = {}
    for where, rec in read_records(path):
        if not isinstance(rec, dict):
            raise InputError("is not a JSON object", file=file, row=where)
        unknown = sorted(str(k) for k in set(rec) - _FIELDS)
        if unknown:
            raise InputError(f"unknown field(s) {[u[:80] for u in unknown[:5]]}", file=file, row=where,
                             field=unknown[0][:80], hint=f"allowed: {', '.join(sorted(_FIELDS))}")
        task, row_id = (_string(rec, key, where, file, LIMITS.id_chars) for key in ("task", "id"))
        task_id = task.split("/")[0]
        if task_id not in REQUEST_KIND:
            raise InputError(f"unknown task '{task[:80]}'", file=file, row=where, field="task",
                             hint="task names are listed by `unipose-bench ls tasks`")
        first_line.setdefault(task, where)
        key = (task, row_id)
        if key in out:
            raise InputError(f"duplicate prediction for {key}", file=file, row=where, field="id")
        given = [k for k in _POSE_FIELDS if k in rec]
        if REQUEST_KIND[task_id] == "describe":
            extra = given + (["joint_set"] if "joint_set" in rec else [])
            if extra:
                raise InputError(f"a text task's record has a pose field ({', '.join(extra)})", file=file,
                                 row=where, field=extra[0], hint="text tasks take `text` only")
            out[key] = TextResponse(_string(rec, "text", where, file, LIMITS.text_chars))
            continue
        if "text" in rec:
            raise InputError("a pose task's record has a text", file=file, row=where, field="text",
                             hint="pose tasks take one of pose, poses, joints")
        if len(given) != 1:
            raise InputError(f"give exactly one of pose, poses, joints (got {given or 'none'})", file=file,
                             row=where, field="poses")
        field = given[0]
        if field == "joints":
            if not isinstance(rec.get("joint_set"), str):
                raise InputError("joints need their joint_set name", file=file, row=where, field="joint_set")
            joint_set = _string(rec, "joint_set", where, file, LIMITS.id_chars)
            out[key] = PoseResponse(joints=_array(rec["joints"], where, file, field, 3), joint_set=joint_set)
            continue
        if "joint_set" in rec:
            raise InputError("joint_set goes with joints only", file=file, row=where, field="joint_set")
        arr = _array(rec[field], where, file, field, 2 if field == "pose" else 3)
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
    SUMMARY = ("scores a JSONL / parquet / safetensors file of predictions keyed by task and row id (third-party "
               "submissions)")
    ARGUMENTS = ("path", "name", "revision", "reference")
    # The file answers by row id, not by request content: two identical requests may legitimately get different
    # answers, so its responses are not cached.
    cacheable = False
    # ... but its result may be reused: the revision carries the file's digest, so an edited file is a new revision
    result_reusable = True

    def __init__(self, path: str, name: str | None = None, revision: str = "1", reference: bool | str = False):
        self.path = Path(path)
        # the name and revision become folders of the results (OUT/results/NAME/REVISION): no '..', no separators
        for key, value in (("name", name), ("revision", revision)):
            if value is not None:
                check_component(value, f"predictions_file argument '{key}'")
        self.predictions = read_predictions(self.path)
        with open(self.path, "rb") as f:  # streamed: the file may be up to LIMITS.file_bytes
            digest = hashlib.file_digest(f, "sha256").hexdigest()[:10]
        tasks = tuple(sorted({task.split("/")[0] for task, _ in self.predictions}))
        self.meta = AdapterMeta(name=name or f"predictions:{self.path.stem}", revision=f"{revision}+{digest}",
                                tasks=tasks, description=f"predictions read from {self.path.name}",
                                reference=str(reference).lower() in ("1", "true", "yes"), args={"path": str(self.path)})

    def check_requests(self, requests_by_task, *, partial: bool = False):
        """The whole file against every requested task, before anything is scored: task names match exactly, every
        row has a prediction, pose predictions have the samples the task asks for, and (unless the run covers only
        part of a split: `partial`, e.g. --limit) no prediction of an evaluated task names a row the split does not
        have. One error lists the problems across all tasks, so nothing is half-evaluated."""
        problems = []
        for task, requests in requests_by_task.items():
            if not partial:
                known = {r.row_id for r in requests}
                unknown = sorted(i for t, i in self.predictions if t == task and i not in known)
                if unknown:
                    problems.append(f"task '{task}': {len(unknown)} predictions name ids the split does not have "
                                    f"(ids {', '.join(u[:40] for u in unknown[:5])}"
                                    f"{' ...' if len(unknown) > 5 else ''})")
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
            raise InputError("the predictions do not match the run; nothing was scored: " + "; ".join(problems),
                             file=str(self.path), field="id",
                             hint="the file must answer every row of every evaluated task's split, and only those, "
                                  "by exact task name (`unipose-bench ls tasks`)")

    def _tasks_in_file(self) -> str:
        return ", ".join(sorted({task for task, _ in self.predictions}))

    def _answer(self, requests):
        self.check_requests({r.task: [q for q in requests if q.task == r.task] for r in requests}, partial=True)
        return [self.predictions[(r.task, r.row_id)] for r in requests]

    describe = _answer
    generate_pose = _answer
