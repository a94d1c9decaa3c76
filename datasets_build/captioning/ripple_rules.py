"""Statistics-based ripple rules "A [+ B] => C": drop C when A (and B) were selected, because C then adds nothing.

Upstream mined its 27 rules on AMASS posecode statistics (naver/posescript `posescript/captioning_data.py`: a rule
must affect at least 50 poses; A => C must hold in >= 70% of the poses with A, A + B => C in >= 80%; then hand-picked,
keeping one direction of two-way rules so that a rule and its converse cannot remove both codes) and declared them for
the left side only, the right-side rules being their mirror images. Its rule list is not reproduced here: this set was
written for this suite from anatomy and geometry, under the same two criteria, including three of upstream's rules
(rules 3, 1 and 7 below). How the rules were chosen:
* segment orientations fix the joint angle between them (both segments vertical: the joint is straight; one vertical
  and one horizontal: a right angle): keep the two orientations, drop the angle (rules 1-6, 25);
* a chain of order relations through body parts whose own positions are tied (the two shoulders, the two hips, the
  neck above the shoulders) makes the third relation a consequence: drop it (rules 8, 14-21);
* two hands or two feet held together share their position relative to the body: drop the second side (9-13, 27);
* a hand above the shoulder (or neck) while the other is below its hip puts the hands about 0.8 m apart
  vertically: drop "the left hand is above the right hand" and "the hands are wide apart" (20-23);
* leaning the trunk to the right raises the left shoulder (24); a foot raised above its own hip is above the other
  foot in nearly every pose (26); a right-angle knee under a vertical thigh puts the foot behind the torso (7).
When two rules would drop each other's condition (a rule and its mirror image: feet together, one foot behind the
torso), `aggregation.stat_ripple` applies only the first of the two.
"""

from __future__ import annotations

from functools import lru_cache

from benchmark.posecodes.records import Code
from datasets_build.captioning.codes import mirror_code, reverse_code

L, R = "left", "right"


def _c(side1, part1, interp, side2=None, part2=None) -> Code:
    return Code(side1, part1, interp, side2, part2)


HANDS_CLOSE = _c(L, "hand", "close", R, "hand")
FEET_CLOSE = _c(L, "foot", "close", R, "foot")


def _hand_above_neck(s):
    return _c(s, "hand", "above", None, "neck")


def _hand_above_shoulder(s):
    return _c(s, "hand", "above", s, "shoulder")


def _hand_below_hip(s):
    return _c(s, "hand", "below", s, "hip")


def _part_vs_torso(s, part, interp):
    return _c(s, part, interp, None, "torso")


def _lr(part, interp):
    """The raw code relating the left part to the right part (the table lists left first)."""
    return _c(L, part, interp, R, part)


LEFT_SIDE_RULES: list[tuple[Code, Code | None, Code]] = [
    # 1-6: two segment orientations give the joint angle
    (_c(L, "thigh", "vertical"), _c(L, "shin", "vertical"), _c(L, "knee", "straight")),
    (_c(L, "upperarm", "vertical"), _c(L, "forearm", "vertical"), _c(L, "elbow", "straight")),
    (_c(L, "upperarm", "vertical"), _c(L, "forearm", "horizontal"), _c(L, "elbow", "right angle")),
    (_c(L, "thigh", "vertical"), _c(L, "shin", "horizontal"), _c(L, "knee", "right angle")),
    (_c(L, "thigh", "horizontal"), _c(L, "shin", "vertical"), _c(L, "knee", "right angle")),
    (_c(L, "upperarm", "horizontal"), _c(L, "forearm", "vertical"), _c(L, "elbow", "right angle")),
    # 7: a right-angle knee under a vertical thigh sends the foot back
    (_c(L, "knee", "right angle"), _c(L, "thigh", "vertical"), _part_vs_torso(L, "foot", "behind")),
    # 8: the neck is above the shoulders
    (_hand_above_neck(L), None, _hand_above_shoulder(L)),
    # 9-13: hands or feet held together
    (HANDS_CLOSE, _hand_above_neck(L), _hand_above_neck(R)),
    (HANDS_CLOSE, _hand_above_shoulder(L), _hand_above_shoulder(R)),
    (HANDS_CLOSE, _hand_below_hip(L), _hand_below_hip(R)),
    (FEET_CLOSE, _part_vs_torso(L, "foot", "behind"), _part_vs_torso(R, "foot", "behind")),
    (FEET_CLOSE, _part_vs_torso(L, "foot", "front"), _part_vs_torso(R, "foot", "front")),
    # 14-19: chains through the other side
    (_lr("hand", "below"), _hand_above_shoulder(L), _hand_above_shoulder(R)),
    (_lr("hand", "below"), _hand_above_neck(L), _hand_above_neck(R)),
    (_lr("hand", "above"), _hand_below_hip(L), _hand_below_hip(R)),
    (_lr("hand", "front"), _part_vs_torso(L, "hand", "behind"), _part_vs_torso(R, "hand", "behind")),
    (_lr("foot", "behind"), _part_vs_torso(L, "foot", "front"), _part_vs_torso(R, "foot", "front")),
    (_lr("foot", "front"), _part_vs_torso(L, "foot", "behind"), _part_vs_torso(R, "foot", "behind")),
    # 20-23: one hand up, the other down
    (_hand_above_shoulder(L), _hand_below_hip(R), _lr("hand", "above")),
    (_hand_above_neck(L), _hand_below_hip(R), _lr("hand", "above")),
    (_hand_above_shoulder(L), _hand_below_hip(R), _lr("hand", "wide")),
    (_hand_above_neck(L), _hand_below_hip(R), _lr("hand", "wide")),
    # 24: trunk leaning right
    (_c(None, "body", "body lean right"), None, _lr("shoulder", "above")),
    # 25: a hanging upper arm with the hand below the hip is a straight arm
    (_hand_below_hip(L), _c(L, "upperarm", "vertical"), _c(L, "elbow", "straight")),
    # 26: a foot raised above its hip
    (_c(L, "foot", "above", L, "hip"), None, _lr("foot", "above")),
    # 27: hands held together behind the back
    (HANDS_CLOSE, _part_vs_torso(L, "hand", "behind"), _part_vs_torso(R, "hand", "behind")),
]


def canonical_raw(code: Code) -> Code:
    """The form the code table produces: a relation between the two sides of one part is stated left first."""
    if code.part1 == code.part2 and code.side1 == R and code.side2 == L:
        return reverse_code(code)
    return code


def mirror_rule(rule):
    return tuple(None if c is None else canonical_raw(mirror_code(c)) for c in rule)


@lru_cache(maxsize=1)
def stat_ripple_rules() -> tuple[tuple[Code, Code | None, Code], ...]:
    """The left-side rules followed by their mirror images (duplicates, i.e. self-mirror rules, removed)."""
    rules = [tuple(r) for r in LEFT_SIDE_RULES]
    return tuple(dict.fromkeys(rules + [mirror_rule(r) for r in rules]))
