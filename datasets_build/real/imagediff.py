"""ImageDiff (UniPose appendix A.2) -> image_diff-A and image_diff-R.

As the appendix builds it:
* pose B: selected exactly as ImageScript selects its poses (same sets, sizes, farthest-point rule and seed, so the
  B poses are ImageScript's poses);
* pose A: from the same dataset as B, among B's `top_k` = 100 most similar poses by cosine similarity of the
  pose-text evaluator's pose features (B itself excluded), keeping those with at least `min_differing_posecodes`
  = 10 differing posecodes (`benchmark.posecodes.extract.count_differing_posecodes` on exact categories); the
  appendix does not say which of the remaining candidates is taken: here, as PoseFix's out-of-sequence mining does,
  one is drawn uniformly (seeded) among the `choose_among` = 3 most similar. A B without any candidate is dropped
  (counted);
* texts: three automatic instructions per pair from PoseFix's pipeline, versions pfA, pfB, pfC, on the joints of
  the heading-normalised poses; every pair is out-of-sequence (two photographs carry no common world frame, so the
  change of global rotation is not described);
* test: 2,000 3DPW pairs built the same way; image_diff-R: 6,250 -A train rows drawn uniformly plus the -A test
  rows, each with one refined text first (not built without a `refine.Refiner`).
Evaluator features and posecodes are computed on the heading-normalised AMASS-frame poses (`image_poses`); an
evaluator that takes more than 22 joints gets flat hands (zeros). Row ids: "<source_dataset>/<id A>|<id B>".
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from benchmark.errors import InputError
from datasets_build.real.common import ArrowRowWriter, BuildInfo, BuildResult, config_name, work_folder
from datasets_build.real.crops import CropOptions
from datasets_build.pair_mining import PosecodeCounter, choose_pose_a, pose_features, sub_seed, top_similar
from datasets_build.real.image_poses import PosePool, default_body_model
from datasets_build.real.image_rows import iter_crop_records
from datasets_build.real.imagescript import (UNIPOSE_REFINED_TRAIN_SIZE, UNIPOSE_TEST_SIZE, UNIPOSE_TRAIN_SIZES,
                                             check_sizes, finish_configs, sample_pools, split_sources)
from datasets_build.real.refine import Refiner

TASK = "image_diff"
INSTRUCTION_VERSIONS = ("pfA", "pfB", "pfC")
TOP_K = 100
MIN_DIFFERING_POSECODES = 10
CHOOSE_AMONG = 3


def default_describe_pairs(joints_a: np.ndarray, joints_b: np.ndarray, version: str, seed: int) -> list[str]:
    from datasets_build.captioning import describe_pose_pairs

    return describe_pose_pairs(joints_a, joints_b, version, seed)


def mine_pairs(pool: PosePool, selected_b: np.ndarray, *, evaluator, body_model, top_k: int, min_differing: int,
               choose_among: int, seed: int, counter_factory=PosecodeCounter, chunk: int = 512) -> np.ndarray:
    """Pose A (pool index, -1 = none) of each selected pose B (pool indices)."""
    features = pose_features(evaluator, pool.normalized_poses)
    counter = counter_factory(pool.caption_joints(body_model))
    rng = np.random.default_rng(sub_seed(seed, "pose-a", pool.name, pool.image_set.samples.split))
    chosen = []
    for s in range(0, len(selected_b), chunk):
        b = selected_b[s:s + chunk]
        candidates, _ = top_similar(features, b, top_k)
        differing = np.asarray(counter.count(candidates.reshape(-1), np.repeat(b, candidates.shape[1])))
        chosen.append(choose_pose_a(candidates, differing.reshape(candidates.shape), min_differing, choose_among,
                                    rng))
    return np.concatenate(chosen) if chosen else np.zeros(0, np.int64)


def _pair_rows(pool: PosePool, pose_a: np.ndarray, pose_b: np.ndarray, *, versions, seed: int, body_model,
               describe_pairs, crop: CropOptions, info: BuildInfo, progress: bool, chunk: int = 128):
    samples = pool.image_set.samples
    joints = pool.caption_joints(body_model)
    texts = {v: describe_pairs(joints[pose_a], joints[pose_b], v, sub_seed(seed, "instruct", pool.name,
                                                                           samples.split)) for v in versions}
    for v, t in texts.items():
        if len(t) != len(pose_a):
            raise InputError(f"the captioner returned {len(t)} texts for {len(pose_a)} pairs", field="texts",
                             hint=f"version {v}")
    rows_a, rows_b = pool.rows[pose_a], pool.rows[pose_b]
    bar = tqdm(total=len(pose_a), desc=f"{pool.name} {samples.split} pairs", disable=not progress)
    for s in range(0, len(pose_a), chunk):
        needed = np.unique(np.concatenate([rows_a[s:s + chunk], rows_b[s:s + chunk]]))
        crops = dict(iter_crop_records(pool.image_set, pool.geometry, needed, crop, info))
        for k in range(s, min(s + chunk, len(pose_a))):
            bar.update(1)
            a, b = int(rows_a[k]), int(rows_b[k])
            if a not in crops or b not in crops:
                info.count(f"{pool.name} {samples.split}: pairs skipped, image file missing")
                continue
            id_a, id_b = samples.source_ids[a], samples.source_ids[b]
            yield {
                "id": f"{pool.name}/{id_a}|{id_b}", "source_dataset": pool.name, "source_id": f"{id_a}|{id_b}",
                "pose_a": np.asarray(samples.poses[a], np.float32), "pose_b": np.asarray(samples.poses[b], np.float32),
                "source_id_a": id_a, "source_id_b": id_b, "in_sequence": False,
                "texts": [texts[v][k] for v in versions], "text_kinds": ["automatic"] * len(versions),
                "text_versions": list(versions), "image_a": crops[a].image, "image_b": crops[b].image,
                "camera_a": crops[a].camera, "camera_b": crops[b].camera,
            }
    bar.close()


def build_imagediff(train_sets: Mapping, test_set=None, *, evaluator, sizes: Mapping[str, int] = UNIPOSE_TRAIN_SIZES,
                    test_size: int = UNIPOSE_TEST_SIZE, refined_train_size: int = UNIPOSE_REFINED_TRAIN_SIZE,
                    top_k: int = TOP_K, min_differing_posecodes: int = MIN_DIFFERING_POSECODES,
                    choose_among: int = CHOOSE_AMONG, seed: int = 0, body_model=None, refiner: Refiner | None = None,
                    crop: CropOptions = CropOptions(), describe_pairs: Callable | None = None,
                    fps: Callable | None = None, counter_factory=PosecodeCounter,
                    versions: tuple[str, ...] = INSTRUCTION_VERSIONS, work_dir: str | Path | None = None,
                    progress: bool = True) -> BuildResult:
    """image_diff-A (and -R with a refiner) from pose-estimation training sets {name: ImageSet} and the 3DPW test
    set; `evaluator` has `encode_poses(poses [N, J, 3]) -> [N, D]` (the pose-text retrieval evaluator). See the
    module docstring; `describe_pairs(joints_a, joints_b, version, seed)`, `fps` and `counter_factory(joints)` default
    to the suite's captioner, farthest-point sampler and posecode counter."""
    if evaluator is None or not callable(getattr(evaluator, "encode_poses", None)):
        raise InputError("ImageDiff needs the pose-text evaluator (an object with encode_poses)", field="evaluator",
                         hint="pass load_evaluator(<pose-text evaluator folder>) (--evaluator-dir)")
    for name, value, low in (("top_k", top_k, 1), ("min_differing_posecodes", min_differing_posecodes, 0),
                             ("choose_among", choose_among, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise InputError(f"{name} {value!r} is not an integer >= {low}", field=name)
    check_sizes(sizes, train_sets)
    body_model = default_body_model(body_model)
    describe_pairs = describe_pairs or default_describe_pairs
    info = BuildInfo()
    folder = work_folder(work_dir, "imagediff")
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
                if len(pool) < 2:
                    info.skip(f"{config_a} {split} {pool.name}", "fewer than 2 poses: no pair can be formed")
                    continue
                pose_a = mine_pairs(pool, selected, evaluator=evaluator, body_model=body_model, top_k=top_k,
                                    min_differing=min_differing_posecodes, choose_among=choose_among, seed=seed,
                                    counter_factory=counter_factory)
                found = pose_a >= 0
                if not found.all():
                    info.count(f"{pool.name} {split}: poses B dropped, no pose A among the top {top_k} with >= "
                               f"{min_differing_posecodes} differing posecodes", int((~found).sum()))
                for row in _pair_rows(pool, pose_a[found], selected[found], versions=versions, seed=seed,
                                      body_model=body_model, describe_pairs=describe_pairs, crop=crop, info=info,
                                      progress=progress):
                    writer.add(row)
            ds = writer.finish()
            if len(ds):
                splits[split] = ds
        finish_configs(config_a, config_r, splits, refiner, "instruction", refined_train_size, seed, info, out)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    info.skip(f"{config_a} val", "UniPose defines no validation split for ImageDiff")
    for v in versions:
        info.text_versions[v] = f"PoseFix automatic pipeline, version {v}, on the images' SMPL poses " \
                                f"({body_model.name} joints)"
    version = getattr(evaluator, "version", None) or getattr(evaluator, "name", None) or type(evaluator).__name__
    info.note(f"{config_a}: pose A among the top {top_k} by the pose features of evaluator {version}, >= "
              f"{min_differing_posecodes} differing posecodes, drawn among the {choose_among} most similar; seed "
              f"{seed}")
    return BuildResult(out, info)
