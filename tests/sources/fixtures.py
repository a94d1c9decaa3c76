"""Writers of small sample files in the exact formats of the real data sources, into a tmp dir.

Every writer reproduces the real file's container, keys, dtypes and nesting (as documented in the reader modules of
`datasets_build/sources/`): Python-2 pickles (protocol 2, `str` opcodes, numpy 1.x module paths) for 3DPW,
Python-3 pickles with numpy 1.x paths for the Human3.6M labels, npz archives whose object members are pickled the
way numpy 1.x wrote them, MATLAB v5 structs / cells via scipy.io.savemat and MATLAB v7.3 (HDF5 with the MATLAB
user block) via h5py, and the JSON shapes of PoseScript / PoseFix / COCO / EFT. Values are random but seeded, and
each writer returns what it wrote so tests compare the readers' output with it.
"""

from __future__ import annotations

import io
import json
import pickle
import types
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import _compat_pickle
import numpy as np
import scipy.io
from scipy.spatial.transform import Rotation

# numpy 2 moved `numpy.core` to `numpy._core`; files written by the released tools name the old paths.
_NUMPY_1_MODULES = {"numpy._core.multiarray": "numpy.core.multiarray", "numpy._core.numeric": "numpy.core.numeric"}


class LegacyPickler(pickle._Pickler):
    """A pickler that writes what numpy 1.x (and, with `py2_strings`, Python 2) wrote.

    Python 2 stored `str` (and the raw bytes of arrays) with the BINSTRING opcodes, which Python 3 reads back with
    `encoding="latin1"`; Python 3's own pickler would write `_codecs.encode` calls instead.
    """

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol: int, py2_strings: bool = False):
        super().__init__(file, protocol, fix_imports=True)
        self.py2_strings = py2_strings

    def save_global(self, obj, name=None):
        name = name or getattr(obj, "__qualname__", None) or obj.__name__
        module = _NUMPY_1_MODULES.get(pickle.whichmodule(obj, name), pickle.whichmodule(obj, name))
        if self.proto >= 4:
            self.save(module)
            self.save(name)
            self.write(pickle.STACK_GLOBAL)
        else:
            if self.proto < 3:
                if (module, name) in _compat_pickle.REVERSE_NAME_MAPPING:
                    module, name = _compat_pickle.REVERSE_NAME_MAPPING[(module, name)]
                elif module in _compat_pickle.REVERSE_IMPORT_MAPPING:
                    module = _compat_pickle.REVERSE_IMPORT_MAPPING[module]
            self.write(pickle.GLOBAL + module.encode() + b"\n" + name.encode() + b"\n")
        self.memoize(obj)

    dispatch[types.FunctionType] = save_global

    def _save_py2_string(self, obj, data: bytes):
        n = len(data)
        head = pickle.SHORT_BINSTRING + bytes([n]) if n < 256 else pickle.BINSTRING + n.to_bytes(4, "little")
        self.write(head + data)
        self.memoize(obj)

    def save_bytes(self, obj):
        if self.py2_strings:
            return self._save_py2_string(obj, obj)
        return pickle._Pickler.save_bytes(self, obj)

    dispatch[bytes] = save_bytes

    def save_str(self, obj):
        if self.py2_strings and obj.isascii():
            return self._save_py2_string(obj, obj.encode("ascii"))
        return pickle._Pickler.save_str(self, obj)

    dispatch[str] = save_str


def pickle_bytes(obj, *, protocol: int, py2_strings: bool = False) -> bytes:
    buf = io.BytesIO()
    LegacyPickler(buf, protocol, py2_strings).dump(obj)
    return buf.getvalue()


def write_pickle(path: Path, obj, *, protocol: int, py2_strings: bool = False) -> Path:
    Path(path).write_bytes(pickle_bytes(obj, protocol=protocol, py2_strings=py2_strings))
    return Path(path)


class _Evil:
    """Pickles to a call of os.system: what a malicious data file would hold."""

    def __reduce__(self):
        import os

        return os.system, ("echo pwned",)


def evil_pickle_bytes() -> bytes:
    return pickle.dumps(_Evil(), protocol=2)


