"""The embedded world: all seven tasks built from procedural poses, with no download.

The build follows the order in which the real data were made (PoseScript -> PoseFix -> ImageScript / ImageDiff):

1. poses: `n_candidates` generated poses (41 archetypes, blends, mirrors, random heading), heading-normalised as
   PoseScript does; `n_poses` of them picked by farthest-point sampling on MPJE (PoseScript's pose mining);
2. descriptions: three automatic descriptions per pose, PoseScript-A2's versions N2, N6, N7 (N6 opens with an
   action sentence from the pose's archetype, the embedded stand-in for BABEL labels) -> pose_to_text, text_to_pose;
3. pairs: "in sequence" (two frames less than 0.5 s apart in a generated motion; PoseFix's rotation handling keeps
   their relative global rotation) and "out of sequence" (pose A among pose B's `pair_top_k` nearest poses, with an
   MPJE in `pair_mpje_m` and at least `min_differing_posecodes` differing posecodes; one of the 3 nearest valid
   candidates, as PoseFix); three automatic instructions each (pfA, pfB, pfC) -> pose_diff, pose_edit.
   PoseFix ranks candidates by its PoseScript retrieval model's features; here they are ranked by MPJE on the joint
   positions, computed exactly, so that no trained model decides a row (a model trained on one CPU differs from
   the same training on another);
4. images: `n_images` further poses (farthest-point sampled from their own candidates on the body articulation,
   root orientation zeroed, as UniPose samples ImageScript) rendered from the posed
   skeleton body with random cameras -> pose_estimation (pose with the root in the camera frame, 2D keypoints,
   camera), image_to_text (three descriptions) and image_diff (pairs among the rendered poses, mined as ImageDiff:
   top-100 nearest, at least 10 differing posecodes; three instructions);
5. splits train / val / test (80 / 10 / 10, seeded; pairs inherit the split of their poses or motion).

Every random draw comes from a seed derived from `WorldConfig.seed` and the step's name, and every number that is
stored or decides a row is computed in float64 and snapped (`canonical.py`), so the same config and code give the
same data on every machine; `fingerprints.json` holds the content fingerprints of the committed configurations.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from benchmark.body.frames import normalize_pose_heading
from benchmark.errors import InputError
from benchmark.tasks.schema import SPLITS, features
from datasets_build.pair_mining import PosecodeCounter, choose_pose_a, sub_seed
from datasets_build.world.canonical import snap, snap_poses

SOURCE = "embedded-world"
DESCRIPTION_VERSIONS = ("N2", "N6", "N7")
INSTRUCTION_VERSIONS = ("pfA", "pfB", "pfC")

# The action an archetype shows, worded by the captioner's BABEL-like action table (N6's opening sentence).
ARCHETYPE_ACTIONS = {
    "stand_relaxed": "stand", "stand_attention": "stand", "stand_t_pose": "t pose", "stand_a_pose": "a pose",
    "stand_wide": "stand", "hands_on_hips": "stand", "arms_crossed": "stand", "hands_behind_head": "stretch",
    "arms_raised": "stretch", "reach_up": "reach", "reach_forward": "reach", "point_forward": "point",
    "wave": "wave", "lean_sideways": "lean", "bend_forward": "bend", "hands_on_knees": "bend",
    "one_leg_knee_up": "balance", "tree_pose": "yoga", "front_kick": "kick", "boxing_guard": "fight",
    "walk": "walk", "run": "run", "jump_star": "jump", "jump_tuck": "jump", "lunge": "lunge",
    "warrior_two": "yoga", "squat": "squat", "pick_up": "pick up", "kneel_one_knee": "kneel",
    "kneel_upright": "kneel", "kneel_sit_on_heels": "kneel", "sit_chair": "sit", "sit_cross_legged": "sit",
    "sit_floor_legs_extended": "sit", "sit_hug_knees": "sit", "hands_and_knees": "crawl",
    "plank": "exercise/training", "lie_back": "lie", "lie_back_knees_up": "lie", "lie_side": "lie",
    "lie_belly": "lie",
}


class WorldConfig(BaseModel):
    """Sizes and mining settings of an embedded-world build (defaults: under a minute on 2 cores)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 0
    n_candidates: int = 12000
    n_poses: int = 3000
    split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    n_sequences: int = 1000
    n_in_sequence_pairs: int = 1200
    n_out_sequence_pairs: int = 2400
    pair_top_k: int = 100
    pair_mpje_m: tuple[float, float] = Field((0.06, 0.4), description="open interval of the MPJE (metres) between "
                                                                      "the poses of a pair")
    min_differing_posecodes: int = Field(15, description="pose pairs (PoseFix: more than 15 / 20)")
    n_image_candidates: int = 6000
    n_images: int = 2000
    image_size: int = 128
    n_image_pairs: int = 1200
    image_min_differing_posecodes: int = Field(10, description="ImageDiff's threshold (UniPose appendix)")

    def model_post_init(self, __context) -> None:
        if abs(sum(self.split_fractions) - 1.0) > 1e-6 or min(self.split_fractions) <= 0:
            raise InputError(f"split fractions {self.split_fractions} must be positive and sum to 1",
                             field="split_fractions")
        if self.n_poses > self.n_candidates or self.n_images > self.n_image_candidates:
            raise InputError("cannot pick more poses than candidates", field="n_poses")


