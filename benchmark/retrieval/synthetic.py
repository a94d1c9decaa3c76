"""Small synthetic pose-text and pose-pair-text data with real signal, for tests and timing of the evaluators.

This is not a captioning pipeline (that is datasets_build's posecodes/paircodes): it writes a few rule-based phrases
from joint geometry so that a retrieval model has something to learn. Poses are random SMPL axis-angle poses around
an upright body (AMASS z-up root), with the hips, knees, shoulders, elbows and spine drawn over wide ranges. The
texts are computed from the joints of the embedded skeleton body (captioning frame: y up, body faces +z, +x is the
body's left), not from the drawn angles:
* knee and elbow angles, binned: straight (> 150 deg), slightly bent, bent at a right angle (70-110), completely
  bent (< 70) -- "right angle" exercises the flip guards;
* each hand: above the head, at shoulder level, or lowered; the torso: leaning forward or backward, or upright.
For pairs, pose B is pose A with two of its seven joint groups re-drawn; the text lists what changed ("bend your
left knee more", "raise your right hand", ...).

The columns follow the "pose_to_text" / "pose_diff" schemas of benchmark/tasks/schema.py; this module returns
plain numpy/list columns (benchmark does not import datasets_build), which callers wrap into a datasets.Dataset.
"""

from __future__ import annotations

import numpy as np

from benchmark.body.frames import UPRIGHT_ROOT, amass_to_captioning
from benchmark.body.joints import SMPL_BODY_22

_J = {name: i for i, name in enumerate(SMPL_BODY_22.names)}
SIDES = ("left", "right")
# (joint, axis, low, high) of the drawn axis-angle components, radians. Signs: hip flexion is -x, knee flexion +x,
# raising the left arm +z (right arm -z), left elbow flexion -y (right +y).
_GROUPS = {
    "left_leg": [("left_hip", 0, -1.6, 0.3), ("left_knee", 0, 0.0, 2.4)],
    "right_leg": [("right_hip", 0, -1.6, 0.3), ("right_knee", 0, 0.0, 2.4)],
    "left_arm": [("left_shoulder", 2, -1.3, 1.3), ("left_elbow", 1, -2.4, 0.0)],
    "right_arm": [("right_shoulder", 2, -1.3, 1.3), ("right_elbow", 1, 0.0, 2.4)],
    "torso": [("spine1", 0, -0.25, 0.7)],
}
GROUP_NAMES = tuple(_GROUPS)


def _draw_groups(poses: np.ndarray, groups, rng: np.random.Generator, rows: np.ndarray | None = None) -> None:
    rows = np.arange(len(poses)) if rows is None else rows
    for group in groups:
        for joint, axis, low, high in _GROUPS[group]:
            poses[rows, _J[joint], axis] = rng.uniform(low, high, size=len(rows))


def random_poses(n: int, rng: np.random.Generator) -> np.ndarray:
    """float32 [n, 22, 3] axis-angle poses: small noise everywhere, upright root, wide ranges on the drawn groups."""
    poses = rng.normal(0.0, 0.05, size=(n, 22, 3))
    poses[:, 0] += UPRIGHT_ROOT
    _draw_groups(poses, GROUP_NAMES, rng)
    return poses.astype(np.float32)


def _angle(a, b, c) -> np.ndarray:
    """Angle at b (degrees) between b->a and b->c, [N]."""
    u, v = a - b, c - b
    cos = (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1) + 1e-9)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def measure(poses: np.ndarray) -> dict[str, np.ndarray]:
    """Per pose [N]: knee/elbow angles (deg), hand heights relative to shoulder and head (m), torso lean (m)."""
    from benchmark.body.skeleton import SkeletonBody

    j = amass_to_captioning(SkeletonBody().joints(poses)).astype(np.float64)
    out = {}
    for side in SIDES:
        out[f"{side}_knee"] = _angle(j[:, _J[f"{side}_hip"]], j[:, _J[f"{side}_knee"]], j[:, _J[f"{side}_ankle"]])
        out[f"{side}_elbow"] = _angle(j[:, _J[f"{side}_shoulder"]], j[:, _J[f"{side}_elbow"]],
                                      j[:, _J[f"{side}_wrist"]])
        wrist_y = j[:, _J[f"{side}_wrist"], 1]
        out[f"{side}_hand_over_head"] = wrist_y - j[:, _J["head"], 1]
        out[f"{side}_hand_over_shoulder"] = wrist_y - j[:, _J[f"{side}_shoulder"], 1]
        out[f"{side}_hand_height"] = wrist_y
    out["torso_lean"] = j[:, _J["neck"], 2] - j[:, _J["pelvis"], 2]
    return out


