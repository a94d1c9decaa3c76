"""HMR-style square person crops: the box, the pixel map into the crop, and the cropped PNG.

Pixel convention: OpenCV's, the centre of pixel (i, j) is at (x, y) = (j, i) (so is every keypoint and K here).
A crop is a square box of side L pixels centred on c, resized to `size` x `size`; a point u of the image lands at

    u' = s (u - c) + (size - 1) / 2,    s = size / L,

the affine map A = [[s, 0, bx], [0, s, by], [0, 0, 1]] (b = (size - 1) / 2 - s c). Intrinsics follow as K' = A K, so
that K' still maps camera-frame points to crop pixels. PIL resamples in its own continuous coordinates (pixel i
spans [i, i + 1)); `crop_to_png` converts, so the image content obeys the same map (tests check it with a lone
bright pixel).

Boxes (`person_boxes`): "keypoints" -- the extent of the annotated key points, side = 1.2 x its longer edge (SPIN's
and HMR's preprocessing of MPII / COCO / 3DPW uses the same 1.2 factor), with the source's own box as fallback when
fewer than 2 key points are annotated; "center-scale" -- the file's `center` and `scale` as they are, side =
200 x scale (HMR 2.0 evaluation files, whose scale SPIN's preprocessing already enlarged by 1.2); "full" -- the
whole image, padded to a square (images that are person crops already, such as UniPose's npz sets).
Areas outside the image are black.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.errors import InputError

BOX_MODES = ("keypoints", "center-scale", "full")
HMR_SCALE_UNIT = 200.0  # SPIN / HMR boxes store side / 200 px


@dataclass(frozen=True)
class CropOptions:
    """size: crop side in pixels; scale: box side over the key points' extent; skip_missing_images: skip rows whose
    image file is missing (counted in BuildInfo) instead of raising; workers: threads decoding/encoding images."""

    size: int = 256
    scale: float = 1.2
    min_keypoints: int = 2
    skip_missing_images: bool = False
    workers: int = 2

    def __post_init__(self):
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 8:
            raise InputError(f"crop size {self.size!r} is not an integer >= 8", field="image_size")
        if not (isinstance(self.scale, (int, float)) and math.isfinite(self.scale) and self.scale >= 1.0):
            raise InputError(f"box scale {self.scale!r} is not a number >= 1", field="scale")
        if self.workers < 0:
            raise InputError(f"workers {self.workers} is negative", field="workers")


def keypoint_boxes(keypoints: np.ndarray, scale: float, min_keypoints: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(centres [N, 2], sides [N]) of square boxes around the annotated key points [N, K, 3] (flag > 0), side =
    scale x the longer edge of their extent; NaN where fewer than `min_keypoints` are annotated or they coincide."""
    kp = np.asarray(keypoints, dtype=np.float64)
    n = len(kp)
    if n == 0 or kp.shape[1] == 0:
        return np.full((n, 2), np.nan), np.full(n, np.nan)
    valid = (kp[..., 2] > 0) & np.isfinite(kp[..., :2]).all(-1)
    xy = np.where(valid[..., None], kp[..., :2], np.nan)
    with warnings.catch_warnings():  # all-NaN rows (no key points) are expected; handled below
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanmin(xy, axis=1), np.nanmax(xy, axis=1)
    centres = (lo + hi) / 2.0
    sides = scale * np.max(hi - lo, axis=1)
    bad = (valid.sum(1) < min_keypoints) | ~(sides > 0)
    centres[bad], sides[bad] = np.nan, np.nan
    return centres, sides


