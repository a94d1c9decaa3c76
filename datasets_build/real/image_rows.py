"""From `ImageSamples` rows (the image readers' common record) to the image columns of the task schemas.

An `ImageSet` is one split of one image dataset: the samples, the folder their `image_paths` are relative to, and
how to box the person (`crops.BOX_MODES`). `row_geometry` computes, for the whole set at once, each row's box,
camera and 2D key points; `iter_crop_records` then reads the images and yields, per row, the PNG crop, the camera
with K adjusted to the crop, and the key points moved into crop pixels.

Per row:
* `joint_set`: the joint set of `joints_3d` when the source has 3D joints (the HMR 2.0 evaluation layout
  "hmr2-eval-15" is named after its protocol, "hmr2-14": 14 joints + pelvis), else the set of the 2D annotation.
* `keypoints_2d` [J, 2]: the 2D key points of that joint set in crop pixels: the source's annotation where it has
  one for that set (it may include lens distortion, which K does not model), else the 3D joints projected with K;
  NaN marks a key point the source does not annotate (flag 0) or one behind the camera; [0, 2] when neither exists.
* `camera`: K (crop pixels), R, t (world -> camera, metres) of the source; K is all zeros where the source has no
  calibration (MPII, COCO, HMR 2.0 evaluation files without a matched calibration), R = I and t = 0 likewise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from benchmark.errors import InputError
from datasets_build.real.common import BuildInfo
from datasets_build.real.crops import (BOX_MODES, CropOptions, center_scale_boxes, crop_affine, crop_intrinsics,
                                       crop_rows, keypoint_boxes, map_points, xywh_boxes)
from datasets_build.sources.joint_sets import HMR2_44, HMR2_EVAL_15
from datasets_build.sources.hmr2_eval import EVAL_ROWS
from datasets_build.sources.samples import ImageSamples

# Joint-set names stored in `joint_set` where the reader's name differs from the evaluation protocol's.
PROTOCOL_JOINT_SETS = {HMR2_EVAL_15.name: "hmr2-14"}


@dataclass(frozen=True)
class ImageSet:
    """One split of an image dataset. `name` is the rows' `source_dataset` (default: the samples' source)."""

    samples: ImageSamples
    image_root: str | Path
    box: str = "keypoints"
    name: str | None = None

    def __post_init__(self):
        if self.box not in BOX_MODES:
            raise ValueError(f"box {self.box!r}: one of {BOX_MODES}")
        if self.box == "center-scale" and not {"center", "scale"} <= set(self.samples.extras):
            raise InputError(f"{self.samples.source}: box 'center-scale' needs the extras 'center' and 'scale'",
                             field="center", hint="use box='keypoints' for sources without HMR-style boxes")

    @property
    def source_dataset(self) -> str:
        return self.name or self.samples.source


@dataclass(frozen=True, eq=False)
class RowGeometry:
    """Per-row arrays of an ImageSet (image pixels; see the module docstring)."""

    joint_set: str
    keypoints: np.ndarray     # float64 [N, J, 2] image pixels, NaN = not annotated ([N, 0, 2] when none)
    K: np.ndarray             # float64 [N, 3, 3], zeros = unknown
    R: np.ndarray             # float64 [N, 3, 3]
    t: np.ndarray             # float64 [N, 3]
    centres: np.ndarray       # float64 [N, 2]; NaN with side NaN = the whole image
    sides: np.ndarray         # float64 [N]
    has_box: np.ndarray       # bool [N]: False = no way to locate the person (the row is left out)


def _cameras(samples: ImageSamples) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = len(samples)
    K, R, t = np.zeros((n, 3, 3)), np.tile(np.eye(3), (n, 1, 1)), np.zeros((n, 3))
    known = np.zeros(n, bool)
    if samples.camera_index is not None and samples.cameras:
        idx = np.asarray(samples.camera_index, dtype=np.int64)
        known = idx >= 0
        table_k = np.stack([np.asarray(c.K, np.float64) for c in samples.cameras])
        table_r = np.stack([np.asarray(c.R, np.float64) for c in samples.cameras])
        table_t = np.stack([np.asarray(c.t, np.float64).reshape(3) for c in samples.cameras])
        K[known], R[known], t[known] = table_k[idx[known]], table_r[idx[known]], table_t[idx[known]]
    return K, R, t, known


def project(K: np.ndarray, joints: np.ndarray) -> np.ndarray:
    """Pinhole projection of camera-frame joints [N, J, 3] with per-row K [N, 3, 3]; NaN at or behind the camera."""
    uvw = np.asarray(joints, np.float64) @ np.swapaxes(K, 1, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = uvw[..., :2] / uvw[..., 2:3]
    uv[~(np.asarray(joints)[..., 2] > 0)] = np.nan
    return uv


def _annotated(keypoints: np.ndarray) -> np.ndarray:
    """[N, K, 2] positions with NaN where the flag says "not annotated"."""
    kp = np.asarray(keypoints, dtype=np.float64)
    xy = kp[..., :2].copy()
    xy[kp[..., 2] <= 0] = np.nan
    return xy


def row_geometry(image_set: ImageSet, options: CropOptions) -> RowGeometry:
    """Joint set, key points, cameras and boxes of every row of `image_set` (vectorised)."""
    s = image_set.samples
    n = len(s)
    K, R, t, known = _cameras(s)
    kp_full = s.keypoints_2d
    joints_set = s.joints_3d_joint_set if s.joints_3d is not None else None
    if joints_set is not None:
        joint_set = joints_set
        if kp_full is not None and s.keypoints_2d_joint_set == joints_set:
            keypoints = _annotated(kp_full)
        elif kp_full is not None and s.keypoints_2d_joint_set == HMR2_44.name and joints_set == HMR2_EVAL_15.name:
            keypoints = _annotated(kp_full[:, list(EVAL_ROWS)])
        elif known.any():
            keypoints = np.full(s.joints_3d.shape[:2] + (2,), np.nan)
            keypoints[known] = project(K[known], s.joints_3d[known])
        else:
            keypoints = np.zeros((n, 0, 2))
    elif kp_full is not None:
        joint_set, keypoints = s.keypoints_2d_joint_set or "", _annotated(kp_full)
    else:
        joint_set, keypoints = "", np.zeros((n, 0, 2))
    joint_set = PROTOCOL_JOINT_SETS.get(joint_set, joint_set)

    if image_set.box == "full":
        centres, sides = np.full((n, 2), np.nan), np.full(n, np.nan)
        has_box = np.ones(n, bool)
    elif image_set.box == "center-scale":
        centres, sides = center_scale_boxes(s.extras["center"], s.extras["scale"])
        has_box = np.isfinite(sides) & np.isfinite(centres).all(1)
    else:
        # In order of preference: the source's 2D annotation, the row's key points (3D joints projected with K),
        # the source's own person box.
        centres, sides = np.full((n, 2), np.nan), np.full(n, np.nan)
        flagged = np.concatenate([keypoints, np.isfinite(keypoints[..., :1]).astype(np.float64) * 2], axis=-1)
        candidates = ([keypoint_boxes(kp_full[..., :3], options.scale, options.min_keypoints)]
                      if kp_full is not None else [])
        candidates += [keypoint_boxes(flagged, options.scale, options.min_keypoints), _source_boxes(s, options.scale)]
        for c, side in candidates:
            use = ~np.isfinite(sides) & np.isfinite(side)
            centres[use], sides[use] = c[use], side[use]
        has_box = np.isfinite(sides)
    return RowGeometry(joint_set, keypoints, K, R, t, centres, sides, has_box)


def _source_boxes(samples: ImageSamples, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The source's own person box where it has one (COCO `bbox`; MPII `center` = objpos with `scale` = person
    height / 200), enlarged by `scale`; NaN elsewhere."""
    n = len(samples)
    extras = samples.extras
    if "bbox" in extras:
        return xywh_boxes(extras["bbox"], scale)
    if "center" in extras and "scale" in extras:
        return center_scale_boxes(extras["center"], extras["scale"], factor=scale)
    return np.full((n, 2), np.nan), np.full(n, np.nan)


