"""The SMPL poses of image rows, prepared for sampling, captioning and retrieval features (ImageScript / ImageDiff).

Image rows store the pose with its root orientation in the camera frame (OpenCV axes: x right, y down, z forward).
The captioning pipelines and the retrieval evaluators take poses in the AMASS z-up frame, heading-normalised as
PoseScript does. The camera frame maps into a z-up frame by Rx(-90 deg) (camera "down" -> -z, camera "forward" ->
+y): a person standing upright in front of a level camera then has a root of about Rx(+90 deg), AMASS's upright
root; the heading normalisation then removes the rotation about the vertical, and keeps the tilt of the camera as
body pitch / roll (an image tells nothing about the true vertical).

* `PosePool`: the rows of an ImageSet that have an SMPL fit and a person box, with their poses.
* `fps_joints`: joint positions with the root orientation set to 0, the distance space of UniPose's farthest-point
  sampling ("neutral SMPL body model, default shape, global orientation 0", UniPose appendix A.1).
* `caption_joints`: y-up captioning-frame joints of the heading-normalised poses (`benchmark.posecodes.inputs`).
* `select_farthest`: the seeded farthest-point subset ("starting with a randomly selected pose").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np

from benchmark.body import rotations as rot
from benchmark.body.frames import normalize_pose_heading, rotate_root
from datasets_build.pair_mining import sub_seed
from datasets_build.real.crops import CropOptions
from datasets_build.real.image_rows import ImageSet, RowGeometry, row_geometry

CAMERA_TO_AMASS = rot.rotation_about("x", -np.pi / 2)


def camera_poses_to_amass(poses: np.ndarray) -> np.ndarray:
    """Poses [N, J, 3] with the root in the camera frame -> root in the z-up AMASS-style frame (not normalised)."""
    poses = np.asarray(poses, dtype=np.float64)
    return rotate_root(poses, np.broadcast_to(CAMERA_TO_AMASS, (len(poses), 3, 3)))


@dataclass
class PosePool:
    """Rows of `image_set` with `has_pose` and a person box; `rows` index its samples."""

    image_set: ImageSet
    geometry: RowGeometry
    rows: np.ndarray                                  # int64 [M]
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_image_set(cls, image_set: ImageSet, crop: CropOptions) -> "PosePool":
        geometry = row_geometry(image_set, crop)
        rows = np.flatnonzero(np.asarray(image_set.samples.has_pose, bool) & geometry.has_box)
        return cls(image_set, geometry, rows)

    @property
    def name(self) -> str:
        return self.image_set.source_dataset

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def camera_poses(self) -> np.ndarray:
        """float32 [M, 22, 3] as stored in image rows (root in the camera frame)."""
        return np.asarray(self.image_set.samples.poses[self.rows], dtype=np.float32)

    @property
    def normalized_poses(self) -> np.ndarray:
        """float32 [M, 22, 3] in the AMASS frame, heading-normalised (what the evaluators and captioners take)."""
        if "normalized" not in self._cache:
            amass = camera_poses_to_amass(self.camera_poses)
            self._cache["normalized"] = normalize_pose_heading(amass).astype(np.float32)
        return self._cache["normalized"]

    def fps_joints(self, body_model) -> np.ndarray:
        """[M, J, 3] joints (metres) of the poses with a zero root orientation."""
        key = ("fps", body_model.name)
        if key not in self._cache:
            poses = self.camera_poses.copy()
            poses[:, 0] = 0.0
            self._cache[key] = np.asarray(body_model.joints(poses), dtype=np.float32)
        return self._cache[key]

    def caption_joints(self, body_model) -> np.ndarray:
        """[M, 22 | 52, 3] captioning-frame joints of the heading-normalised poses."""
        from benchmark.posecodes.inputs import joints_from_poses

        key = ("caption", body_model.name)
        if key not in self._cache:
            joints, _ = joints_from_poses(self.normalized_poses, body_model, normalize_heading=False)
            self._cache[key] = joints
        return self._cache[key]


def select_farthest(pool: PosePool, k: int, seed: int, body_model, fps=None, progress: bool = False) -> np.ndarray:
    """Indices into `pool` (selection order) of a farthest-point subset of min(k, len(pool)) poses by MPJE, started
    at a seeded random pose. `fps(joints, k, start)` defaults to `world.sampling.farthest_point_sampling`."""
    if fps is None:
        from datasets_build.world.sampling import farthest_point_sampling

        fps = partial(farthest_point_sampling, progress=progress)
    n = len(pool)
    if n == 0 or k <= 0:
        return np.zeros(0, np.int64)
    start = int(np.random.default_rng(sub_seed(seed, "fps-start", pool.name, pool.image_set.samples.split))
                .integers(n))
    return np.asarray(fps(pool.fps_joints(body_model), min(int(k), n), start=start), dtype=np.int64)


def default_body_model(body_model=None):
    if body_model is not None:
        return body_model
    from benchmark.body.skeleton import SkeletonBody

    return SkeletonBody()
