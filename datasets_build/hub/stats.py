"""Descriptive statistics of the task datasets, per config and split.

A config is a task id or a task id + "-" + variant (`benchmark.tasks.schema.parse_config`); what is measured
depends on its task (`task_of`). The statistics are committed next to the builder that made the data
(`stats/<config>.json`, the builder picks the folder) and embedded in the dataset card, so that a silent change of
the data (a different count, a caption pipeline that drifts, a pose generator that collapses) shows up as a diff and
fails `compare_stats` in the builders' tests, as MTEB's committed descriptive statistics do.

What is measured (per split):
* `num_rows`.
* `texts` (tasks with texts): texts per row (mean/min/max), text length in words (mean/median/p95; numpy's default
  linear-interpolation percentile), vocabulary size (distinct lower-cased words), and the share of each text kind and
  each caption version among all texts of the split. A *word* is a maximal run of letters and digits, apostrophes
  inside it allowed ("person's" is one word, "arms," is "arms").
* `poses`: over the SMPL-family axis-angle poses of the split (both poses of a pair; for `pose_estimation` only the
  rows with `has_pose`): `mean_joint_angle_deg`, the mean rotation angle (axis-angle norm, degrees) of the 21 body
  joints (the root is left out: its angle is mostly heading/camera); `pairwise_mpje_mm`, the mean per-joint distance
  (millimetres) between two poses, averaged over all pairs of a fixed-seed sample of at most `max_pose_sample` poses,
  on the 22 joints of the embedded skeleton body (`benchmark.body.skeleton.SkeletonBody`) with the root rotation set
  to identity, so that it measures the spread of body articulation, not of global orientation.
* `pairs` (configs of pose_diff, image_diff, pose_edit): `in_sequence_share` and `mean_pair_mpje_mm`, the mean
  per-joint distance between pose A and pose B of a pair (same skeleton, same root convention).
* `images` (configs of the image tasks): the count of each image size "WxH" per image column, and the count of each
  `joint_set`.
* `pose_estimation` (its configs): `has_pose_share` and the count of each `action`.

Floats are plain Python floats; `compare_stats` compares counts exactly and floats within a relative tolerance.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from benchmark.errors import InputError
from benchmark.columns import fixed_shape_array
from benchmark.tasks.schema import parse_config, sorted_configs, task_of

STATS_VERSION = 2  # 2: one file per config (`config` and `task` fields)
DEFAULT_MAX_POSE_SAMPLE = 500
DEFAULT_SEED = 0

_TEXT_TASKS = ("pose_to_text", "pose_diff", "image_to_text", "image_diff", "text_to_pose", "pose_edit")
_PAIR_TASKS = ("pose_diff", "image_diff", "pose_edit")
_POSE_COLUMNS = {
    "pose_to_text": ("pose",), "text_to_pose": ("pose",), "image_to_text": ("pose",), "pose_estimation": ("pose",),
    "pose_diff": ("pose_a", "pose_b"), "pose_edit": ("pose_a", "pose_b"), "image_diff": ("pose_a", "pose_b"),
}
_IMAGE_COLUMNS = {"image_to_text": ("image",), "pose_estimation": ("image",), "image_diff": ("image_a", "image_b")}
# Split text on anything that is not a letter, a digit or an apostrophe (RE2 syntax: pyarrow runs it vectorised);
# apostrophes left at either end of a piece are quotes, not part of the word, and are trimmed afterwards.
_NON_WORD = r"[^\p{L}\p{N}']+"


def describe(datasets_by_config: Mapping[str, Mapping], *, seed: int = DEFAULT_SEED,
             max_pose_sample: int = DEFAULT_MAX_POSE_SAMPLE) -> dict:
    """{config: {split: statistics}} of `datasets_by_config` ({config name: DatasetDict}), as described in the
    module doc; configs in publishing order (`sorted_configs`).

    `seed` and `max_pose_sample` fix the pose sample of `pairwise_mpje_mm`; the same data and seed give the same
    numbers.
    """
    from benchmark.body.skeleton import SkeletonBody

    configs = sorted_configs(datasets_by_config)  # validates every name before any work
    body = SkeletonBody()
    return {config: {split: describe_split(config, ds, body=body, seed=seed, max_pose_sample=max_pose_sample)
                     for split, ds in datasets_by_config[config].items()}
            for config in configs}


def describe_split(config: str, ds, *, body=None, seed: int = DEFAULT_SEED,
                   max_pose_sample: int = DEFAULT_MAX_POSE_SAMPLE) -> dict:
    """Statistics of one split (`datasets.Dataset` with the features of `config`'s task; `config` may be a plain
    task id)."""
    task = task_of(config)
    if body is None:
        from benchmark.body.skeleton import SkeletonBody

        body = SkeletonBody()
    table = ds.with_format("arrow")[:]  # the rows as they are seen (index mappings applied), no decoding
    stats: dict = {"num_rows": int(table.num_rows)}
    if task in _TEXT_TASKS:
        stats["texts"] = text_stats(table.column("texts"), table.column("text_kinds"), table.column("text_versions"))
    poses = _pose_arrays(task, table)
    stats["poses"] = pose_stats(poses, body=body, seed=seed, max_sample=max_pose_sample)
    if task in _PAIR_TASKS:
        stats["pairs"] = {
            "in_sequence_share": _share(np.asarray(table.column("in_sequence").to_numpy(zero_copy_only=False))),
            "mean_pair_mpje_mm": _mean_or_none(_per_pair_mpje_mm(poses[0], poses[1], body)),
        }
    if task in _IMAGE_COLUMNS:
        stats["images"] = {
            "sizes": {col: _image_size_counts(table.column(col)) for col in _IMAGE_COLUMNS[task]},
        }
        if "joint_set" in table.column_names:
            stats["images"]["joint_sets"] = _value_counts(table.column("joint_set"))
    if task == "pose_estimation":
        stats["pose_estimation"] = {
            "has_pose_share": _share(np.asarray(table.column("has_pose").to_numpy(zero_copy_only=False))),
            "actions": _value_counts(table.column("action")),
        }
    return stats


# --------------------------------------------------------------------------------------------------------- texts
def words_per_text(texts):
    """(word count per text [N] int64, every word lower-cased as an arrow string array) of a flat sequence of
    strings (arrow array or Python list); see the module doc for what a word is."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = texts if isinstance(texts, (pa.Array, pa.ChunkedArray)) else pa.array(list(texts), type=pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    pieces = pc.split_pattern_regex(pc.utf8_lower(pc.fill_null(arr, "")), pattern=_NON_WORD)
    parents = np.asarray(pc.list_parent_indices(pieces).to_numpy(zero_copy_only=False))
    words = pc.utf8_trim(pc.list_flatten(pieces), characters="'")
    keep = np.asarray(pc.greater(pc.utf8_length(words), 0).to_numpy(zero_copy_only=False), dtype=bool)
    counts = np.bincount(parents[keep], minlength=len(arr)).astype(np.int64)
    return counts, pc.filter(words, pa.array(keep))