@dataclass
class CropRecord:
    image: dict            # {"bytes": PNG, "path": None}
    camera: dict           # {"K", "R", "t"} float32, K in crop pixels
    keypoints_2d: np.ndarray  # float32 [J, 2] crop pixels
    joint_set: str


def iter_crop_records(image_set: ImageSet, geometry: RowGeometry, rows: Sequence[int], options: CropOptions,
                      info: BuildInfo | None = None, chunk: int = 128) -> Iterator[tuple[int, CropRecord]]:
    """(row, CropRecord) for `rows` of the set, in order; rows whose image is missing (with
    `options.skip_missing_images`) are left out and counted in `info`."""
    rows = np.asarray(rows, dtype=np.int64)
    samples = image_set.samples
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        results = list(crop_rows(image_set.image_root, [samples.image_paths[i] for i in part],
                                 geometry.centres[part], geometry.sides[part], options))
        centres = np.stack([r.centre for r in results])
        sides = np.array([r.side for r in results])
        ok = np.array([r.png is not None for r in results])
        if not ok.all() and info is not None:
            info.count(f"{image_set.source_dataset} {samples.split}: rows skipped, image file missing",
                       int((~ok).sum()))
        affine = crop_affine(np.where(ok[:, None], centres, 0.0), np.where(ok, sides, 1.0), options.size)
        keypoints = map_points(affine, geometry.keypoints[part]).astype(np.float32)
        K = crop_intrinsics(affine, geometry.K[part])
        K[~geometry.K[part].any(axis=(1, 2))] = 0.0  # unknown intrinsics stay unknown
        for j, (row, result) in enumerate(zip(part, results)):
            if result.png is None:
                continue
            camera = {"K": K[j].astype(np.float32), "R": geometry.R[row].astype(np.float32),
                      "t": geometry.t[row].astype(np.float32).tolist()}
            yield int(row), CropRecord({"bytes": result.png, "path": None}, camera, keypoints[j],
                                       geometry.joint_set)


