"""Command-line options naming the user's copies of the real sources, and the build they drive.

`add_source_arguments(parser)` adds the options (each help says which files are expected and where they come
from); `build_from_sources(args)` reads what the options name and runs the builder of `args.source`:

    posescript       --posescript-dir --amass-dir                       -> pose_to_text-A/-H, text_to_pose-A/-H
    posefix          --posefix-dir --amass-dir                          -> pose_diff-A/-H, pose_edit-A/-H
    pose-estimation  any of --3dpw-dir --hmr2-eval-dir --h36m-dir --mpii-dir --coco-dir --mpi-inf-3dhp-dir
                     --unipose-npz-dir (+ --eft-dir for SMPL fits)       -> pose_estimation-<dataset>
    imagescript      training sets with SMPL fits + 3DPW test           -> image_to_text-A (-R with --refiner)
    imagediff        the same + --evaluator-dir                          -> image_diff-A (-R with --refiner)

Which file feeds which split (a dataset missing from the options is left out and the report says so):
* 3DPW test: HMR 2.0's `3dpw_test.npz` (in --hmr2-eval-dir; images and, for K, the sequence files from --3dpw-dir),
  else the test sequences of --3dpw-dir.
* Human3.6M: `h36m_val_p2.npz` (HMR 2.0) -> pose_estimation-h36m test; UniPose's `h36m.npz` -> its train split (the
  only Human3.6M source with SMPL poses); the CA-PF label pkls `h36m_train.pkl` / `h36m_validation.pkl` ->
  pose_estimation-h36m17 train / test.
* MPII / COCO: the official annotations, with EFT's SMPL fits when --eft-dir is given (else UniPose's npz for the
  image-text sets). MPI-INF-3DHP: UniPose's `mpi-inf.npz` (SMPL) when given, else the native training sequences;
  test: `mpi_inf_3dhp_test_set/TS1..6`.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np

from benchmark.errors import InputError
from datasets_build.real.unipose_sizes import UNIPOSE_REFINED_TRAIN_SIZE, UNIPOSE_TEST_SIZE, UNIPOSE_TRAIN_SIZES

if TYPE_CHECKING:  # the builders import torch and datasets: only when a build runs
    from datasets_build.real.common import BuildInfo
    from datasets_build.real.crops import CropOptions
    from datasets_build.real.image_rows import ImageSet

SOURCES = ("posescript", "posefix", "pose-estimation", "imagescript", "imagediff")

H36M_LABELS = {"train": "h36m_train.pkl", "test": "h36m_validation.pkl"}
MPII_MAT = "mpii_human_pose_v1_u12_1.mat"
EFT_FILES = {"mpii": "MPII_ver01.json", "coco": "COCO2014-All-ver01.json"}
COCO_FILES = {"train": "annotations/person_keypoints_train2014.json",
              "val": "annotations/person_keypoints_val2014.json"}
HMR2_FILES = {"3dpw": "3dpw_test.npz", "h36m": "h36m_val_p2.npz"}
UNIPOSE_FILES = {"h36m": "h36m.npz", "mpi-inf-3dhp": "mpi-inf.npz", "mpii": "mpii.npz", "coco": "coco.npz"}


def _add(parser: argparse.ArgumentParser, *flags: str, **kwargs) -> None:
    """Add an option unless the parser already has it (the lead's `build` command may define --seed etc.)."""
    if any(flag in parser._option_string_actions for flag in flags):
        return
    parser.add_argument(*flags, **kwargs)


def _sizes(text: str) -> dict[str, int]:
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        try:
            out[name.strip()] = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r} is not NAME=INT") from None
    return out