def npy_bytes(array: np.ndarray) -> bytes:
    """One .npy member; object arrays pickled with protocol 3 and numpy 1.x module paths, as np.save did."""
    buf = io.BytesIO()
    array = np.asanyarray(array)
    if array.dtype.hasobject:
        np.lib.format.write_array_header_1_0(buf, np.lib.format.header_data_from_array_1_0(array))
        LegacyPickler(buf, 3).dump(array)
    else:
        np.lib.format.write_array(buf, array, allow_pickle=False)
    return buf.getvalue()


def write_npz(path: Path, arrays: dict, *, raw_members: dict[str, bytes] | None = None) -> Path:
    """An npz archive as np.savez writes it (stored zip members `<key>.npy`)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for key, value in arrays.items():
            z.writestr(key + ".npy", npy_bytes(np.asanyarray(value) if not isinstance(value, dict) else
                                               np.array(value, dtype=object)))
        for key, raw in (raw_members or {}).items():
            z.writestr(key + ".npy", raw)
    return Path(path)


def object_scalar(value) -> np.ndarray:
    """A 0-d object array holding `value` (how np.savez stores a dict)."""
    arr = np.empty((), dtype=object)
    arr[()] = value
    return arr


# ---------------------------------------------------------------------------------------------- rotations helpers

def random_rotvecs(rng: np.random.Generator, shape: tuple, max_angle: float = np.pi * 0.9) -> np.ndarray:
    axis = rng.normal(size=shape + (3,))
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    return axis * rng.uniform(0.05, max_angle, size=shape + (1,))


def upright_roots(rng: np.random.Generator, n: int) -> np.ndarray:
    """AMASS-style root orientations Rz(heading) Ry(small) Rx(90 deg + small), as axis-angle [n, 3]."""
    angles = np.stack([np.pi / 2 + rng.uniform(-0.3, 0.3, n), rng.uniform(-0.3, 0.3, n),
                       rng.uniform(-np.pi, np.pi, n)], axis=1)
    return Rotation.from_euler("xyz", angles).as_rotvec()


# ---------------------------------------------------------------------------------------------- AMASS

def write_amass_npz(path: Path, poses: np.ndarray, *, fps: float = 120.0, fps_key: str = "mocap_framerate",
                    gender="male", trans=None, betas=None, omit=()) -> Path:
    """An AMASS 'SMPL+H G' npz: poses (N, 156) float64, trans (N, 3), betas (16,), gender, frame rate."""
    n = len(poses)
    arrays = {"trans": np.zeros((n, 3)) if trans is None else trans, "gender": np.array(gender),
              "mocap_framerate" if fps_key == "mocap_framerate" else fps_key: np.array(fps),
              "betas": np.zeros(16) if betas is None else betas, "dmpls": np.zeros((n, 8)),
              "poses": np.asarray(poses, dtype=np.float64).reshape(n, 156)}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **{k: v for k, v in arrays.items() if k not in omit})
    return path


def random_amass_poses(rng: np.random.Generator, n: int) -> np.ndarray:
    poses = np.zeros((n, 52, 3))
    poses[:, 0] = upright_roots(rng, n)
    poses[:, 1:] = random_rotvecs(rng, (n, 51), 0.6)
    return poses


# ---------------------------------------------------------------------------------------------- PoseScript/PoseFix

@dataclass
class PoseRelease:
    root: Path
    amass_root: Path
    pose_info: dict[int, tuple[str, int]]
    raw_poses: dict[int, np.ndarray]                    # pose id -> [52, 3] as stored in AMASS
    splits: dict[str, list[int]] = field(default_factory=dict)
    human: dict[int, list[str]] = field(default_factory=dict)
    auto: dict[int, list[str]] = field(default_factory=dict)
    pairs: list[tuple[int, int]] = field(default_factory=list)
    pair_splits: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    paraphrases: dict[int, list[str]] = field(default_factory=dict)


def write_json(path: Path, obj) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def write_pose_space(root: Path, amass_root: Path, rng: np.random.Generator, *, n_files: int = 3,
                     frames_per_file: int = 8) -> PoseRelease:
    """AMASS sequences (old sub-dataset folder names, as PoseScript refers to them) and the pose-info file."""
    pose_info, raw = {}, {}
    pose_id = 0
    for f in range(n_files):
        relpath = f"BioMotionLab_NTroje/rub{f:03d}/0{f}_walking_poses.npz"
        poses = random_amass_poses(rng, frames_per_file)
        write_amass_npz(amass_root / relpath.replace("BioMotionLab_NTroje", "BMLrub"), poses,
                        fps_key="mocap_framerate" if f % 2 == 0 else "mocap_frame_rate")
        for frame in range(frames_per_file):
            pose_info[pose_id] = (relpath, frame)
            raw[pose_id] = poses[frame].reshape(52, 3)
            pose_id += 1
    write_json(root / "ids_2_dataset_sequence_and_frame_index_100k.json",
               {str(k): ["AMASS", v[0], v[1]] for k, v in pose_info.items()})
    return PoseRelease(root, amass_root, pose_info, raw)


def write_posescript_release(root: Path, amass_root: Path, seed: int = 0) -> PoseRelease:
    """PoseScript V2 files: split lists, human captions (str or list), 3 automatic captions per pose."""
    rng = np.random.default_rng(seed)
    rel = write_pose_space(root, amass_root, rng)
    ids = list(rel.pose_info)
    order = rng.permutation(ids).tolist()
    rel.splits = {"train": order[:14], "val": order[14:19], "test": order[19:]}
    for split, split_ids in rel.splits.items():
        write_json(root / f"{split}_ids_100k.json", split_ids)
    human_ids = rng.choice(ids, size=10, replace=False).tolist()
    rel.human = {i: [f"human text {i}.{k}" for k in range(1 + i % 2)] for i in human_ids}
    rel.auto = {i: [f"auto text {i}.{k}" for k in range(3)] for i in ids if i % 7 != 3}
    # the release mixes both forms: a bare string for one-caption entries, a list otherwise
    write_json(root / "posescript_human_6293.json",
               {str(i): (t[0] if len(t) == 1 else t) for i, t in rel.human.items()})
    write_json(root / "posescript_auto_100k.json", {str(i): t for i, t in rel.auto.items()})
    return rel


def write_posefix_release(root: Path, amass_root: Path, seed: int = 0) -> PoseRelease:
    """PoseFix files: pair list, in/out split lists, human / automatic / paraphrase texts, pose-info file."""
    rng = np.random.default_rng(seed)
    rel = write_pose_space(root, amass_root, rng, n_files=3, frames_per_file=8)
    by_file: dict[str, list[int]] = {}
    for pose_id, (relpath, _) in rel.pose_info.items():
        by_file.setdefault(relpath, []).append(pose_id)
    files = list(by_file.values())
    pairs = []
    for group in files:                                   # in-sequence: B a few frames after A
        pairs += [(group[k], group[k + 2]) for k in range(0, 6, 2)]
    for k in range(9):                                    # out-of-sequence: different files
        a = files[k % 3][k % 8]
        b = files[(k + 1) % 3][(3 * k) % 8]
        pairs.append((a, b))
    rel.pairs = pairs
    write_json(root / "pair_id_2_pose_ids.json", [list(p) for p in pairs])
    in_ids = [i for i, (a, b) in enumerate(pairs) if rel.pose_info[a][0] == rel.pose_info[b][0]]
    out_ids = [i for i in range(len(pairs)) if i not in in_ids]
    in_perm, out_perm = rng.permutation(in_ids).tolist(), rng.permutation(out_ids).tolist()
    rel.pair_splits = {
        ("train", "in"): in_perm[:5], ("val", "in"): in_perm[5:7], ("test", "in"): in_perm[7:],
        ("train", "out"): out_perm[:5], ("val", "out"): out_perm[5:7], ("test", "out"): out_perm[7:]}
    for (split, kind), ids in rel.pair_splits.items():
        write_json(root / f"{split}_{kind}_sequence_pair_ids.json", ids)
    all_ids = in_ids + out_ids
    rel.human = {i: [f"move {i} human {k}" for k in range(1 + i % 3)] for i in all_ids[::2]}
    rel.auto = {i: [f"move {i} auto {k}" for k in range(3)] for i in all_ids}
    rel.paraphrases = {i: [f"move {i} paraphrase"] for i in list(rel.human)[:3]}
    write_json(root / "posefix_human_6157.json", {str(i): t for i, t in rel.human.items()})
    write_json(root / "posefix_auto_135305.json", {str(i): t for i, t in rel.auto.items()})
    write_json(root / "posefix_paraphrases_4284.json", {str(i): t for i, t in rel.paraphrases.items()})
    return rel


# ---------------------------------------------------------------------------------------------- Human3.6M

H36M_RESOLUTIONS = ((1000, 1002), (1000, 1000), (1000, 1000), (1000, 1002))


def h36m_camera(rng: np.random.Generator) -> dict:
    """H36M-Toolbox `camera_data.pkl` style camera: R (3, 3) world->camera, T (3, 1) camera centre in world mm."""
    yaw = rng.uniform(-np.pi, np.pi)
    # a camera looking horizontally at the subject: camera z along the world horizontal, camera y = world -z (down)
    R = Rotation.from_euler("xyz", [-np.pi / 2, 0.0, yaw]).as_matrix().T
    centre = -R.T @ np.array([0.0, -300.0, 5000.0])      # subject about 5 m in front, slightly below the lens
    f, c = 1145.0 + rng.normal(size=2), 512.0 + rng.normal(size=2)   # numpy float64 scalars, as in camera_data.pkl
    return {"R": R, "T": centre.reshape(3, 1), "fx": f[0], "fy": f[1], "cx": c[0], "cy": c[1],
            "k": rng.normal(0, 0.1, (3, 1)), "p": rng.normal(0, 0.001, (2, 1))}


def normalize_screen(points: np.ndarray, w: int, h: int) -> np.ndarray:
    """VideoPose3D's normalize_screen_coordinates."""
    return points / w * 2 - np.array([1, h / w])


