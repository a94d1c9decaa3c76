"""The common record of the image datasets: one row per (image, person), columns as numpy arrays.

Conventions (every image reader fills them the same way, so the pose-estimation builder treats all sources alike):
* `image_paths` are relative to the dataset root the user passes to the builder (as the dataset ships them).
* Cameras follow OpenCV: x right, y down, z forward; `K` in pixels; `R`, `t` map world to camera with `t` in metres.
  Rows refer to `cameras` through `camera_index` (-1: no calibration known).
* `keypoints_2d` [N, K, 3] float32: (x, y, flag) in pixels of the full image, flag = COCO visibility (0 not
  annotated, 1 annotated but occluded, 2 annotated visible) or a detector confidence, as each reader documents.
* `joints_3d` [N, J, 3] float32: ground-truth joints in metres in the camera frame (not root-relative).
* `poses` [N, 22, 3] float32: SMPL body pose, axis-angle, root orientation in the camera frame; zeros where
  `has_pose` is False. `betas` [N, 10] float32 likewise.
* `extras`: per-row columns specific to a source (subject, frame, person ...), documented by each reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from benchmark.errors import InputError


@dataclass(frozen=True, eq=False)  # arrays inside: compare by identity
class Camera:
    """A calibrated camera (OpenCV convention; see the module docstring).

    `distortion` holds the source's own coefficients, named by `distortion_model`: "opencv" (k1, k2, p1, p2[, k3])
    or "h36m" (k1, k2, k3, p1, p2 of Human3.6M's own model, whose tangential terms differ from OpenCV's).
    """

    K: np.ndarray                       # float64 [3, 3]
    R: np.ndarray = field(default_factory=lambda: np.eye(3))  # float64 [3, 3], world -> camera
    t: np.ndarray = field(default_factory=lambda: np.zeros(3))  # float64 [3], metres
    distortion: np.ndarray | None = None
    distortion_model: str | None = None
    width: int | None = None
    height: int | None = None
    name: str = ""

    def world_to_camera(self, points: np.ndarray) -> np.ndarray:
        """Points (..., 3) in metres from the world frame into this camera's frame."""
        return np.asarray(points) @ self.R.T + self.t

    def project(self, points_camera: np.ndarray) -> np.ndarray:
        """Pinhole projection (no distortion) of camera-frame points (..., 3) to pixels (..., 2)."""
        p = np.asarray(points_camera, dtype=np.float64)
        uvw = p @ self.K.T
        return uvw[..., :2] / uvw[..., 2:3]


@dataclass(frozen=True, eq=False)
class ImageSamples:
    """Rows of (image, person) from one source and split; see the module docstring for units and frames."""

    source: str
    split: str
    source_ids: tuple[str, ...]
    image_paths: tuple[str, ...]
    poses: np.ndarray
    has_pose: np.ndarray
    betas: np.ndarray
    keypoints_2d: np.ndarray | None = None
    keypoints_2d_joint_set: str | None = None
    joints_3d: np.ndarray | None = None
    joints_3d_joint_set: str | None = None
    cameras: tuple[Camera, ...] = ()
    camera_index: np.ndarray | None = None
    actions: tuple[str, ...] | None = None
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self):
        n = len(self.source_ids)
        columns = {"image_paths": len(self.image_paths), "poses": len(self.poses), "has_pose": len(self.has_pose),
                   "betas": len(self.betas)}
        for name in ("keypoints_2d", "joints_3d", "camera_index", "actions"):
            value = getattr(self, name)
            if value is not None:
                columns[name] = len(value)
        columns.update({f"extras[{k}]": len(v) for k, v in self.extras.items()})
        bad = {k: v for k, v in columns.items() if v != n}
        if bad:
            raise InputError(f"{self.source} {self.split}: columns disagree on the row count {n}: {bad}")
        if self.poses.shape[1:] != (22, 3) or self.betas.shape[1:] != (10,):
            raise InputError(f"{self.source}: poses {list(self.poses.shape)} / betas {list(self.betas.shape)} are "
                             f"not [N, 22, 3] / [N, 10]")
        if len(set(self.source_ids)) != n:
            seen: set[str] = set()
            dup = next(s for s in self.source_ids if s in seen or seen.add(s))
            raise InputError(f"{self.source} {self.split}: duplicate row id {dup!r}", row=dup)
        if self.camera_index is not None and len(self.camera_index) and (
                self.camera_index.max() >= len(self.cameras) or self.camera_index.min() < -1):
            raise InputError(f"{self.source}: camera_index refers past the {len(self.cameras)} cameras")

    def __len__(self) -> int:
        return len(self.source_ids)

    def take(self, rows) -> "ImageSamples":
        """The rows `rows` (indices or a boolean mask), in that order."""
        rows = np.asarray(rows)
        rows = np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.int64)

        def pick(seq):
            return None if seq is None else tuple(seq[i] for i in rows)

        def pick_array(arr):
            return None if arr is None else arr[rows]

        return replace(
            self, source_ids=pick(self.source_ids), image_paths=pick(self.image_paths), poses=self.poses[rows],
            has_pose=self.has_pose[rows], betas=self.betas[rows], keypoints_2d=pick_array(self.keypoints_2d),
            joints_3d=pick_array(self.joints_3d), camera_index=pick_array(self.camera_index),
            actions=pick(self.actions), extras={k: v[rows] for k, v in self.extras.items()})


def no_poses(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(poses, has_pose, betas) for n rows without SMPL fits."""
    return np.zeros((n, 22, 3), np.float32), np.zeros(n, bool), np.zeros((n, 10), np.float32)
