"""Human3.6M: the CA-PF / H36M-Toolbox label pkl, VideoPose3D-style npz files, and HMR2's h36m_val_p2.npz.

Joints: the 17 joints of `joint_sets.H36M_17` (pelvis, R hip, R knee, R ankle, L hip, L knee, L ankle, spine,
thorax, nose, head, L shoulder, L elbow, L wrist, R shoulder, R elbow, R wrist), taken from the 32 mocap joints with
`H36M_32_TO_17`. Units: metres; 3D joints in the camera frame (OpenCV axes) unless a record says "world".
Split (the standard protocol): train S1, S5, S6, S7, S8; test S9, S11 (`SPLIT_SUBJECTS`).
Actions: ids 2..16 of H36M's metadata (`ACTION_NAMES`); VideoPose3D keys such as "Directions 1" / "Photo" /
"WalkDog" reduce to the 15 classes by the word before the space, "Photo" -> "TakingPhoto" (MetaPose
`datasets/human36m.py`) and the raw mocap spelling "WalkingDog" -> "WalkDog".

1. `read_h36m_labels(pkl)`: the label pkl of CA-PF's `H36M-Toolbox/generate_labels_h36m.py`, a
   list of per-frame dicts: `image` (path relative to the images folder), `joints_3d` (17 x 3, camera frame,
   metres), `joints_2d_gt` / `joints_2d_cpn` (normalised screen coordinates x/w*2-1, y/w*2-h/w), `*_crop` (pixels
   of the 192 x 256 crop), `joints_vis`, `video_id`, `image_id` (1-based frame), `subject` (int), `action`
   (2..16), `subaction` (1..2), `camera_id` (0..3), `camera` {R, T (camera centre in world mm), fx, fy, cx, cy, k,
   p}, `center`, `scale`, `box`. The original CHUNYUWANG/H36M-Toolbox `generate_labels.py` pkl (`joints_2d` in
   pixels, `joints_3d_camera` in mm) is read too.
2. `read_h36m_npz(positions_3d, positions_2d)`: `positions_3d` / `positions_2d` dicts subject -> action key -> a list
   of 4 per-camera arrays (frames, 17 | 32, 3) / (frames, 17, >= 2), as MetaPose reads them (`datasets/human36m.py`);
   a 3D entry that is a single array is VideoPose3D's world-frame mocap (one record without camera). 2D arrays are
   cut to the mocap length.
3. `read_h36m_eval_p2(npz)`: HMR 2.0's `hmr2_evaluation_data/h36m_val_p2.npz` (see `hmr2_eval.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from benchmark.body.joints import H36M_17
from benchmark.errors import InputError
from datasets_build.sources.files import NpzFile, float_array, restricted_load
from datasets_build.sources.hmr2_eval import read_hmr2_eval
from datasets_build.sources.joint_sets import H36M_32_TO_17
from datasets_build.sources.samples import Camera, ImageSamples, no_poses

ACTION_NAMES = {2: "Directions", 3: "Discussion", 4: "Eating", 5: "Greeting", 6: "Phoning", 7: "Posing",
                8: "Purchases", 9: "Sitting", 10: "SittingDown", 11: "Smoking", 12: "TakingPhoto", 13: "Waiting",
                14: "Walking", 15: "WalkDog", 16: "WalkTogether"}
ACTIONS = tuple(ACTION_NAMES.values())
_ACTION_ALIASES = {"Photo": "TakingPhoto", "WalkingDog": "WalkDog"}
SPLIT_SUBJECTS = {"train": (1, 5, 6, 7, 8), "test": (9, 11)}
CAMERA_NAMES = ("54138969", "55011271", "58860488", "60457274")
# Image size (width, height) per camera index (VideoPose3D `h36m_cameras_intrinsic_params`).
CAMERA_RESOLUTIONS = ((1000, 1002), (1000, 1000), (1000, 1000), (1000, 1002))
LABEL_KEYS = ("image", "joints_3d", "subject", "action", "subaction", "camera_id", "image_id", "camera")


def action_class(key: str) -> str:
    """The 15-class action of a VideoPose3D action key ("Directions 1" -> "Directions", "Photo 1" ->
    "TakingPhoto"); InputError for anything else."""
    word = str(key).strip().split(" ")[0]
    word = _ACTION_ALIASES.get(word, word)
    if word not in ACTIONS:
        raise InputError(f"unknown Human3.6M action {key!r}; the 15 classes are {', '.join(ACTIONS)}", field="action")
    return word


def split_of(subject: int) -> str:
    for split, subjects in SPLIT_SUBJECTS.items():
        if subject in subjects:
            return split
    raise InputError(f"subject S{subject} is in neither split (train S1 S5 S6 S7 S8, test S9 S11)", field="subject")


def _subject_number(subject) -> int:
    text = str(subject)
    match = re.fullmatch(r"S?(\d+)", text)
    if not match:
        raise InputError(f"subject {subject!r} is not 'S<number>'", field="subject")
    return int(match.group(1))


def _camera_from_label(cam: dict, camera_index: int, where, path: str) -> Camera:
    for key in ("R", "T", "fx", "fy", "cx", "cy"):
        if key not in cam:
            raise InputError("missing camera key", file=path, row=where, field=f"camera.{key}")
    R = float_array(cam["R"], shape=(3, 3), source=path, row=where, field="camera.R", dtype=np.float64)
    centre = float_array(np.reshape(cam["T"], -1), shape=(3,), source=path, row=where, field="camera.T",
                         dtype=np.float64) / 1000.0
    fx, fy, cx, cy = (float(np.reshape(cam[k], -1)[0]) for k in ("fx", "fy", "cx", "cy"))
    k = np.reshape(cam.get("k", np.zeros(3)), -1)
    p = np.reshape(cam.get("p", np.zeros(2)), -1)
    width, height = CAMERA_RESOLUTIONS[camera_index] if 0 <= camera_index < 4 else (None, None)
    # H36M stores the camera centre T in world mm and maps X_cam = R (X_world - T): t = -R T.
    return Camera(K=np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]]), R=R, t=-R @ centre,
                  distortion=np.concatenate([k, p]).astype(np.float64), distortion_model="h36m",
                  width=width, height=height, name=CAMERA_NAMES[camera_index] if 0 <= camera_index < 4 else "")


def normalized_to_pixels(points: np.ndarray, width: np.ndarray, height: np.ndarray) -> np.ndarray:
    """Invert VideoPose3D's `normalize_screen_coordinates` (x/w*2-1, y/w*2-h/w) for points [N, J, 2]."""
    w = np.asarray(width, np.float64)[:, None]
    h = np.asarray(height, np.float64)[:, None]
    return np.stack([(points[..., 0] + 1.0) * w / 2.0, (points[..., 1] + h / w) * w / 2.0], axis=-1)


