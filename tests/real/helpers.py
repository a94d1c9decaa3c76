"""Sample source folders in the real layouts (files written with tests/sources/fixtures.py) plus their images, and
small stand-ins (a pose-text evaluator, a text refiner) passed explicitly to the builders."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests.sources.fixtures import (make_3dpw_sequence, make_3dhp_test_annotations, make_coco, make_eft_fit,
                                    make_h36m_label_frames, write_3dhp_test_v5, write_3dpw_sequence, write_eft_json,
                                    write_h36m_labels, write_hmr2_eval_npz, write_json, write_mpii_mat, write_npz,
                                    write_posefix_release, write_posescript_release, write_unipose_npz)


def write_image(path: Path, width: int, height: int, seed: int = 0) -> Path:
    """A smooth colour image (a JPEG when the name says so): cheap to write and to decode."""
    from PIL import Image

    yy, xx = np.mgrid[0:height, 0:width]
    phase = seed % 7
    rgb = np.stack([(xx * 255 // max(width - 1, 1)), (yy * 255 // max(height - 1, 1)),
                    ((xx + yy + 40 * phase) % 256)], axis=-1).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path)
    return path


def write_images(root: Path, paths, width: int, height: int) -> None:
    for k, rel in enumerate(sorted(set(paths))):
        write_image(Path(root) / rel, width, height, seed=k)


@dataclass
class SourceFolders:
    root: Path
    posescript: Path = None
    posescript_amass: Path = None
    posescript_release: object = None
    posefix: Path = None
    posefix_amass: Path = None
    posefix_release: object = None
    threedpw: Path = None
    hmr2: Path = None
    h36m: Path = None
    mpii: Path = None
    coco: Path = None
    eft: Path = None
    mpi_inf_3dhp: Path = None
    unipose: Path = None
    unipose_images: Path = None
    written: dict = field(default_factory=dict)


MPII_IMAGES = [
    {"name": f"{100000001 + i:09d}.jpg", "train": True, "activity": "walking", "category": "sports", "people": [
        {"points": {j: (300.0 + 20 * j + 7 * i, 150.0 + 25 * j, 1) for j in range(16)},
         "objpos": (460.0 + 7 * i, 340.0), "scale": 2.5, "head": (300, 100, 360, 160)}]}
    for i in range(8)
] + [{"name": "100000099.jpg", "train": True, "people": [
    {"points": {0: (50.0, 60.0, 1)}, "objpos": (80.0, 90.0), "scale": 1.0, "head": (40, 50, 60, 70)}]}]


def write_sources(root: Path, seed: int = 0) -> SourceFolders:
    """Every source folder the real builders read, small, in the released formats, with their images."""
    rng = np.random.default_rng(seed)
    f = SourceFolders(Path(root))
    # PoseScript / PoseFix (separate AMASS roots: their pose spaces are drawn independently)
    f.posescript, f.posescript_amass = f.root / "posescript", f.root / "amass_ps"
    f.posescript_release = write_posescript_release(f.posescript, f.posescript_amass, seed=seed)
    f.posefix, f.posefix_amass = f.root / "posefix", f.root / "amass_pf"
    f.posefix_release = write_posefix_release(f.posefix, f.posefix_amass, seed=seed + 1)

    # 3DPW test sequences and their images (1080 x 1920, as the fixture's intrinsics imply)
    f.threedpw = f.root / "3dpw"
    seqs = [make_3dpw_sequence(rng, name, n_frames=5) for name in ("downtown_walking_00", "office_phoneCall_00")]
    for seq in seqs:
        write_3dpw_sequence(f.threedpw / "sequenceFiles" / "test" / f"{seq['sequence']}.pkl", seq)
    names = [f"imageFiles/{s['sequence']}/image_{i:05d}.jpg" for s in seqs for i in range(5)]
    write_images(f.threedpw, names, 1080, 1920)
    f.written["3dpw"] = seqs

    # HMR 2.0 evaluation files: 3DPW rows name the 3DPW images; H36M-P2 rows name S9/S11 images
    f.hmr2 = f.root / "hmr2"
    f.hmr2.mkdir()
    f.written["3dpw_eval"] = write_hmr2_eval_npz(f.hmr2 / "3dpw_test.npz", rng, 10, names=names[:10])
    p2_names = [f"images/S{s}_Directions_1.54138969_{i + 1:06d}.jpg" for s in (9, 11) for i in range(3)]
    f.written["h36m_p2"] = write_hmr2_eval_npz(f.hmr2 / "h36m_val_p2.npz", rng, 6, names=p2_names, smpl=False)

    # Human3.6M label pkls (CA-PF) and their images
    f.h36m = f.root / "h36m"
    train = make_h36m_label_frames(rng, [(1, 2, 1, 0), (5, 14, 2, 1)], frames_per_clip=3)
    test = make_h36m_label_frames(rng, [(9, 2, 1, 0), (11, 9, 1, 0)], frames_per_clip=3)
    f.h36m.mkdir()
    write_h36m_labels(f.h36m / "h36m_train.pkl", train)
    write_h36m_labels(f.h36m / "h36m_validation.pkl", test)
    write_images(f.h36m / "images", [fr["image"] for fr in train + test], 1000, 1002)
    write_images(f.h36m, p2_names, 1000, 1002)
    f.written["h36m_train"], f.written["h36m_test"] = train, test

    # MPII with EFT fits (all but the last person), COCO 2014 train / val with EFT fits (every other person)
    f.mpii, f.eft, f.coco = f.root / "mpii", f.root / "eft", f.root / "coco"
    f.mpii.mkdir()
    write_mpii_mat(f.mpii / "mpii_human_pose_v1_u12_1.mat", MPII_IMAGES)
    write_images(f.mpii / "images", [im["name"] for im in MPII_IMAGES], 1280, 720)
    write_eft_json(f.eft / "MPII_ver01.json", [make_eft_fit(rng, im["name"], center=im["people"][0]["objpos"])
                                               for im in MPII_IMAGES[:-1]])
    coco = make_coco(rng, n_images=4, per_image=2)
    write_json(f.coco / "annotations" / "person_keypoints_train2014.json", coco)
    people = [a for a in coco["annotations"] if a["category_id"] == 1]
    image_of = {im["id"]: im["file_name"] for im in coco["images"]}
    write_eft_json(f.eft / "COCO2014-All-ver01.json", [make_eft_fit(rng, image_of[a["image_id"]], annot_id=a["id"])
                                                       for a in people[::2]])
    val = make_coco(rng, n_images=2, per_image=1)
    for im in val["images"]:
        im["file_name"] = im["file_name"].replace("train", "val")
    for ann in val["annotations"]:                   # COCO annotation ids are unique across train and val
        ann["id"] += 1_000_000
    write_json(f.coco / "annotations" / "person_keypoints_val2014.json", val)
    write_images(f.coco / "train2014", [im["file_name"] for im in coco["images"]], 640, 360)
    write_images(f.coco / "val2014", [im["file_name"] for im in val["images"]], 640, 360)
    f.written["coco"], f.written["coco_val"] = coco, val

    # MPI-INF-3DHP test sequence TS1 (MATLAB v5 re-save)
    f.mpi_inf_3dhp = f.root / "mpi_inf_3dhp"
    annotations = make_3dhp_test_annotations(rng, 6)
    write_3dhp_test_v5(f.mpi_inf_3dhp / "mpi_inf_3dhp_test_set" / "TS1" / "annot_data.mat", annotations)
    valid = np.flatnonzero(annotations["valid_frame"].reshape(-1) > 0)
    write_images(f.mpi_inf_3dhp, [f"mpi_inf_3dhp_test_set/TS1/imageSequence/img_{i + 1:06d}.jpg" for i in valid],
                 2048, 2048)
    f.written["3dhp_test"] = annotations

    # UniPose's npz image sets (SMPL poses of Human3.6M and MPI-INF-3DHP), images already person crops
    f.unipose, f.unipose_images = f.root / "unipose", f.root / "unipose_images"
    f.unipose.mkdir()
    h36m_npz = write_unipose_npz(f.unipose / "h36m.npz", rng, 12)
    hp_npz = write_unipose_npz(f.unipose / "mpi-inf.npz", rng, 10)
    # write_unipose_npz names every image like a Human3.6M frame; give the 3DHP set its own names
    hp_npz["img_path"] = np.array([f"mpi_inf_3dhp/S1/Seq1/imageFrames/video_0/frame_{i:06d}.jpg" for i in range(10)])
    write_npz(f.unipose / "mpi-inf.npz", hp_npz)
    write_images(f.unipose_images, list(h36m_npz["img_path"]) + list(hp_npz["img_path"]), 192, 256)
    f.written["unipose_h36m"], f.written["unipose_mpi_inf"] = h36m_npz, hp_npz
    return f


# ------------------------------------------------------------------------------------------------ stand-ins
class JointFeatureEvaluator:
    """Stand-in pose-text evaluator: a pose's feature is its flattened skeleton joints (unit norm). Only what
    ImageDiff needs (`encode_poses`); cosine similarity then ranks poses by joint-space direction."""

    name = "joint-feature-stand-in"
    version = "test"

    def __init__(self):
        from benchmark.body.skeleton import SkeletonBody

        self.body = SkeletonBody()
        self.calls = 0

    def encode_poses(self, poses):
        self.calls += 1
        joints = np.asarray(self.body.joints(np.asarray(poses, np.float32)[:, :22]), np.float64)
        flat = (joints - joints[:, :1]).reshape(len(joints), -1)
        return (flat / np.linalg.norm(flat, axis=1, keepdims=True)).astype(np.float32)


class ToyRefiner:
    """Stand-in text model: the refined text is the shortest automatic text, tagged."""

    name = "toy-refiner"
    version = "1"

    def __init__(self):
        self.seen: list[tuple[str, int]] = []

    def refine(self, texts, kind):
        self.seen.append((kind, len(texts)))
        return [f"[{kind}] " + min(row, key=len) for row in texts]


def toy_refiner() -> ToyRefiner:
    """Factory for `--refiner tests.real.helpers:toy_refiner`."""
    return ToyRefiner()
