"""Body parts of a joint set, read from its joint names: arms, legs, torso, head.

The per-part errors of the pose tasks (`benchmark.metrics.pose_diagnostics`) say where a pose goes wrong. A joint's
part is decided by the words of its name, so every joint set the suite scores (SMPL's 22 body joints, SMPL-H's 52,
the 14 HMR2 evaluation joints, Human3.6M's 17) is split by one rule instead of a table per set:

* head: head, neck, nose, jaw, eye, ear (the neck carries the head: a wrong neck is a wrong head);
* arms: shoulder, elbow, wrist, hand and the fingers (index, middle, ring, pinky, thumb);
* legs: hip, knee, ankle, foot, toe, heel;
* torso: pelvis, spine, thorax, collar (SMPL's collar joints sit on the upper back, where the spine ends; their
  position moves with the spine, not with the arm).

A name is split at "_" and trailing digits are dropped from each word ("left_index1" -> left, index), so a suffix
naming the source ("neck_lsp", "head_h36m") does not matter.

>>> part_of("left_index1"), part_of("neck_lsp"), part_of("right_collar"), part_of("spine3")
('arms', 'head', 'torso', 'torso')
>>> from benchmark.body.joints import SMPL_BODY_JOINT_NAMES
>>> {p: len(i) for p, i in part_indices(SMPL_BODY_JOINT_NAMES).items()}
{'arms': 6, 'legs': 8, 'torso': 6, 'head': 2}
"""

from __future__ import annotations

import numpy as np

from benchmark.errors import InputError

BODY_PARTS = ("arms", "legs", "torso", "head")
_PART_WORDS = {
    "head": ("head", "neck", "nose", "jaw", "eye", "ear"),
    "arms": ("shoulder", "elbow", "wrist", "hand", "index", "middle", "ring", "pinky", "thumb"),
    "legs": ("hip", "knee", "ankle", "foot", "toe", "heel"),
    "torso": ("pelvis", "spine", "thorax", "collar"),
}
_WORD_PART = {word: part for part, words in _PART_WORDS.items() for word in words}


def part_of(joint_name: str) -> str:
    """The body part ("arms", "legs", "torso" or "head") of a joint, from the words of its name."""
    words = [w.rstrip("0123456789") for w in joint_name.lower().split("_")]
    parts = {_WORD_PART[w] for w in words if w in _WORD_PART}
    if len(parts) != 1:
        found = f"it names {' and '.join(sorted(parts))}" if parts else "no word of it names one"
        raise InputError(f"joint '{joint_name}' belongs to no single body part ({found})", field="joint_names",
                         hint="body-part words: " + "; ".join(f"{p}: {', '.join(w)}" for p, w in _PART_WORDS.items()))
    return parts.pop()


def part_indices(joint_names) -> dict[str, np.ndarray]:
    """part -> int64 indices of its joints in `joint_names`, in `BODY_PARTS` order; parts without a joint are left
    out (the 14 HMR2 evaluation joints have no torso joint)."""
    parts = [part_of(name) for name in joint_names]
    out = {}
    for part in BODY_PARTS:
        idx = np.array([i for i, p in enumerate(parts) if p == part], dtype=np.int64)
        if idx.size:
            out[part] = idx
    return out