def read_h36m_labels(pkl_path: str | Path, *, split: str | None = None, progress: bool = True) -> ImageSamples:
    """Frames of a CA-PF / H36M-Toolbox label pkl as ImageSamples (module docstring, item 1).

    `split` ("train" | "test") keeps the frames of that split's subjects; by default every frame is returned and
    the split is named after the subjects found. keypoints_2d: ground-truth 2D joints in pixels, flag 2.
    extras: subject, action_id, subaction, camera_index, frame (1-based image id), video_id (int32); and when the pkl
    has them `keypoints_2d_cpn` (float32 [17, 2] pixels).
    """
    path = str(pkl_path)
    frames = restricted_load(pkl_path, hint="CA-PF's H36M-Toolbox/generate_labels_h36m.py writes h36m_train.pkl and "
                                        "h36m_validation.pkl")
    if not isinstance(frames, list):
        raise InputError(f"expected a list of per-frame dicts, got {type(frames).__name__}", file=path)
    if frames and isinstance(frames[0], dict) and "joints_3d_camera" in frames[0]:
        layout = "toolbox"      # CHUNYUWANG/H36M-Toolbox: joints_2d pixels, joints_3d_camera mm
    else:
        layout = "ca-pf"        # joints_2d_gt normalised, joints_3d metres camera frame
    keep_subjects = SPLIT_SUBJECTS[split] if split is not None else None
    columns = {k: [] for k in ("row", "image", "joints_3d", "joints_2d", "cpn", "subject", "action", "subaction",
                               "camera", "camera_id", "frame", "video")}
    cameras: dict[tuple[int, int], int] = {}
    camera_list: list[Camera] = []
    needed = LABEL_KEYS + (("joints_2d", "joints_3d_camera") if layout == "toolbox" else ("joints_2d_gt",))
    for row, frame in enumerate(tqdm(frames, desc="Human3.6M frames", disable=not progress)):
        if not isinstance(frame, dict):
            raise InputError(f"expected a dict, got {type(frame).__name__}", file=path, row=row)
        missing = [k for k in needed if k not in frame]
        if missing:
            raise InputError(f"missing key; the frame has {sorted(frame)}", file=path, row=row, field=missing[0])
        subject = int(frame["subject"])
        if subject not in SPLIT_SUBJECTS["train"] + SPLIT_SUBJECTS["test"]:
            raise InputError(f"subject {subject} is not one of S1 S5 S6 S7 S8 S9 S11", file=path, row=row,
                             field="subject")
        if keep_subjects is not None and subject not in keep_subjects:
            continue
        action = int(frame["action"])
        if action not in ACTION_NAMES:
            raise InputError(f"action id {action} is not in 2..16", file=path, row=row, field="action")
        camera_index = int(frame["camera_id"])
        if not 0 <= camera_index < 4:
            raise InputError(f"camera_id {camera_index} is not in 0..3", file=path, row=row, field="camera_id")
        key = (subject, camera_index)
        if key not in cameras:
            cameras[key] = len(camera_list)
            camera_list.append(_camera_from_label(frame["camera"], camera_index, row, path))
        columns["row"].append(row)
        columns["image"].append(str(frame["image"]))
        if layout == "toolbox":
            columns["joints_3d"].append(np.asarray(frame["joints_3d_camera"], np.float64) / 1000.0)
            columns["joints_2d"].append(frame["joints_2d"])
        else:
            columns["joints_3d"].append(frame["joints_3d"])
            columns["joints_2d"].append(frame["joints_2d_gt"])
            if "joints_2d_cpn" in frame:
                columns["cpn"].append(frame["joints_2d_cpn"])
        for name, value in (("subject", subject), ("action", action), ("subaction", int(frame["subaction"])),
                            ("camera", cameras[key]), ("camera_id", camera_index), ("frame", int(frame["image_id"])),
                            ("video", int(frame.get("video_id", -1)))):
            columns[name].append(value)

    n = len(columns["image"])
    rows = columns["row"]
    joints_3d = _stack(columns["joints_3d"], (17, 3), path, "joints_3d", rows)
    joints_2d = _stack(columns["joints_2d"], (17, None), path, "joints_2d_gt", rows)[..., :2]
    camera_index = np.asarray(columns["camera"], np.int32)
    resolution = np.array([(c.width, c.height) for c in camera_list], np.float64).reshape(-1, 2)
    extras = {name: np.asarray(columns[src], np.int32) for name, src in (
        ("subject", "subject"), ("action_id", "action"), ("subaction", "subaction"), ("frame", "frame"),
        ("video_id", "video"), ("camera_index", "camera_id"))}
    if layout == "ca-pf" and n:
        res = resolution[camera_index]
        joints_2d = normalized_to_pixels(joints_2d, res[:, 0], res[:, 1])
        if len(columns["cpn"]) == n:
            cpn = _stack(columns["cpn"], (17, None), path, "joints_2d_cpn", rows)[..., :2]
            extras["keypoints_2d_cpn"] = normalized_to_pixels(cpn, res[:, 0], res[:, 1]).astype(np.float32)
    keypoints = np.concatenate([joints_2d, np.full((n, 17, 1), 2.0)], axis=-1).astype(np.float32)
    subjects = extras["subject"]
    split_name = split or "+".join(sorted({split_of(int(s)) for s in np.unique(subjects)}))
    actions = tuple(ACTION_NAMES[a] for a in columns["action"])
    source_ids = tuple(f"S{s}/{ACTION_NAMES[a]}-{sa}/cam{extras['camera_index'][i]}/frame{f:06d}"
                       for i, (s, a, sa, f) in enumerate(zip(columns["subject"], columns["action"],
                                                             columns["subaction"], columns["frame"])))
    poses, has_pose, betas = no_poses(n)
    return ImageSamples(
        source="h36m", split=split_name, source_ids=source_ids, image_paths=tuple(columns["image"]), poses=poses,
        has_pose=has_pose, betas=betas, keypoints_2d=keypoints, keypoints_2d_joint_set=H36M_17.name,
        joints_3d=joints_3d.astype(np.float32), joints_3d_joint_set=H36M_17.name, cameras=tuple(camera_list),
        camera_index=camera_index, actions=actions, extras=extras)