def make_h36m_label_frames(rng: np.random.Generator, clips, frames_per_clip: int = 3) -> list[dict]:
    """CA-PF `generate_labels_h36m.py` per-frame dicts for clips [(subject, action id, subaction, camera id)].

    Also stores the ground-truth pixel 2D joints under the private key `_pixels` (dropped before writing)."""
    frames, cameras = [], {}
    for video_id, (s, a, sa, c) in enumerate(clips):
        cam = cameras.setdefault((s, c), h36m_camera(rng))
        w, h = H36M_RESOLUTIONS[c]
        for i in range(frames_per_clip):
            world = rng.normal(0, 300, (17, 3)) + np.array([0.0, 0.0, 900.0])      # mm, z-up world
            cam_mm = (cam["R"] @ (world.T - cam["T"])).T
            pix = cam_mm[:, :2] / cam_mm[:, 2:] * [cam["fx"], cam["fy"]] + [cam["cx"], cam["cy"]]
            cpn = pix + rng.normal(0, 3, pix.shape)
            frames.append({
                "image": f"s_{s:02d}_act_{a:02d}_subact_{sa:02d}_ca_{c + 1:02d}/"
                         f"s_{s:02d}_act_{a:02d}_subact_{sa:02d}_ca_{c + 1:02d}_{i + 1:06d}.jpg",
                "joints_2d_gt": normalize_screen(pix, w, h), "joints_2d_cpn": normalize_screen(cpn, w, h),
                "joints_3d": cam_mm / 1000.0, "joints_vis": np.ones((17, 3)), "video_id": video_id,
                "image_id": i + 1, "subject": s, "action": a, "subaction": sa, "camera_id": c, "source": "h36m",
                "camera": cam, "center": (500.0, 500.0), "scale": (5.0, 5.0), "box": np.array([0, 0, 1000, 1000.]),
                "joints_2d_gt_crop": rng.uniform(0, 192, (17, 2)).astype(np.float32),
                "joints_2d_cpn_crop": rng.uniform(0, 192, (17, 2)).astype(np.float32),
                "_pixels": pix, "_cpn_pixels": cpn, "_world_mm": world})
    return frames


