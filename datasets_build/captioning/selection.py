"""Random skip of eligible codes (naver/posescript `posescript/captioning.py`), vectorised over a batch.

Eligibility 2 (rare) is always kept; eligibility 1 is dropped with probability `prob` when `random_skip` is on; a row
left with no code gets all of its skipped codes back.
"""

from __future__ import annotations

import numpy as np

PROP_SKIP_POSECODES = 0.15  # PoseScript descriptions, PoseFix paircodes
PROP_SKIP_POSE_B_POSECODES = 0.33  # PoseFix pose-B statements (the documented value; see `instruct`)


def select(eligibility: np.ndarray, rng: np.random.Generator, random_skip: bool, prob: float) -> np.ndarray:
    """Keep mask [B, n] of the codes that go on to aggregation."""
    eligible = eligibility > 0
    if not random_skip:
        return eligible
    keep = (eligibility == 2) | (eligible & (rng.random(eligibility.shape) >= prob))
    skipped = eligible & ~keep
    restore = ~keep.any(axis=1)
    keep[restore] |= skipped[restore]
    return keep