def add_source_arguments(parser: argparse.ArgumentParser, *, with_source: bool = True) -> None:
    """The options of the real-source builds (skipping any the parser already defines)."""
    if with_source:
        _add(parser, "--source", choices=SOURCES, required=True, help="which real source to build from")
    g = parser.add_argument_group("real sources (the user's own copies; nothing is downloaded)")
    _add(g, "--posescript-dir", type=Path, help=(
        "unzipped posescript_release_v2.zip (github.com/naver/posescript): {train,val,test}_ids_100k.json, "
        "posescript_human_6293.json, posescript_auto_100k.json, ids_2_dataset_sequence_and_frame_index_100k.json"))
    _add(g, "--posefix-dir", type=Path, help=(
        "unzipped PoseFix release (github.com/naver/posescript): pair_id_2_pose_ids.json, "
        "{train,val,test}_{in,out}_sequence_pair_ids.json, posefix_human_6157.json, posefix_auto_135305.json, "
        "posefix_paraphrases_4284.json, ids_2_dataset_sequence_and_frame_index_100k.json"))
    _add(g, "--amass-dir", type=Path, help=(
        "AMASS 'SMPL+H G' archives unpacked under one folder (amass.is.tue.mpg.de, registration); old sub-dataset "
        "names used by PoseScript (BioMotionLab_NTroje, MPI_HDM05, ...) are found under the new ones"))
    _add(g, "--automatic-versions", type=lambda s: tuple(v.strip() for v in s.split(",")), default=None, help=(
        "pipeline version of each position of the automatic caption lists (e.g. N2,N6,N7); the releases do not "
        "document it, so texts are recorded as auto-0, auto-1, auto-2 by default"))
    _add(g, "--3dpw-dir", dest="threedpw_dir", type=Path, help=(
        "3DPW (virtualhumans.mpi-inf.mpg.de/3DPW): sequenceFiles/{train,validation,test}/*.pkl and "
        "imageFiles/<sequence>/image_%%05d.jpg"))
    _add(g, "--hmr2-eval-dir", type=Path, help=(
        "HMR 2.0 / 4D-Humans hmr2_evaluation_data (project page, registration): 3dpw_test.npz (images under "
        "--3dpw-dir) and h36m_val_p2.npz (images under --h36m-dir)"))
    _add(g, "--h36m-dir", type=Path, help=(
        "Human3.6M (vision.imar.ro/human3.6m, registration) prepared with CA-PF's H36M-Toolbox: h36m_train.pkl, "
        "h36m_validation.pkl and images/ (frames named as in the pkl); also the root of h36m_val_p2.npz's "
        "image names"))
    _add(g, "--h36m-frame-step", type=int, default=1, help=(
        "keep every N-th frame of the Human3.6M label pkls (1 = all S9/S11 frames, the MetaPose protocol)"))
    _add(g, "--mpii-dir", type=Path, help=(
        "MPII Human Pose (human-pose.mpi-inf.mpg.de): mpii_human_pose_v1_u12_1.mat (from "
        "mpii_human_pose_v1_u12_2.zip) and images/"))
    _add(g, "--coco-dir", type=Path, help=(
        "COCO (cocodataset.org): annotations/person_keypoints_{train,val}2014.json, train2014/, val2014/"))
    _add(g, "--eft-dir", type=Path, help=(
        "EFT pseudo-ground-truth SMPL fits (facebookresearch/eft scripts/download_eft.sh): MPII_ver01.json, "
        "COCO2014-All-ver01.json"))
    _add(g, "--allow-unmatched-fits", action="store_true", help=(
        "ignore EFT fits that match no MPII / COCO annotation instead of failing"))
    _add(g, "--mpi-inf-3dhp-dir", type=Path, help=(
        "MPI-INF-3DHP (the dataset's get_dataset.sh / get_testset.sh): S1..S8/Seq1,2/{annot.mat,camera.calibration,"
        "imageFrames/video_<c>/frame_%%06d.jpg} and mpi_inf_3dhp_test_set/TS1..6/{annot_data.mat,imageSequence/}"))
    _add(g, "--mpi-inf-3dhp-frame-step", type=int, default=1, help="keep every N-th annotated training frame")
    _add(g, "--unipose-npz-dir", type=Path, help=(
        "UniPose's processed image sets (processed_dataset/image_dataset): h36m.npz, mpi-inf.npz, mpii.npz, "
        "coco.npz with SMPL poses of the HMR 2.0 training data"))
    _add(g, "--unipose-image-dir", type=Path, help="root of the img_path entries of UniPose's npz files")
    o = parser.add_argument_group("real-source build options")
    _add(o, "--image-size", type=int, default=256, help="side of the square person crops, pixels")
    _add(o, "--box-scale", type=float, default=1.2, help="crop side over the extent of the 2D key points")
    _add(o, "--skip-missing-images", action="store_true", help=(
        "leave out rows whose image file is missing (counted in the report) instead of failing"))
    _add(o, "--workers", type=int, default=2, help="threads decoding and encoding images")
    _add(o, "--seed", type=int, default=0, help="seed of every random choice of the build")
    _add(o, "--work-dir", type=Path, default=None, help=(
        "folder for the Arrow files of the image configs (default: a new temporary folder)"))
    _add(o, "--caption-body-model", choices=("auto", "skeleton", "smplh"), default="auto", help=(
        "body model giving the joints the captioners read for ImageScript / ImageDiff: auto (default) = SMPL-H, as "
        "upstream captions, when the SMPL-H file is found (--body-models or $UNIPOSE_BENCH_BODY_MODELS), else the open "
        "skeleton body, said in the build report"))
    _add(o, "--body-models", type=Path, default=None, help="folder of the SMPL-family model files")
    _add(o, "--imagescript-sizes", type=_sizes, default=dict(UNIPOSE_TRAIN_SIZES), help=(
        "poses sampled per training set, NAME=N,... (UniPose: h36m=15000,mpi-inf-3dhp=25000,coco=5000,mpii=5000)"))
    _add(o, "--test-size", type=int, default=UNIPOSE_TEST_SIZE, help="3DPW test rows / pairs (UniPose: 2000)")
    _add(o, "--refined-train-size", type=int, default=UNIPOSE_REFINED_TRAIN_SIZE, help=(
        "-R train rows drawn from the -A train rows (UniPose: 6250)"))
    _add(o, "--refiner", default=None, help=(
        "module:attr of a text Refiner (datasets_build.real.refine.Refiner) or a factory returning one, a "
        "registered refiner (smollm2, or local_lm:path=MODEL for a local instruction LM), or an adapter that "
        "refines, e.g. openai_compat:base_url=URL,model=NAME (key from $OPENAI_API_KEY); without it the -R configs "
        "are not built"))
    _add(o, "--evaluator-dir", type=Path, default=None, help=(
        "folder of the frozen pose-text retrieval evaluator whose pose features rank ImageDiff's pose A candidates"))
    _add(o, "--top-k", type=int, default=100, help="ImageDiff: pose A candidates per pose B (UniPose: 100)")
    _add(o, "--min-differing-posecodes", type=int, default=10, help="ImageDiff: posecodes A and B must differ by")