def write_h36m_labels(path: Path, frames: list[dict]) -> Path:
    """The label pkl as CA-PF wrote it (Python 3 `pickle.dump`, protocol 4, numpy 1.x)."""
    clean = [{k: v for k, v in f.items() if not k.startswith("_")} for f in frames]
    return write_pickle(path, clean, protocol=4)


# ---------------------------------------------------------------------------------------------- HMR 2.0 / UniPose npz

def write_hmr2_eval_npz(path: Path, rng: np.random.Generator, n: int, *, layout: str = "split",
                        smpl: bool = True, person_ids: bool = False, names=None) -> dict:
    """An HMR 2.0 evaluation npz (4D-Humans keys); returns the written arrays (44-point key points included)."""
    kp3 = np.concatenate([rng.normal(0, 0.4, (n, 44, 3)), rng.uniform(0, 1, (n, 44, 1))], axis=-1)
    kp2 = np.concatenate([rng.uniform(0, 1000, (n, 44, 2)), rng.uniform(0, 1, (n, 44, 1))], axis=-1)
    names = names or [f"imageFiles/downtown_walking_00/image_{i:05d}.jpg" for i in range(n)]
    arrays = {"imgname": np.array(names), "center": rng.uniform(0, 1000, (n, 2)), "scale": rng.uniform(1, 4, n)}
    if layout == "split":
        arrays.update(body_keypoints_3d=kp3[:, :25], extra_keypoints_3d=kp3[:, 25:],
                      body_keypoints_2d=kp2[:, :25], extra_keypoints_2d=kp2[:, 25:])
    elif layout == "whole":
        arrays.update(keypoints_3d=kp3)
    elif layout == "extra19":
        arrays.update(keypoints_3d=kp3[:, 25:])
        kp3 = np.concatenate([np.zeros((n, 25, 4)), kp3[:, 25:]], axis=1)
    if smpl:
        arrays.update(body_pose=rng.normal(0, 0.3, (n, 72)), has_body_pose=(np.arange(n) % 4 != 1).astype(np.float32),
                      betas=rng.normal(0, 1, (n, 10)), has_betas=np.ones(n, np.float32))
    if person_ids:
        arrays["personid"] = np.arange(n) % 2
    write_npz(path, arrays)
    return {**arrays, "_kp3": kp3, "_kp2": kp2}


