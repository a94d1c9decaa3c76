"""PoseFix (ICCV'23): pairs of PoseScript poses with modifier texts ("how to go from A to B").

Files in the release folder (naver/posescript `config.py`, `data.load_posefix`):
* `pair_id_2_pose_ids.json`: a JSON list indexed by pair id -> [pose_A_id, pose_B_id], pose ids in the PoseScript V2
  100k space; the zip also ships `ids_2_dataset_sequence_and_frame_index_100k.json`.
* `{train,val,test}_{in,out}_sequence_pair_ids.json`: pair ids per split and kind; a split is the `in` list followed
  by the `out` list.
* `posefix_human_6157.json` (human, 1+ per pair), `posefix_auto_135305.json` (automatic, 3 per pair),
  `posefix_paraphrases_4284.json` (InstructGPT paraphrases of human texts, mostly train).

A pair is in-sequence iff A and B come from the same AMASS file (same path in the pose-info file); the reader checks
that this agrees with the list the pair is in. `load_pair_poses` reads the poses as upstream's
`PoseFix.get_poses_AB`: A is heading-normalised and returns its correction R_norm; for an in-sequence pair B's root is
pre-multiplied by the same R_norm (the relative global rotation of A and B is kept); an out-of-sequence B is
normalised on its own. Poses: axis-angle, AMASS z-up frame, float32 [N, 52 | 22, 3].
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from benchmark.body.frames import normalize_pose_heading, rotate_root
from benchmark.errors import InputError
from datasets_build.sources.captions import Texts, merge_texts, read_caption_file, read_id_list
from datasets_build.sources.files import read_json, require_file
from datasets_build.sources.posescript_poses import POSE_INFO_FILE, PoseSource, load_poses, read_pose_info

SPLITS = ("train", "val", "test")
PAIRS_FILE = "pair_id_2_pose_ids.json"
HUMAN_FILE = "posefix_human_6157.json"
AUTOMATIC_FILE = "posefix_auto_135305.json"
PARAPHRASE_FILE = "posefix_paraphrases_4284.json"
RELEASE_HINT = "unzip the PoseFix release (https://github.com/naver/posescript) and pass that folder"


def split_file(split: str, kind: str) -> str:
    return f"{split}_{kind}_sequence_pair_ids.json"


@dataclass(frozen=True)
class PoseFixPair:
    pair_id: int
    pose_a_id: int
    pose_b_id: int
    in_sequence: bool
    texts: Texts


@dataclass(frozen=True)
class PoseFixSplit:
    split: str
    pair_ids: tuple[int, ...]            # in-sequence list then out-of-sequence list, file order
    pairs: tuple[PoseFixPair, ...]       # pairs of the split with at least one text, same order

    def with_kinds(self, *kinds: str) -> tuple[PoseFixPair, ...]:
        """Pairs with at least one text of `kinds`, keeping only those texts (PoseFix-H: "human"; -HPP: "human",
        "paraphrase"; -A: "automatic")."""
        out = []
        for pair in self.pairs:
            texts = pair.texts.only(kinds)
            if len(texts):
                out.append(PoseFixPair(pair.pair_id, pair.pose_a_id, pair.pose_b_id, pair.in_sequence, texts))
        return tuple(out)

    @property
    def human(self) -> tuple[PoseFixPair, ...]:
        return self.with_kinds("human")

    @property
    def automatic(self) -> tuple[PoseFixPair, ...]:
        return self.with_kinds("automatic")


def read_pair_list(path: str | Path, pose_info: dict[int, PoseSource]) -> tuple[tuple[int, int], ...]:
    """pair id -> (pose A id, pose B id), validated against the pose-info file."""
    raw = read_json(path)
    if not isinstance(raw, list):
        raise InputError(f"expected a JSON list indexed by pair id, got {type(raw).__name__}", file=str(path))
    pairs = []
    for pair_id, value in enumerate(raw):
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
            raise InputError(f"expected [pose_A_id, pose_B_id], got {value!r}", file=str(path), row=pair_id)
        for v in value:
            if v not in pose_info:
                raise InputError(f"unknown pose id {v}: not in the pose-info file", file=str(path), row=pair_id)
        pairs.append((value[0], value[1]))
    return tuple(pairs)


def read_posefix(release_dir: str | Path, *, splits=SPLITS, automatic_versions: tuple[str, ...] | None = None,
                 pose_info: dict[int, PoseSource] | None = None, skipped: dict[str, list[int]] | None = None,
                 ) -> dict[str, PoseFixSplit]:
    """split -> PoseFixSplit for the PoseFix release in `release_dir` (pose info read from the folder unless given).
    Captions of pairs in no split file are skipped as upstream skips them (ids to `skipped[file name]`)."""
    root = Path(release_dir)
    unknown = set(splits) - set(SPLITS)
    if unknown:
        raise ValueError(f"unknown splits {sorted(unknown)}; PoseFix has {SPLITS}")
    if pose_info is None:
        pose_info = read_pose_info(require_file(root / POSE_INFO_FILE, "pose-info file", RELEASE_HINT))
    pair_path = require_file(root / PAIRS_FILE, "pair file", RELEASE_HINT)
    pair_poses = read_pair_list(pair_path, pose_info)

    listed: dict[int, tuple[str, bool]] = {}   # pair id -> (split, listed as in-sequence)
    split_ids: dict[str, tuple[int, ...]] = {}
    for s in SPLITS:
        ids: list[int] = []
        for kind in ("in", "out"):
            path = require_file(root / split_file(s, kind), "split file", RELEASE_HINT)
            for row, pair_id in enumerate(read_id_list(path, id_name="pair id")):
                if not 0 <= pair_id < len(pair_poses):
                    raise InputError(f"unknown pair id {pair_id}: {PAIRS_FILE} has {len(pair_poses)} pairs",
                                     file=str(path), row=row)
                if pair_id in listed:
                    raise InputError(f"pair id {pair_id} is also listed in the {listed[pair_id][0]} split",
                                     file=str(path), row=row)
                a, b = pair_poses[pair_id]
                same_file = pose_info[a].relpath == pose_info[b].relpath
                if same_file != (kind == "in"):
                    raise InputError(
                        f"pair {pair_id} is listed as {kind}-sequence but its poses come from "
                        f"{'the same AMASS file' if same_file else 'different AMASS files'} "
                        f"({pose_info[a].relpath!r}, {pose_info[b].relpath!r})", file=str(path), row=row,
                        hint="the pose-info file and the pair files come from different releases?")
                listed[pair_id] = (s, kind == "in")
                ids.append(pair_id)
        split_ids[s] = tuple(ids)

    files = ((HUMAN_FILE, "human", None), (AUTOMATIC_FILE, "automatic", automatic_versions),
             (PARAPHRASE_FILE, "paraphrase", None))
    texts = merge_texts(*(read_caption_file(require_file(root / name, "caption file", RELEASE_HINT), kind=kind,
                                            id_name="pair id", known_ids=listed, versions=versions,
                                            skipped=skipped)
                          for name, kind, versions in files))
    return {s: PoseFixSplit(s, split_ids[s], tuple(
        PoseFixPair(i, *pair_poses[i], listed[i][1], texts[i]) for i in split_ids[s] if i in texts)) for s in splits}


def pair_poses_from_raw(raw_a: np.ndarray, raw_b: np.ndarray, in_sequence) -> tuple[np.ndarray, np.ndarray]:
    """PoseFix's normalisation of raw AMASS pose pairs [N, J, 3] (see the module docstring); returns new arrays."""
    in_sequence = np.asarray(in_sequence, dtype=bool)
    poses_a, r_norm = normalize_pose_heading(raw_a, return_correction=True)
    poses_b = normalize_pose_heading(raw_b)
    if in_sequence.any():
        poses_b[in_sequence] = rotate_root(raw_b[in_sequence], r_norm[in_sequence]).astype(poses_b.dtype)
    return poses_a, poses_b


def load_pair_poses(pairs: Sequence[PoseFixPair], pose_info: dict[int, PoseSource], amass_root: str | Path, *,
                    n_joints: int = 52, progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Poses A and B float32 [len(pairs), n_joints, 3] of `pairs`, normalised as upstream (module docstring)."""
    ids = sorted({p.pose_a_id for p in pairs} | {p.pose_b_id for p in pairs})
    raw = load_poses(pose_info, amass_root, ids, n_joints=n_joints, normalize=False, progress=progress)
    raw_a = np.stack([raw[p.pose_a_id] for p in pairs]) if pairs else np.zeros((0, n_joints, 3), np.float32)
    raw_b = np.stack([raw[p.pose_b_id] for p in pairs]) if pairs else np.zeros((0, n_joints, 3), np.float32)
    return pair_poses_from_raw(raw_a, raw_b, [p.in_sequence for p in pairs])