# ------------------------------------------------------------------------------------------------ helpers
def _require(args, attr: str, flag: str, what: str) -> Path:
    value = getattr(args, attr, None)
    if value is None:
        raise InputError(f"--source {args.source} needs {flag}", field=flag, hint=what)
    path = Path(value)
    if not path.is_dir():
        raise InputError("folder not found", file=str(path), field=flag, hint=what)
    return path


def _file(folder: Path | None, name: str) -> Path | None:
    if folder is None:
        return None
    path = Path(folder) / name
    return path if path.is_file() else None


def _every(samples, step: int):
    if step < 1:
        raise InputError(f"frame step {step} is not >= 1", field="frame_step")
    return samples if step == 1 else samples.take(np.arange(0, len(samples), step))


def crop_options(args) -> CropOptions:
    from datasets_build.real.crops import CropOptions

    return CropOptions(size=args.image_size, scale=args.box_scale, skip_missing_images=args.skip_missing_images,
                       workers=args.workers)


def load_refiner(spec: str | None):
    """The Refiner named "module:attr" (an object with refine(), or a factory called without arguments), or
    "ADAPTER:key=value,..." for a registered model adapter that offers one (`as_refiner()`, e.g. openai_compat)."""
    if spec is None:
        return None
    module_name, _, attr = spec.partition(":")
    if "." not in module_name and ("=" in attr or (module_name and not attr)):
        from datasets_build.real.refine import named_refiner

        named = named_refiner(spec)
        if named is not None:
            return named
        from benchmark.adapters import ADAPTERS, load_adapter

        if module_name in ADAPTERS:
            adapter = load_adapter(spec)
            if not callable(getattr(adapter, "as_refiner", None)):
                raise InputError(f"the adapter {module_name!r} cannot refine texts (it has no as_refiner())",
                                 field="--refiner")
            return adapter.as_refiner()
    if not module_name or not attr:
        raise InputError(f"--refiner {spec!r} is not module:attr or ADAPTER:key=value,...", field="--refiner")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise InputError(f"cannot load {spec!r} ({exc})", field="--refiner") from None
    if isinstance(obj, type) or not hasattr(obj, "refine"):   # a class or a factory
        obj = obj()
    if not callable(getattr(obj, "refine", None)):
        raise InputError(f"{spec!r} gives {type(obj).__name__}, which has no refine(texts, kind)", field="--refiner",
                         hint="see datasets_build.real.refine.Refiner")
    return obj


