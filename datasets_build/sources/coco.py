"""COCO person keypoints (`annotations/person_keypoints_{train,val}{2014,2017}.json`) joined with EFT SMPL fits.

The JSON (cocodataset.org "Keypoint Detection" format) holds `images` ({id, file_name, width, height, ...}),
`annotations` ({id, image_id, category_id, keypoints [51] = 17 x (x, y, v), num_keypoints, bbox [x, y, w, h],
iscrowd, area, ...}) and `categories` (the person category lists the 17 keypoint names, `COCO_17`). v is COCO's
visibility flag: 0 not labelled (x = y = 0), 1 labelled but not visible, 2 labelled and visible.

EFT fits (`eft.py`) are matched by `annotId` == annotation id (facebookresearch/eft `demo/visEFTFit_coco.py`); rows
without a fit have `has_pose` False. One row per person annotation of the person category, in file order.
extras: `annotation_id`, `image_id` (int64), `bbox` (float32 [4], x y w h pixels), `num_keypoints` (int32),
`iscrowd` (bool), `width`, `height` (int32, image size).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from benchmark.errors import InputError
from datasets_build.sources.eft import read_eft_fits
from datasets_build.sources.files import float_array, read_json
from datasets_build.sources.joint_sets import COCO_17
from datasets_build.sources.samples import ImageSamples, no_poses

PERSON_CATEGORY = 1


def _image_folder(path: Path) -> str:
    match = re.search(r"(train|val|test)(20\d\d)", path.name)
    return f"{match.group(1)}{match.group(2)}" if match else ""


def read_coco(annotation_file: str | Path, *, eft_file: str | Path | None = None, image_folder: str | None = None,
              split: str | None = None, allow_unmatched_fits: bool = False) -> ImageSamples:
    """Person annotations of a COCO keypoint file as ImageSamples (see the module docstring).

    `image_folder` prefixes the image file names (default: "train2014" etc., from the annotation file name); `split`
    defaults to "train" / "val" from the same name. A fit whose annotation id is not in the file raises InputError
    unless `allow_unmatched_fits`.
    """
    path = Path(annotation_file)
    raw = read_json(path, hint="download annotations_trainval2014.zip or 2017 from cocodataset.org")
    if not isinstance(raw, dict):
        raise InputError(f"expected a JSON object, got {type(raw).__name__}", file=str(path))
    for key in ("images", "annotations"):
        if not isinstance(raw.get(key), list):
            raise InputError("missing or not a list", file=str(path), field=key,
                             hint="a COCO person_keypoints file has 'images', 'annotations' and 'categories'")
    images: dict[int, dict] = {}
    for row, image in enumerate(raw["images"]):
        if not isinstance(image, dict) or not isinstance(image.get("id"), int) or not isinstance(
                image.get("file_name"), str):
            raise InputError("an image needs an integer 'id' and a string 'file_name'", file=str(path),
                             row=f"images[{row}]")
        images[image["id"]] = image
    anns = [a for a in raw["annotations"] if isinstance(a, dict) and a.get("category_id") == PERSON_CATEGORY]
    ann_ids: dict[int, int] = {}
    for row, ann in enumerate(anns):
        where = f"annotation id {ann.get('id')}"
        if not isinstance(ann.get("id"), int):
            raise InputError("annotation without an integer 'id'", file=str(path), row=row, field="id")
        if ann["id"] in ann_ids:
            raise InputError("duplicate annotation id", file=str(path), row=where, field="id")
        ann_ids[ann["id"]] = row
        if ann.get("image_id") not in images:
            raise InputError(f"unknown image id {ann.get('image_id')!r}", file=str(path), row=where, field="image_id")
        for key, size in (("keypoints", 51), ("bbox", 4)):
            if key not in ann:
                raise InputError("missing key", file=str(path), row=where, field=key)
            if not isinstance(ann[key], list) or len(ann[key]) != size:
                raise InputError(f"expected a list of {size} numbers", file=str(path), row=where, field=key)
    n = len(anns)
    keypoints = float_array([a["keypoints"] for a in anns], shape=(n, 51), source=str(path),
                            field="keypoints") if n else np.zeros((0, 51), np.float32)
    keypoints = keypoints.reshape(n, 17, 3)
    bad_flag = ~np.isin(keypoints[..., 2], (0, 1, 2))
    if bad_flag.any():
        row = int(np.flatnonzero(bad_flag.any(1))[0])
        raise InputError("keypoint visibility flags must be 0, 1 or 2", file=str(path),
                         row=f"annotation id {anns[row]['id']}", field="keypoints")
    bbox = float_array([a["bbox"] for a in anns], shape=(n, 4), source=str(path),
                       field="bbox") if n else np.zeros((0, 4), np.float32)
    image_rows = [images[a["image_id"]] for a in anns]
    folder = _image_folder(path) if image_folder is None else image_folder
    image_paths = tuple(f"{folder}/{im['file_name']}" if folder else im["file_name"] for im in image_rows)

    poses, has_pose, betas = no_poses(n)
    if eft_file is not None:
        fits = read_eft_fits(eft_file)
        rows = np.array([ann_ids.get(int(a), -1) for a in fits.annot_ids], dtype=np.int64)
        if (rows < 0).any() and not allow_unmatched_fits:
            i = int(np.flatnonzero(rows < 0)[0])
            raise InputError(f"unknown COCO annotation id {int(fits.annot_ids[i])} (not in {path.name})",
                             file=str(fits.path), row=i, field="annotId",
                             hint="EFT's COCO fits are for the COCO 2014 train annotations")
        fit_rows = np.flatnonzero(rows >= 0)
        for i in fit_rows:
            if Path(image_rows[rows[i]]["file_name"]).name != Path(fits.image_names[i]).name:
                raise InputError(f"image {fits.image_names[i]!r} is not the image of annotation "
                                 f"{int(fits.annot_ids[i])} ({image_rows[rows[i]]['file_name']!r})",
                                 file=str(fits.path), row=int(i), field="imageName")
        targets, counts = np.unique(rows[fit_rows], return_counts=True)
        if (counts > 1).any():
            raise InputError(f"several fits for annotation {anns[targets[counts > 1][0]]['id']}",
                             file=str(fits.path), field="annotId")
        poses[rows[fit_rows]] = fits.poses[fit_rows]
        betas[rows[fit_rows]] = fits.betas[fit_rows]
        has_pose[rows[fit_rows]] = True

    return ImageSamples(
        source="coco", split=split or ("val" if "val" in path.name else "train"),
        source_ids=tuple(str(a["id"]) for a in anns), image_paths=image_paths, poses=poses, has_pose=has_pose,
        betas=betas, keypoints_2d=keypoints, keypoints_2d_joint_set=COCO_17.name,
        extras={
            "annotation_id": np.array([a["id"] for a in anns], dtype=np.int64),
            "image_id": np.array([a["image_id"] for a in anns], dtype=np.int64),
            "bbox": bbox,
            "num_keypoints": np.array([a.get("num_keypoints", 0) for a in anns], dtype=np.int32),
            "iscrowd": np.array([bool(a.get("iscrowd", 0)) for a in anns], dtype=bool),
            "width": np.array([im.get("width", 0) for im in image_rows], dtype=np.int32),
            "height": np.array([im.get("height", 0) for im in image_rows], dtype=np.int32),
        })
