"""Render poses to a PNG: 3D skeleton views, a grid for many poses.

Input: a .npy file of axis-angle poses [N, 22|52, 3] (or [N, 66|156]), a .npz file (the array under --key, default
"poses"), a JSON list of poses, or a dataset folder in the Hub layout with --config: its rows' poses are drawn (pose
A then pose B for pairs) and their first text printed. Examples:

    unipose-bench show poses.npy --out poses.png --views front side --cols 4
    unipose-bench show ~/.cache/unipose-bench/world/<build>/hub --config pose_diff --split test --limit 5
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmark.errors import InputError


def add_arguments(parser):
    parser.add_argument("poses", help="poses file: .npy, .npz (see --key) or .json")
    parser.add_argument("--key", default="poses", help="array name inside an .npz file (default: poses)")
    parser.add_argument("--config", default=None, help="dataset config (task) when POSES is a dataset folder")
    parser.add_argument("--split", default="test", help="dataset split when POSES is a dataset folder")
    parser.add_argument("--out", default="poses.png", help="output PNG path (default: poses.png)")
    parser.add_argument("--views", nargs="+", default=["front", "side"],
                        help="views per pose: front, side, top, three-quarter (default: front side)")
    parser.add_argument("--cols", type=int, default=4, help="poses per row (default: 4)")
    parser.add_argument("--limit", type=int, default=64, help="draw at most this many poses (default: 64)")
    parser.add_argument("--normalize-heading", action="store_true",
                        help="zero the heading of each root first, as PoseScript does")
    parser.add_argument("--body-model", default="skeleton", help="skeleton (default), smpl, smplh or smplx")
    parser.add_argument("--body-models", default=None, help="folder of SMPL-family model files")


def read_poses(path: str | Path, key: str = "poses") -> np.ndarray:
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=str(path))
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            if key not in data.files:
                raise InputError(f"no array named '{key}' (the file has {data.files})", file=str(path), field=key,
                                 hint="pass --key NAME")
            return data[key]
    if path.suffix == ".json":
        with open(path, encoding="utf-8") as f:
            return np.asarray(json.load(f), dtype=np.float32)
    raise InputError(f"unsupported file type '{path.suffix}'", file=str(path), hint="use .npy, .npz or .json")


def read_dataset_rows(folder: str, config: str | None, split: str, limit: int):
    """(poses [N, 22, 3], titles, first texts) of a dataset split; pairs give pose A then pose B per row."""
    import datasets

    from benchmark.columns import fixed_shape_array

    if config is None:
        raise InputError("a dataset folder needs --config (the task config to draw)", file=folder, field="--config")
    rows = datasets.load_dataset(folder, config, split=split)
    rows = rows.select(range(min(limit, len(rows))))
    ids = list(rows["id"])
    texts = [t[0] for t in rows["texts"]] if "texts" in rows.column_names else [""] * len(ids)
    if "pose_a" in rows.column_names:
        a, b = fixed_shape_array(rows, "pose_a"), fixed_shape_array(rows, "pose_b")
        poses = np.stack([a, b], axis=1).reshape(-1, *a.shape[1:])
        titles = [f"{i} {side}" for i in ids for side in ("A", "B")]
    else:
        poses, titles = fixed_shape_array(rows, "pose"), ids
    return poses.astype(np.float32), titles, list(zip(ids, texts))


def run(args) -> int:
    from benchmark.body import get_body_model
    from benchmark.body.frames import normalize_pose_heading
    from benchmark.body.validation import check_poses
    from benchmark.viz.poses import plot_poses

    if Path(args.poses).is_dir():
        poses, titles, texts = read_dataset_rows(args.poses, args.config, args.split, args.limit)
    else:
        poses = check_poses(read_poses(args.poses, args.key), file=args.poses)[: args.limit]
        titles, texts = [f"#{i}" for i in range(len(poses))], []
    if args.normalize_heading:
        poses = normalize_pose_heading(poses)
    body = get_body_model(args.body_model, args.body_models)
    out = plot_poses(poses, args.out, body_model=body, views=args.views, cols=args.cols, titles=titles)
    for row_id, text in texts:
        if text:
            print(f"{row_id}: {text}")
    print(f"wrote {out} ({len(poses)} poses)")
    return 0