_ANGLE_WORDS = ((150, "straight"), (110, "slightly bent"), (70, "bent at a right angle"), (-1, "completely bent"))
_HUMAN_ANGLE_WORDS = {"straight": "fully extended", "slightly bent": "a little bent",
                      "bent at a right angle": "bent at a right angle", "completely bent": "folded tight"}
_LIMB = {"knee": ("knee", "leg"), "elbow": ("elbow", "arm")}


def _angle_word(value: float) -> str:
    for threshold, word in _ANGLE_WORDS:
        if value > threshold:
            return word
    return _ANGLE_WORDS[-1][1]


def _hand_word(over_head: float, over_shoulder: float) -> str:
    if over_head > 0:
        return "raised above the head"
    if over_shoulder > -0.1:
        return "raised to shoulder level"
    return "lowered"


def _torso_word(lean: float) -> str:
    return "leans forward" if lean > 0.15 else "leans backward" if lean < -0.08 else "is upright"


ATTRIBUTES = ("knee", "elbow", "hand", "torso")


def _clauses(m: dict[str, np.ndarray], i: int, human: bool, attributes=ATTRIBUTES) -> list[str]:
    clauses = []
    for side in SIDES:
        for joint in ("knee", "elbow"):
            if joint not in attributes:
                continue
            word = _angle_word(m[f"{side}_{joint}"][i])
            if human:
                clauses.append(f"{side} {_LIMB[joint][1]} {_HUMAN_ANGLE_WORDS[word]}")
            else:
                clauses.append(f"the {side} {joint} is {word}")
        if "hand" in attributes:
            hand = _hand_word(m[f"{side}_hand_over_head"][i], m[f"{side}_hand_over_shoulder"][i])
            clauses.append(f"{side} hand {hand}" if human else f"the {side} hand is {hand}")
    if "torso" in attributes:
        torso = _torso_word(m["torso_lean"][i])
        clauses.append(f"torso {torso.replace('is ', '')}" if human else f"the torso {torso}")
    return clauses


def _sentence(clauses: list[str], rng: np.random.Generator, skip: float = 0.15) -> str:
    keep = [c for c in clauses if rng.random() >= skip] or clauses[:1]
    keep = [keep[k] for k in rng.permutation(len(keep))]
    text = keep[0]
    for clause in keep[1:]:
        text += (", ", " and ", " while ", ". ")[int(rng.integers(4))] + clause
    sentences = [s.strip() for s in text.split(". ")]
    return ". ".join(s[:1].upper() + s[1:] for s in sentences) + "."


def _text_columns(texts_auto: list[list[str]], texts_human: list[list[str]], versions_auto: list[str]):
    texts, kinds, versions = [], [], []
    for auto, human in zip(texts_auto, texts_human):
        texts.append(auto + human)
        kinds.append(["automatic"] * len(auto) + ["human"] * len(human))
        versions.append(versions_auto[:len(auto)] + ["human"] * len(human))
    return texts, kinds, versions


def pose_text_columns(n: int, seed: int, n_automatic: int = 3, n_human: int = 1, prefix: str = "syn",
                      attributes: tuple[str, ...] = ATTRIBUTES) -> dict:
    """Columns of `n` "pose_to_text" rows (id, source_dataset, source_id, pose, texts, text_kinds, text_versions).

    `attributes`: which of knee, elbow, hand, torso the texts describe (fewer = shorter texts, faster to learn).
    """
    rng = np.random.default_rng(seed)
    poses = random_poses(n, rng)
    m = measure(poses)
    auto = [[_sentence(_clauses(m, i, False, attributes), rng) for _ in range(n_automatic)] for i in range(n)]
    human = [[_sentence(_clauses(m, i, True, attributes), rng, skip=0.3) for _ in range(n_human)] for i in range(n)]
    texts, kinds, versions = _text_columns(auto, human, [f"syn{k}" for k in range(n_automatic)])
    ids = [f"{prefix}-{i:06d}" for i in range(n)]
    return {"id": ids, "source_dataset": ["synthetic"] * n, "source_id": ids, "pose": poses, "texts": texts,
            "text_kinds": kinds, "text_versions": versions}


