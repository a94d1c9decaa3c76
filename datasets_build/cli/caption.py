"""Describe poses, or pose pairs, with the automatic captioning pipelines of PoseScript and PoseFix.

Input (axis-angle poses in the AMASS z-up frame, as stored in AMASS files; each pose is heading-normalised first):
  descriptions  a .npy [N, 22|52, 3] (or [N, 66|156]), or a .npz with the array "poses";
  instructions  (--pairs) a .npy [N, 2, 22|52, 3] (pose A, pose B), or a .npz with "poses_a", "poses_b" and an
                optional bool "in_sequence" [N] (in-sequence pairs open with the change of global rotation).
Output: JSON {"version", "seed", "noise", "body_model", "texts": [...]} on stdout, or in --output.

Examples:
    unipose-bench caption poses.npy --version N7 --seed 0
    unipose-bench caption pairs.npz --pairs --version pfB --output instructions.json
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmark.errors import InputError

DESCRIPTION_VERSIONS = ("N2", "N6", "N7", "A", "B", "C", "D", "E", "F")
INSTRUCTION_VERSIONS = ("pfA", "pfB", "pfC")


def add_arguments(parser):
    parser.add_argument("input", help="poses file: .npy or .npz (see above)")
    parser.add_argument("--pairs", action="store_true", help="the file holds pose pairs: write instructions")
    parser.add_argument("--version", default=None,
                        help=f"descriptions: {', '.join(DESCRIPTION_VERSIONS)} (default N7); "
                             f"instructions: {', '.join(INSTRUCTION_VERSIONS)} (default pfA)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    parser.add_argument("--no-noise", action="store_true", help="exact categories: no threshold noise")
    parser.add_argument("--rotations", action="store_true",
                        help="add the head-rotation codes (post-ECCV/ICCV; the released texts have none)")
    parser.add_argument("--actions", default=None,
                        help="JSON file: one list of action labels (or null) per pose, for N6 and ECCV A-C")
    parser.add_argument("--body-model", default="skeleton", help="skeleton (default), smpl, smplh or smplx")
    parser.add_argument("--body-models", default=None, help="folder of SMPL-family model files")
    parser.add_argument("--output", "-o", default=None, help="JSON file to write (default: print to stdout)")


def _load(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise InputError("file not found", file=str(path))
    try:
        if path.suffix == ".npy":
            return {"poses": np.load(path, allow_pickle=False)}
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
    except ValueError as exc:  # object arrays (pickles) are refused, and malformed files end up here too
        raise InputError(f"cannot read the file ({exc})", file=str(path),
                         hint="save plain numeric arrays with np.save / np.savez") from None
    raise InputError(f"unsupported file type '{path.suffix}'", file=str(path), hint="use .npy or .npz")


def _array(data: dict, key: str, path: Path) -> np.ndarray:
    if key not in data:
        raise InputError(f"no array named '{key}' (the file has {sorted(data)})", file=str(path), field=key)
    return data[key]


def _pairs(data: dict, path: Path):
    if "poses_a" in data or "poses_b" in data:
        a, b = _array(data, "poses_a", path), _array(data, "poses_b", path)
    else:
        both = _array(data, "poses", path)
        if both.ndim != 4 or both.shape[1] != 2:
            raise InputError(f"shape {list(both.shape)} is not [N, 2, 22|52, 3]", file=str(path), field="poses",
                             hint="stack pose A and pose B on axis 1, or save poses_a and poses_b in an .npz")
        a, b = both[:, 0], both[:, 1]
    in_sequence = data.get("in_sequence")
    if in_sequence is not None and in_sequence.dtype != bool:
        raise InputError(f"dtype {in_sequence.dtype} is not bool", file=str(path), field="in_sequence")
    return a, b, in_sequence


def _read_actions(path: str | None):
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            actions = json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read the action labels ({exc})", file=path) from None
    if not isinstance(actions, list):
        raise InputError("expected a JSON list with one list of labels (or null) per pose", file=path)
    return actions


def _write_json(payload: dict, out: Path):
    """Write atomically: a reader never sees a half-written file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=out.name, suffix=".partial")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(payload, f, indent=1, ensure_ascii=False)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args) -> int:
    from benchmark.body import get_body_model

    path = Path(args.input)
    data = _load(path)
    version = args.version or ("pfA" if args.pairs else "N7")
    body = get_body_model(args.body_model, args.body_models)
    try:
        if args.pairs:
            from datasets_build.captioning.instruct import describe_pose_pairs_from_axis_angle

            a, b, in_sequence = _pairs(data, path)
            texts = describe_pose_pairs_from_axis_angle(a, b, body, version, args.seed, not args.no_noise,
                                                        in_sequence, use_rotations=args.rotations)
        else:
            from datasets_build.captioning.describe import describe_poses_from_axis_angle

            texts = describe_poses_from_axis_angle(_array(data, "poses", path), body, version, args.seed,
                                                   not args.no_noise, _read_actions(args.actions),
                                                   use_rotations=args.rotations)
    except InputError as exc:
        if exc.file is not None:
            raise
        raise InputError(str(exc), file=str(path)) from None
    payload = {"version": version, "seed": args.seed, "noise": not args.no_noise, "body_model": args.body_model,
               "texts": texts}
    if args.output:
        _write_json(payload, Path(args.output))
        print(f"wrote {len(texts)} texts to {args.output}", file=sys.stderr)
    else:
        json.dump(payload, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    return 0