def write_unipose_npz(path: Path, rng: np.random.Generator, n: int, *, smpl: bool = True, n_keypoints: int = 44,
                      object_paths: bool = False) -> dict:
    names = [f"h36m/images/S1_Directions_1.54138969_{i:06d}.jpg" for i in range(n)]
    arrays = {"img_path": np.array(names, dtype=object if object_paths else None),
              "keypoints_3d": rng.normal(0, 0.4, (n, n_keypoints, 4)).astype(np.float32)}
    if smpl:
        arrays.update(global_orient=random_rotvecs(rng, (n,)).astype(np.float32),
                      body_pose=rng.normal(0, 0.3, (n, 69)).astype(np.float32))
    write_npz(path, arrays)
    return arrays


# ---------------------------------------------------------------------------------------------- 3DPW

def make_3dpw_sequence(rng: np.random.Generator, name: str, n_frames: int, n_actors: int = 2) -> dict:
    """One `sequenceFiles/*/<name>.pkl` dict with every documented key."""
    poses = []
    for _ in range(n_actors):
        p = rng.normal(0, 0.3, (n_frames, 72))
        p[:, :3] = random_rotvecs(rng, (n_frames,))
        poses.append(p)
    cam_poses = np.zeros((n_frames, 4, 4))
    cam_poses[:, :3, :3] = Rotation.from_rotvec(random_rotvecs(rng, (n_frames,), 0.5)).as_matrix()
    cam_poses[:, :3, 3] = rng.normal(0, 2, (n_frames, 3))
    cam_poses[:, 3, 3] = 1.0
    valid = [rng.uniform(size=n_frames) > 0.3 for _ in range(n_actors)]
    return {
        "sequence": name, "betas": [rng.normal(0, 1, 10) for _ in range(n_actors)], "poses": poses,
        "trans": [rng.normal(0, 1, (n_frames, 3)) for _ in range(n_actors)],
        "poses_60Hz": [np.repeat(p, 2, 0) for p in poses],
        "trans_60Hz": [rng.normal(0, 1, (2 * n_frames, 3)) for _ in range(n_actors)],
        "betas_clothed": [rng.normal(0, 1, 10) for _ in range(n_actors)],
        "v_template_clothed": [rng.normal(0, 1, (20, 3)) for _ in range(n_actors)],
        "genders": ["m", "f"][:n_actors], "texture_maps": [np.zeros((2, 2, 3), np.uint8)] * n_actors,
        "poses2d": [rng.uniform(0, 1000, (n_frames, 3, 18)) for _ in range(n_actors)],
        "jointPositions": [rng.normal(0, 1, (n_frames, 72)) for _ in range(n_actors)],
        "img_frame_ids": np.arange(n_frames) * 2, "cam_poses": cam_poses,
        "campose_valid": valid, "cam_intrinsics": np.array([[1962.0, 0, 540.0], [0, 1969.0, 960.0], [0, 0, 1]]),
    }