SMALL = WorldConfig(n_candidates=1500, n_poses=400, n_sequences=120, n_in_sequence_pairs=160,
                    n_out_sequence_pairs=240, n_image_candidates=600, n_images=200, image_size=64, n_image_pairs=120)
PRESETS = {"default": WorldConfig(), "small": SMALL}


@dataclass
class WorldBuild:
    datasets: dict  # config (task id) -> DatasetDict
    info: dict = field(default_factory=dict)


def code_fingerprint() -> str:
    """Hash of the code and data files a build depends on: a changed generator, captioner, renderer, skeleton or
    kinematics gives a new build id, so a cached world is never stale."""
    root = Path(__file__).resolve().parents[2]
    not_the_build = {"evaluators.py", "perf.py", "render_perf.py"}  # they use a build, they do not make one
    files = sorted([*(f for f in (root / "datasets_build" / "world").glob("*.py") if f.name not in not_the_build),
                    *(f for f in (root / "datasets_build" / "captioning").glob("*.py") if f.name != "perf.py"),
                    *(root / "benchmark" / "body").glob("*.py"),
                    *(root / "benchmark" / "posecodes").glob("*.py"),  # the captioners' posecode extractor
                    root / "datasets_build" / "pair_mining.py", root / "benchmark" / "tasks" / "schema.py",
                    root / "datasets_build" / "sources" / "posefix.py",
                    root / "benchmark" / "fingerprint.py", root / "benchmark" / "columns.py",
                    root / "benchmark" / "body" / "data" / "skeleton_22.json"])
    h = hashlib.sha256()
    for f in files:
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


def build_id(config: WorldConfig) -> str:
    from benchmark import __version__

    blob = json.dumps({"config": config.model_dump(mode="json"), "suite": __version__, "code": code_fingerprint()},
                      sort_keys=True)
    return f"world-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


def assign_splits(n: int, fractions, seed: int) -> np.ndarray:
    """Split name index (0 train, 1 val, 2 test) per item: a seeded permutation cut by the fractions."""
    order = np.random.default_rng(seed).permutation(n)
    cuts = np.round(np.cumsum(fractions)[:-1] * n).astype(int)
    out = np.empty(n, np.int64)
    for s, part in enumerate(np.split(order, cuts)):
        out[part] = s
    return out


class _Steps:
    """Timing and progress lines of the build."""

    def __init__(self, log: Callable[[str], None]):
        self.log, self.times, self._start = log, {}, time.perf_counter()

    def __call__(self, name: str):
        steps = self

        class _Step:
            def __enter__(self):
                self.t = time.perf_counter()
                steps.log(f"[world] {name} ...")

            def __exit__(self, *exc):
                steps.times[name] = round(time.perf_counter() - self.t, 2)
                if exc[0] is None:
                    steps.log(f"[world] {name}: {steps.times[name]:.1f} s")

        return _Step()

    @property
    def total(self) -> float:
        return round(time.perf_counter() - self._start, 2)


