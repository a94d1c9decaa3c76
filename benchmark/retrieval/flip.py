"""Left/right mirroring of poses and texts: the L/R flip augmentation of PoseScript/PoseFix retrieval training.

Facts from naver/posescript (`data_augmentations.py`, `encoders/tokenizers.py`,
`vocab.py`).

Poses: mirroring the body through its sagittal plane swaps the rotations of each left joint with its right
counterpart and negates the y and z components of every axis-angle vector, the root included. In SMPL's canonical
frame the body's left-right axis is x, and a reflection M = diag(-1, 1, 1) maps a rotation R to M R M, whose
axis-angle vector is (x, -y, -z). The joints of the flipped pose are therefore the joints of the original pose,
permuted left <-> right, with their x coordinate negated in the frame of the root (x -> -x in the AMASS frame too,
as the root is flipped with the rest).

Texts: side words are swapped ("left" <-> "right", "clockwise" <-> "counterclockwise", ...) with upstream's
grammatical guards, because "right" is not always a side:
* a text containing "o'clock", "clock" or "x-axis" is not flipped at all (nor is its pose);
* "right" before "angle"/"angles" is kept ("bent at a right angle");
* "right" after is/are/it's/isn't/aren't/not/be is kept ("the hand is right beside the knee");
* "right" before a preposition (about, before, after, off, between, behind, in, under, next, below, above, across,
  away, near, by, at) is flipped only when a determiner precedes it ("the right next to" flips, "right next to"
  does not).
Only "right" carries guards, as upstream; "left" always becomes "right".

Upstream works on token ids of its own word-level vocabulary; this works on the words of the raw string (so it is
independent of the tokenizer, which here is a WordPiece one that splits "counterclockwise"), keeps the case of each
word and leaves every other character untouched. Punctuation counts as a token between words, as it does in
upstream's NLTK tokenisation ("right, next to" does not see "next" after "right").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import torch

from benchmark.body.joints import SMPL_BODY_22, SMPLH_52
from benchmark.errors import InputError

# ---------------------------------------------------------------------------------------------------------- poses

_MIRROR_PERMUTATION = {22: SMPL_BODY_22.mirror_permutation, 52: SMPLH_52.mirror_permutation}
_AXIS_SIGNS = np.array([1.0, -1.0, -1.0], dtype=np.float32)


def flip_poses(poses):
    """Mirror axis-angle poses [..., 22|52, 3] left <-> right; numpy in -> numpy out, torch in -> torch out.

    Returns a new array: joint j of the result is joint mirror(j) of the input with its (y, z) axis-angle components
    negated. The flip is an involution: flip_poses(flip_poses(p)) == p.
    """
    n_joints = poses.shape[-2] if poses.ndim >= 2 else None
    if n_joints not in _MIRROR_PERMUTATION or poses.shape[-1] != 3:
        raise InputError(f"shape {list(poses.shape)} is not [..., 22, 3] or [..., 52, 3]", field="poses",
                         hint="axis-angle poses: root + 21 body joints (+ 30 SMPL-H finger joints)")
    perm = _MIRROR_PERMUTATION[n_joints]
    if isinstance(poses, torch.Tensor):
        signs = torch.as_tensor(_AXIS_SIGNS, dtype=poses.dtype, device=poses.device)
        return poses[..., torch.as_tensor(perm, device=poses.device), :] * signs
    poses = np.asarray(poses)
    return poses[..., perm, :] * _AXIS_SIGNS.astype(poses.dtype, copy=False)


# ---------------------------------------------------------------------------------------------------------- texts

# One-to-one side words (upstream `side_flipping_correspondances`), lower case; both directions are derived below.
_SIDE_PAIRS = {
    "right": "left", "rightward": "leftward", "rightwards": "leftwards", "right-hand": "left-hand",
    "right-facing": "left-facing", "right-handed": "left-handed", "righthand": "lefthand",
    "rightwardly": "leftwardly", "right-side": "left-side", "right-looking": "left-looking",
    "backward-right": "backward-left", "right-most": "left-most", "front-right": "front-left",
    "top-right": "top-left", "rights": "lefts",
}
# One-to-many: "clockwise" becomes one of these (drawn with the caller's generator); each of them becomes "clockwise".
COUNTER_CLOCKWISE = ("counterclockwise", "anticlockwise", "counter-clockwise", "anti-clockwise")

BLOCKING_WORDS = frozenset({"o'clock", "clock", "x-axis"})
DETERMINERS = frozenset({"your", "their", "his", "her", "the", "a", "an", "this", "these", "those"})
NEED_DETERMINER_BEFORE_RIGHT = frozenset({
    "about", "before", "after", "off", "between", "behind", "in", "under", "next", "below", "above", "across",
    "away", "near", "by", "at"})
WORDS_KEEPING_NEXT_RIGHT = frozenset({"is", "are", "it's", "isn't", "aren't", "not", "be"})
WORDS_KEEPING_PREVIOUS_RIGHT = frozenset({"angle", "angles"})

_SWAP: dict[str, str] = {**_SIDE_PAIRS, **{v: k for k, v in _SIDE_PAIRS.items()},
                         **{w: "clockwise" for w in COUNTER_CLOCKWISE}}
# Words (letters joined by apostrophes or hyphens) and single punctuation characters are the tokens.
_TOKEN = re.compile(r"[A-Za-z]+(?:['\u2019\-][A-Za-z]+)*|[^\sA-Za-z]")


def _match_case(template: str, word: str) -> str:
    if len(template) > 1 and template.isupper():
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _keeps_right(tokens: list[str], i: int) -> bool:
    """Whether the "right" at token i is not a side (upstream's three local guards)."""
    prev_tok = tokens[i - 1] if i > 0 else None
    next_tok = tokens[i + 1] if i + 1 < len(tokens) else None
    if next_tok in WORDS_KEEPING_PREVIOUS_RIGHT:
        return True
    if prev_tok in WORDS_KEEPING_NEXT_RIGHT:
        return True
    if next_tok in NEED_DETERMINER_BEFORE_RIGHT and prev_tok not in DETERMINERS:
        return True
    return False


def flip_text(text: str, rng: np.random.Generator | None = None) -> tuple[str, bool]:
    """Mirror the side words of `text`; returns (new text, flipped).

    `flipped` is False, and the text is returned unchanged, when it contains a blocking word ("o'clock", "clock",
    "x-axis"): its pose must then not be flipped either. A text without side words is "flipped" (returned as is,
    flipped=True), as upstream. "clockwise" becomes one of `COUNTER_CLOCKWISE`, drawn with `rng` (the first one when
    `rng` is None).
    """
    matches = list(_TOKEN.finditer(text))
    tokens = [m.group(0).lower().replace("\u2019", "'") for m in matches]
    if BLOCKING_WORDS.intersection(tokens):
        return text, False
    pieces, last = [], 0
    for i, (match, token) in enumerate(zip(matches, tokens)):
        if token not in _SWAP and token != "clockwise":
            continue
        if token == "right" and _keeps_right(tokens, i):
            continue
        if token == "clockwise":
            choice = 0 if rng is None else int(rng.integers(len(COUNTER_CLOCKWISE)))
            new = COUNTER_CLOCKWISE[choice]
        else:
            new = _SWAP[token]
        pieces += [text[last:match.start()], _match_case(match.group(0), new)]
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces), True


def flip_texts(texts: Sequence[str], rng: np.random.Generator | None = None) -> tuple[list[str], np.ndarray]:
    """`flip_text` over a batch: (texts, bool [N] flipped)."""
    out = [flip_text(t, rng) for t in texts]
    return [t for t, _ in out], np.array([f for _, f in out], dtype=bool)