def write_3dpw_sequence(path: Path, seq: dict) -> Path:
    """As the 3DPW release: a Python-2 pickle, protocol 2."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_pickle(path, seq, protocol=2, py2_strings=True)


# ---------------------------------------------------------------------------------------------- MPII (MATLAB v5)

def _struct_array(records: list[dict], fields: list[str], shape=None) -> np.ndarray:
    """A MATLAB struct array (1 x K by default): missing fields are MATLAB's empty [] (0 x 0 double)."""
    arr = np.zeros(shape or (1, len(records)), dtype=[(f, object) for f in fields])
    flat = arr.reshape(-1)
    for i, record in enumerate(records):
        for f in fields:
            flat[i][f] = record.get(f, np.zeros((0, 0)))
    return arr


def _mat_scalar(value) -> np.ndarray:
    return np.array([[value]])


def write_mpii_mat(path: Path, images: list[dict]) -> Path:
    """`mpii_human_pose_v1_u12_1.mat`: RELEASE.annolist / img_train / act / single_person / version.

    images: {"name", "train": bool, "people": [{"points": {id: (x, y, vis)}, "objpos": (x, y) | None,
    "scale": float | None, "head": (x1, y1, x2, y2) | None}], "activity": str, "category": str}. `vis` may be
    0 / 1, a '0' / '1' string, or None (MATLAB []) as in the real file."""
    annolist = []
    for image in images:
        rects = []
        for person in image["people"]:
            rect = {}
            if person.get("head") is not None:
                rect.update({k: _mat_scalar(v) for k, v in zip(("x1", "y1", "x2", "y2"), person["head"])})
            if person.get("points"):
                points = [{"id": _mat_scalar(j), "x": _mat_scalar(x), "y": _mat_scalar(y),
                           "is_visible": np.zeros((0, 0)) if v is None else np.array([v]) if isinstance(v, str)
                           else _mat_scalar(v)} for j, (x, y, v) in person["points"].items()]
                rect["annopoints"] = _struct_array([{"point": _struct_array(points, ["id", "x", "y", "is_visible"])}],
                                                   ["point"])
            if person.get("scale") is not None:
                rect["scale"] = _mat_scalar(person["scale"])
            if person.get("objpos") is not None:
                rect["objpos"] = _struct_array([{"x": _mat_scalar(person["objpos"][0]),
                                                 "y": _mat_scalar(person["objpos"][1])}], ["x", "y"])
            rects.append(rect)
        fields = ["x1", "y1", "x2", "y2", "annopoints", "scale", "objpos"] if image["train"] else ["scale", "objpos"]
        annolist.append({
            "image": _struct_array([{"name": np.array([image["name"]])}], ["name"]),
            "annorect": _struct_array(rects, fields) if rects else np.zeros((0, 0)),
            "frame_sec": _mat_scalar(12.0), "vididx": _mat_scalar(1)})
    act = _struct_array([{"cat_name": np.array([im.get("category", "")]) if im.get("category") else np.zeros((0, 0)),
                          "act_name": np.array([im.get("activity", "")]) if im.get("activity") else np.zeros((0, 0)),
                          "act_id": _mat_scalar(-1)} for im in images], ["cat_name", "act_name", "act_id"],
                        shape=(len(images), 1))
    single = np.empty((len(images), 1), dtype=object)
    for i, image in enumerate(images):
        single[i, 0] = np.array([[1.0]]) if len(image["people"]) == 1 else np.zeros((0, 0))
    release = {"annolist": _struct_array(annolist, ["image", "annorect", "frame_sec", "vididx"]),
               "img_train": np.array([[1 if im["train"] else 0 for im in images]], dtype=np.uint8),
               "version": "12", "single_person": single, "act": act,
               "video_list": np.array([["video_a"]], dtype=object)}
    scipy.io.savemat(path, {"RELEASE": release})
    return path