def _actions(archetype_ids: np.ndarray) -> list[list[str]]:
    from datasets_build.world.archetypes import ARCHETYPE_NAMES

    return [[ARCHETYPE_ACTIONS[ARCHETYPE_NAMES[i]]] for i in archetype_ids]


def describe_rows(poses: np.ndarray, actions, body, seed: int, what: str) -> list[list[str]]:
    """Three descriptions per pose (versions N2, N6, N7), on the skeleton joints of heading-normalised poses
    (positions only, as upstream's released texts: no head-rotation codes)."""
    from benchmark.posecodes.inputs import joints_from_poses
    from datasets_build.captioning import describe_poses

    joints, _ = joints_from_poses(poses, body, normalize_heading=False)
    per_version = [describe_poses(joints, v, sub_seed(seed, "describe", what, v), actions=actions)
                   for v in DESCRIPTION_VERSIONS]
    return [list(texts) for texts in zip(*per_version)]


def instruct_rows(poses_a: np.ndarray, poses_b: np.ndarray, in_sequence: np.ndarray, body, seed: int,
                  what: str) -> list[list[str]]:
    from datasets_build.captioning import describe_pose_pairs_from_axis_angle

    per_version = [describe_pose_pairs_from_axis_angle(poses_a, poses_b, body, v, sub_seed(seed, "instruct", what, v),
                                                       in_sequence=in_sequence) for v in INSTRUCTION_VERSIONS]
    return [list(texts) for texts in zip(*per_version)]


def _caption_joints(poses: np.ndarray, body) -> np.ndarray:
    from benchmark.posecodes.inputs import joints_from_poses

    # the poses are heading-normalised already (normalising again would only round them once more)
    return joints_from_poses(poses, body, normalize_heading=False)[0]


def _text_columns(texts: list[list[str]], versions) -> dict[str, list]:
    return {"texts": texts, "text_kinds": [["automatic"] * len(versions)] * len(texts),
            "text_versions": [list(versions)] * len(texts)}


def png_image(pixels: np.ndarray) -> dict:
    """An `Image()` cell holding PNG bytes (fast compression: renders carry noise, higher levels save little)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return {"bytes": buffer.getvalue(), "path": None}


def _dataset_dict(task: str, columns: dict[str, list], split_of_row: np.ndarray):
    import datasets

    out = {}
    for s, name in enumerate(SPLITS):
        rows = np.flatnonzero(split_of_row == s)
        if not len(rows):
            continue
        out[name] = datasets.Dataset.from_dict({k: [v[i] for i in rows] for k, v in columns.items()},
                                               features=features(task))
    return datasets.DatasetDict(out)


def _joints64(poses: np.ndarray, body) -> np.ndarray:
    """float64 joint positions [N, 22, 3] of stored poses: the kinematics every mining decision is taken on."""
    return np.asarray(body.joints(poses, dtype=torch.float64))


def mine_out_of_sequence(joints: np.ndarray, counter: PosecodeCounter, groups: np.ndarray, n_pairs: int, *,
                         top_k: int, mpje_m: tuple[float, float], min_differing: int, seed: int,
                         choose_among: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(rows A, rows B) of up to `n_pairs` mined pairs; A and B always share a group (a split).

    B runs over the items in a seeded random order; A is drawn among B's `choose_among` nearest candidates (MPJE
    on `joints`, float64 [N, 22, 3]) that lie in the MPJE interval and differ by at least `min_differing` posecodes
    (PoseFix's rule).
    """
    from datasets_build.world.sampling import nearest_by_mpje

    rng = np.random.default_rng(sub_seed(seed, "mine"))
    chosen_a, chosen_b = [], []
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        if len(members) < 2:
            continue
        queries = rng.permutation(len(members))
        candidates, dist = nearest_by_mpje(joints[members], queries, top_k)
        in_range = (dist > mpje_m[0]) & (dist < mpje_m[1])
        differing = counter.count(members[candidates.reshape(-1)],
                                  np.repeat(members[queries], candidates.shape[1])).reshape(candidates.shape)
        differing = np.where(in_range, differing, -1)
        picks = choose_pose_a(candidates, differing, min_differing, choose_among, rng)
        ok = picks >= 0
        chosen_a.append(members[picks[ok]])
        chosen_b.append(members[queries[ok]])
    a, b = np.concatenate(chosen_a), np.concatenate(chosen_b)
    keep = np.sort(rng.permutation(len(a))[:n_pairs])
    return a[keep], b[keep]


