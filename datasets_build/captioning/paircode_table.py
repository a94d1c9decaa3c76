"""The PoseFix paircode tables: pair operators, elementary paircodes and super-paircodes, compiled into arrays.

Facts from naver/posescript `posefix/corrective_data.py` (main branch). A paircode value is
measure(A) - measure(B), so a negative value means "more in B": the first categories of each operator are the
changes toward larger values in pose B (the left arm angle is larger in B: "bent less"; B's hand has a larger y:
"higher"). Each operator has one "ignored" middle category (the direction switch): the sign of (category - switch)
is the direction of a change and |category - switch| its magnitude.

Elementary paircodes: pair_angle 4, pair_distance 12 (all of them support I: they only feed super-paircodes),
pair_relativePosX 8, Y 10, Z 10, pair_bodyInclineX/Y/Z 1 each, pair_relativeRotX/Y 1 each (the head).
Super-paircodes (52, all rare): straighten_{left,right}_{leg,arm} (the angle changes toward "less bent" and pose B
is slightly bent or straight; both angle directions are support II) and {slightly }farther / closer for the two
elbows, hands, knees, feet and for each of them relative to the torso (the strict distance category, and a "close"
posecode in pose A for farther, in pose B for closer).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from benchmark.posecodes import operators as ops
from benchmark.posecodes.records import PLURAL, Code, CodeColumns, parse_joint
from benchmark.posecodes.table import OPERATORS as POSE_OPERATORS
from benchmark.posecodes.table import posecode_table
from datasets_build.captioning.codes import pluralize

PAIR_OPERATORS: dict[str, ops.Operator] = {o.kind: o for o in [
    ops.Operator("pair_angle", ("bent much less", "bent less", "bent slightly less", "ignored-bent",
                                "bent slightly more", "bent more", "bent much more"), (-80, -45, -18, 18, 45, 80), 5,
                 "deg"),
    ops.Operator("pair_distance", ("farther", "slightly farther", "ignored-distance", "slightly closer", "closer"),
                 (-0.40, -0.10, 0.10, 0.40), 0.05, "m"),
    ops.Operator("pair_relativePosX", ("more to left", "slightly more to left", "ignored-x",
                                       "slightly more to right", "more to right"), (-0.40, -0.15, 0.15, 0.40), 0.05,
                 "m"),
    ops.Operator("pair_relativePosY", ("higher", "slightly higher", "ignored-y", "slightly lower", "lower"),
                 (-0.40, -0.15, 0.15, 0.40), 0.05, "m"),
    ops.Operator("pair_relativePosZ", ("more to front", "slightly more to front", "ignored-z",
                                       "slightly more to back", "more to back"), (-0.40, -0.15, 0.15, 0.40), 0.05,
                 "m"),
    ops.Operator("pair_bodyInclineX", ("body incline forward more", "body incline forward slightly more",
                                       "body_ignored_x_incline_more", "body incline backward slightly more",
                                       "body incline backward more"), (-45, -20, 20, 45), 5, "deg"),
    ops.Operator("pair_bodyInclineY", ("body twist right more", "body twist right slightly more",
                                       "body_ignored_y_twist_more", "body twist left slightly more",
                                       "body twist left more"), (-45, -20, 20, 45), 5, "deg"),
    ops.Operator("pair_bodyInclineZ", ("body lean left more", "body lean left slightly more",
                                       "body_ignored_z_lean_more", "body lean right slightly more",
                                       "body lean right more"), (-30, -15, 15, 30), 5, "deg"),
    ops.Operator("pair_relativeRotX", ("incline forward more", "ignored_x_incline_more", "incline backward more"),
                 (-30, 30), 5, "deg"),
    ops.Operator("pair_relativeRotY", ("turn left more", "turn left slightly more", "ignored_y_turn_more",
                                       "turn right slightly more", "turn right more"), (-30, -15, 15, 30), 5, "deg"),
]}
PAIR_KINDS = tuple(PAIR_OPERATORS)
PAIR_ROTATION_KINDS = ("pair_relativeRotX", "pair_relativeRotY")
PAIR_FOCUS_ONLY_KINDS = frozenset(PAIR_KINDS) - {"pair_distance"}
# The global rotation of an in-sequence pair (about the vertical; first and last categories are the same).
GLOBAL_ROTATION = ops.Operator("global_rotation", (
    "around", "around to the right", "a quarter to the right", "slightly more to the right", "ignored-rotation",
    "slightly more to the left", "a quarter to the left", "around to the left", "around"),
    (-150, -120, -60, -20, 20, 60, 120, 150), 10, "deg")

# Every non-ignored pair interpretation -> (kind, direction sign, magnitude). Names are unique across kinds.
DIRECTIONS: dict[str, tuple[str, int, int]] = {}
for _kind, _op in PAIR_OPERATORS.items():
    _switch = next(i for i, c in enumerate(_op.categories) if "ignored" in c)
    for _i, _c in enumerate(_op.categories):
        if _i != _switch:
            DIRECTIONS[_c] = (_kind, int(np.sign(_i - _switch)), abs(_i - _switch))
DISTANCE_INTERPS = frozenset(PAIR_OPERATORS["pair_distance"].described_categories)


@dataclass(frozen=True)
class ElementaryPaircode:
    kind: str
    joints: tuple[str, ...]
    focus: str | None
    support1: tuple[str, ...] = ()  # strict interpretations, support I
    support_directions2: tuple[int, ...] = ()  # direction signs, support II


@dataclass(frozen=True)
class Requirement:
    """One condition of a super-paircode way: a paircode category or direction, or a posecode of pose A or B."""

    source: str  # "pair_strict", "pair_direction" or "pose"
    kind: str
    joints: tuple[str, ...]
    interp: str
    pose: int = 1  # for "pose": 0 = pose A, 1 = pose B


@dataclass(frozen=True)
class SuperPaircode:
    name: str
    focus: str
    interp: str
    ways: tuple[tuple[Requirement, ...], ...]
    rare: bool = True


def _elementary() -> list[ElementaryPaircode]:
    out = []
    for s, (a, b, c) in [("left", ("hip", "knee", "ankle")), ("right", ("hip", "knee", "ankle")),
                         ("left", ("shoulder", "elbow", "wrist")), ("right", ("shoulder", "elbow", "wrist"))]:
        out.append(ElementaryPaircode("pair_angle", (f"{s}_{a}", f"{s}_{b}", f"{s}_{c}"), f"{s}_{b}",
                                      support_directions2=(-1, 1)))
    distance_support = tuple(PAIR_OPERATORS["pair_distance"].described_categories)
    for part in ("elbow", "hand", "knee", "foot"):
        out.append(ElementaryPaircode("pair_distance", (f"left_{part}", f"right_{part}"), None, distance_support))
    for s in ("left", "right"):
        for part in ("elbow", "hand", "knee", "foot"):
            out.append(ElementaryPaircode("pair_distance", (f"{s}_{part}", "torso"), f"{s}_{part}", distance_support))
    for axis in "XYZ":
        for part in ("shoulder", "elbow", "hand", "knee", "foot"):
            if part == "shoulder" and axis == "X":
                continue
            for s in ("left", "right"):
                out.append(ElementaryPaircode(f"pair_relativePos{axis}", (f"{s}_{part}", f"{s}_{part}"),
                                              f"{s}_{part}"))
    incline = ("left_shoulder", "right_shoulder", "pelvis", "left_ankle", "right_ankle")
    for axis in "XYZ":
        out.append(ElementaryPaircode(f"pair_bodyIncline{axis}", incline, "body"))
    out.append(ElementaryPaircode("pair_relativeRotX", ("head", "neck"), "head"))  # chin tucked in / out
    out.append(ElementaryPaircode("pair_relativeRotY", ("head", "pelvis"), "head"))  # head turned left / right
    return out


def _supers() -> list[SuperPaircode]:
    out = []
    for s in ("left", "right"):
        for limb, joints in (("leg", ("hip", "knee", "ankle")), ("arm", ("shoulder", "elbow", "wrist"))):
            js = tuple(f"{s}_{j}" for j in joints)
            ways = tuple((Requirement("pair_direction", "pair_angle", js, "bent less"),
                          Requirement("pose", "angle", js, end, 1)) for end in ("slightly bent", "straight"))
            out.append(SuperPaircode(f"straighten_{s}_{limb}", f"{s}_{limb}", "straighten", ways))
    for part in ("elbow", "hand", "knee", "foot"):
        for qtt in ("", "slightly "):
            pair = (f"left_{part}", f"right_{part}")
            for change, pose in (("farther", 0), ("closer", 1)):
                out.append(SuperPaircode(f"{qtt}{change}_{part}", f"{PLURAL}_{pluralize(part)}", qtt + change, ((
                    Requirement("pair_strict", "pair_distance", pair, qtt + change),
                    Requirement("pose", "distance", pair, "close", pose)),)))
            for s in ("left", "right"):
                js = (f"{s}_{part}", "torso")
                for change, pose in (("farther", 0), ("closer", 1)):
                    out.append(SuperPaircode(f"{qtt}{change}_{s}_{part}", f"{s}_{part}", qtt + change, ((
                        Requirement("pair_strict", "pair_distance", js, qtt + change),
                        Requirement("pose", "distance", js, "close", pose)),)))
    return out


@dataclass
class PairTable(CodeColumns):
    PAIR = True
    WHAT = "paircode"

    entries: list[ElementaryPaircode]
    kinds: np.ndarray
    kind_slices: dict[str, slice]
    joint_ids: dict[str, np.ndarray]
    noise: np.ndarray
    switch: np.ndarray  # [n] index of the ignored category of each column
    support1: np.ndarray  # [n, max_cats] strict support-I interpretations
    support_direction2: np.ndarray  # [n, 2] support-II directions (column 0: -1, column 1: +1)
    interp_names: list[tuple[str, ...]]
    subjects: list[tuple]
    supers: list[SuperPaircode]
    super_codes: list[Code]


@lru_cache(maxsize=1)
def pair_table() -> PairTable:
    entries = sorted(_elementary(), key=lambda e: PAIR_KINDS.index(e.kind))
    n = len(entries)
    max_cats = max(len(o.categories) for o in PAIR_OPERATORS.values())
    kinds, noise, switch = np.zeros(n, np.int16), np.zeros(n), np.zeros(n, np.int64)
    support1, direction2 = np.zeros((n, max_cats), bool), np.zeros((n, 2), bool)
    names, subjects = [], []
    for c, e in enumerate(entries):
        op = PAIR_OPERATORS[e.kind]
        kinds[c], noise[c] = PAIR_KINDS.index(e.kind), op.noise
        switch[c] = next(i for i, cat in enumerate(op.categories) if "ignored" in cat)
        for interp in e.support1:
            support1[c, op.categories.index(interp)] = True
        for sign in e.support_directions2:
            direction2[c, (sign + 1) // 2] = True
        names.append(op.categories)
        side1, part1 = parse_joint(e.focus if e.focus is not None else e.joints[0])
        side2, part2 = (None, None) if e.kind in PAIR_FOCUS_ONLY_KINDS else parse_joint(e.joints[1])
        subjects.append((side1, part1, side2, part2))
    kind_slices, joint_ids = {}, {}
    for k in PAIR_KINDS:
        cols = np.flatnonzero(kinds == PAIR_KINDS.index(k))
        kind_slices[k] = slice(int(cols[0]), int(cols[-1]) + 1)
        joint_ids[k] = np.array([[ops.JOINT_INDEX[j] for j in entries[c].joints] for c in cols], dtype=np.int64)
    supers = _supers()
    super_codes = [Code(*parse_joint(sp.focus), sp.interp, pair=True) for sp in supers]
    return PairTable(entries, kinds, kind_slices, joint_ids, noise, switch, support1, direction2, names, subjects,
                     supers, super_codes)


@dataclass(frozen=True)
class CompiledRequirement:
    way: int
    source: str
    column: int
    value: int  # category index (strict / pose) or direction sign
    pose: int


@lru_cache(maxsize=1)
def compiled_requirements() -> tuple[list[CompiledRequirement], np.ndarray]:
    """The requirements of all super-paircode ways, and the super-paircode of each way."""
    ptable, table = pair_table(), posecode_table()
    reqs, way_super = [], []
    for s_idx, sp in enumerate(ptable.supers):
        for way in sp.ways:
            for r in way:
                if r.source == "pose":
                    col = table.column(r.kind, r.joints)
                    value = POSE_OPERATORS[r.kind].categories.index(r.interp)
                else:
                    col = ptable.column(r.kind, r.joints)
                    value = PAIR_OPERATORS[r.kind].categories.index(r.interp)
                    if r.source == "pair_direction":
                        value = int(np.sign(value - ptable.switch[col]))
                reqs.append(CompiledRequirement(len(way_super), r.source, col, value, r.pose))
            way_super.append(s_idx)
    return reqs, np.array(way_super, np.int64)