def caption_body_model(args, info=None):
    """The body model the captioners read joints from. "auto": SMPL-H when its file is here (PoseScript and UniPose
    caption SMPL-H joints), else the skeleton body with a note in the build report."""
    from benchmark.body import get_body_model
    from benchmark.body.smpl import find_model_file
    from benchmark.errors import MissingModelFiles

    choice = args.caption_body_model
    if choice == "auto":
        try:
            find_model_file("smplh", args.body_models)
            choice = "smplh"
        except MissingModelFiles:
            choice = "skeleton"
            if info is not None:
                info.note("captions read the joints of the open skeleton body: no SMPL-H model file was found "
                          "(upstream captions SMPL-H joints; pass --body-models to do the same)")
    return get_body_model(choice, args.body_models if choice != "skeleton" else None)


# ------------------------------------------------------------------------------------------------ image sets
def _unipose_set(args, name: str) -> ImageSet | None:
    from datasets_build.real.image_rows import ImageSet

    path = _file(getattr(args, "unipose_npz_dir", None), UNIPOSE_FILES[name])
    if path is None:
        return None
    from datasets_build.sources.unipose_npz import read_unipose_npz

    root = _require(args, "unipose_image_dir", "--unipose-image-dir", "the root of the npz files' img_path entries")
    return ImageSet(read_unipose_npz(path, split="train"), root, box="full", name=name)


def threedpw_test(args, progress: bool) -> ImageSet | None:
    from datasets_build.real.image_rows import ImageSet, with_cameras_by_image

    from datasets_build.sources.threedpw import read_3dpw, read_3dpw_eval

    root = getattr(args, "threedpw_dir", None)
    eval_file = _file(getattr(args, "hmr2_eval_dir", None), HMR2_FILES["3dpw"])
    if eval_file is not None:
        root = _require(args, "threedpw_dir", "--3dpw-dir", "3dpw_test.npz names images under the 3DPW folder")
        samples = read_3dpw_eval(eval_file)
        if (root / "sequenceFiles" / "test").is_dir():
            samples = with_cameras_by_image(samples, read_3dpw(root, "test", progress=progress))
        return ImageSet(samples, root, box="center-scale", name="3dpw")
    if root is not None and (Path(root) / "sequenceFiles" / "test").is_dir():
        return ImageSet(read_3dpw(root, "test", progress=progress), root, name="3dpw")
    return None


def h36m_sets(args, info: BuildInfo, progress: bool) -> tuple[dict, dict]:
    """({split: ImageSet} of pose_estimation-h36m, the same of -h36m17)."""
    from datasets_build.real.image_rows import ImageSet, with_h36m_cameras

    from datasets_build.sources.h36m import read_h36m_eval_p2, read_h36m_labels

    root = getattr(args, "h36m_dir", None)
    hmr2, labels = {}, {}
    label_samples = {}
    for split, name in H36M_LABELS.items():
        path = _file(root, name)
        if path is not None:
            label_samples[split] = read_h36m_labels(path, split=split, progress=progress)
            labels[split] = ImageSet(_every(label_samples[split], args.h36m_frame_step), Path(root) / "images",
                                     name="h36m")
            if args.h36m_frame_step > 1:
                info.note(f"pose_estimation-h36m17 {split}: every {args.h36m_frame_step}-th frame of {name}")
    p2 = _file(getattr(args, "hmr2_eval_dir", None), HMR2_FILES["h36m"])
    if p2 is not None:
        root = _require(args, "h36m_dir", "--h36m-dir", "h36m_val_p2.npz names images under the Human3.6M folder")
        samples = read_h36m_eval_p2(p2)
        if "test" in label_samples:
            samples = with_h36m_cameras(samples, label_samples["test"])
        hmr2["test"] = ImageSet(samples, root, box="center-scale", name="h36m")
    unipose = _unipose_set(args, "h36m")
    if unipose is not None:
        hmr2["train"] = unipose
    return hmr2, labels