# ---------------------------------------------------------------------------------------------- COCO / EFT

COCO_KEYPOINT_NAMES = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
                       "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
                       "right_knee", "left_ankle", "right_ankle"]


def make_coco(rng: np.random.Generator, n_images: int = 3, per_image: int = 2) -> dict:
    images, annotations = [], []
    ann_id = 900100
    for i in range(n_images):
        image_id = 391895 + i
        images.append({"license": 3, "file_name": f"COCO_train2014_{image_id:012d}.jpg", "height": 360,
                       "width": 640, "id": image_id, "coco_url": "", "flickr_url": "", "date_captured": ""})
        for _ in range(per_image):
            flags = rng.integers(0, 3, 17)
            xy = rng.uniform(0, 360, (17, 2)).round(0)
            xy[flags == 0] = 0
            kp = np.concatenate([xy, flags[:, None]], axis=1).astype(int).reshape(-1).tolist()
            annotations.append({"segmentation": [[0.0, 0.0, 10.0, 0.0, 10.0, 10.0]], "num_keypoints": int((flags > 0)
                                .sum()), "area": 1000.0, "iscrowd": 0, "keypoints": kp, "image_id": image_id,
                                "bbox": rng.uniform(0, 300, 4).round(2).tolist(), "category_id": 1, "id": ann_id})
            ann_id += 17
    annotations.append({"segmentation": [], "area": 5.0, "iscrowd": 0, "image_id": 391895, "bbox": [0, 0, 1, 1],
                        "category_id": 18, "id": 1})  # a dog: not a person
    return {"info": {"description": "COCO 2014 Dataset"}, "licenses": [], "images": images,
            "annotations": annotations, "categories": [{"supercategory": "person", "id": 1, "name": "person",
                                                        "keypoints": COCO_KEYPOINT_NAMES, "skeleton": [[16, 14]]}]}


def make_eft_fit(rng: np.random.Generator, image_name: str, *, annot_id=None, center=(100.0, 100.0),
                 scale: float = 1.2) -> dict:
    """One entry of EFT's "data" list (facebookresearch/eft docs/README_dataformat.md)."""
    rotmats = Rotation.from_rotvec(random_rotvecs(rng, (24,), 1.2)).as_matrix()
    fit = {"parm_pose": rotmats.tolist(), "parm_shape": rng.normal(0, 1, 10).tolist(),
           "parm_cam": [0.9, 0.01, 0.2], "bbox_scale": scale, "bbox_center": list(center),
           "joint_validity_openpose18": [[1]] * 18, "smpltype": "smpl", "imageName": image_name}
    if annot_id is not None:
        fit["annotId"] = annot_id
    return fit


def write_eft_json(path: Path, fits: list[dict]) -> Path:
    return write_json(path, {"ver": 0.1, "data": fits})


# ---------------------------------------------------------------------------------------------- MPI-INF-3DHP

