"""PoseScript V2 (`posescript_release_v2.zip`): splits and captions of the 100k AMASS poses.

Files in the release folder (naver/posescript `config.py`, `data.py`):
* `{train,val,test}_ids_100k.json`: JSON lists of pose ids.
* `posescript_human_6293.json`: human captions, "<pose_id>" -> str | [str].
* `posescript_auto_100k.json`: automatic captions, 3 per pose (pipeline versions N2, N6, N7 in an undocumented
  order; recorded as "auto-0/1/2" unless `automatic_versions` says otherwise).
* `ids_2_dataset_sequence_and_frame_index_100k.json`: where each pose comes from (`posescript_poses.py`).

Per split, `read_posescript` returns the pose ids in split-file order and every pose that has at least one text,
with its texts in the order human then automatic. The upstream datasets PoseScript-H2 / -A2 are the subsets with at
least one human / automatic text (`PoseScriptSplit.human` / `.automatic`), each keeping only that kind of text.
Poses themselves are read from AMASS with `posescript_poses.load_poses` (heading-normalised, AMASS z-up frame).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmark.errors import InputError
from datasets_build.sources.captions import Texts, merge_texts, read_caption_file, read_id_list
from datasets_build.sources.files import require_file
from datasets_build.sources.posescript_poses import POSE_INFO_FILE, read_pose_info

SPLITS = ("train", "val", "test")
HUMAN_FILE = "posescript_human_6293.json"
AUTOMATIC_FILE = "posescript_auto_100k.json"
RELEASE_HINT = "unzip posescript_release_v2.zip (https://github.com/naver/posescript) and pass that folder"


def split_file(split: str) -> str:
    return f"{split}_ids_100k.json"


@dataclass(frozen=True)
class CaptionedPose:
    pose_id: int
    texts: Texts

    @property
    def has_human(self) -> bool:
        return "human" in self.texts.kinds


@dataclass(frozen=True)
class PoseScriptSplit:
    split: str
    pose_ids: tuple[int, ...]            # the split file, in its order
    poses: tuple[CaptionedPose, ...]     # poses of the split with at least one text, split order

    def with_kinds(self, *kinds: str) -> tuple[CaptionedPose, ...]:
        """Poses with at least one text of `kinds`, keeping only those texts (upstream's per-file datasets)."""
        out = []
        for pose in self.poses:
            texts = pose.texts.only(kinds)
            if len(texts):
                out.append(CaptionedPose(pose.pose_id, texts))
        return tuple(out)

    @property
    def human(self) -> tuple[CaptionedPose, ...]:
        """PoseScript-H: the poses of this split that have a human caption."""
        return self.with_kinds("human")

    @property
    def automatic(self) -> tuple[CaptionedPose, ...]:
        """PoseScript-A: the poses of this split that have automatic captions."""
        return self.with_kinds("automatic")


def read_posescript(release_dir: str | Path, *, splits=SPLITS, automatic_versions: tuple[str, ...] | None = None,
                    check_pose_info: bool = True, skipped: dict[str, list[int]] | None = None,
                    ) -> dict[str, PoseScriptSplit]:
    """split -> PoseScriptSplit for the PoseScript V2 release in `release_dir`. Captions of poses in no split file
    are skipped as upstream skips them (their ids go to `skipped[caption file name]` when given).

    All three split files are read (to know every split's poses and reject splits that overlap); with
    `check_pose_info`, every split id must also be in the pose-info file.
    """
    root = Path(release_dir)
    unknown = set(splits) - set(SPLITS)
    if unknown:
        raise ValueError(f"unknown splits {sorted(unknown)}; PoseScript has {SPLITS}")
    split_ids = {s: read_id_list(require_file(root / split_file(s), "split file", RELEASE_HINT), id_name="pose id")
                 for s in SPLITS}
    owner: dict[int, str] = {}
    for s, ids in split_ids.items():
        for pose_id in ids:
            if pose_id in owner:
                raise InputError(f"pose id {pose_id} is in both the {owner[pose_id]} and the {s} split",
                                 file=str(root / split_file(s)), row=pose_id)
            owner[pose_id] = s
    if check_pose_info:
        info_path = root / POSE_INFO_FILE
        pose_info = read_pose_info(require_file(info_path, "pose-info file", RELEASE_HINT))
        missing = [i for i in owner if i not in pose_info]
        if missing:
            raise InputError(f"{len(missing)} split pose ids are not in the pose-info file (first: {missing[0]})",
                             file=str(info_path), row=missing[0])
    human = read_caption_file(require_file(root / HUMAN_FILE, "caption file", RELEASE_HINT), kind="human",
                              id_name="pose id", known_ids=owner, skipped=skipped)
    auto = read_caption_file(require_file(root / AUTOMATIC_FILE, "caption file", RELEASE_HINT), kind="automatic",
                             id_name="pose id", known_ids=owner, versions=automatic_versions, skipped=skipped)
    texts = merge_texts(human, auto)
    return {s: PoseScriptSplit(s, split_ids[s], tuple(CaptionedPose(i, texts[i]) for i in split_ids[s] if i in texts))
            for s in splits}
