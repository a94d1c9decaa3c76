"""EFT pseudo-ground-truth SMPL fits for COCO / MPII / LSPet (facebookresearch/eft, `docs/README_dataformat.md`).

An EFT file (`COCO2014-All-ver01.json`, `COCO2014-Part-ver01.json`, `MPII_ver01.json`, `LSPet_ver01.json`) is a
JSON object {"ver": ..., "data": [fit, ...]} where each fit has
* `parm_pose`: 24 x 3 x 3 rotation matrices of the 24 SMPL joints (root first; `visEFTFit.py` feeds
  `global_orient = parm_pose[0]`, `body_pose = parm_pose[1:]` to SMPL with `pose2rot=False`),
* `parm_shape` (10 betas), `parm_cam` (weak perspective [scale, tx, ty]), `bbox_scale` (float; box side / 200 px),
  `bbox_center` ([x, y] pixels), `imageName` (basename), `annotId` (COCO only: the annotation id),
  `joint_validity_openpose18`, `smpltype`, optionally `subjectId`.

The root rotation is in EFT's (SPIN's) camera frame: x right, y down, z away from the camera, as OpenCV. Returned
poses are the first 22 joints as axis-angle float32 [N, 22, 3]; the matrices are projected onto SO(3) first (the
JSON stores rounded floats).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import roma
import torch

from benchmark.body import rotations as rot
from benchmark.errors import InputError
from datasets_build.sources.files import read_json

REQUIRED_KEYS = ("parm_pose", "parm_shape", "parm_cam", "bbox_scale", "bbox_center", "imageName")
_ORTHONORMAL_TOLERANCE = 1e-2  # the JSON keeps float32-rounded matrices; anything further off is not a rotation


@dataclass(frozen=True, eq=False)
class EFTFits:
    path: Path
    image_names: tuple[str, ...]   # basenames, as in the file
    annot_ids: np.ndarray          # int64 [N]; -1 where the file has no annotId (MPII, LSPet)
    poses: np.ndarray              # float32 [N, 22, 3], axis-angle, root in the camera frame
    betas: np.ndarray              # float32 [N, 10]
    cameras: np.ndarray            # float32 [N, 3] weak perspective (scale, tx, ty)
    bbox_centers: np.ndarray       # float32 [N, 2] pixels
    bbox_scales: np.ndarray        # float32 [N]

    def __len__(self) -> int:
        return len(self.image_names)


def _column(entries: list, key: str, shape: tuple, path: Path) -> np.ndarray:
    try:
        arr = np.asarray([e[key] for e in entries], dtype=np.float64)
    except (ValueError, TypeError):
        arr = None
    if arr is None or arr.shape[1:] != shape:
        for row, entry in enumerate(entries):  # find the culprit only on the error path
            try:
                value = np.asarray(entry[key], dtype=np.float64)
            except (ValueError, TypeError):
                raise InputError("not a numeric array", file=str(path), row=row, field=key) from None
            if value.shape != shape:
                raise InputError(f"shape {list(value.shape)} is not {list(shape)}", file=str(path), row=row,
                                 field=key)
        arr = np.stack([np.asarray(e[key], dtype=np.float64) for e in entries])
    bad = ~np.isfinite(arr).reshape(len(arr), -1).all(1)
    if bad.any():
        raise InputError("contains NaN or infinite values", file=str(path), row=int(np.flatnonzero(bad)[0]),
                         field=key)
    return arr


def read_eft_fits(path: str | Path) -> EFTFits:
    """Read and validate an EFT fitting JSON (see the module docstring)."""
    path = Path(path)
    raw = read_json(path, hint="download the EFT fits with facebookresearch/eft scripts/download_eft.sh")
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), list):
        raise InputError("expected a JSON object with a 'data' list of fits", file=str(path), field="data")
    entries = raw["data"]
    for row, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise InputError(f"expected an object, got {type(entry).__name__}", file=str(path), row=row)
        missing = [k for k in REQUIRED_KEYS if k not in entry]
        if missing:
            raise InputError(f"missing key; the fit has {sorted(entry)}", file=str(path), row=row, field=missing[0])
        if not isinstance(entry["imageName"], str):
            raise InputError("expected a string", file=str(path), row=row, field="imageName")
    if not entries:
        raise InputError("the file holds no fits", file=str(path), field="data")
    rotmats = _column(entries, "parm_pose", (24, 3, 3), path)
    err = np.abs(np.swapaxes(rotmats, -1, -2) @ rotmats - np.eye(3)).max(axis=(-1, -2))
    det = np.linalg.det(rotmats)
    bad = (err > _ORTHONORMAL_TOLERANCE) | (det <= 0)
    if bad.any():
        row, joint = (int(v[0]) for v in np.nonzero(bad))
        raise InputError(f"joint {joint} is not a rotation matrix (|R^T R - I| = {err[row, joint]:.3g}, "
                         f"det = {det[row, joint]:.3g})", file=str(path), row=row, field="parm_pose")
    rotmats = roma.special_procrustes(torch.from_numpy(rotmats[:, :22])).numpy()
    poses = rot.matrix_to_axis_angle(rotmats).astype(np.float32)
    bad_ids = [i for i, e in enumerate(entries)
               if not isinstance(e.get("annotId", -1), int) or isinstance(e.get("annotId"), bool)]
    if bad_ids:
        raise InputError("annotId is not an integer", file=str(path), row=bad_ids[0], field="annotId")
    annot_ids = np.array([e.get("annotId", -1) for e in entries], dtype=np.int64)
    return EFTFits(
        path=path, image_names=tuple(e["imageName"] for e in entries), annot_ids=annot_ids,
        poses=poses,
        betas=_column(entries, "parm_shape", (10,), path).astype(np.float32),
        cameras=_column(entries, "parm_cam", (3,), path).astype(np.float32),
        bbox_centers=_column(entries, "bbox_center", (2,), path).astype(np.float32),
        bbox_scales=_column(entries, "bbox_scale", (), path).astype(np.float32))
