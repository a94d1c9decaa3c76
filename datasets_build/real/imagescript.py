"""ImageScript (UniPose appendix A.1) -> image_to_text-A and image_to_text-R.

As the appendix builds it:
* train: per pose-estimation training set, the rows with an SMPL pose, farthest-point sampled by MPJE on the poses'
  joints with a zero global orientation, starting from a (seeded) random pose; UniPose's sizes: Human3.6M 15k,
  MPI-INF-3DHP 25k, COCO 5k, MPII 5k (`UNIPOSE_TRAIN_SIZES`; a set with fewer poses gives all it has);
* test: 2,000 3DPW rows (the appendix says "selected" without saying how; here by the same farthest-point rule);
* texts: three automatic descriptions per pose from PoseScript's pipeline, versions N2, N6, N7 (those of
  PoseScript-A2), on the joints of the heading-normalised pose (skeleton body by default, SMPL-H when given); images
  carry no BABEL labels, so N6 has no action sentence;
* image_to_text-R: 6,250 rows drawn uniformly (seeded) from the -A train rows, and the -A test rows, each with one
  text from a `refine.Refiner` put first; not built without a refiner (the report says so). No validation split:
  UniPose defines none.
Row ids: "<source_dataset>/<source id>"; `pose` keeps the root in the camera frame, as image rows do.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from benchmark.errors import InputError
from datasets_build.real.common import (ArrowRowWriter, BuildInfo, BuildResult, check_unique_ids, config_name,
                                        dataset_dict, work_folder)
from datasets_build.real.crops import CropOptions
from datasets_build.pair_mining import sub_seed
from datasets_build.real.image_poses import PosePool, default_body_model, select_farthest
from datasets_build.real.image_rows import ImageSet, iter_crop_records
from datasets_build.real.pose_estimation import card_source
from datasets_build.real.refine import Refiner, refined_dataset, refiner_version

TASK = "image_to_text"
from datasets_build.real.unipose_sizes import (  # noqa: E402,F401 - re-exported
    UNIPOSE_REFINED_TRAIN_SIZE, UNIPOSE_TEST_SIZE, UNIPOSE_TRAIN_SIZES)
DESCRIPTION_VERSIONS = ("N2", "N6", "N7")


def default_describe(joints: np.ndarray, version: str, seed: int) -> list[str]:
    from datasets_build.captioning import describe_poses

    return describe_poses(joints, version, seed)


def check_sizes(sizes: Mapping[str, int], sets: Mapping[str, ImageSet]) -> None:
    for name, size in sizes.items():
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
            raise InputError(f"sample size {size!r} of {name!r} is not a non-negative integer", field="sizes")
    missing = [name for name in sets if name not in sizes]
    if missing:
        raise InputError(f"no sample size for the training set(s) {missing}", field="sizes",
                         hint=f"give one per set, e.g. {dict(UNIPOSE_TRAIN_SIZES)}")


def sample_pools(sets: Mapping[str, ImageSet], sizes: Mapping[str, int], *, seed: int, body_model, crop: CropOptions,
                 fps, info: BuildInfo, what: str, progress: bool = False) -> list[tuple[PosePool, np.ndarray]]:
    """(pool, selected pool indices) per set: the farthest-point subset of its rows with an SMPL pose."""
    out = []
    for name, image_set in sets.items():
        pool = PosePool.from_image_set(image_set, crop)
        key = card_source(image_set.samples.source)
        if key:
            info.add_source(key)
        size = int(sizes[name])
        if len(pool) < size:
            info.note(f"{what}: {name} has {len(pool)} rows with an SMPL pose and a person box, fewer than the "
                      f"{size} asked; all are used")
        if len(pool) == 0:
            info.skip(f"{what} {name}", "no row with an SMPL pose (pass SMPL fits: EFT for MPII / COCO, UniPose's npz "
                                        "for Human3.6M / MPI-INF-3DHP)")
            continue
        out.append((pool, select_farthest(pool, size, seed, body_model, fps, progress)))
    return out


def split_sources(train_sets: Mapping[str, ImageSet], test_set: ImageSet | None, sizes: Mapping[str, int],
                  test_size: int) -> list[tuple[str, dict, dict]]:
    """(split, {name: ImageSet}, {name: size}) of the train and test splits."""
    test = {test_set.source_dataset: test_set} if test_set is not None else {}
    return [("train", dict(train_sets), dict(sizes)), ("test", test, {name: test_size for name in test})]


def refined_split_rows(n: int, size: int, seed: int, what: str) -> np.ndarray:
    """Sorted indices of a uniform sample of min(size, n) of n rows (seeded)."""
    rng = np.random.default_rng(sub_seed(seed, "refined-train", what))
    return np.sort(rng.choice(n, size=min(int(size), n), replace=False))


def finish_configs(config_a: str, config_r: str, splits: dict, refiner, kind: str, refined_train_size: int, seed: int,
                   info: BuildInfo, out: dict) -> None:
    """Record the -A config built from `splits` (if any) and derive its -R config (when a refiner is given)."""
    check_unique_ids(config_a, {s: ds["id"] for s, ds in splits.items()})
    if splits:
        out[config_a] = dataset_dict(splits)
        info.record(config_a, out[config_a])
        build_refined(config_a, config_r, out[config_a], refiner, kind, refined_train_size, seed, info, out)
    else:
        info.skip(config_r, f"{config_a} was not built")


def build_refined(config_a: str, config_r: str, dsd_a, refiner: Refiner | None, kind: str, refined_train_size: int,
                  seed: int, info: BuildInfo, out: dict) -> None:
    """The -R config from the -A one (train: a uniform sample; test: all rows), or the reason it is not built."""
    if refiner is None:
        info.skip(config_r, "no text refiner was given (UniPose refined the automatic texts with GPT-4); pass a "
                            "Refiner (--refiner module:factory) to build it")
        return
    splits = {}
    if "train" in dsd_a:
        rows = refined_split_rows(len(dsd_a["train"]), refined_train_size, seed, config_r)
        splits["train"] = refined_dataset(dsd_a["train"], refiner, kind, rows)
    if "test" in dsd_a:
        splits["test"] = refined_dataset(dsd_a["test"], refiner, kind)
    out[config_r] = dataset_dict(splits)
    info.record(config_r, out[config_r])
    info.text_versions[refiner_version(refiner)] = f"automatic {kind}s rewritten by the text model {refiner.name} " \
                                                   f"(version {refiner.version})"


def _description_rows(pool: PosePool, selected: np.ndarray, *, versions, seed: int, body_model, describe,
                      crop: CropOptions, info: BuildInfo, progress: bool):
    samples = pool.image_set.samples
    joints = pool.caption_joints(body_model)[selected]
    texts = {v: describe(joints, v, sub_seed(seed, "describe", pool.name, samples.split)) for v in versions}
    for v, t in texts.items():
        if len(t) != len(selected):
            raise InputError(f"the captioner returned {len(t)} texts for {len(selected)} poses", field="texts",
                             hint=f"version {v}")
    position = {int(r): k for k, r in enumerate(pool.rows[selected])}
    poses = samples.poses
    bar = tqdm(total=len(selected), desc=f"{pool.name} {samples.split} crops", disable=not progress)
    for row, record in iter_crop_records(pool.image_set, pool.geometry, pool.rows[selected], crop, info):
        bar.update(1)
        k = position[row]
        yield {
            "id": f"{pool.name}/{samples.source_ids[row]}", "source_dataset": pool.name,
            "source_id": samples.source_ids[row], "image": record.image, "camera": record.camera,
            "keypoints_2d": record.keypoints_2d, "joint_set": record.joint_set,
            "pose": np.asarray(poses[row], np.float32), "texts": [texts[v][k] for v in versions],
            "text_kinds": ["automatic"] * len(versions), "text_versions": list(versions),
        }
    bar.close()


def build_imagescript(train_sets: Mapping[str, ImageSet], test_set: ImageSet | None = None, *,
                      sizes: Mapping[str, int] = UNIPOSE_TRAIN_SIZES, test_size: int = UNIPOSE_TEST_SIZE,
                      refined_train_size: int = UNIPOSE_REFINED_TRAIN_SIZE, seed: int = 0, body_model=None,
                      refiner: Refiner | None = None, crop: CropOptions = CropOptions(),
                      describe: Callable | None = None, fps: Callable | None = None,
                      versions: tuple[str, ...] = DESCRIPTION_VERSIONS, work_dir: str | Path | None = None,
                      progress: bool = True) -> BuildResult:
    """image_to_text-A (and -R with a refiner) from pose-estimation training sets {name: ImageSet} and the 3DPW test
    set; see the module docstring. `describe(joints, version, seed) -> texts` and `fps(joints, k, start) -> indices`
    default to the suite's captioner and farthest-point sampler."""
    check_sizes(sizes, train_sets)
    body_model = default_body_model(body_model)
    describe = describe or default_describe
    info = BuildInfo()
    folder = work_folder(work_dir, "imagescript")
    out: dict = {}
    config_a, config_r = config_name(TASK, "A"), config_name(TASK, "R")
    try:
        splits = {}
        for split, sets, split_sizes in split_sources(train_sets, test_set, sizes, test_size):
            if not sets:
                info.skip(f"{config_a} {split}", "no source given" + (" (the 3DPW test set)" * (split == "test")))
                continue
            writer = ArrowRowWriter(TASK, folder / f"{split}.arrow")
            for pool, selected in sample_pools(sets, split_sizes, seed=seed, body_model=body_model, crop=crop, fps=fps,
                                               info=info, what=f"{config_a} {split}", progress=progress):
                for row in _description_rows(pool, selected, versions=versions, seed=seed, body_model=body_model,
                                             describe=describe, crop=crop, info=info, progress=progress):
                    writer.add(row)
            ds = writer.finish()
            if len(ds):
                splits[split] = ds
        finish_configs(config_a, config_r, splits, refiner, "description", refined_train_size, seed, info, out)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    info.skip(f"{config_a} val", "UniPose defines no validation split for ImageScript")
    for v in versions:
        info.text_versions[v] = f"PoseScript automatic pipeline, version {v}, on the image's SMPL pose " \
                                f"({body_model.name} joints)"
    info.note(f"{config_a}: farthest-point sampling by MPJE on {body_model.name} joints with a zero global "
              f"orientation, seed {seed}")
    return BuildResult(out, info)