def mpii_train(args, progress: bool, need_pose: bool = False) -> ImageSet | None:
    from datasets_build.real.image_rows import ImageSet

    from datasets_build.sources.mpii import read_mpii

    root = getattr(args, "mpii_dir", None)
    mat = _file(root, MPII_MAT)
    eft = _file(getattr(args, "eft_dir", None), EFT_FILES["mpii"])
    if mat is not None and (eft is not None or not need_pose):
        samples = read_mpii(mat, split="train", eft_file=eft, allow_unmatched_fits=args.allow_unmatched_fits,
                            progress=progress)
        return ImageSet(samples, root, name="mpii")
    return _unipose_set(args, "mpii")


def coco_sets(args, need_pose: bool = False) -> dict:
    from datasets_build.real.image_rows import ImageSet

    from datasets_build.sources.coco import read_coco

    root = getattr(args, "coco_dir", None)
    eft = _file(getattr(args, "eft_dir", None), EFT_FILES["coco"])
    out = {}
    train = _file(root, COCO_FILES["train"])
    if train is not None and (eft is not None or not need_pose):
        out["train"] = ImageSet(read_coco(train, eft_file=eft, split="train",
                                          allow_unmatched_fits=args.allow_unmatched_fits), root, name="coco")
    else:
        unipose = _unipose_set(args, "coco")
        if unipose is not None:
            out["train"] = unipose
    val = _file(root, COCO_FILES["val"])
    if val is not None and not need_pose:
        out["val"] = ImageSet(read_coco(val, split="val"), root, name="coco")
    return out


def mpi_inf_3dhp_sets(args, info: BuildInfo, progress: bool, need_pose: bool = False) -> dict:
    from datasets_build.real.image_rows import ImageSet

    from datasets_build.sources.mpi_inf_3dhp import read_mpi_inf_3dhp

    out = {}
    unipose = _unipose_set(args, "mpi-inf-3dhp")
    root = getattr(args, "mpi_inf_3dhp_dir", None)
    if unipose is not None:
        out["train"] = unipose
    elif root is not None and not need_pose:
        subjects = [s for s in range(1, 9) if (Path(root) / f"S{s}").is_dir()]
        if subjects:
            out["train"] = ImageSet(read_mpi_inf_3dhp(root, "train", subjects=subjects,
                                                      frame_step=args.mpi_inf_3dhp_frame_step, progress=progress),
                                    root, name="mpi-inf-3dhp")
            if args.mpi_inf_3dhp_frame_step > 1:
                info.note(f"pose_estimation-mpi-inf-3dhp train: every {args.mpi_inf_3dhp_frame_step}-th annotated "
                          "frame")
    if root is not None and not need_pose:
        test_root = Path(root) / "mpi_inf_3dhp_test_set"
        sequences = [ts for ts in range(1, 7) if (test_root / f"TS{ts}" / "annot_data.mat").is_file()]
        if sequences:
            out["test"] = ImageSet(read_mpi_inf_3dhp(root, "test", subjects=sequences, progress=progress), root,
                                   name="mpi-inf-3dhp")
    return out


def pose_estimation_sets(args, info: BuildInfo, progress: bool) -> dict:
    sets: dict[str, dict] = {}
    test = threedpw_test(args, progress)
    if test is not None:
        sets["3dpw"] = {"test": test}
    hmr2, labels = h36m_sets(args, info, progress)
    if hmr2:
        sets["h36m"] = hmr2
    if labels:
        sets["h36m17"] = labels
    mpii = mpii_train(args, progress)
    if mpii is not None:
        sets["mpii"] = {"train": mpii}
        info.skip("pose_estimation-mpii test", "MPII's test annotations are not public")
    coco = coco_sets(args)
    if coco:
        sets["coco"] = coco
    hp = mpi_inf_3dhp_sets(args, info, progress)
    if hp:
        sets["mpi-inf-3dhp"] = hp
    for name in ("3dpw", "h36m", "h36m17", "mpii", "coco", "mpi-inf-3dhp"):
        if name not in sets:
            info.skip(f"pose_estimation-{name}", "its source files were not given (see --help)")
    return sets