def xywh_boxes(bbox: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(centres, sides) of square boxes around COCO-style [x, y, w, h] boxes [N, 4], side = scale x max(w, h)."""
    b = np.asarray(bbox, dtype=np.float64)
    centres = b[:, :2] + b[:, 2:4] / 2.0
    sides = scale * b[:, 2:4].max(axis=1)
    sides = np.where(sides > 0, sides, np.nan)
    return centres, sides


def center_scale_boxes(center: np.ndarray, scale: np.ndarray, factor: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(centres, sides) of HMR-style boxes: side = factor x 200 x scale (scale [N] or [N, 2]: the larger is used)."""
    s = np.asarray(scale, dtype=np.float64)
    s = s.max(axis=1) if s.ndim == 2 else s
    sides = factor * HMR_SCALE_UNIT * s
    return np.asarray(center, dtype=np.float64).reshape(-1, 2), np.where(sides > 0, sides, np.nan)


def crop_affine(centres: np.ndarray, sides: np.ndarray, size: int) -> np.ndarray:
    """[N, 3, 3] affine maps image pixels -> crop pixels (module docstring)."""
    c = np.asarray(centres, dtype=np.float64)
    s = size / np.asarray(sides, dtype=np.float64)
    a = np.zeros((len(s), 3, 3))
    a[:, 0, 0] = a[:, 1, 1] = s
    a[:, :2, 2] = (size - 1) / 2.0 - s[:, None] * c
    a[:, 2, 2] = 1.0
    return a


def map_points(affine: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Points [N, K, 2] through per-row affine maps [N, 3, 3]."""
    p = np.asarray(points, dtype=np.float64)
    return p @ np.swapaxes(affine[:, :2, :2], 1, 2) + affine[:, None, :2, 2]


def crop_intrinsics(affine: np.ndarray, K: np.ndarray) -> np.ndarray:
    """K' = A K: intrinsics [N, 3, 3] of the crops."""
    return affine @ np.asarray(K, dtype=np.float64)


def crop_image(image, centre: Sequence[float], side: float, size: int):
    """The square crop (a PIL image, size x size, RGB) of a PIL image; see the module docstring for the map."""
    from PIL import Image

    # PIL's continuous frame is OpenCV's shifted by half a pixel.
    x0 = float(centre[0]) + 0.5 - side / 2.0
    y0 = float(centre[1]) + 0.5 - side / 2.0
    ix0, iy0 = math.floor(x0), math.floor(y0)
    ix1, iy1 = math.ceil(x0 + side), math.ceil(y0 + side)
    region = image.crop((ix0, iy0, ix1, iy1))  # black outside the image
    box = (x0 - ix0, y0 - iy0, x0 - ix0 + side, y0 - iy0 + side)
    # BILINEAR in `resize` widens its kernel when shrinking, so large boxes are antialiased.
    return region.resize((size, size), Image.Resampling.BILINEAR, box=box)


def png_bytes(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class CropResult:
    png: bytes | None        # None: the image file is missing and missing images are skipped
    centre: np.ndarray       # [2] the box actually used
    side: float


def _open_rgb(path: Path):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except UnidentifiedImageError as exc:
        raise InputError(f"not a readable image ({exc})", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read the image ({exc})", file=str(path)) from None


def crop_rows(root: str | Path, paths: Sequence[str], centres: np.ndarray, sides: np.ndarray, options: CropOptions
              ) -> Iterator[CropResult]:
    """Crops of rows (image path relative to `root`, box), in row order. A NaN box means "full": the whole image,
    padded to a square. Consecutive rows of one image open it once; groups run on `options.workers` threads."""
    root = Path(root)
    groups: list[tuple[str, list[int]]] = []
    for i, path in enumerate(paths):
        if groups and groups[-1][0] == path:
            groups[-1][1].append(i)
        else:
            groups.append((path, [i]))

    def work(group: tuple[str, list[int]]) -> list[CropResult]:
        rel, rows = group
        path = root / rel
        if not path.is_file():
            if options.skip_missing_images:
                return [CropResult(None, np.full(2, np.nan), math.nan) for _ in rows]
            raise InputError("image file not found", file=str(path), row=rel, field="image",
                             hint="pass the dataset's image folder, or skip_missing_images=True (--skip-missing-"
                                  "images) to leave such rows out")
        image = _open_rgb(path)
        out = []
        for i in rows:
            centre, side = np.asarray(centres[i], dtype=np.float64), float(sides[i])
            if not math.isfinite(side) or not np.isfinite(centre).all():
                w, h = image.size
                centre, side = np.array([(w - 1) / 2.0, (h - 1) / 2.0]), float(max(w, h))
            out.append(CropResult(png_bytes(crop_image(image, centre, side, options.size)), centre, side))
        return out

    if options.workers > 1 and len(groups) > 1:
        with ThreadPoolExecutor(max_workers=options.workers) as pool:
            for results in pool.map(work, groups):
                yield from results
    else:
        for group in groups:
            yield from work(group)