def text_stats(texts, kinds, versions) -> dict:
    """Text statistics of one split from its `texts`, `text_kinds`, `text_versions` list columns (arrow)."""
    import pyarrow.compute as pc

    per_row = np.asarray(pc.fill_null(pc.list_value_length(texts), 0).to_numpy(zero_copy_only=False))
    flat = pc.list_flatten(texts)
    counts, words = words_per_text(flat)
    n_texts = int(len(counts))
    return {
        "num_texts": n_texts,
        "per_row": _summary(per_row, ("mean", "min", "max")),
        "words": _summary(counts, ("mean", "median", "p95")),
        "vocabulary_size": int(pc.count_distinct(words).as_py()),
        "kinds": _shares(pc.list_flatten(kinds)),
        "versions": _shares(pc.list_flatten(versions)),
    }


# --------------------------------------------------------------------------------------------------------- poses
def _pose_arrays(task: str, table) -> list[np.ndarray]:
    arrays = [fixed_shape_array(table, c).astype(np.float32, copy=False) for c in _POSE_COLUMNS[task]]
    if task == "pose_estimation":
        has = np.asarray(table.column("has_pose").to_numpy(zero_copy_only=False), dtype=bool)
        arrays = [a[has] for a in arrays]
    return arrays


def _body_frame(poses: np.ndarray) -> np.ndarray:
    out = np.array(poses, dtype=np.float32, copy=True)
    out[:, 0] = 0.0  # root rotation -> identity: articulation only
    return out