def _stack(values: list, shape: tuple, path: str, field: str, rows: list[int]) -> np.ndarray:
    """Rows of per-frame arrays as one float64 array; errors name the frame's row in the pkl (`rows`)."""
    if not values:
        return np.zeros((0,) + tuple(2 if s is None else s for s in shape))
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (ValueError, TypeError):
        arr = None
    fits = arr is not None and arr.ndim == len(shape) + 1
    if not fits or any(w is not None and g != w for g, w in zip(arr.shape[1:], shape)):
        for row, value in enumerate(values):
            v = np.asarray(value)
            if v.ndim != len(shape) or any(w is not None and g != w for g, w in zip(v.shape, shape)):
                raise InputError(f"shape {list(v.shape)} is not {list(shape)}", file=path, row=rows[row], field=field)
        raise InputError("rows of different shapes", file=path, field=field)
    if not np.isfinite(arr).all():
        row = int(np.flatnonzero(~np.isfinite(arr.reshape(len(arr), -1)).all(1))[0])
        raise InputError("contains NaN or infinite values", file=path, row=rows[row], field=field)
    return arr


@dataclass(frozen=True, eq=False)
class H36MSequence:
    """One (subject, action key, camera) sequence of a VideoPose3D-style npz file."""

    subject: int                     # 9 for "S9"
    action_key: str                  # as in the file, e.g. "Directions 1"
    action: str                      # one of ACTIONS
    camera_index: int | None         # 0..3; None for world-frame mocap
    joints_3d: np.ndarray            # float32 [F, 17, 3] metres; camera frame, or world when camera_index is None
    keypoints_2d: np.ndarray | None  # float32 [F, 17, C] as stored in the 2D file (cut to F frames)

    @property
    def split(self) -> str:
        return split_of(self.subject)

    def metapose_image_paths(self) -> tuple[str, ...]:
        """MetaPose's crop paths `<S>/<action key>/<cam>/<S>_<action key>_<cam>_<frame+1:06d>.jpg`."""
        s, a, c = f"S{self.subject}", self.action_key, self.camera_index
        return tuple(f"{s}/{a}/{c}/{s}_{a}_{c}_{f + 1:06d}.jpg" for f in range(len(self.joints_3d)))


