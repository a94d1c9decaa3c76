"""MPII Human Pose (`mpii_human_pose_v1_u12_1.mat`) joined with EFT SMPL fits.

The .mat holds one struct `RELEASE` (dataset README at human-pose.mpi-inf.mpg.de; read the same way as
pose-hg-train / deephar / tensorlayer loaders) with
* `annolist` (1 x N struct): `image.name`; `annorect` (1 x K struct, one per person): head box `x1 y1 x2 y2`,
  `scale` (person height / 200 px), `objpos.x/.y` (rough person centre), `annopoints.point` (1 x P struct: `id`
  0..15 in `MPII_16` order, `x`, `y`, `is_visible`, which may be empty or a '0'/'1' string); `frame_sec`, `vididx`.
  Test images have rects with `scale` and `objpos` only.
* `img_train` (1 x N): 1 for the training images; `act` (N x 1 struct: `cat_name`, `act_name`, `act_id`);
  `single_person` (N x 1 cell); `video_list`.

Rows: for split "train", every person rect of a training image that has key points; for "test", every rect of a
test image with `scale` and `objpos`. `keypoints_2d` [N, 16, 3]: (x, y, flag) pixels, flag 2 = visible (or
visibility not recorded), 1 = annotated but occluded, 0 = not annotated (x = y = 0).
extras: `image_index`, `person_index` (0-based rect index in the image; int32), `center` (objpos, float32 [2]),
`scale` (float32), `head_box` (float32 [4] x1 y1 x2 y2); NaN where the rect lacks the field.

EFT's MPII fits carry no annotation id: a fit is matched to the person of the same image whose `objpos` is nearest
to the fit's `bbox_center` (EFT took centres from SPIN's MPII files, which copy objpos), within
`max_center_distance` x person height. Rows without a fit have `has_pose` False.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from benchmark.errors import InputError
from datasets_build.sources.eft import read_eft_fits
from datasets_build.sources.files import read_mat
from datasets_build.sources.joint_sets import MPII_16
from datasets_build.sources.samples import ImageSamples, no_poses

MAT_HINT = "mpii_human_pose_v1_u12_2.zip from human-pose.mpi-inf.mpg.de holds mpii_human_pose_v1_u12_1.mat"


def _field(struct: np.ndarray, name: str):
    """struct[name] of a 1 x 1 MATLAB struct, or None when the field is missing or empty."""
    if struct is None or struct.dtype.names is None or name not in struct.dtype.names:
        return None
    value = struct[name]
    if value.size == 0:
        return None
    value = value.reshape(-1)[0] if value.dtype == object else value
    return None if value.size == 0 else value


def _number(value) -> float | None:
    if value is None:
        return None
    arr = np.asarray(value).reshape(-1)
    if arr.size == 0:
        return None
    item = arr[0]
    if isinstance(item, str):
        return float(item) if item.strip() else None
    return float(item)


def _text(value) -> str:
    if value is None:
        return ""
    arr = np.asarray(value).reshape(-1)
    return str(arr[0]) if arr.size else ""


def _struct_items(value) -> list[np.ndarray]:
    """The elements of a MATLAB struct array (possibly empty / not a struct) as 1 x 1 records."""
    if value is None or not isinstance(value, np.ndarray) or value.dtype.names is None:
        return []
    return [value.reshape(-1)[i:i + 1] for i in range(value.size)]


def _person(rect: np.ndarray, where: str, path: Path) -> tuple[np.ndarray, bool, list[float], float, list[float]]:
    keypoints = np.zeros((16, 3), np.float32)
    annopoints = _field(rect, "annopoints")
    points = _struct_items(_field(annopoints, "point")) if annopoints is not None else []
    for point in points:
        joint = _number(_field(point, "id"))
        x, y = _number(_field(point, "x")), _number(_field(point, "y"))
        if joint is None or x is None or y is None or not 0 <= joint < 16:
            raise InputError(f"key point with id {joint}, x {x}, y {y}: expected an id in 0..15 and coordinates",
                             file=str(path), row=where, field="annopoints.point")
        visible = _number(_field(point, "is_visible"))
        keypoints[int(joint)] = (x, y, 1.0 if visible == 0 else 2.0)
    objpos = _field(rect, "objpos")
    ox, oy = _number(_field(objpos, "x")), _number(_field(objpos, "y"))
    center = [np.nan, np.nan] if ox is None or oy is None else [ox, oy]
    scale = _number(_field(rect, "scale"))
    box = [_number(_field(rect, k)) for k in ("x1", "y1", "x2", "y2")]
    head_box = [np.nan if v is None else v for v in box]
    return keypoints, bool(points), center, np.nan if scale is None else scale, head_box


def _image_rows(entry: np.ndarray, act: np.ndarray | None, i: int, split: str, path: Path, rows: dict) -> None:
    """Append the rows of image i (a 1-element struct array of annolist) to the `rows` columns."""
    name = _text(_field(_field(entry, "image"), "name"))
    if not name:
        raise InputError("image without a name", file=str(path), row=f"annolist({i + 1})", field="image.name")
    activity = _text(_field(act, "act_name")) if act is not None else ""
    category = _text(_field(act, "cat_name")) if act is not None else ""
    rects = entry["annorect"].reshape(-1)[0] if "annorect" in (entry.dtype.names or ()) else None
    for k, rect in enumerate(_struct_items(rects)):
        keypoints, annotated, center, scale, head_box = _person(rect, f"annolist({i + 1}).annorect({k + 1})", path)
        if (split == "train" and not annotated) or (split == "test" and (np.isnan(scale) or np.isnan(center[0]))):
            continue
        for key, value in (("name", name), ("image_index", i), ("person_index", k), ("keypoints", keypoints),
                           ("center", center), ("scale", scale), ("head_box", head_box), ("activity", activity),
                           ("category", category)):
            rows[key].append(value)


def read_mpii(annotation_file: str | Path, *, split: str = "train", eft_file: str | Path | None = None,
              image_folder: str = "images", max_center_distance: float = 0.1, allow_unmatched_fits: bool = False,
              progress: bool = True) -> ImageSamples:
    """MPII persons of `split` ("train" | "test") as ImageSamples (see the module docstring)."""
    if split not in ("train", "test"):
        raise ValueError(f"split {split!r}: MPII has 'train' and 'test'")
    path = Path(annotation_file)
    mat = read_mat(path, hint=MAT_HINT)
    if "RELEASE" not in mat:
        raise InputError("missing variable", file=str(path), field="RELEASE", hint=MAT_HINT)
    release = mat["RELEASE"].reshape(-1)[:1]
    for key in ("annolist", "img_train"):
        if release.dtype.names is None or key not in release.dtype.names:
            raise InputError("missing field", file=str(path), field=f"RELEASE.{key}", hint=MAT_HINT)
    annolist = release["annolist"][0].reshape(-1)
    img_train = np.asarray(release["img_train"][0], dtype=float).reshape(-1)
    if len(img_train) != len(annolist):
        raise InputError(f"{len(img_train)} img_train flags for {len(annolist)} images", file=str(path),
                         field="RELEASE.img_train")
    acts = release["act"][0].reshape(-1) if "act" in release.dtype.names else None

    rows = {k: [] for k in ("name", "image_index", "person_index", "keypoints", "center", "scale", "head_box",
                            "activity", "category")}
    for i in tqdm(range(len(annolist)), desc="MPII images", disable=not progress):
        if (img_train[i] == 1) != (split == "train"):
            continue
        try:
            _image_rows(annolist[i:i + 1], acts[i:i + 1] if acts is not None and i < len(acts) else None, i, split,
                        path, rows)
        except InputError:
            raise
        except (IndexError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"unexpected struct layout ({type(exc).__name__}: {exc})", file=str(path),
                             row=f"annolist({i + 1})", hint=MAT_HINT) from exc

    n = len(rows["name"])
    centers = np.asarray(rows["center"], np.float32).reshape(n, 2)
    scales = np.asarray(rows["scale"], np.float32).reshape(n)
    poses, has_pose, betas = no_poses(n)
    if eft_file is not None:
        _join_eft(read_eft_fits(eft_file), rows["name"], centers, scales, poses, betas, has_pose,
                  max_center_distance, allow_unmatched_fits)
    return ImageSamples(
        source="mpii", split=split,
        source_ids=tuple(f"{nm}/person_{k}" for nm, k in zip(rows["name"], rows["person_index"])),
        image_paths=tuple(f"{image_folder}/{nm}" if image_folder else nm for nm in rows["name"]),
        poses=poses, has_pose=has_pose, betas=betas,
        keypoints_2d=np.asarray(rows["keypoints"], np.float32).reshape(n, 16, 3), keypoints_2d_joint_set=MPII_16.name,
        actions=tuple(rows["activity"]),
        extras={"image_index": np.asarray(rows["image_index"], np.int32),
                "person_index": np.asarray(rows["person_index"], np.int32), "center": centers, "scale": scales,
                "head_box": np.asarray(rows["head_box"], np.float32).reshape(n, 4),
                "category": np.asarray(rows["category"], dtype=str).reshape(n)})


def _join_eft(fits, names, centers, scales, poses, betas, has_pose, max_center_distance, allow_unmatched) -> None:
    by_image: dict[str, list[int]] = {}
    for row, name in enumerate(names):
        by_image.setdefault(Path(name).name, []).append(row)
    for i in range(len(fits)):
        candidates = np.asarray(by_image.get(Path(fits.image_names[i]).name, []), dtype=np.int64)
        best = -1
        if len(candidates):
            dist = np.linalg.norm(centers[candidates] - fits.bbox_centers[i], axis=1)
            j = int(np.nanargmin(dist)) if np.isfinite(dist).any() else -1
            if j >= 0 and dist[j] <= max_center_distance * 200.0 * scales[candidates[j]]:
                best = int(candidates[j])
        if best < 0:
            if allow_unmatched:
                continue
            raise InputError(f"no MPII person of image {fits.image_names[i]!r} has its centre near the fit's "
                             f"bbox_center {fits.bbox_centers[i].tolist()}", file=str(fits.path), row=i,
                             field="bbox_center", hint="pass the MPII train annotations the fits were made on, or "
                                                       "allow_unmatched_fits=True")
        if has_pose[best]:
            raise InputError(f"a second fit matches person {best} of image {fits.image_names[i]!r}",
                             file=str(fits.path), row=i, field="bbox_center")
        poses[best], betas[best], has_pose[best] = fits.poses[i], fits.betas[i], True