def mean_joint_angle_deg(poses: np.ndarray) -> float | None:
    """Mean axis-angle norm (degrees) of the 21 body joints over all poses [N, 22, 3]."""
    if len(poses) == 0:
        return None
    return float(np.degrees(np.linalg.norm(poses[:, 1:22].astype(np.float64), axis=-1).mean()))


def pairwise_mpje_mm(joints: np.ndarray) -> float | None:
    """Mean over all unordered pairs (i < j) of the mean per-joint distance between poses i and j, in mm.

    `joints`: [N, J, 3] metres. Uses one [J, N, N] distance tensor (torch.cdist), fine for N <= a few thousand.
    """
    import torch

    n = len(joints)
    if n < 2:
        return None
    t = torch.as_tensor(np.asarray(joints, dtype=np.float64)).transpose(0, 1)  # [J, N, 3]
    per_pair = torch.cdist(t, t).mean(0)  # [N, N] mean per-joint distance
    iu = torch.triu_indices(n, n, offset=1)
    return float(per_pair[iu[0], iu[1]].mean()) * 1000.0


def pose_stats(pose_arrays: list[np.ndarray], *, body, seed: int = DEFAULT_SEED,
               max_sample: int = DEFAULT_MAX_POSE_SAMPLE) -> dict:
    """Pose spread of the union of `pose_arrays` (each [N, 22, 3] axis-angle)."""
    poses = np.concatenate(pose_arrays, axis=0) if pose_arrays else np.zeros((0, 22, 3), np.float32)
    n = len(poses)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, size=min(n, max_sample), replace=False)) if n else np.zeros(0, np.int64)
    mpje = None
    if len(sample) >= 2:
        mpje = pairwise_mpje_mm(body.joints(_body_frame(poses[sample])))
    return {
        "num_poses": int(n),
        "mean_joint_angle_deg": mean_joint_angle_deg(poses),
        "pairwise_mpje_mm": mpje,
        "mpje_sample_size": int(len(sample)),
        "mpje_sample_seed": int(seed),
    }


def _per_pair_mpje_mm(poses_a: np.ndarray, poses_b: np.ndarray, body) -> np.ndarray:
    if len(poses_a) == 0:
        return np.zeros(0)
    ja = body.joints(_body_frame(poses_a))
    jb = body.joints(_body_frame(poses_b))
    return np.linalg.norm(ja.astype(np.float64) - jb, axis=-1).mean(-1) * 1000.0


# -------------------------------------------------------------------------------------------------------- images
def _image_size_counts(column) -> dict[str, int]:
    """{"WxH": count}, most frequent first. Reads each image header only (PIL opens lazily): no library reads the
    size of a batch of encoded images at once, so this is a loop over images."""
    from PIL import Image

    counts: dict[str, int] = {}
    for item in column.to_pylist():
        if item is None:
            key = "missing"
        else:
            src = io.BytesIO(item["bytes"]) if item.get("bytes") is not None else item.get("path")
            with Image.open(src) as im:
                key = f"{im.size[0]}x{im.size[1]}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


# --------------------------------------------------------------------------------------------------------- utils
def _summary(values: np.ndarray, which: tuple[str, ...]) -> dict:
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return {k: None for k in which}
    fns = {"mean": np.mean, "min": np.min, "max": np.max, "median": np.median,
           "p95": lambda v: np.percentile(v, 95)}
    out = {k: float(fns[k](values)) for k in which}
    for k in ("min", "max"):
        if k in out and float(out[k]).is_integer():
            out[k] = int(out[k])
    return out


def _shares(values) -> dict[str, float]:
    counts = _value_counts(values)
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()} if total else {}


def _value_counts(values) -> dict[str, int]:
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    vc = pc.value_counts(values).to_pylist()
    counts = {("null" if d["values"] is None else str(d["values"])): int(d["counts"]) for d in vc}
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _share(flags: np.ndarray) -> float | None:
    return float(np.mean(flags.astype(bool))) if flags.size else None


def _mean_or_none(values: np.ndarray) -> float | None:
    return float(np.mean(values)) if len(values) else None