def write_calibration(path: Path, cameras: list[dict]) -> Path:
    """`camera.calibration` in the Skeletool V1.0 layout; cameras: {"K" 3x3, "R", "t_mm", "size"}."""
    lines = ["Skeletool Camera Calibration File V1.0"]
    for i, cam in enumerate(cameras):
        intrinsic = np.eye(4)
        intrinsic[:3, :3] = cam["K"]
        extrinsic = np.eye(4)
        extrinsic[:3, :3], extrinsic[:3, 3] = cam["R"], cam["t_mm"]
        lines += [f"name          {i}", "  sensor      10 10", f"  size        {cam['size'][0]} {cam['size'][1]}",
                  "  animated    0", "  intrinsic   " + " ".join(f"{v:.10g}" for v in intrinsic.reshape(-1)) + " ",
                  "  extrinsic   " + " ".join(f"{v:.10g}" for v in extrinsic.reshape(-1)) + " ", "  radial      0"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def write_3dhp_train_sequence(seq_dir: Path, rng: np.random.Generator, n_frames: int = 5, n_cameras: int = 14
                              ) -> dict:
    """annot.mat (cells of 14 per-camera arrays, MATLAB v5) and camera.calibration of one S*/Seq* folder."""
    seq_dir.mkdir(parents=True, exist_ok=True)
    cameras = [{"K": np.array([[1497.0 + i, 0, 1024.0], [0, 1496.0 + i, 1051.0], [0, 0, 1]]),
                "R": Rotation.from_rotvec(random_rotvecs(rng, ())).as_matrix(), "t_mm": rng.normal(0, 1000, 3),
                "size": (2048, 2048)} for i in range(n_cameras)]
    annot2, annot3, univ = (np.empty((n_cameras, 1), dtype=object) for _ in range(3))
    for c in range(n_cameras):
        a3 = rng.normal(0, 400, (n_frames, 28, 3)) + [0, 0, 4000]
        a2 = a3[..., :2] / a3[..., 2:] * 1497 + 1024
        annot3[c, 0], annot2[c, 0] = a3.reshape(n_frames, 84), a2.reshape(n_frames, 56)
        univ[c, 0] = (a3 * 0.9).reshape(n_frames, 84)
    scipy.io.savemat(seq_dir / "annot.mat", {"annot2": annot2, "annot3": annot3, "univ_annot3": univ,
                                             "frames": np.arange(n_frames, dtype=np.uint16).reshape(-1, 1),
                                             "cameras": np.arange(n_cameras, dtype=np.uint8).reshape(1, -1)})
    write_calibration(seq_dir / "camera.calibration", cameras)
    return {"annot2": annot2, "annot3": annot3, "univ_annot3": univ, "cameras": cameras}


def make_3dhp_test_annotations(rng: np.random.Generator, n_frames: int) -> dict:
    """Arrays of a TS*/annot_data.mat in MATLAB dimension order (2|3 x 17 x 1 x N, 1 x N)."""
    a3 = rng.normal(0, 400, (n_frames, 1, 17, 3)) + [0, 0, 4000]
    a2 = a3[..., :2] / a3[..., 2:] * 1500 + 1024
    return {"annot2": a2.T, "annot3": a3.T, "univ_annot3": (0.9 * a3).T,
            "valid_frame": (rng.uniform(size=(1, n_frames)) > 0.3).astype(np.float64),
            "activity_annotation": rng.integers(1, 8, (1, n_frames)).astype(np.float64),
            "bb_crop": rng.uniform(0, 2048, (4, n_frames))}


def write_3dhp_test_v5(path: Path, arrays: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, arrays)
    return path


def write_3dhp_test_v73(path: Path, arrays: dict) -> Path:
    """MATLAB v7.3: an HDF5 file with a 512-byte user block starting with MATLAB's text header; datasets stored
    with reversed dimensions (HDF5 is row-major), each tagged with its MATLAB class."""
    import h5py

    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w", userblock_size=512) as f:
        for key, value in arrays.items():
            dset = f.create_dataset(key, data=np.asarray(value).T)
            dset.attrs["MATLAB_class"] = np.bytes_("double")
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2018 HDF5 schema 1.00 ."
    with open(path, "r+b") as f:
        f.write(header.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM")
    return path