def _change_clauses(ma: dict, mb: dict, i: int, human: bool) -> list[str]:
    clauses = []
    for side in SIDES:
        for joint in ("knee", "elbow"):
            delta = mb[f"{side}_{joint}"][i] - ma[f"{side}_{joint}"][i]
            part = _LIMB[joint][1] if human else joint
            if delta > 25:
                clauses.append(f"straighten your {side} {part}")
            elif delta < -25:
                clauses.append(f"bend your {side} {part} more")
        rise = mb[f"{side}_hand_height"][i] - ma[f"{side}_hand_height"][i]
        if abs(rise) > 0.2:
            verb = ("lift" if human else "raise") if rise > 0 else ("drop" if human else "lower")
            clauses.append(f"{verb} your {side} hand")
    lean = mb["torso_lean"][i] - ma["torso_lean"][i]
    if abs(lean) > 0.1:
        clauses.append("lean forward more" if lean > 0 else "lean back")
    return clauses or ["keep almost the same pose"]


def pose_diff_columns(n: int, seed: int, n_automatic: int = 3, n_human: int = 1, prefix: str = "syn-pair") -> dict:
    """Columns of `n` "pose_diff" rows: pose B is pose A with two joint groups re-drawn; texts say what changed."""
    rng = np.random.default_rng(seed)
    poses_a = random_poses(n, rng)
    poses_b = poses_a.copy()
    chosen = np.argsort(rng.random((n, len(GROUP_NAMES))), axis=1)[:, :2]
    for g, group in enumerate(GROUP_NAMES):
        rows = np.flatnonzero((chosen == g).any(axis=1))
        _draw_groups(poses_b, [group], rng, rows)
    ma, mb = measure(poses_a), measure(poses_b)
    auto = [[_sentence(_change_clauses(ma, mb, i, False), rng, skip=0.0) for _ in range(n_automatic)]
            for i in range(n)]
    human = [[_sentence(_change_clauses(ma, mb, i, True), rng, skip=0.0) for _ in range(n_human)] for i in range(n)]
    texts, kinds, versions = _text_columns(auto, human, [f"syn{k}" for k in range(n_automatic)])
    ids = [f"{prefix}-{i:06d}" for i in range(n)]
    return {"id": ids, "source_dataset": ["synthetic"] * n, "source_id": ids, "pose_a": poses_a,
            "pose_b": poses_b.astype(np.float32), "source_id_a": [f"{p}-a" for p in ids],
            "source_id_b": [f"{p}-b" for p in ids], "in_sequence": [False] * n, "texts": texts,
            "text_kinds": kinds, "text_versions": versions}


def synthetic_splits(kind: str, n_train: int, n_val: int, seed: int = 0, features=None, **kwargs):
    """A datasets.DatasetDict {"train", "val"} of synthetic rows for evaluator `kind` ("pose-text"/"pair-text").

    `features`: the task's datasets.Features (benchmark.tasks.schema.FEATURES[...]) to cast to; without it the
    column types are inferred (pose columns become float32 lists, which the evaluators read the same way).
    """
    import datasets

    make = pose_text_columns if kind == "pose-text" else pose_diff_columns
    splits = {}
    for k, (split, n) in enumerate((("train", n_train), ("val", n_val))):
        columns = make(n, seed=int(np.random.SeedSequence([seed, k]).generate_state(1)[0]),
                       prefix=f"syn-{split}", **kwargs)
        splits[split] = datasets.Dataset.from_dict(columns, features=features)
    return datasets.DatasetDict(splits)
