"""Pinhole cameras of the embedded world's renders: construction, projection, and person-crop framing.

Conventions (those of `benchmark.tasks.schema`, i.e. OpenCV):
* Camera frame: x right, y down, z forward (the optical axis); metres.
* `R` [B, 3, 3], `t` [B, 3] map world points to the camera frame: X_cam = R @ X_world + t. The camera centre is
  C = -R^T t.
* `K` [B, 3, 3] = [[f, 0, cx], [0, f, cy], [0, 0, 1]] in pixels, square pixels. Pixel (row i, column j) has its
  centre at (u, v) = (j, i), so an image of S pixels spans u in [-0.5, S - 0.5] and its centre is (S - 1) / 2.
* World: the AMASS z-up frame of `SkeletonBody` (pelvis at the origin). Camera yaw is the azimuth of the camera
  about +z, 0 on the -y side (in front of a heading-normalised body, which faces -y) and growing counter-clockwise
  seen from above, so +90 deg puts the camera at +x, the body's left. Elevation is the angle of the camera above the
  horizontal plane through the point it looks at. Roll turns the camera about its optical axis; a positive roll
  turns the image content clockwise on screen.

Everything here is vectorised over a batch of cameras and computed in float64; the world build snaps the results
when it stores them, so they come out the same on every CPU (`canonical.py`, and the docstring of `render.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmark.errors import InputError

WORLD_UP = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class Cameras:
    """A batch of B pinhole cameras (OpenCV convention, see the module docstring)."""

    K: np.ndarray  # [B, 3, 3] float64, pixels
    R: np.ndarray  # [B, 3, 3] float64, world -> camera
    t: np.ndarray  # [B, 3] float64, world -> camera, metres
    image_size: int  # square images of image_size x image_size pixels

    def __len__(self) -> int:
        return len(self.K)

    @property
    def centre(self) -> np.ndarray:
        """Camera centres in the world frame [B, 3]."""
        return -np.einsum("bji,bj->bi", self.R, self.t)

    @property
    def yaw(self) -> np.ndarray:
        """Azimuth [B] (radians, in [0, 2 pi)) of the viewing direction, as `orbit_cameras` defines it."""
        forward = self.R[:, 2]
        return np.mod(np.arctan2(-forward[:, 0], forward[:, 1]), 2 * np.pi)

    @property
    def elevation(self) -> np.ndarray:
        """Angle [B] (radians) of the camera above the horizontal plane, from its viewing direction."""
        return np.arcsin(np.clip(-self.R[:, 2, 2], -1.0, 1.0))

    def __getitem__(self, index) -> "Cameras":
        index = np.atleast_1d(np.arange(len(self))[index])
        return Cameras(self.K[index], self.R[index], self.t[index], self.image_size)


def check_image_size(image_size) -> int:
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)) or not 16 <= image_size <= 4096:
        raise InputError(f"image_size {image_size!r} is not an integer number of pixels in [16, 4096]",
                         field="image_size", hint="images are square; 128 is the embedded world's default")
    return int(image_size)


def _batch_vectors(x, n: int, field: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        arr = np.broadcast_to(arr, (n, arr.shape[0]))
    if arr.shape != (n, 3) or not np.isfinite(arr).all():
        raise InputError(f"shape {list(arr.shape)} is not [{n}, 3] finite values", field=field,
                         hint="one 3D point (metres, world frame) per camera")
    return arr


def _batch_scalars(x, n: int, field: str) -> np.ndarray:
    arr = np.broadcast_to(np.asarray(x, dtype=np.float64), (n,)) if np.ndim(x) == 0 else np.asarray(x, np.float64)
    if arr.shape != (n,) or not np.isfinite(arr).all():
        raise InputError(f"shape {list(np.shape(x))} is not a scalar or [{n}] finite values", field=field)
    return arr


def intrinsics(focal, image_size: int) -> np.ndarray:
    """K [B, 3, 3] for focal lengths `focal` [B] (pixels) and the principal point at the image centre."""
    image_size = check_image_size(image_size)
    focal = np.atleast_1d(np.asarray(focal, dtype=np.float64))
    if focal.ndim != 1 or not (np.isfinite(focal).all() and (focal > 0).all()):
        raise InputError("focal lengths must be positive finite numbers of pixels", field="focal")
    K = np.zeros((len(focal), 3, 3))
    K[:, 0, 0] = K[:, 1, 1] = focal
    K[:, :2, 2] = (image_size - 1) / 2.0
    K[:, 2, 2] = 1.0
    return K


def look_at(eye, target, roll=0.0, up=WORLD_UP) -> tuple[np.ndarray, np.ndarray]:
    """World -> camera (R [B, 3, 3], t [B, 3]) of cameras at `eye` [B, 3] looking at `target` [B, 3].

    The image's up direction is the projection of `up` (world +z), then the camera is rolled by `roll` [B] radians
    (positive turns the image content clockwise). The viewing direction must not be parallel to `up`.
    """
    eye = np.atleast_2d(np.asarray(eye, dtype=np.float64))
    n = len(eye)
    eye = _batch_vectors(eye, n, "eye")
    target = _batch_vectors(target, n, "target")
    roll = _batch_scalars(roll, n, "roll")
    forward = target - eye
    dist = np.linalg.norm(forward, axis=1, keepdims=True)
    if (dist < 1e-9).any():
        raise InputError("the camera is at the point it looks at", row=int(np.flatnonzero(dist[:, 0] < 1e-9)[0]),
                         field="eye")
    forward = forward / dist
    right = np.cross(forward, np.asarray(up, dtype=np.float64))
    norm = np.linalg.norm(right, axis=1, keepdims=True)
    if (norm < 1e-6).any():
        raise InputError("the viewing direction is parallel to the up vector (looking straight up or down)",
                         row=int(np.flatnonzero(norm[:, 0] < 1e-6)[0]), field="eye",
                         hint="keep the elevation strictly between -90 and 90 degrees")
    right = right / norm
    down = np.cross(forward, right)
    R = np.stack([right, down, forward], axis=1)
    c, s = np.cos(roll), np.sin(roll)
    roll_m = np.zeros((n, 3, 3))
    roll_m[:, 0, 0], roll_m[:, 0, 1], roll_m[:, 1, 0], roll_m[:, 1, 1] = c, -s, s, c
    roll_m[:, 2, 2] = 1.0
    R = roll_m @ R
    t = -np.einsum("bij,bj->bi", R, eye)
    return R, t


def orbit_direction(yaw, elevation) -> np.ndarray:
    """Unit vectors [B, 3] from the looked-at point towards the camera, for yaw/elevation [B] in radians."""
    yaw, elevation = np.asarray(yaw, np.float64), np.asarray(elevation, np.float64)
    ce = np.cos(elevation)
    return np.stack([ce * np.sin(yaw), -ce * np.cos(yaw), np.sin(elevation)], axis=-1)


def orbit_cameras(target, yaw, elevation, distance, focal, image_size: int, roll=0.0) -> Cameras:
    """Cameras at `distance` metres from `target` [B, 3] in direction (yaw, elevation), looking at it."""
    target = np.atleast_2d(np.asarray(target, dtype=np.float64))
    n = len(target)
    yaw, elevation, distance = (_batch_scalars(x, n, f) for x, f in
                                ((yaw, "yaw"), (elevation, "elevation"), (distance, "distance")))
    if (distance <= 0).any():
        raise InputError("camera distances must be positive", field="distance")
    if (np.abs(elevation) >= np.pi / 2).any():
        raise InputError("elevation must be strictly between -90 and 90 degrees (in radians)", field="elevation")
    eye = target + distance[:, None] * orbit_direction(yaw, elevation)
    R, t = look_at(eye, target, roll)
    return Cameras(intrinsics(_batch_scalars(focal, n, "focal"), image_size), R, t, check_image_size(image_size))


def project(points, K, R, t) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates [B, N, 2] and camera-frame depths [B, N] of world points [B, N, 3]."""
    points = np.asarray(points, dtype=np.float64)
    cam = np.einsum("bij,bnj->bni", np.asarray(R, np.float64), points) + np.asarray(t, np.float64)[:, None]
    pix = np.einsum("bij,bnj->bni", np.asarray(K, np.float64), cam)
    depth = cam[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = pix[..., :2] / pix[..., 2:3]
    return uv, depth


def ellipsoid_bboxes(centres, shapes, cameras: Cameras) -> np.ndarray:
    """Exact image bounding boxes [B, E, 4] = (u_min, v_min, u_max, v_max) of ellipsoids seen by `cameras`.

    An ellipsoid is {c + L x : |x| <= 1} with `centres` c [B, E, 3] and `shapes` S = L L^T [B, E, 3, 3] (S may be
    singular: a flat disc works). Each box edge is the image line whose back-projected plane touches the ellipsoid,
    found from the dual quadric Q* = [[S - c c^T, -c], [-c^T, -1]] projected to the dual conic C* = P Q* P^T
    (Hartley & Zisserman, "Multiple View Geometry", 8.3). The ellipsoids must lie in front of the cameras.
    """
    c = np.asarray(centres, np.float64)
    S = np.asarray(shapes, np.float64)
    A = cameras.K @ cameras.R  # P = [A | p] = K [R | t]
    p = np.einsum("bij,bj->bi", cameras.K, cameras.t)
    # C* = P Q* P^T = A S A^T - h h^T with h = A c + p (the centre's homogeneous image point).
    h = np.einsum("bij,bej->bei", A, c) + p[:, None]
    AS = np.einsum("bij,bejk->beik", A, S)
    conic = np.einsum("beik,blk->beil", AS, A) - h[..., :, None] * h[..., None, :]
    c22 = conic[..., 2, 2]
    out = np.empty(c.shape[:2] + (4,))
    # Line u = u0 is (1, 0, -u0): tangent when C00 - 2 u0 C02 + u0^2 C22 = 0 (same for v with index 1).
    for axis in (0, 1):
        cross, diag = conic[..., axis, 2], conic[..., axis, axis]
        root = np.sqrt(np.maximum(cross ** 2 - diag * c22, 0.0))
        first, second = (cross - root) / c22, (cross + root) / c22
        out[..., axis], out[..., axis + 2] = np.minimum(first, second), np.maximum(first, second)
    return out


def union_bbox(boxes: np.ndarray) -> np.ndarray:
    """The box [B, 4] enclosing boxes [B, E, 4]."""
    return np.concatenate([boxes[..., :2].min(axis=1), boxes[..., 2:].max(axis=1)], axis=1)


@dataclass(frozen=True)
class CameraRanges:
    """The distribution of random cameras; angles in degrees.

    The person fills `fill` of the longer side of the square image (a person crop, as UniPose's image data), its
    box centre moved off the image centre by up to `jitter` of the free margin on each axis. The field of view is
    that of the crop, narrower than a photo's: a person filling most of a crop from a few metres away.
    """

    elevation_deg: tuple[float, float] = (-10.0, 35.0)
    vertical_fov_deg: tuple[float, float] = (20.0, 45.0)
    fill: tuple[float, float] = (0.75, 0.92)
    jitter: float = 0.6
    roll_std_deg: float = 4.0
    roll_max_deg: float = 10.0
    min_height_above_floor: float = 0.25  # metres; low cameras are lifted instead of going under the floor


def sample_camera_parameters(rng: np.random.Generator, n: int, ranges: CameraRanges = CameraRanges()) -> dict:
    """Draw yaw, elevation, roll (radians), vertical field of view (radians), fill and box offsets for n cameras."""
    out = {
        "yaw": rng.uniform(0.0, 2 * np.pi, n),
        "elevation": np.deg2rad(rng.uniform(*ranges.elevation_deg, n)),
        "roll": np.deg2rad(np.clip(rng.normal(0.0, ranges.roll_std_deg, n), -ranges.roll_max_deg,
                                   ranges.roll_max_deg)),
        "vertical_fov": np.deg2rad(rng.uniform(*ranges.vertical_fov_deg, n)),
        "fill": rng.uniform(*ranges.fill, n),
    }
    # Offsets as fractions of the free margin, in [-jitter, jitter] on each image axis.
    out["offset"] = rng.uniform(-ranges.jitter, ranges.jitter, (n, 2))
    return out


def fit_cameras(centres, shapes, yaw, elevation, roll, vertical_fov, fill, offset, image_size: int,
                floor_z=None, min_height_above_floor: float = 0.25, max_iter: int = 12,
                tolerance_px: float = 0.2) -> Cameras:
    """Frame the bodies given by their bounding ellipsoids (`ellipsoid_bboxes`) as person crops.

    For each body, the camera looks from (yaw, elevation) with focal length set by `vertical_fov`; its distance makes
    the body's image box fill `fill` [B] of the image side, and it slides parallel to the image plane so the box
    centre lands `offset` [B, 2] (fractions of the free margin, -1..1) away from the image centre. Perspective makes
    the box size non-linear in the distance and couples it with the centring, so both are refined by pinhole steps
    until every box is within `tolerance_px` of its target size and centre, or `max_iter` steps. With `floor_z`
    [B], the elevation is raised where needed to keep the camera at least `min_height_above_floor` above the floor.
    """
    image_size = check_image_size(image_size)
    c = np.asarray(centres, np.float64)
    S = np.asarray(shapes, np.float64)
    n = len(c)
    yaw, elevation, roll, vertical_fov, fill = (
        _batch_scalars(x, n, f) for x, f in ((yaw, "yaw"), (elevation, "elevation"), (roll, "roll"),
                                             (vertical_fov, "vertical_fov"), (fill, "fill")))
    offset = np.broadcast_to(np.asarray(offset, np.float64), (n, 2))
    focal = (image_size / 2.0) / np.tan(vertical_fov / 2.0)
    K = intrinsics(focal, image_size)
    half_extent = np.sqrt(np.maximum(np.diagonal(S, axis1=-2, axis2=-1), 0.0))
    lo, hi = (c - half_extent).min(axis=1), (c + half_extent).max(axis=1)
    look = (lo + hi) / 2
    radius = np.linalg.norm(hi - lo, axis=1) / 2
    distance = radius / np.tan(vertical_fov / 2.0) / fill + radius
    want_size = fill * image_size
    want_centre = (image_size - 1) / 2.0 + offset * (1.0 - fill[:, None]) * image_size / 2.0
    for step in range(max_iter + 1):
        if floor_z is not None:
            lowest = np.arcsin(np.clip((np.asarray(floor_z) + min_height_above_floor - look[:, 2]) / distance,
                                       -1.0, 1.0))
            elevation = np.clip(np.maximum(elevation, lowest), -np.pi / 2 + 0.05, np.pi / 2 - 0.05)
        eye = look + distance[:, None] * orbit_direction(yaw, elevation)
        R, t = look_at(eye, look, roll)
        cams = Cameras(K, R, t, image_size)
        if step == max_iter:
            return cams
        boxes = ellipsoid_bboxes(c, S, cams)
        box = union_bbox(boxes)
        width, height = box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]
        size = np.maximum(width, height)
        shift_px = (box[:, :2] + box[:, 2:]) / 2 - want_centre
        if np.all(np.abs(size - want_size) <= tolerance_px) and np.all(np.abs(shift_px) <= tolerance_px):
            return cams
        # Pinhole steps taken at the depths of the ellipsoids that make the box edges, not at the distance of the
        # looked-at point: near a wide body the two differ, and using the edges' depths converges in a few steps.
        depth = np.einsum("bj,bej->be", R[:, 2], c) + t[:, None, 2]
        rows = np.arange(n)[:, None]
        edges = np.stack([boxes[..., 0].argmin(1), boxes[..., 1].argmin(1), boxes[..., 2].argmax(1),
                          boxes[..., 3].argmax(1)], axis=1)
        edge_depth = np.maximum(depth[rows, edges], 1e-3)  # [B, 4]: u_min, v_min, u_max, v_max
        # Sliding the camera by s moves an edge at depth Z by -f s / Z pixels.
        gain = 2.0 / (1.0 / edge_depth[:, :2] + 1.0 / edge_depth[:, 2:])
        look = look + np.einsum("bk,bki->bi", shift_px * gain / focal[:, None], R[:, :2])
        # Moving closer by m scales the box by about Z / (Z - m) at the mean depth Z of its longer side's edges.
        wide = width >= height
        along = np.where(wide, edge_depth[:, [0, 2]].mean(1), edge_depth[:, [1, 3]].mean(1))
        distance = np.maximum(distance + along * (size / want_size - 1.0), 0.05 * distance)
    raise AssertionError("unreachable")