def build_world(config: WorldConfig, *, progress: bool = True, log: Callable[[str], None] = print) -> WorldBuild:
    """Build the seven task datasets of the embedded world (no trained model takes part)."""
    import datasets

    from benchmark.body.skeleton import SkeletonBody
    from datasets_build.sources.posefix import pair_poses_from_raw
    from datasets_build.world.archetypes import ARCHETYPE_NAMES
    from datasets_build.world.generator import generate_poses
    from datasets_build.world.render import camera_pose_in_camera_frame, render_poses
    from datasets_build.world.sampling import exact_mpje, farthest_point_sampling
    from datasets_build.world.sequences import make_sequences, sample_in_sequence_pairs

    cfg, seed = config, config.seed
    body = SkeletonBody()
    steps = _Steps(log)
    out: dict[str, datasets.DatasetDict] = {}

    # 1. poses -------------------------------------------------------------------------------------------------
    with steps(f"poses: {cfg.n_poses} of {cfg.n_candidates} candidates by farthest-point sampling"):
        gen = generate_poses(cfg.n_candidates, sub_seed(seed, "poses"))
        normalised = snap_poses(normalize_pose_heading(gen.poses.astype(np.float64)))
        picked = farthest_point_sampling(_joints64(normalised, body), cfg.n_poses, start=0, progress=progress)
        poses = normalised[picked]
        archetypes = gen.archetype_ids[picked, 0]
        pose_split = assign_splits(len(poses), cfg.split_fractions, sub_seed(seed, "pose-splits"))
        pose_ids = [f"pose-{i:06d}" for i in range(len(poses))]

    # 2. descriptions ------------------------------------------------------------------------------------------
    with steps(f"descriptions: {len(poses)} poses x {len(DESCRIPTION_VERSIONS)} versions"):
        texts = describe_rows(poses, _actions(archetypes), body, seed, "poses")
        columns = {"id": pose_ids, "source_dataset": [SOURCE] * len(poses),
                   "source_id": [f"{ARCHETYPE_NAMES[a]}/candidate-{c}" for a, c in zip(archetypes, picked)],
                   "pose": list(poses), **_text_columns(texts, DESCRIPTION_VERSIONS)}
        out["pose_to_text"] = _dataset_dict("pose_to_text", columns, pose_split)
        out["text_to_pose"] = _dataset_dict("text_to_pose", columns, pose_split)

    # 3. pairs -------------------------------------------------------------------------------------------------
    with steps(f"pairs: {cfg.n_in_sequence_pairs} in sequence + {cfg.n_out_sequence_pairs} out of sequence"):
        seqs = make_sequences(cfg.n_sequences, sub_seed(seed, "sequences"))
        triples = sample_in_sequence_pairs(seqs, 4 * cfg.n_in_sequence_pairs, sub_seed(seed, "sequence-pairs"))
        raw_a = seqs.poses[triples[:, 0], triples[:, 1]].astype(np.float64)
        raw_b = seqs.poses[triples[:, 0], triples[:, 2]].astype(np.float64)
        in_a, in_b = (snap_poses(p) for p in pair_poses_from_raw(raw_a, raw_b, np.ones(len(triples), bool)))
        both = np.concatenate([snap_poses(normalize_pose_heading(in_a.astype(np.float64))),
                               snap_poses(normalize_pose_heading(in_b.astype(np.float64)))])
        counter = PosecodeCounter(_caption_joints(both, body))
        n = len(triples)
        differing = counter.count(np.arange(n), np.arange(n, 2 * n))
        both_joints = _joints64(both, body)
        dist = exact_mpje(both_joints[:n], both_joints[n:])
        valid = np.flatnonzero((differing >= cfg.min_differing_posecodes) & (dist > cfg.pair_mpje_m[0])
                               & (dist < cfg.pair_mpje_m[1]))
        valid = valid[: cfg.n_in_sequence_pairs]
        seq_split = assign_splits(len(seqs), cfg.split_fractions, sub_seed(seed, "sequence-splits"))

        pose_counter = PosecodeCounter(_caption_joints(poses, body))
        rows_a, rows_b = mine_out_of_sequence(_joints64(poses, body), pose_counter, pose_split,
                                              cfg.n_out_sequence_pairs, top_k=cfg.pair_top_k, mpje_m=cfg.pair_mpje_m,
                                              min_differing=cfg.min_differing_posecodes, seed=seed)
        pair_a = np.concatenate([in_a[valid], poses[rows_a]])
        pair_b = np.concatenate([in_b[valid], poses[rows_b]])
        in_sequence = np.concatenate([np.ones(len(valid), bool), np.zeros(len(rows_a), bool)])
        pair_split = np.concatenate([seq_split[triples[valid, 0]], pose_split[rows_b]])
        source_a = [f"sequence-{s}/frame-{f}" for s, f in triples[valid][:, :2]] + [pose_ids[i] for i in rows_a]
        source_b = [f"sequence-{s}/frame-{f}" for s, f in triples[valid][:, [0, 2]]] + [pose_ids[i] for i in rows_b]

    with steps(f"instructions: {len(pair_a)} pairs x {len(INSTRUCTION_VERSIONS)} versions"):
        instructions = instruct_rows(pair_a, pair_b, in_sequence, body, seed, "pairs")
        # a pair whose change stays under every paircode threshold gets no instruction: it is not a task row
        said = np.array([all(t.strip() for t in texts) for texts in instructions])
        dropped_silent = int((~said).sum())
        keep = np.flatnonzero(said)
        pair_a, pair_b, in_sequence, pair_split = pair_a[keep], pair_b[keep], in_sequence[keep], pair_split[keep]
        source_a, source_b = [source_a[i] for i in keep], [source_b[i] for i in keep]
        instructions = [instructions[i] for i in keep]
        columns = {"id": [f"pair-{i:06d}" for i in range(len(pair_a))], "source_dataset": [SOURCE] * len(pair_a),
                   "source_id": [f"{a}|{b}" for a, b in zip(source_a, source_b)], "pose_a": list(pair_a),
                   "pose_b": list(pair_b), "source_id_a": source_a, "source_id_b": source_b,
                   "in_sequence": list(in_sequence), **_text_columns(instructions, INSTRUCTION_VERSIONS)}
        out["pose_diff"] = _dataset_dict("pose_diff", columns, pair_split)
        out["pose_edit"] = _dataset_dict("pose_edit", columns, pair_split)

    # 4. images ------------------------------------------------------------------------------------------------
    with steps(f"images: {cfg.n_images} renders at {cfg.image_size} px"):
        gen_img = generate_poses(cfg.n_image_candidates, sub_seed(seed, "image-poses"))
        norm_img = snap_poses(normalize_pose_heading(gen_img.poses.astype(np.float64)))
        # UniPose samples ImageScript on the body articulation (global orientation 0): the camera shows the view
        articulation = norm_img.copy()
        articulation[:, 0] = 0.0
        picked_img = farthest_point_sampling(_joints64(articulation, body), cfg.n_images, start=0,
                                             progress=progress)
        img_poses, img_arch = norm_img[picked_img], gen_img.archetype_ids[picked_img, 0]
        batch = render_poses(img_poses, sub_seed(seed, "render"), cfg.image_size, progress=progress)
        cam_poses = snap_poses(camera_pose_in_camera_frame(img_poses.astype(np.float64), batch.R))
        cam_joints = snap(_joints64(cam_poses, body))
        img_split = assign_splits(len(img_poses), cfg.split_fractions, sub_seed(seed, "image-splits"))
        images = [png_image(im) for im in batch.images]  # encoded once, shared by three configs
        cameras = [{"K": snap(k).tolist(), "R": snap(r).tolist(), "t": snap(t).tolist()}
                   for k, r, t in zip(batch.K, batch.R, batch.t)]
        img_ids = [f"image-{i:06d}" for i in range(len(img_poses))]
        base = {"id": img_ids, "source_dataset": [SOURCE] * len(img_ids),
                "source_id": [f"{ARCHETYPE_NAMES[a]}/candidate-{c}" for a, c in zip(img_arch, picked_img)],
                "image": images, "camera": cameras, "keypoints_2d": list(snap(batch.keypoints_2d)),
                "joint_set": ["smpl-body-22"] * len(img_ids)}
        out["pose_estimation"] = _dataset_dict("pose_estimation", {
            **base, "pose": list(cam_poses), "has_pose": [True] * len(img_ids), "joints_3d": list(cam_joints),
            "action": [ARCHETYPE_ACTIONS[ARCHETYPE_NAMES[a]] for a in img_arch]}, img_split)

    with steps(f"image descriptions and pairs: {len(img_poses)} images, up to {cfg.n_image_pairs} pairs"):
        img_texts = describe_rows(img_poses, _actions(img_arch), body, seed, "images")
        out["image_to_text"] = _dataset_dict("image_to_text", {
            **base, "pose": list(img_poses), **_text_columns(img_texts, DESCRIPTION_VERSIONS)}, img_split)
        img_counter = PosecodeCounter(_caption_joints(img_poses, body))
        ia, ib = mine_out_of_sequence(_joints64(img_poses, body), img_counter, img_split, cfg.n_image_pairs,
                                      top_k=cfg.pair_top_k, mpje_m=(0.0, np.inf),
                                      min_differing=cfg.image_min_differing_posecodes, seed=sub_seed(seed, "images"))
        img_instr = instruct_rows(img_poses[ia], img_poses[ib], np.zeros(len(ia), bool), body, seed, "image-pairs")
        said = np.flatnonzero([all(t.strip() for t in texts) for texts in img_instr])
        dropped_silent += len(ia) - len(said)
        ia, ib, img_instr = ia[said], ib[said], [img_instr[i] for i in said]
        out["image_diff"] = _dataset_dict("image_diff", {
            "id": [f"image-pair-{i:06d}" for i in range(len(ia))], "source_dataset": [SOURCE] * len(ia),
            "source_id": [f"{img_ids[a]}|{img_ids[b]}" for a, b in zip(ia, ib)],
            "pose_a": list(img_poses[ia]), "pose_b": list(img_poses[ib]),
            "source_id_a": [img_ids[a] for a in ia], "source_id_b": [img_ids[b] for b in ib],
            "in_sequence": [False] * len(ia), **_text_columns(img_instr, INSTRUCTION_VERSIONS),
            "image_a": [images[a] for a in ia], "image_b": [images[b] for b in ib],
            "camera_a": [cameras[a] for a in ia], "camera_b": [cameras[b] for b in ib]}, img_split[ib])

    with steps("content fingerprints"):
        from benchmark.fingerprint import combined_fingerprint, dataset_fingerprint

        fingerprints = {config: {split: dataset_fingerprint(ds) for split, ds in dd.items()}
                        for config, dd in out.items()}
    info = {
        "config": cfg.model_dump(mode="json"), "build_id": build_id(cfg), "seconds": steps.times,
        "total_seconds": steps.total, "fingerprint": combined_fingerprint(fingerprints), "fingerprints": fingerprints,
        "rows": {task: {s: len(d) for s, d in dd.items()} for task, dd in out.items()},
        "pairs": {"in_sequence": int(in_sequence.sum()), "out_of_sequence": int((~in_sequence).sum()),
                  "image": len(ia), "dropped_without_instruction": dropped_silent},
    }
    return WorldBuild(out, info)