# ------------------------------------------------------------------------------------------------------- files
def _rounded(obj, digits: int = 6):
    if isinstance(obj, float):
        return float(f"{obj:.{digits}g}")
    if isinstance(obj, dict):
        return {k: _rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rounded(v, digits) for v in obj]
    return obj


def write_stats(stats_by_config: Mapping[str, Mapping], folder: str | Path) -> list[Path]:
    """Write `{folder}/{config}.json` for every config of `describe(...)`'s result (floats to 6 significant
    digits); each file holds `stats_version`, `config`, `task` and `splits`.

    Each file is written to a temporary name and renamed, so a crash never leaves a truncated file.
    """
    for config in stats_by_config:
        parse_config(config)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for config, splits in stats_by_config.items():
        path = folder / f"{config}.json"
        tmp = path.with_suffix(".json.partial")
        payload = {"stats_version": STATS_VERSION, "config": config, "task": task_of(config),
                   "splits": _rounded(dict(splits))}
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written


def load_stats(folder: str | Path, configs=None) -> dict:
    """{config: {split: statistics}} read from `{folder}/{config}.json` (every `*.json` of the folder, or only
    `configs`), in publishing order. A file whose name is not a config name, or whose `config` / `task` fields do
    not match its name, raises InputError."""
    folder = Path(folder)
    if configs is None:
        found = list(folder.glob("*.json"))
        for path in found:
            parse_config(path.stem, file=str(path))
        configs = [path.stem for path in found]
    paths = [folder / f"{c}.json" for c in sorted_configs(configs)]
    out = {}
    for path in paths:
        if not path.is_file():
            raise InputError("statistics file not found", file=str(path),
                             hint="describe() the datasets and write_stats() them first")
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            if payload.get("stats_version") != STATS_VERSION:
                raise InputError(f"stats_version {payload.get('stats_version')!r} is not {STATS_VERSION}",
                                 file=str(path), field="stats_version", hint="regenerate the statistics")
            if payload["config"] != path.stem or payload["task"] != task_of(path.stem):
                raise InputError(f"the file is named for config '{path.stem}' but holds config "
                                 f"{payload['config']!r} of task {payload['task']!r}", file=str(path),
                                 field="config", hint="regenerate it with write_stats()")
            out[path.stem] = payload["splits"]
        except (json.JSONDecodeError, KeyError, AttributeError, TypeError) as exc:
            raise InputError(f"not a statistics file ({type(exc).__name__}: {exc})", file=str(path),
                             hint="regenerate it with write_stats()") from None
    return out


def compare_stats(committed: Mapping, fresh: Mapping, rel_tol: float = 1e-4, abs_tol: float = 1e-9) -> list[str]:
    """Differences between two statistics trees, one line each ("path: committed X, now Y"); empty when they agree.

    Counts (ints), strings, booleans and None compare exactly; floats with `math.isclose(rel_tol, abs_tol)`; keys
    present on one side only are differences.
    """
    diffs: list[str] = []
    _compare(committed, fresh, "", rel_tol, abs_tol, diffs)
    return diffs


def _compare(a, b, path: str, rel_tol: float, abs_tol: float, diffs: list[str]) -> None:
    where = path or "<root>"
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in list(a) + [k for k in b if k not in a]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in b:
                diffs.append(f"{sub}: committed {a[key]!r}, now missing")
            elif key not in a:
                diffs.append(f"{sub}: not committed, now {b[key]!r}")
            else:
                _compare(a[key], b[key], sub, rel_tol, abs_tol, diffs)
        return
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            diffs.append(f"{where}: committed {len(a)} items, now {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            _compare(x, y, f"{path}[{i}]", rel_tol, abs_tol, diffs)
        return
    a_int = isinstance(a, int) and not isinstance(a, bool)
    b_int = isinstance(b, int) and not isinstance(b, bool)
    if a_int and b_int:
        if a != b:
            diffs.append(f"{where}: committed {a}, now {b}")
        return
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        if not math.isclose(float(a), float(b), rel_tol=rel_tol, abs_tol=abs_tol):
            diffs.append(f"{where}: committed {a!r}, now {b!r} (rel_tol {rel_tol})")
        return
    if type(a) is not type(b) or a != b:
        diffs.append(f"{where}: committed {a!r}, now {b!r}")
