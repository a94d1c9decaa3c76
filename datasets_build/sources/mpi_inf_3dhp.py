"""MPI-INF-3DHP: training sequences (annot.mat + camera.calibration) and the test set (annot_data.mat).

Training (`S{1..8}/Seq{1,2}/`; layout as read by SPIN `datasets/preprocess/mpi_inf_3dhp.py` and the dataset's own
scripts): `annot.mat` (MATLAB v5) holds cells with one entry per camera (14): `annot2` (frames x 56 = 28 joints x
(x, y) pixels), `annot3` (frames x 84, camera frame, mm), `univ_annot3` (height-normalised "universal" skeleton, mm),
plus `frames` (0-based frame numbers) and `cameras` (the camera ids 0..13). `camera.calibration` ("Skeletool Camera
Calibration File V1.0") has per camera `name`, `sensor`, `size` (w h), `animated`, `intrinsic` (4 x 4, row-major,
pixels), `extrinsic` (4 x 4 world -> camera, translation in mm), `radial`. Frames extracted from
`imageSequence/video_<c>.avi` are `imageFrames/video_<c>/frame_<frame + 1:06d>.jpg` (SPIN's naming).

Test (`mpi_inf_3dhp_test_set/TS{1..6}/annot_data.mat`, MATLAB v7.3 = HDF5; needs h5py, a v5 re-save also reads):
`annot2` (2 x 17 x 1 x N in MATLAB order), `annot3`, `univ_annot3` (3 x 17 x 1 x N, mm), `valid_frame` (1 x N),
`activity_annotation` (1 x N, 1-based `ACTIVITIES`); images `imageSequence/img_<frame + 1:06d>.jpg`. The test set
ships no calibration next to the annotations; `TEST_CAMERAS` derives the pinhole intrinsics from the published
sensor parameters (as isarandi/posepile `make_3dhp_test_camera` does; TS5-6 also have OpenCV distortion).

Joints: output in the H36M-compatible 17-joint order `H36M_17` (`MPI_INF_3DHP_28_TO_H36M` for training,
`MPI_INF_3DHP_17_TO_H36M` for test; see `joint_sets.py`), metres, camera frame. extras: `univ_joints_3d` (same order,
metres), `subject`, `sequence`, `video` (camera id), `frame` (0-based) (int32), and for the test set `activity`.
keypoints_2d flag: 2 inside the image, 1 outside it (annotated but not visible).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from benchmark.body.joints import H36M_17
from benchmark.errors import InputError
from datasets_build.sources.files import read_mat, require_file
from datasets_build.sources.joint_sets import MPI_INF_3DHP_17_TO_H36M, MPI_INF_3DHP_28_TO_H36M
from datasets_build.sources.samples import Camera, ImageSamples, no_poses

CALIBRATION_HEADER = "Skeletool Camera Calibration File V1.0"
TRAIN_CAMERAS = (0, 1, 2, 4, 5, 6, 7, 8)   # the cameras SPIN / HMR 2.0 train on (chest-height and head-height views)
ACTIVITIES = ("Stand/Walk", "Exercise", "Sit on Chair", "Reach/Crouch", "On Floor", "Sports", "Misc.")
HINT = "download MPI-INF-3DHP with the dataset's get_dataset.sh / get_testset.sh"


def _test_camera(sensor_mm, size_px, focal_mm, pixel_aspect, centre_offset_mm, distortion=None) -> Camera:
    sx = size_px[0] / sensor_mm[0]
    sy = size_px[1] / sensor_mm[1] * pixel_aspect
    cx = (sensor_mm[0] / 2 + centre_offset_mm[0]) * sx
    cy = (sensor_mm[1] / 2 + centre_offset_mm[1]) * sy
    K = np.array([[focal_mm * sx, 0.0, cx], [0.0, focal_mm * sy, cy], [0.0, 0.0, 1.0]])
    return Camera(K=K, distortion=None if distortion is None else np.asarray(distortion, np.float64),
                  distortion_model=None if distortion is None else "opencv", width=size_px[0], height=size_px[1])


# TS1-4: studio camera (2048 x 2048); TS5-6: outdoor camera (1920 x 1080) with lens distortion.
TEST_CAMERAS = {
    **{ts: _test_camera((10.0, 10.0), (2048, 2048), 7.32506, 1.00044, (-0.0322884, 0.0929296)) for ts in (1, 2, 3, 4)},
    **{ts: _test_camera((10.0, 5.625), (1920, 1080), 8.770747185, 0.993236423, (-0.104908645, 0.104899704),
                        (-0.276859611, 0.131125256, -0.000360494, -0.001149441, -0.049318332)) for ts in (5, 6)},
}


def read_calibration(path: str | Path) -> dict[int, Camera]:
    """camera id -> Camera of a `camera.calibration` file (translation converted to metres)."""
    path = require_file(path, "calibration file", HINT)
    lines = path.read_text(encoding="ascii", errors="replace").splitlines()
    if not lines or lines[0].strip() != CALIBRATION_HEADER:
        raise InputError(f"first line is not {CALIBRATION_HEADER!r}", file=str(path), row=1)
    blocks: dict[int, dict[str, list[float]]] = {}
    current = None
    for number, line in enumerate(lines[1:], start=2):
        parts = line.split()
        if not parts:
            continue
        key, values = parts[0], parts[1:]
        if key == "name":
            if len(values) != 1 or not values[0].isdigit():
                raise InputError(f"camera name {' '.join(values)!r} is not a number", file=str(path), row=number)
            current = blocks.setdefault(int(values[0]), {})
            continue
        if current is None:
            raise InputError(f"{key!r} before the first 'name' line", file=str(path), row=number)
        try:
            current[key] = [float(v) for v in values]
        except ValueError:
            raise InputError(f"non-numeric values {values!r}", file=str(path), row=number, field=key) from None
    cameras = {}
    for cam_id, block in blocks.items():
        for key, count in (("intrinsic", 16), ("extrinsic", 16), ("size", 2)):
            if len(block.get(key, ())) != count:
                raise InputError(f"camera {cam_id}: expected {count} numbers", file=str(path), row=f"camera {cam_id}",
                                 field=key)
        intrinsic = np.array(block["intrinsic"]).reshape(4, 4)
        extrinsic = np.array(block["extrinsic"]).reshape(4, 4)
        cameras[cam_id] = Camera(K=intrinsic[:3, :3], R=extrinsic[:3, :3], t=extrinsic[:3, 3] / 1000.0,
                                 width=int(block["size"][0]), height=int(block["size"][1]), name=str(cam_id))
    return cameras


def _cell(mat: dict, key: str, camera: int, path: Path) -> np.ndarray:
    if key not in mat:
        raise InputError("missing variable", file=str(path), field=key, hint=HINT)
    cell = np.asarray(mat[key], dtype=object).reshape(-1)
    if camera >= len(cell):
        raise InputError(f"no entry for camera {camera} ({len(cell)} cameras)", file=str(path), field=key)
    return np.asarray(cell[camera], dtype=np.float64)


def _flags(kp: np.ndarray, width: int | None, height: int | None) -> np.ndarray:
    if width is None or height is None:
        return np.full(kp.shape[:-1] + (1,), 2.0)
    inside = (kp[..., 0] >= 0) & (kp[..., 0] < width) & (kp[..., 1] >= 0) & (kp[..., 1] < height)
    return np.where(inside, 2.0, 1.0)[..., None]


def _train_part(seq_dir: Path, subject: int, sequence: int, cameras, frame_step: int) -> list[dict]:
    annot_path = require_file(seq_dir / "annot.mat", "annotation file", HINT)
    mat = read_mat(annot_path, hint=HINT)
    calibration = read_calibration(seq_dir / "camera.calibration")
    parts = []
    for cam in cameras:
        if cam not in calibration:
            raise InputError(f"camera {cam} is not in the calibration file", file=str(seq_dir / "camera.calibration"))
        kp = _cell(mat, "annot2", cam, annot_path)
        j3 = _cell(mat, "annot3", cam, annot_path)
        univ = _cell(mat, "univ_annot3", cam, annot_path)
        n = len(kp)
        for key, arr, width in (("annot2", kp, 56), ("annot3", j3, 84), ("univ_annot3", univ, 84)):
            if arr.shape != (n, width):
                raise InputError(f"camera {cam}: shape {list(arr.shape)} is not [{n}, {width}]", file=str(annot_path),
                                 field=key)
            if not np.isfinite(arr).all():
                raise InputError(f"camera {cam}: NaN or infinite values", file=str(annot_path), field=key)
        frames = np.asarray(mat["frames"], dtype=np.int64).reshape(-1) if "frames" in mat else np.arange(n)
        if len(frames) != n:
            raise InputError(f"{len(frames)} frame numbers for {n} annotated frames", file=str(annot_path),
                             field="frames")
        keep = np.arange(0, n, frame_step)
        idx = list(MPI_INF_3DHP_28_TO_H36M)
        kp17 = kp[keep].reshape(-1, 28, 2)[:, idx]
        camera = calibration[cam]
        parts.append({
            "paths": [f"S{subject}/Seq{sequence}/imageFrames/video_{cam}/frame_{f + 1:06d}.jpg" for f in frames[keep]],
            "ids": [f"S{subject}/Seq{sequence}/video_{cam}/frame_{f + 1:06d}" for f in frames[keep]],
            "kp": np.concatenate([kp17, _flags(kp17, camera.width, camera.height)], axis=-1),
            "j3": j3[keep].reshape(-1, 28, 3)[:, idx] / 1000.0, "univ": univ[keep].reshape(-1, 28, 3)[:, idx] / 1000.0,
            "frame": frames[keep], "video": np.full(len(keep), cam), "camera": camera,
            "subject": np.full(len(keep), subject), "sequence": np.full(len(keep), sequence)})
    return parts


def _test_part(ts_dir: Path, ts: int, valid_only: bool) -> dict:
    path = require_file(ts_dir / "annot_data.mat", "annotation file", HINT)
    mat = read_mat(path, hint=HINT)
    for key in ("annot2", "annot3", "univ_annot3", "valid_frame"):
        if key not in mat:
            raise InputError("missing variable", file=str(path), field=key, hint=HINT)
    kp = np.asarray(mat["annot2"], np.float64).T          # MATLAB 2 x 17 x 1 x N -> N x 1 x 17 x 2
    j3 = np.asarray(mat["annot3"], np.float64).T
    univ = np.asarray(mat["univ_annot3"], np.float64).T
    n = len(kp)
    for key, arr, width in (("annot2", kp, 2), ("annot3", j3, 3), ("univ_annot3", univ, 3)):
        if arr.shape != (n, 1, 17, width):
            raise InputError(f"shape {list(arr.shape[::-1])} (MATLAB order) is not [{width}, 17, 1, {n}]",
                             file=str(path), field=key)
    valid = np.asarray(mat["valid_frame"]).reshape(-1)
    activity = np.asarray(mat.get("activity_annotation", np.zeros(n)), np.float64).reshape(-1)
    if len(valid) != n or len(activity) != n:
        raise InputError(f"valid_frame / activity_annotation do not have {n} entries", file=str(path),
                         field="valid_frame")
    frames = np.flatnonzero(valid > 0) if valid_only else np.arange(n)
    if not (np.isfinite(j3[frames]).all() and np.isfinite(kp[frames]).all()):
        raise InputError("NaN or infinite values in the annotations of the kept frames", file=str(path),
                         field="annot3")
    idx = list(MPI_INF_3DHP_17_TO_H36M)
    camera = TEST_CAMERAS[ts]
    kp17 = kp[frames, 0][:, idx]
    act = activity[frames].astype(int)
    return {
        "paths": [f"mpi_inf_3dhp_test_set/TS{ts}/imageSequence/img_{f + 1:06d}.jpg" for f in frames],
        "ids": [f"TS{ts}/img_{f + 1:06d}" for f in frames],
        "kp": np.concatenate([kp17, _flags(kp17, camera.width, camera.height)], axis=-1),
        "j3": j3[frames, 0][:, idx] / 1000.0, "univ": univ[frames, 0][:, idx] / 1000.0, "frame": frames,
        "video": np.zeros(len(frames)), "camera": camera, "subject": np.full(len(frames), ts),
        "sequence": np.zeros(len(frames)),
        "activity": np.array([ACTIVITIES[a - 1] if 1 <= a <= len(ACTIVITIES) else "" for a in act], dtype=str)}


def read_mpi_inf_3dhp(root: str | Path, split: str = "train", *, subjects=None, cameras=TRAIN_CAMERAS,
                      frame_step: int = 1, valid_only: bool = True, progress: bool = True) -> ImageSamples:
    """MPI-INF-3DHP rows of `split` ("train" | "test"); see the module docstring.

    Training: `subjects` (default 1..8), both sequences, the given `cameras`, every `frame_step`-th annotated frame.
    Test: `subjects` are the test sequences (default 1..6), valid frames only unless `valid_only` is False.
    """
    root = Path(root)
    parts = []
    if split == "train":
        for subject in tqdm(subjects or range(1, 9), desc="MPI-INF-3DHP train", disable=not progress):
            for sequence in (1, 2):
                parts += _train_part(root / f"S{subject}" / f"Seq{sequence}", subject, sequence, cameras, frame_step)
    elif split == "test":
        test_root = root / "mpi_inf_3dhp_test_set" if (root / "mpi_inf_3dhp_test_set").is_dir() else root
        for ts in tqdm(subjects or range(1, 7), desc="MPI-INF-3DHP test", disable=not progress):
            parts.append(_test_part(test_root / f"TS{ts}", ts, valid_only))
    else:
        raise ValueError(f"split {split!r}: MPI-INF-3DHP has 'train' and 'test'")
    camera_list = [p["camera"] for p in parts]
    n = sum(len(p["ids"]) for p in parts)
    poses, has_pose, betas = no_poses(n)
    extras = {k: np.concatenate([p[k] for p in parts]).astype(np.int32) for k in ("subject", "sequence", "video",
                                                                                  "frame")}
    extras["univ_joints_3d"] = np.concatenate([p["univ"] for p in parts]).astype(np.float32)
    if split == "test":
        extras["activity"] = np.concatenate([p["activity"] for p in parts])
    return ImageSamples(
        source="mpi-inf-3dhp", split=split, source_ids=tuple(i for p in parts for i in p["ids"]),
        image_paths=tuple(i for p in parts for i in p["paths"]), poses=poses, has_pose=has_pose, betas=betas,
        keypoints_2d=np.concatenate([p["kp"] for p in parts]).astype(np.float32), keypoints_2d_joint_set=H36M_17.name,
        joints_3d=np.concatenate([p["j3"] for p in parts]).astype(np.float32), joints_3d_joint_set=H36M_17.name,
        cameras=tuple(camera_list),
        camera_index=np.concatenate([np.full(len(p["ids"]), i) for i, p in enumerate(parts)]).astype(np.int32),
        actions=tuple(extras["activity"]) if split == "test" else None, extras=extras)

