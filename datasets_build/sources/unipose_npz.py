"""UniPose's image-pose sets `{mpi-inf,h36m,mpii,coco,3dpw,h36m_val}.npz` (liyiheng23/UniPose
`posegpt/datasets/posegpt.py::Image2PoseDataset` @14de673).

Keys: `img_path` (N,) paths relative to UniPose's dataset root; `global_orient` (N, 3) and `body_pose` (N, 63 | 69)
SMPL axis-angle (training sets; UniPose concatenates them and keeps the first 66 values, i.e. 22 joints, root in the
camera frame of the HMR 2.0 data); `keypoints_3d` (N, 44 | 19, 3 | 4): HMR 2.0's 44 points, a 19-point array being
the extra joints alone, front-padded with zeros to 44 as UniPose does. `h36m_val` has no SMPL parameters.

Rows keep the file order; `source_ids` are "<img_path>" (suffixed "#k" for the k-th repeat of an image).
joints_3d: the 44 points [N, 44, 3] in `HMR2_44` order (metres); extras `confidence_3d` [N, 44] when the array has
the 4th column. Use `hmr2_eval.EVAL_ROWS` for the 14-joint + pelvis protocol subset.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmark.errors import InputError
from datasets_build.sources.files import NpzFile, string_column
from datasets_build.sources.hmr2_eval import unique_row_ids, pad_to_44
from datasets_build.sources.joint_sets import HMR2_44
from datasets_build.sources.samples import ImageSamples, no_poses

NAMES = ("mpi-inf", "h36m", "mpii", "coco", "3dpw", "h36m_val")


def read_unipose_npz(npz_path: str | Path, *, split: str | None = None) -> ImageSamples:
    """One UniPose image npz as ImageSamples (see the module docstring); the source is the file's stem."""
    path = str(npz_path)
    stem = Path(npz_path).stem
    with NpzFile(npz_path, hint="UniPose's processed_dataset/image_dataset/*.npz") as npz:
        if not npz.has("img_path"):
            raise npz.missing("img_path")
        names = string_column(npz.array("img_path"), source=path, field="img_path")
        n = len(names)
        poses, has_pose, betas = no_poses(n)
        if npz.has("global_orient") or npz.has("body_pose"):
            for key in ("global_orient", "body_pose"):
                if not npz.has(key):
                    raise npz.missing(key, "global_orient and body_pose come together")
            root = npz.array("global_orient").astype(np.float64)
            body = npz.array("body_pose").astype(np.float64)
            if root.shape != (n, 3):
                raise InputError(f"shape {list(root.shape)} is not [{n}, 3]", file=path, field="global_orient")
            if body.ndim != 2 or len(body) != n or body.shape[1] not in (63, 69):
                raise InputError(f"shape {list(body.shape)} is not [{n}, 63 | 69]", file=path, field="body_pose")
            full = np.concatenate([root, body[:, :63]], axis=1)
            finite = np.isfinite(full).all(1)
            if not finite.all():
                raise InputError("contains NaN or infinite values", file=path, row=int(np.flatnonzero(~finite)[0]),
                                 field="body_pose")
            poses = full.reshape(n, 22, 3).astype(np.float32)
            has_pose = np.ones(n, bool)
        joints = confidence = None
        if npz.has("keypoints_3d"):
            kp = npz.array("keypoints_3d")
            if kp.ndim != 3 or len(kp) != n or kp.shape[1] not in (19, 44) or kp.shape[2] not in (3, 4):
                raise InputError(f"shape {list(kp.shape)} is not [{n}, 44 | 19, 3 | 4]", file=path,
                                 field="keypoints_3d")
            kp = pad_to_44(kp.astype(np.float32))
            if not np.isfinite(kp).all():
                row = int(np.flatnonzero(~np.isfinite(kp).reshape(n, -1).all(1))[0])
                raise InputError("contains NaN or infinite values", file=path, row=row, field="keypoints_3d")
            joints = np.ascontiguousarray(kp[..., :3])
            confidence = kp[..., 3].copy() if kp.shape[2] == 4 else None
    if joints is None and not has_pose.any():
        raise InputError("neither SMPL parameters (global_orient, body_pose) nor keypoints_3d", file=path)
    return ImageSamples(
        source=f"unipose-{stem}", split=split or ("val" if stem.endswith("_val") else "train"),
        source_ids=unique_row_ids(names, None), image_paths=names, poses=poses, has_pose=has_pose, betas=betas,
        joints_3d=joints, joints_3d_joint_set=HMR2_44.name if joints is not None else None,
        extras={"confidence_3d": confidence} if confidence is not None else {})
