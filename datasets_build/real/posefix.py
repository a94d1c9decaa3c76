"""PoseFix -> pose_diff-A/-H and pose_edit-A/-H (the same rows under two task configs).

Rows follow the release (naver/posescript `config.py`, `data.py`, `utils.py`, `evaluate.py`):
* splits: `{split}_in_sequence_pair_ids.json` then `{split}_out_sequence_pair_ids.json`, file order; `in_sequence`
  says which list a pair comes from (A and B from one AMASS sequence);
* poses: read as upstream's `PoseFix.get_poses_AB` (`sources.posefix.load_pair_poses`): A heading-normalised; for an
  in-sequence pair B's root is pre-multiplied by A's normalisation (their relative global rotation is kept, so the
  instruction may say "turn left"); an out-of-sequence B is normalised on its own. 52 joints read, 22 stored;
* -H: pairs with a human text; texts = human first, then in the train split the InstructGPT paraphrases (kind
  "paraphrase"; upstream's PoseFix-HPP trains on them, and they exist essentially for train pairs only), then the
  automatic ones. Val/test -H rows carry no paraphrase, as upstream evaluates PoseFix-H on human texts;
* -A: pairs with automatic texts; the automatic texts first, then the human ones;
* provenance: source_dataset "posefix", source_id = pair id, source_id_a / _b = PoseScript pose ids,
  id = "posefix-<pair id>".
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from benchmark.errors import InputError
from datasets_build.real.common import (BuildInfo, BuildResult, config_name, dataset_dict, dataset_from_columns,
                                        ordered_texts, report_skipped)
from datasets_build.sources.posefix import PoseFixSplit

TASKS = ("pose_diff", "pose_edit")
SOURCE = "posefix"


def kind_order(variant: str, split: str) -> tuple[str, ...]:
    """Text kinds of a row, in order; the first is the kind the variant requires."""
    if variant == "A":
        return ("automatic", "human")
    if variant == "H":
        return ("human", "paraphrase", "automatic") if split == "train" else ("human", "automatic")
    raise ValueError(f"unknown variant {variant!r}; PoseFix has A and H")


def row_id(pair_id: int) -> str:
    return f"{SOURCE}-{pair_id}"


def _pose(value, pair_id: int, which: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[0] < 22 or arr.shape[1] != 3 or not np.isfinite(arr).all():
        raise InputError(f"pose {which} of shape {list(arr.shape)} is not a finite [52 | 22, 3] axis-angle pose",
                         row=pair_id, field=f"pose_{which.lower()}")
    return arr[:22]


def _split_columns(split: PoseFixSplit, variant: str, pair_poses: Mapping[int, tuple]) -> dict:
    kinds = kind_order(variant, split.split)
    rows = [(p, ordered_texts(p.texts, kinds)) for p in split.pairs if kinds[0] in p.texts.kinds]
    missing = [p.pair_id for p, _ in rows if p.pair_id not in pair_poses]
    if missing:
        raise InputError(f"{len(missing)} pairs of the {split.split} split were not loaded (first: pair id "
                         f"{missing[0]})", row=missing[0], field="pose_a",
                         hint="load the poses of every pair of the split files (posefix.load_pair_poses)")
    poses_a = [_pose(pair_poses[p.pair_id][0], p.pair_id, "A") for p, _ in rows]
    poses_b = [_pose(pair_poses[p.pair_id][1], p.pair_id, "B") for p, _ in rows]
    return {
        "id": [row_id(p.pair_id) for p, _ in rows], "source_dataset": [SOURCE] * len(rows),
        "source_id": [str(p.pair_id) for p, _ in rows], "pose_a": poses_a, "pose_b": poses_b,
        "source_id_a": [str(p.pose_a_id) for p, _ in rows], "source_id_b": [str(p.pose_b_id) for p, _ in rows],
        "in_sequence": [bool(p.in_sequence) for p, _ in rows],
        "texts": [list(t.texts) for _, t in rows], "text_kinds": [list(t.kinds) for _, t in rows],
        "text_versions": [list(t.versions) for _, t in rows],
    }


def build_posefix(splits: Mapping[str, PoseFixSplit], pair_poses: Mapping[int, tuple], *,
                  variants: tuple[str, ...] = ("A", "H")) -> BuildResult:
    """The four PoseFix configs from `read_posefix(...)` and {pair id: (pose A, pose B)} normalised as upstream
    (`load_pair_poses`; axis-angle [52 | 22, 3], AMASS frame)."""
    info = BuildInfo()
    info.add_source("posefix", "amass")
    out = {}
    for variant in variants:
        splits_ds = {}
        for split_name, split in splits.items():
            ds = dataset_from_columns("pose_diff", _split_columns(split, variant, pair_poses))
            if len(ds):
                splits_ds[split_name] = ds
            else:
                info.skip(f"posefix-{variant} {split_name}",
                          f"no pair of the split has a {kind_order(variant, split_name)[0]} text")
        dsd = dataset_dict(splits_ds)
        for task in TASKS:
            name = config_name(task, variant)
            out[name] = dsd
            info.record(name, dsd)
    without_human = sum(1 for s in splits.values() for p in s.pairs
                        if "paraphrase" in p.texts.kinds and "human" not in p.texts.kinds)
    if without_human:
        info.count("posefix pairs with paraphrases but no human text (not in -H)", without_human)
    versions = sorted({v for s in splits.values() for p in s.pairs for k, v in zip(p.texts.kinds, p.texts.versions)
                       if k == "automatic"})
    for version in versions:
        info.text_versions[version] = ("PoseFix release automatic instruction" + (
            f" at position {version.split('-')[1]} of posefix_auto_135305.json" if version.startswith("auto-")
            else f" ({version})"))
    info.text_versions["paraphrase"] = "InstructGPT paraphrase of a human PoseFix text (release file)"
    info.note("PoseFix poses: in-sequence pairs keep A's heading correction on B (upstream get_poses_AB)")
    return BuildResult(out, info)


def build_posefix_from_files(release_dir: str | Path, amass_dir: str | Path, *,
                             automatic_versions: tuple[str, ...] | None = None, progress: bool = True) -> BuildResult:
    """Read the PoseFix release in `release_dir` and its poses from AMASS (`amass_dir`), then build."""
    from datasets_build.sources.posefix import load_pair_poses, read_posefix
    from datasets_build.sources.posescript_poses import POSE_INFO_FILE, read_pose_info

    pose_info = read_pose_info(Path(release_dir) / POSE_INFO_FILE)
    skipped: dict[str, list[int]] = {}
    splits = read_posefix(release_dir, automatic_versions=automatic_versions, pose_info=pose_info, skipped=skipped)
    pairs = [p for split in splits.values() for p in split.pairs]
    poses_a, poses_b = load_pair_poses(pairs, pose_info, amass_dir, n_joints=52, progress=progress)
    return report_skipped(build_posefix(splits, {p.pair_id: (a, b) for p, a, b in zip(pairs, poses_a, poses_b)}),
                          skipped, "pairs")