def image_text_sets(args, info: BuildInfo, progress: bool) -> tuple[dict, ImageSet | None]:
    """The training sets with SMPL poses ImageScript / ImageDiff sample from, and the 3DPW test set."""
    train = {}
    h36m = _unipose_set(args, "h36m")
    if h36m is not None:
        train["h36m"] = h36m
    hp = mpi_inf_3dhp_sets(args, info, progress, need_pose=True).get("train")
    if hp is not None:
        train["mpi-inf-3dhp"] = hp
    coco = coco_sets(args, need_pose=True).get("train")
    if coco is not None:
        train["coco"] = coco
    mpii = mpii_train(args, progress, need_pose=True)
    if mpii is not None:
        train["mpii"] = mpii
    for name in UNIPOSE_TRAIN_SIZES:
        if name not in train:
            info.skip(f"{args.source} train: {name}", "no source with SMPL poses given (EFT fits for MPII / COCO, "
                                                      "UniPose's npz for Human3.6M / MPI-INF-3DHP)")
    return train, threedpw_test(args, progress)


def build_from_sources(args, *, progress: bool = True):
    """(datasets by config name, BuildInfo) of the build `args.source` names (see the module docstring)."""
    from datasets_build.real.common import BuildInfo

    source = args.source
    if source == "posescript":
        from datasets_build.real.posescript import build_posescript_from_files

        result = build_posescript_from_files(
            _require(args, "posescript_dir", "--posescript-dir", "the unzipped posescript_release_v2.zip"),
            _require(args, "amass_dir", "--amass-dir", "the AMASS 'SMPL+H G' folder"),
            automatic_versions=args.automatic_versions, progress=progress)
        return result.datasets, result.info
    if source == "posefix":
        from datasets_build.real.posefix import build_posefix_from_files

        result = build_posefix_from_files(
            _require(args, "posefix_dir", "--posefix-dir", "the unzipped PoseFix release"),
            _require(args, "amass_dir", "--amass-dir", "the AMASS 'SMPL+H G' folder"),
            automatic_versions=args.automatic_versions, progress=progress)
        return result.datasets, result.info
    info = BuildInfo()
    if source == "pose-estimation":
        from datasets_build.real.pose_estimation import build_pose_estimation

        sets = pose_estimation_sets(args, info, progress)
        if not sets:
            raise InputError("no image dataset given", field="--source",
                             hint="pass at least one of --3dpw-dir, --hmr2-eval-dir, --h36m-dir, --mpii-dir, "
                                  "--coco-dir, --mpi-inf-3dhp-dir, --unipose-npz-dir")
        result = build_pose_estimation(sets, crop=crop_options(args), work_dir=args.work_dir, progress=progress)
        return result.datasets, info.merge(result.info)
    if source in ("imagescript", "imagediff"):
        train, test = image_text_sets(args, info, progress)
        if not train and test is None:
            raise InputError(f"--source {source} found no image set with SMPL poses", field="--source",
                             hint="pass --unipose-npz-dir (+ --unipose-image-dir), or --mpii-dir / --coco-dir with "
                                  "--eft-dir, and --3dpw-dir for the test split")
        sizes = {name: args.imagescript_sizes.get(name, UNIPOSE_TRAIN_SIZES.get(name, 0)) for name in train}
        common = dict(sizes=sizes, test_size=args.test_size, refined_train_size=args.refined_train_size,
                      seed=args.seed, body_model=caption_body_model(args, info), refiner=load_refiner(args.refiner),
                      crop=crop_options(args), work_dir=args.work_dir, progress=progress)
        if source == "imagescript":
            from datasets_build.real.imagescript import build_imagescript

            result = build_imagescript(train, test, **common)
        else:
            from benchmark.retrieval.checkpoint import load_evaluator
            from datasets_build.real.imagediff import build_imagediff

            folder = _require(args, "evaluator_dir", "--evaluator-dir", "the pose-text evaluator folder")
            result = build_imagediff(train, test, evaluator=load_evaluator(folder), top_k=args.top_k,
                                     min_differing_posecodes=args.min_differing_posecodes, **common)
        return result.datasets, info.merge(result.info)
    raise InputError(f"unknown source {source!r}; one of {', '.join(SOURCES)}", field="--source")
