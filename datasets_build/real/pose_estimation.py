"""Image datasets -> pose_estimation-<dataset> configs (one config per dataset, its splits as given).

Input: {dataset: {split: ImageSet}} (`image_rows.ImageSet`: the readers' `ImageSamples`, the image folder, the box
mode). Each row is one (image, person): the HMR-style square crop (`crops`), PNG-encoded, with the camera adjusted
to the crop and the key points moved into crop pixels (`image_rows`), the SMPL pose where the source has a fit
(`has_pose`; zeros otherwise; root orientation in the camera frame), the ground-truth joints in the camera frame
(metres; [0, 3] when the source has none) and the action label ("" when none).

Conventions of the shipped configs (4D-Humans `eval.py`, `hmr2/configs/datasets_eval.yaml`; TokenHMR
`tokenhmr/eval.py`; liyiheng23/UniPose `posegpt/datasets/posegpt.py` @14de673; CA-PF
`H36M-Toolbox/generate_labels_h36m.py`; MetaPose `datasets/human36m.py`, `datasets/utils.py`):
* pose_estimation-3dpw: test = HMR 2.0's 3dpw_test.npz (joints_3d = 14 joints + pelvis, joint_set "hmr2-14") or, when
  it is not given, the 3DPW test sequences (SMPL-24 joints, SMPL pose in the camera frame).
* pose_estimation-h36m: test = HMR 2.0's h36m_val_p2.npz (joint_set "hmr2-14", actions from the image names).
* pose_estimation-h36m17: Human3.6M label pkl frames, 17 joints ("h36m-17"), action labels; test = S9/S11.
* pose_estimation-mpii / -coco / -mpi-inf-3dhp: training data (SMPL fits from EFT or UniPose's npz where given), and
  the test split where the dataset has annotated one.
Row ids: "<source_dataset>/<source id>" (unique within a config; checked).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from datasets_build.real.common import (ArrowRowWriter, BuildInfo, BuildResult, check_unique_ids, config_name,
                                        dataset_dict, work_folder)
from datasets_build.real.crops import CropOptions
from datasets_build.real.image_rows import ImageSet, iter_crop_records, row_geometry

TASK = "pose_estimation"
# `ImageSamples.source` -> the key of `datasets_build.hub.card.SOURCES`
CARD_SOURCES = {"3dpw": "3dpw", "h36m": "human36m", "h36m_val": "human36m", "mpii": "mpii", "coco": "coco",
                "mpi-inf-3dhp": "mpi-inf-3dhp", "mpi-inf": "mpi-inf-3dhp"}


def card_source(samples_source: str) -> str | None:
    return CARD_SOURCES.get(samples_source.removeprefix("unipose-"))


def pose_estimation_rows(image_set: ImageSet, crop: CropOptions, info: BuildInfo, *, progress: bool = True):
    """Rows (dicts in the pose_estimation schema) of one ImageSet, in sample order."""
    s = image_set.samples
    geometry = row_geometry(image_set, crop)
    rows = np.flatnonzero(geometry.has_box)
    if len(rows) < len(s):
        info.count(f"{image_set.source_dataset} {s.split}: rows skipped, no person box (fewer than "
                   f"{crop.min_keypoints} annotated key points and no source box)", len(s) - len(rows))
    empty_joints = np.zeros((0, 3), np.float32)
    bar = tqdm(total=len(rows), desc=f"{image_set.source_dataset} {s.split} crops", disable=not progress)
    for row, record in iter_crop_records(image_set, geometry, rows, crop, info):
        bar.update(1)
        yield {
            "id": f"{image_set.source_dataset}/{s.source_ids[row]}", "source_dataset": image_set.source_dataset,
            "source_id": s.source_ids[row], "image": record.image, "camera": record.camera,
            "keypoints_2d": record.keypoints_2d, "joint_set": record.joint_set,
            "pose": np.asarray(s.poses[row], np.float32), "has_pose": bool(s.has_pose[row]),
            "joints_3d": np.asarray(s.joints_3d[row], np.float32) if s.joints_3d is not None else empty_joints,
            "action": (s.actions[row] or "") if s.actions is not None else "",
        }
    bar.close()


def build_pose_estimation(sets: Mapping[str, Mapping[str, ImageSet]], *, crop: CropOptions = CropOptions(),
                          work_dir: str | Path | None = None, progress: bool = True) -> BuildResult:
    """pose_estimation-<dataset> for every {dataset: {split: ImageSet}}; crops are streamed into Arrow files under a
    new folder of `work_dir` (a temporary folder by default), which the returned datasets memory-map. A failure
    removes that folder."""
    info = BuildInfo()
    folder = work_folder(work_dir, "pose-estimation")
    out = {}
    try:
        for dataset, splits in sets.items():
            built = {}
            for split, image_set in splits.items():
                key = card_source(image_set.samples.source)
                if key:
                    info.add_source(key)
                writer = ArrowRowWriter(TASK, folder / f"{dataset}-{split}.arrow")
                for row in pose_estimation_rows(image_set, crop, info, progress=progress):
                    writer.add(row)
                ds = writer.finish()
                if len(ds):
                    built[split] = ds
                else:
                    info.skip(f"{config_name(TASK, dataset)} {split}", "no row left (no image found or no box)")
            name = config_name(TASK, dataset)
            check_unique_ids(name, {split: ds["id"] for split, ds in built.items()})
            if built:
                out[name] = dataset_dict(built)
                info.record(name, out[name])
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    info.note("pose_estimation: image crops are square HMR-style boxes (key-point extent x "
              f"{crop.scale:g}, or the evaluation file's own box) resized to {crop.size} px; camera K is all zeros "
              "where the source has no calibration; NaN key points are not annotated")
    return BuildResult(out, info)
