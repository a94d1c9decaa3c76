"""Convert HMR2.0 (4D-Humans) / TokenHMR outputs saved with numpy into a predictions file for `predictions_file`.

    unipose-bench convert-hmr OUTPUTS --task pose_estimation/3dpw --output preds.jsonl
    unipose-bench evaluate --model predictions_file:path=preds.jsonl,name=hmr2.0b,revision=v1 \\
        --tasks pose_estimation/3dpw

OUTPUTS is either
  * one .npz with stacked arrays: `global_orient` [N, 1, 3, 3], `body_pose` [N, 23, 3, 3] (rotation matrices, the
    layout of `out["pred_smpl_params"]` in 4D-Humans' `hmr2/models/hmr2.py::HMR2.forward_step` and TokenHMR's
    `tokenhmr/lib/models/tokenhmr.py`), optionally `betas` [N, 10], and the row ids in `ids` (or `imgname`); the keys
    may also carry the prefix `pred_smpl_params/` or `pred_smpl_params.`;
  * or a folder of per-image .npz files named by row id (`<id>.npz`, each `global_orient` [1, 3, 3] and
    `body_pose` [23, 3, 3], a leading batch axis of 1 allowed).

Each row becomes one record {"task", "id", "pose"}: the pose the suite scores, [22][3] axis-angle = the root
(`global_orient`) + SMPL body joints 1..21 (`body_pose[:21]`: hips ... wrists). SMPL's joints 22 and 23 (left_hand,
right_hand, `body_pose[21:23]`) are dropped: the suite's pose is the 22-joint SMPL-family body pose of PoseScript /
PoseFix / UniPose, without hands. The root is kept as predicted (camera frame), which is what the HMR2 14-joint
protocol of pose_estimation/3dpw and /h36m-p2 expects. `betas` are read only to be checked: the suite's protocols
score every pose on the neutral body with betas 0 (as UniPose's evaluation does), so the predicted shape is not used.
Rotation matrices are checked (finite, orthonormal and det = +1 within --tolerance) and turned into axis-angle with
roma (`benchmark.body.rotations`). Row ids are checked against the task's evaluation split unless --skip-id-check.
Any error names the file, the row and the field, and no output file is written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from benchmark.errors import InputError

N_BODY = 21  # SMPL body joints 1..21 kept; 22, 23 (the hands) dropped
SMPL_BODY_POSE_JOINTS = 23
_PREFIXES = ("", "pred_smpl_params/", "pred_smpl_params.")
_ID_KEYS = ("ids", "imgname")
DEFAULT_TOLERANCE = 1e-3


def _get(data, name: str):
    for prefix in _PREFIXES:
        if prefix + name in data:
            return data[prefix + name]
    return None


def _load_npz(path: Path):
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot be read as .npz ({exc})", file=str(path)) from None


def _numeric(value, file: str, row, field: str) -> np.ndarray:
    arr = np.asarray(value)
    if not np.issubdtype(arr.dtype, np.number):
        raise InputError(f"is not numeric (dtype {arr.dtype})", file=file, row=row, field=field)
    return arr.astype(np.float64)


def _check_rotations(rot: np.ndarray, file: str, rows, field: str, tolerance: float) -> None:
    """rot [N, J, 3, 3]; rows[i] names row i in the messages."""
    for i in range(len(rot)):
        if not np.isfinite(rot[i]).all():
            raise InputError("contains NaN or infinite values", file=file, row=rows[i], field=field)
    gram = np.einsum("njki,njkl->njil", rot, rot)
    ortho_err = np.abs(gram - np.eye(3)).max(axis=(2, 3))
    det_err = np.abs(np.linalg.det(rot) - 1.0)
    bad = (ortho_err > tolerance) | (det_err > tolerance)
    if bad.any():
        n, j = np.argwhere(bad)[0]
        raise InputError(f"joint {j} is not a rotation matrix (|R^T R - I| = {ortho_err[n, j]:.2e}, "
                         f"det = {np.linalg.det(rot[n, j]):.4f})", file=file, row=rows[n], field=field,
                         hint=f"rotation matrices must be orthonormal with det +1 within {tolerance:g}")


def _field(data, name: str, shape: tuple, file: str, rows, stacked: bool) -> np.ndarray:
    value = _get(data, name)
    if value is None:
        raise InputError("missing", file=file, row=None if stacked else rows[0], field=name,
                         hint=f"expected {name} {list(shape)} per image (HMR2 / TokenHMR pred_smpl_params)")
    arr = _numeric(value, file, None if stacked else rows[0], name)
    if not stacked and arr.shape == (1,) + shape:
        arr = arr[0]  # a per-image file saved with its batch axis of 1
    expected = ((len(rows),) if stacked else ()) + shape
    if arr.shape != expected:
        raise InputError(f"has shape {list(arr.shape)}, expected {list(expected)}", file=file,
                         row=None if stacked else rows[0], field=name)
    return arr if stacked else arr[None]


def _read_arrays(data, file: str, rows, stacked: bool, tolerance: float) -> np.ndarray:
    """Checked rotation matrices [N, 22, 3, 3] (root + body joints 1..21) of one file."""
    root = _field(data, "global_orient", (1, 3, 3), file, rows, stacked)
    body = _field(data, "body_pose", (SMPL_BODY_POSE_JOINTS, 3, 3), file, rows, stacked)
    _check_rotations(root, file, rows, "global_orient", tolerance)
    _check_rotations(body, file, rows, "body_pose", tolerance)
    if _get(data, "betas") is not None:
        betas = _field(data, "betas", (10,), file, rows, stacked)
        for i in range(len(betas)):
            if not np.isfinite(betas[i]).all():
                raise InputError("contains NaN or infinite values", file=file, row=rows[i], field="betas")
    return np.concatenate([root, body[:, :N_BODY]], axis=1)


def _stacked_ids(data, file: str) -> list[str]:
    for key in _ID_KEYS:
        if key in data:
            ids = np.asarray(data[key])
            if ids.ndim != 1 or not (ids.dtype.kind in "USO" or np.issubdtype(ids.dtype, np.integer)):
                raise InputError(f"must be a 1-D array of names, got {ids.dtype} {list(ids.shape)}", file=file,
                                 field=key)
            return [str(i) for i in ids.tolist()]
    raise InputError("no row ids", file=file, field="ids",
                     hint="save the row ids of the task's split as `ids` (or `imgname`) next to the parameters")


def read_hmr_outputs(source: str | os.PathLike, tolerance: float = DEFAULT_TOLERANCE) -> tuple[list[str], np.ndarray]:
    """(row ids, poses float32 [N, 22, 3] axis-angle) from a stacked .npz or a folder of per-image .npz files."""
    from benchmark.body.rotations import matrix_to_axis_angle

    source = Path(source)
    if source.is_dir():
        files = sorted(source.glob("*.npz"))
        if not files:
            raise InputError("the folder holds no .npz files", file=str(source),
                             hint="one <row id>.npz per image, or pass one stacked .npz")
        ids, mats = [], []
        for path in files:
            with _load_npz(path) as data:
                mats.append(_read_arrays(data, str(path), [path.stem], False, tolerance))
            ids.append(path.stem)
        rot = np.concatenate(mats)
    elif source.is_file():
        with _load_npz(source) as data:
            ids = _stacked_ids(data, str(source))
            rot = _read_arrays(data, str(source), [f"{i} (id {r})" for i, r in enumerate(ids)], True, tolerance)
    else:
        raise InputError("not found", file=str(source))
    seen: dict[str, int] = {}
    for i, row_id in enumerate(ids):
        if not row_id:
            raise InputError("empty row id", file=str(source), row=i, field="ids")
        if row_id in seen:
            raise InputError(f"duplicate row id '{row_id}' (also row {seen[row_id]})", file=str(source), row=i,
                             field="ids")
        seen[row_id] = i
    if not ids:
        raise InputError("holds no rows", file=str(source))
    return ids, matrix_to_axis_angle(rot).astype(np.float32)


def check_ids(ids: list[str], known: set[str], source: str, task: str) -> None:
    unknown = [(i, row_id) for i, row_id in enumerate(ids) if row_id not in known]
    if unknown:
        i, row_id = unknown[0]
        raise InputError(f"unknown id '{row_id}' ({len(unknown)} of {len(ids)} ids are not rows of {task})",
                         file=source, row=i, field="ids",
                         hint="name each output by the `id` column of the task's evaluation split")


def write_predictions(path: str | os.PathLike, task: str, ids: list[str], poses: np.ndarray) -> Path:
    """Write the records as JSONL atomically (a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            for row_id, pose in zip(ids, poses):
                f.write(json.dumps({"task": task, "id": row_id, "pose": pose.tolist()}) + "\n")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def convert(source, task: str, output, known_ids: set[str] | None = None,
            tolerance: float = DEFAULT_TOLERANCE) -> Path:
    """Read HMR2 / TokenHMR outputs, check them (and their ids against `known_ids` when given), write the JSONL."""
    if not output or Path(output).suffix != ".jsonl":
        raise InputError("the output must be a .jsonl file", file=str(output), field="--output")
    ids, poses = read_hmr_outputs(source, tolerance)
    if known_ids is not None:
        check_ids(ids, known_ids, str(source), task)
    return write_predictions(output, task, ids, poses)


def _task_ids(task_name: str, dataset_dirs: list[str]) -> set[str]:
    from benchmark.pipeline import latest_context
    from benchmark.tasks.catalog import get_task

    ctx = latest_context(0, 0)
    for item in dataset_dirs:
        repo, sep, folder = item.partition("=")
        if not sep:
            raise InputError(f"'{item}' is not REPO=DIR", field="--dataset-dir")
        ctx.dataset_dirs[repo] = Path(folder)
    ds, _, _ = get_task(task_name, ctx).load()
    return {str(i) for i in ds["id"]}


def add_arguments(parser):
    parser.add_argument("source", type=Path, help="a stacked .npz (with `ids` or `imgname`) or a folder of "
                                                   "<row id>.npz files")
    parser.add_argument("--task", required=True, help="the pose_estimation task the outputs answer, e.g. "
                                                      "pose_estimation/3dpw (`unipose-bench ls tasks`)")
    parser.add_argument("--output", type=Path, required=True, help="the predictions .jsonl to write")
    parser.add_argument("--dataset-dir", action="append", default=[], metavar="REPO=DIR",
                        help="where the task's dataset was built, as for `evaluate` (for the id check)")
    parser.add_argument("--skip-id-check", action="store_true",
                        help="do not check the ids against the task's split (`evaluate` still refuses gaps)")
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                        help=f"max |R^T R - I| and |det R - 1| of a rotation matrix (default {DEFAULT_TOLERANCE:g})")


def run(args) -> int:
    from benchmark.registry import UnknownName
    from benchmark.tasks.catalog import task_registry

    try:
        spec = task_registry().get(args.task)
    except UnknownName as exc:
        raise InputError(str(exc), field="--task") from None
    if spec.task_id != "pose_estimation":
        raise InputError(f"'{args.task}' is not a pose_estimation task", field="--task",
                         hint="HMR2.0 / TokenHMR outputs answer image -> pose tasks")
    known = None if args.skip_id_check else _task_ids(args.task, args.dataset_dir)
    path = convert(args.source, args.task, args.output, known, args.tolerance)
    n = sum(1 for _ in open(path, encoding="utf-8"))
    print(f"wrote {n} predictions for {args.task} to {path}")
    return 0