# ------------------------------------------------------------------------------------------------ camera joins
def with_cameras_by_image(samples: ImageSamples, reference: ImageSamples) -> ImageSamples:
    """`samples` (e.g. HMR 2.0's 3dpw_test.npz, which has no calibration) with the camera of the reference row
    showing the same image path (e.g. the 3DPW sequence files); rows without a match keep camera index -1."""
    if not reference.cameras or reference.camera_index is None:
        return samples
    by_path: dict[str, int] = {}
    for path, idx in zip(reference.image_paths, reference.camera_index):
        by_path.setdefault(path, int(idx))
    index = np.array([by_path.get(p, -1) for p in samples.image_paths], dtype=np.int32)
    return replace(samples, cameras=reference.cameras, camera_index=index)


_P2_NAME = re.compile(r"S(?P<subject>\d+)_[A-Za-z]+(?:_\d+)?\.(?P<camera>\d+)_\d+")


def with_h36m_cameras(samples: ImageSamples, labels: ImageSamples) -> ImageSamples:
    """HMR 2.0's h36m_val_p2.npz rows (image names `.../S9_Directions_1.54138969_000001.jpg`) with the calibration
    of that subject and camera from a Human3.6M label pkl (`read_h36m_labels`); unmatched rows keep -1."""
    if not labels.cameras or labels.camera_index is None or "subject" not in labels.extras:
        return samples
    by_key: dict[tuple[int, str], int] = {}
    for subject, idx in zip(labels.extras["subject"], labels.camera_index):
        by_key.setdefault((int(subject), labels.cameras[int(idx)].name), int(idx))
    index = []
    for path in samples.image_paths:
        match = _P2_NAME.search(Path(path).name)
        key = (int(match.group("subject")), match.group("camera")) if match else None
        index.append(by_key.get(key, -1))
    return replace(samples, cameras=labels.cameras, camera_index=np.array(index, dtype=np.int32))