def _dict_member(npz: NpzFile, key: str) -> dict:
    arr = npz.array(key)
    value = arr.item() if arr.dtype == object and arr.ndim == 0 else None
    if not isinstance(value, dict):
        raise InputError("expected a 0-d object array holding a dict subject -> action -> arrays",
                         file=str(npz.path), field=key)
    return value


def read_h36m_npz(positions_3d_file: str | Path, positions_2d_file: str | Path | None = None, *,
                  subjects=None) -> list[H36MSequence]:
    """Sequences of VideoPose3D-style npz files (module docstring, item 2), sorted by subject, action, camera."""
    with NpzFile(positions_3d_file) as npz:
        positions_3d = _dict_member(npz, "positions_3d")
    positions_2d: dict = {}
    if positions_2d_file is not None:
        with NpzFile(positions_2d_file) as npz:
            positions_2d = _dict_member(npz, "positions_2d")
    path3, path2 = str(positions_3d_file), str(positions_2d_file)
    out = []
    for subject_key in sorted(positions_3d, key=lambda s: _subject_number(s)):
        subject = _subject_number(subject_key)
        if subjects is not None and subject not in subjects:
            continue
        actions = positions_3d[subject_key]
        if not isinstance(actions, dict):
            raise InputError("expected a dict action -> arrays", file=path3, row=subject_key, field="positions_3d")
        for action_key in sorted(actions):
            where = f"{subject_key}/{action_key}"
            try:
                action = action_class(action_key)
            except InputError as exc:
                raise InputError(str(exc), file=path3, row=where, field="positions_3d") from None
            entry = actions[action_key]
            per_camera = isinstance(entry, (list, tuple))
            arrays3d = list(entry) if per_camera else [entry]
            entry2d = positions_2d.get(subject_key, {}).get(action_key) if positions_2d else None
            if positions_2d_file is not None and per_camera and (entry2d is None or len(entry2d) != len(arrays3d)):
                raise InputError("no matching 2D entry (one array per camera)", file=path2, row=where,
                                 field="positions_2d")
            for cam, arr in enumerate(arrays3d):
                joints = np.asarray(arr)
                if joints.ndim != 3 or joints.shape[1] not in (17, 32) or joints.shape[2] != 3:
                    raise InputError(f"shape {list(joints.shape)} is not [frames, 17 | 32, 3]", file=path3,
                                     row=f"{where}/camera {cam}", field="positions_3d")
                if joints.shape[1] == 32:
                    joints = joints[:, list(H36M_32_TO_17)]
                if not np.isfinite(joints).all():
                    raise InputError("contains NaN or infinite values", file=path3, row=f"{where}/camera {cam}",
                                     field="positions_3d")
                kp = None
                if positions_2d_file is not None and per_camera:
                    kp = np.asarray(entry2d[cam])
                    if kp.ndim != 3 or kp.shape[1] != 17 or kp.shape[2] < 2:
                        raise InputError(f"shape {list(kp.shape)} is not [frames, 17, >= 2]", file=path2,
                                         row=f"{where}/camera {cam}", field="positions_2d")
                    if len(kp) < len(joints):
                        raise InputError(f"{len(kp)} 2D frames for {len(joints)} mocap frames", file=path2,
                                         row=f"{where}/camera {cam}", field="positions_2d")
                    kp = kp[:len(joints)].astype(np.float32)
                out.append(H36MSequence(subject, str(action_key), action, cam if per_camera else None,
                                        joints.astype(np.float32), kp))
    return out


_P2_NAME = re.compile(r"S(?P<subject>\d+)_(?P<action>[A-Za-z]+)(?:_(?P<sub>\d+))?\.(?P<camera>\d+)_(?P<frame>\d+)")


def read_h36m_eval_p2(npz_path: str | Path) -> ImageSamples:
    """HMR 2.0's H36M-VAL-P2 evaluation file as ImageSamples (`hmr2_eval.read_hmr2_eval`), with the action class
    parsed from image names like `images/S9_Directions_1.54138969_000001.jpg` ("" where the name does not parse)."""
    samples = read_hmr2_eval(npz_path, source="h36m", split="val-p2")
    actions = []
    for name in samples.image_paths:
        match = _P2_NAME.search(Path(name).name)
        try:
            actions.append(action_class(match.group("action")) if match else "")
        except InputError:
            actions.append("")
    return replace(samples, actions=tuple(actions))
