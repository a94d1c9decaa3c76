"""The PoseScript posecode tables: operators, elementary posecodes, super-posecodes, compiled into arrays.

Facts from naver/posescript `posescript/captioning_data.py` (main branch). Each elementary
posecode is a joint set measured by one operator, a focus body part (the subject of its sentence), and five sets of
interpretations (operator categories):
  acceptable  - may be described;
  rare        - never randomly skipped (eligibility 2);
  support I   - only feeds super-posecodes; never described (eligibility 0 once super-posecodes are inferred);
  support II  - described unless a super-posecode that requires it was produced;
  absolute    - usable as a pose-B statement in PoseFix instructions.
Counts (checked by the tests): angle 4, distance 70, relativePosX 54, relativePosY 61, relativePosZ 57,
relativeVAxis 13, onGround 6, bodyIncline X/Y/Z 1 each, relativeRot X/Y/Z 1 each; 150 super-posecodes (6 hand-made
and the 144 auto-generated {xy,xz,yz}-aligned ones). Most distance/relativePos entries are the support-I elementary
codes of the aligned super-posecodes, merged into existing entries when the joint set already exists (a rare
interpretation that becomes a support is support II, as upstream).

Two fixes make the table exactly left/right mirror-symmetric (the tests check it): upstream gives the right
hip-knee relativePosY code the focus 'left_hip' (a typo; the code is support I and never described), here
'right_hip'; and upstream marks only "above" of the left-vs-right knee relativePosY code as support II (used by
kneel_on_right), not its mirror "below" (used by kneel_on_left), so "the left knee is below the right knee" stayed
next to "kneeling on the left knee"; here both are support II.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from benchmark.body.joints import mirror_name
from benchmark.posecodes import operators as ops
from benchmark.posecodes.records import PLURAL, Code, CodeColumns, parse_joint

OPERATORS: dict[str, ops.Operator] = {o.kind: o for o in [
    ops.Operator("angle", ("completely bent", "bent more", "right angle", "bent less", "slightly bent", "straight"),
                 (45, 75, 105, 135, 160), 5, "deg"),
    ops.Operator("distance", ("close", "shoulder width", "spread", "wide"), (0.20, 0.40, 0.80), 0.05, "m"),
    ops.Operator("relativePosX", ("at_right", "ignored_relpos0a", "x-aligned", "ignored_relpos0b", "at_left"),
                 (-0.15, -0.05, 0.05, 0.15), 0.05, "m"),
    ops.Operator("relativePosY", ("below", "ignored_relpos1a", "y-aligned", "ignored_relpos1b", "above"),
                 (-0.15, -0.05, 0.05, 0.15), 0.05, "m"),
    ops.Operator("relativePosZ", ("behind", "ignored_relpos2a", "z-aligned", "ignored_relpos2b", "front"),
                 (-0.15, -0.05, 0.05, 0.15), 0.05, "m"),
    ops.Operator("relativeVAxis", ("vertical", "ignored_relVaxis", "horizontal"), (10, 80), 5, "deg"),
    ops.Operator("onGround", ("on_ground", "ignored_onGround"), (0.10,), 0.05, "m"),
    ops.Operator("bodyInclineX", ("body incline backward", "body incline backward slightly", "body_ignored_x_incline",
                                  "body incline forward slightly", "body incline forward"), (-50, -20, 20, 50), 5,
                 "deg"),
    ops.Operator("bodyInclineY", ("body twist left", "body twist left slightly", "body_ignored_y_twist",
                                  "body twist right slightly", "body twist right"), (-50, -20, 20, 50), 5, "deg"),
    ops.Operator("bodyInclineZ", ("body lean right", "body lean right slightly", "body_ignored_z_lean",
                                  "body lean left slightly", "body lean left"), (-30, -15, 15, 30), 5, "deg"),
    ops.Operator("relativeRotX", ("incline backward", "ignored_x_incline", "incline forward"), (-45, 30), 5, "deg"),
    ops.Operator("relativeRotY", ("turn right", "turn right slightly", "ignored_y_turn", "turn left slightly",
                                  "turn left"), (-30, -15, 15, 30), 5, "deg"),
    ops.Operator("relativeRotZ", ("incline left", "ignored_z_incline", "incline right"), (-30, 30), 5, "deg"),
]}
KINDS = tuple(OPERATORS)
RELATIVE_POS_KINDS = ("relativePosX", "relativePosY", "relativePosZ")
ROTATION_KINDS = ("relativeRotX", "relativeRotY", "relativeRotZ")
# Kinds whose subject is the focus part alone (no second part in the sentence).
FOCUS_ONLY_KINDS = frozenset({"angle", "relativeVAxis", "onGround", "bodyInclineX", "bodyInclineY", "bodyInclineZ",
                              *ROTATION_KINDS})
# Interpretations that read as well with one plural subject as with two parts ("the hands are close").
ONE_OR_TWO_COMPONENTS = frozenset(OPERATORS["distance"].categories)
# Head rotations are worded with dedicated head templates.
HEAD_ROTATION_INTERPS = frozenset(c for k in ROTATION_KINDS for c in OPERATORS[k].described_categories)
ALL = "ALL"


@dataclass
class ElementaryPosecode:
    kind: str
    joints: tuple[str, ...]
    focus: str | None
    acceptable: list[str]
    rare: list[str] = field(default_factory=list)
    support1: list[str] = field(default_factory=list)
    support2: list[str] = field(default_factory=list)
    absolute: list[str] = field(default_factory=list)

    def __post_init__(self):
        if self.acceptable == [ALL]:
            self.acceptable = list(OPERATORS[self.kind].described_categories)


def _e(kind, joints, focus, acceptable, rare=(), support=(), absolute=()):
    """Entry helper: `support` lists (interpretation, type) with type 1 or 2."""
    joints = (joints,) if isinstance(joints, str) else tuple(joints)
    return ElementaryPosecode(kind, joints, focus, list(acceptable), list(rare),
                              [i for i, t in support if t == 1], [i for i, t in support if t == 2], list(absolute))


def _sided(template: str, side: str) -> str:
    return template.replace("S", side)


def _elementary_entries() -> list[ElementaryPosecode]:
    entries: list[ElementaryPosecode] = []
    add = entries.append
    for s in ("left", "right"):  # bent joints
        add(_e("angle", (f"{s}_hip", f"{s}_knee", f"{s}_ankle"), f"{s}_knee", [ALL], ["completely bent"],
               [("completely bent", 2)], ["completely bent", "right angle", "straight"]))
    for s in ("left", "right"):
        add(_e("angle", (f"{s}_shoulder", f"{s}_elbow", f"{s}_wrist"), f"{s}_elbow", [ALL], ["completely bent"],
               [], ["completely bent", "right angle", "straight"]))

    # How far apart are the two sides?
    add(_e("distance", ("left_elbow", "right_elbow"), None, ["close", "shoulder width", "wide"], ["close"],
           [("shoulder width", 1)], ["close"]))
    add(_e("distance", ("left_hand", "right_hand"), None, ["close", "shoulder width", "spread", "wide"], [],
           [("shoulder width", 1)], ["close"]))
    add(_e("distance", ("left_knee", "right_knee"), None, ["close", "shoulder width", "wide"], ["wide"],
           [("shoulder width", 1)], ["close"]))
    add(_e("distance", ("left_foot", "right_foot"), None, ["close", "shoulder width", "wide"], ["close"],
           [("shoulder width", 1)], ["close"]))
    # What is each hand close to? (the same-side elbow cannot be reached)
    for hand in ("left", "right"):
        other = "right" if hand == "left" else "left"
        targets = [f"{hand}_shoulder", f"{other}_shoulder", f"{other}_elbow", f"{hand}_knee", f"{other}_knee",
                   f"{hand}_ankle", f"{other}_ankle", f"{hand}_foot", f"{other}_foot"]
        for t in targets:
            add(_e("distance", (f"{hand}_hand", t), f"{hand}_hand", ["close"], ["close"], [], ["close"]))
    # Close to the torso: support I, only feeds PoseFix super-paircodes.
    for s in ("left", "right"):
        for part in ("elbow", "hand", "knee", "foot"):
            add(_e("distance", (f"{s}_{part}", "torso"), f"{s}_{part}", ["close"], [], [("close", 1)]))

    # Relative positions of the two sides.
    for part, axes in (("shoulder", "YZ"), ("elbow", "YZ"), ("hand", "XYZ"), ("knee", "YZ"), ("foot", "XYZ")):
        pair = (f"left_{part}", f"right_{part}")
        if "X" in axes:
            add(_e("relativePosX", pair, None, ["at_right"], ["at_right"]))  # crossed arms / legs
        add(_e("relativePosY", pair, None, ["below", "above"], [],
               [("below", 2), ("above", 2)] if part == "knee" else []))
        add(_e("relativePosZ", pair, None, ["behind", "front"]))
    for s in ("left", "right"):  # hip above knee: support for kneeling
        add(_e("relativePosY", (f"{s}_hip", f"{s}_knee"), f"{s}_hip", ["above"], [], [("above", 1)]))
    for s, outward in (("left", "at_right"), ("right", "at_left")):  # extremities out of line / crossing
        add(_e("relativePosX", (f"{s}_hand", f"{s}_shoulder"), f"{s}_hand", [outward]))
        add(_e("relativePosY", (f"{s}_hand", f"{s}_shoulder"), f"{s}_hand", ["above"]))
        add(_e("relativePosX", (f"{s}_foot", f"{s}_hip"), f"{s}_foot", [outward], [outward]))
        add(_e("relativePosY", (f"{s}_foot", f"{s}_hip"), f"{s}_foot", ["above"], ["above"]))
    for s in ("left", "right"):  # extremities higher / lower than usual
        add(_e("relativePosY", (f"{s}_wrist", "neck"), f"{s}_hand", ["above"]))
        add(_e("relativePosY", (f"{s}_hand", f"{s}_hip"), f"{s}_hand", ["below"]))
    for s in ("left", "right"):  # extremities in front / behind
        add(_e("relativePosZ", (f"{s}_hand", "torso"), f"{s}_hand", ["behind"]))
        add(_e("relativePosZ", (f"{s}_foot", "torso"), f"{s}_foot", ["behind", "front"]))

    for s in ("left", "right"):  # segments horizontal / vertical
        add(_e("relativeVAxis", (f"{s}_hip", f"{s}_knee"), f"{s}_thigh", ["horizontal", "vertical"], ["horizontal"],
               [], ["horizontal"]))
    for s in ("left", "right"):
        add(_e("relativeVAxis", (f"{s}_knee", f"{s}_ankle"), f"{s}_shin", ["horizontal", "vertical"], ["horizontal"],
               [], ["horizontal"]))
    for s in ("left", "right"):
        add(_e("relativeVAxis", (f"{s}_shoulder", f"{s}_elbow"), f"{s}_upperarm", ["horizontal", "vertical"],
               ["vertical"], [], ["horizontal", "vertical"]))
    for s in ("left", "right"):
        add(_e("relativeVAxis", (f"{s}_elbow", f"{s}_wrist"), f"{s}_forearm", ["horizontal", "vertical"],
               ["vertical"], [], ["horizontal", "vertical"]))
    for s in ("left", "right"):  # support for a horizontal torso
        add(_e("relativeVAxis", ("pelvis", f"{s}_shoulder"), f"{s}_backdiag", ["horizontal"], [],
               [("horizontal", 1)]))
    add(_e("relativeVAxis", ("pelvis", "neck"), "torso", ["vertical"]))
    add(_e("relativeVAxis", ("left_hand", "right_hand"), f"{PLURAL}_hands", ["horizontal"], [], [("horizontal", 1)]))
    add(_e("relativeVAxis", ("left_foot", "right_foot"), f"{PLURAL}_feet", ["horizontal"], [], [("horizontal", 1)]))

    for s in ("left", "right"):
        add(_e("onGround", f"{s}_knee", f"{s}_knee", ["on_ground"], [], [("on_ground", 1)]))
    for s in ("left", "right"):
        add(_e("onGround", f"{s}_foot", f"{s}_foot", ["on_ground"], [], [("on_ground", 1)]))
    for s in ("right", "left"):
        add(_e("onGround", f"{s}_hand", f"{s}_hand", ["on_ground"], [], [], ["on_ground"]))

    incline_joints = ("left_shoulder", "right_shoulder", "pelvis", "left_ankle", "right_ankle")
    for k in ("bodyInclineX", "bodyInclineY", "bodyInclineZ"):
        add(_e(k, incline_joints, "body", [ALL]))
    add(_e("relativeRotY", ("head", "pelvis"), "head", [ALL]))  # head turned left / right
    add(_e("relativeRotX", ("head", "neck"), "head", [ALL]))  # chin tucked in / out
    add(_e("relativeRotZ", ("head", "neck"), "head", [ALL]))  # head tilted left / right
    return entries


@dataclass(frozen=True)
class SuperPosecode:
    """A code inferred from elementary ones: it fires if all requirements of at least one way hold."""

    name: str
    focus: str | tuple[str, str]
    interp: str
    rare: bool
    absolute: bool
    ways: tuple[tuple[tuple[str, tuple[str, ...], str], ...], ...]  # ways -> (kind, joints, interpretation)


ALIGNED_INTERPS = ("xy-aligned", "xz-aligned", "yz-aligned")
UPPER_LIMB = ("shoulder", "upperarm", "elbow", "forearm")
LOWER_LIMB = ("hip", "thigh", "knee", "shin")


def _super_posecodes(entries: list[ElementaryPosecode]) -> list[SuperPosecode]:
    sp = [
        SuperPosecode("torso_horizontal", "torso", "horizontal", True, True, (
            (("relativeVAxis", ("pelvis", "left_shoulder"), "horizontal"),
             ("relativeVAxis", ("pelvis", "right_shoulder"), "horizontal")),)),
        SuperPosecode("kneel_on_left", "body", "kneel_on_left", True, False, (
            (("relativePosY", ("left_knee", "right_knee"), "below"), ("onGround", ("left_knee",), "on_ground"),
             ("onGround", ("right_foot",), "on_ground")),)),
        SuperPosecode("kneel_on_right", "body", "kneel_on_right", True, False, (
            (("relativePosY", ("left_knee", "right_knee"), "above"), ("onGround", ("right_knee",), "on_ground"),
             ("onGround", ("left_foot",), "on_ground")),)),
        SuperPosecode("kneeling", "body", "kneeling", True, False, (
            (("relativePosY", ("left_hip", "left_knee"), "above"),
             ("relativePosY", ("right_hip", "right_knee"), "above"),
             ("onGround", ("left_knee",), "on_ground"), ("onGround", ("right_knee",), "on_ground")),
            (("angle", ("left_hip", "left_knee", "left_ankle"), "completely bent"),
             ("angle", ("right_hip", "right_knee", "right_ankle"), "completely bent"),
             ("onGround", ("left_knee",), "on_ground"), ("onGround", ("right_knee",), "on_ground")))),
        SuperPosecode("hands_shoulder_width", f"{PLURAL}_hands", "shoulder width", True, True, (
            (("distance", ("left_hand", "right_hand"), "shoulder width"),
             ("relativeVAxis", ("left_hand", "right_hand"), "horizontal")),)),
        SuperPosecode("feet_shoulder_width", f"{PLURAL}_feet", "shoulder width", False, True, (
            (("distance", ("left_foot", "right_foot"), "shoulder width"),
             ("relativeVAxis", ("left_foot", "right_foot"), "horizontal")),)),
    ]
    # The aligned codes: a hand or foot lined up with a limb part on two axes, and not far from it.
    for side1 in ("left", "right"):
        for part1 in ("hand", "foot"):
            for side2 in ("left", "right"):
                for part2 in UPPER_LIMB + LOWER_LIMB:
                    own_limb = UPPER_LIMB if part1 == "hand" else LOWER_LIMB
                    if side1 == side2 and part2 in own_limb:
                        continue
                    joints = (f"{side1}_{part1}", f"{side2}_{part2}")
                    for interp in ALIGNED_INTERPS:
                        axes = interp.split("-")[0]
                        ways = tuple(
                            tuple(("relativePos" + a.upper(), joints, f"{a}-aligned") for a in axes)
                            + (("distance", joints, d),)
                            for d in ("close", "shoulder width", "spread"))
                        sp.append(SuperPosecode(f"{interp}_{side1[0].upper()}{part1}_{side2[0].upper()}{part2}",
                                                joints, interp, False, True, ways))
                        for a in axes:
                            _add_support1(entries, "relativePos" + a.upper(), joints, f"{a}-aligned")
                    for d in ("close", "shoulder width", "spread"):
                        _add_support1(entries, "distance", joints, d)
    return sp


def _add_support1(entries: list[ElementaryPosecode], kind: str, joints: tuple[str, ...], interp: str):
    """Register `interp` of (kind, joints) as a support-I interpretation, creating or merging the entry.

    Merging rule (upstream): a rare interpretation that becomes a support becomes a support II; an interpretation
    that already has a support type keeps it.
    """
    for e in entries:
        if e.kind == kind and e.joints == joints:
            if interp not in e.acceptable:
                e.acceptable.append(interp)
            if interp not in e.support1 and interp not in e.support2:
                (e.support2 if interp in e.rare else e.support1).append(interp)
            return
    entries.append(ElementaryPosecode(kind, joints, joints[0], [interp], [], [interp]))


def _order_entries(entries: list[ElementaryPosecode]) -> list[ElementaryPosecode]:
    return sorted(entries, key=lambda e: KINDS.index(e.kind))  # stable: keeps the table order within a kind


@dataclass
class CompiledTable(CodeColumns):
    """Elementary posecodes of all kinds as columns of one array, plus the super-posecodes.

    Category-indexed masks are [n_columns, max_categories] bool; `interp_names[c][k]` is the name of category k of
    column c. `mirror_column[c]` is the column measuring the mirrored joint set and `mirror_sign[c]` the sign its value
    takes on the mirrored body (-1 when the relation flips, e.g. left hand above right hand).
    """

    entries: list[ElementaryPosecode]
    kinds: np.ndarray  # [n] index into KINDS
    kind_slices: dict[str, slice]
    joint_ids: dict[str, np.ndarray]
    noise: np.ndarray
    acceptable: np.ndarray
    rare: np.ndarray
    support1: np.ndarray
    support2: np.ndarray
    absolute: np.ndarray
    interp_names: list[tuple[str, ...]]
    subjects: list[tuple[str | None, str | None, str | None, str | None]]
    mirror_column: np.ndarray
    mirror_sign: np.ndarray
    supers: list[SuperPosecode]
    super_codes: list[Code]
    super_rare: np.ndarray
    super_absolute: np.ndarray
    req_column: np.ndarray  # [n_req] column of each requirement
    req_category: np.ndarray  # [n_req]
    req_way: np.ndarray  # [n_req] way index (requirements sorted by way)
    way_super: np.ndarray  # [n_ways] super-posecode of each way
    super_mirror: np.ndarray


def compile_table(entries: list[ElementaryPosecode], supers: list[SuperPosecode]) -> CompiledTable:
    entries = _order_entries(entries)
    n = len(entries)
    max_cats = max(len(o.categories) for o in OPERATORS.values())
    masks = {k: np.zeros((n, max_cats), bool) for k in ("acceptable", "rare", "support1", "support2", "absolute")}
    kinds, noise, names, subjects = np.zeros(n, np.int16), np.zeros(n), [], []
    for c, e in enumerate(entries):
        op = OPERATORS[e.kind]
        kinds[c], noise[c] = KINDS.index(e.kind), op.noise
        names.append(op.categories)
        for key in masks:
            for interp in getattr(e, key):
                masks[key][c, op.categories.index(interp)] = True
        side1, part1 = parse_joint(e.focus if e.focus is not None else e.joints[0])
        side2, part2 = (None, None) if e.kind in FOCUS_ONLY_KINDS else parse_joint(e.joints[1])
        subjects.append((side1, part1, side2, part2))
    if (masks["rare"] & ~masks["acceptable"]).any() or (masks["rare"] & masks["support1"]).any():
        raise ValueError("posecode table: a rare interpretation must be acceptable and cannot be a support I")
    kind_slices, joint_ids = {}, {}
    for k in KINDS:
        cols = np.flatnonzero(kinds == KINDS.index(k))
        kind_slices[k] = slice(int(cols[0]), int(cols[-1]) + 1)
        joint_ids[k] = np.array([[ops.JOINT_INDEX[j] for j in entries[c].joints] for c in cols], dtype=np.int64)

    lookup = {(e.kind, e.joints): c for c, e in enumerate(entries)}
    mirror_column, mirror_sign = np.zeros(n, np.int64), np.ones(n)
    for c, e in enumerate(entries):
        mirrored = tuple(mirror_name(j) for j in e.joints)
        if e.kind.startswith(("bodyIncline", "relativeRot")):
            mirror_column[c] = c  # a central joint set: the value itself changes sign about y and z
            flips = e.kind[-1] in "YZ"
        elif (e.kind, mirrored) in lookup:
            mirror_column[c] = lookup[(e.kind, mirrored)]
            flips = e.kind in ("relativePosX",)
        else:  # a left/right pair: the mirror swaps its two joints
            mirror_column[c] = lookup[(e.kind, mirrored[::-1])]
            flips = e.kind in ("relativePosY", "relativePosZ")  # x: the swap and the x flip cancel
        mirror_sign[c] = -1.0 if flips else 1.0

    req_column, req_category, req_way, way_super = [], [], [], []
    for s_idx, sp in enumerate(supers):
        for way in sp.ways:
            for kind, joints, interp in way:
                req_column.append(lookup[(kind, joints)])
                req_category.append(OPERATORS[kind].categories.index(interp))
                req_way.append(len(way_super))
            way_super.append(s_idx)
    super_codes = []
    for sp in supers:
        if isinstance(sp.focus, str):
            side1, part1 = parse_joint(sp.focus)
            super_codes.append(Code(side1, part1, sp.interp))
        else:
            (side1, part1), (side2, part2) = parse_joint(sp.focus[0]), parse_joint(sp.focus[1])
            super_codes.append(Code(side1, part1, sp.interp, side2, part2))
    table = CompiledTable(
        entries, kinds, kind_slices, joint_ids, noise, masks["acceptable"], masks["rare"], masks["support1"],
        masks["support2"], masks["absolute"], names, subjects, mirror_column, mirror_sign, supers, super_codes,
        np.array([sp.rare for sp in supers]), np.array([sp.absolute for sp in supers]),
        np.array(req_column, np.int64), np.array(req_category, np.int64), np.array(req_way, np.int64),
        np.array(way_super, np.int64), np.zeros(len(supers), np.int64))
    table.super_mirror = _super_mirror(table)
    return table


def mirror_category(table: CompiledTable, column: int, category: int) -> int:
    """The category of the mirrored column that the mirrored body takes when this column reads `category`."""
    if table.mirror_sign[column] > 0:
        return category
    return len(table.interp_names[column]) - 1 - category  # thresholds are symmetric about 0


def _super_mirror(table: CompiledTable) -> np.ndarray:
    signatures = []
    for s_idx in range(len(table.supers)):
        ways = []
        for w in np.flatnonzero(table.way_super == s_idx):
            reqs = np.flatnonzero(table.req_way == w)
            ways.append(frozenset(zip(table.req_column[reqs].tolist(), table.req_category[reqs].tolist())))
        signatures.append(frozenset(ways))
    index = {sig: i for i, sig in enumerate(signatures)}
    out = np.zeros(len(signatures), np.int64)
    for i, sig in enumerate(signatures):
        mirrored = frozenset(frozenset((int(table.mirror_column[c]), mirror_category(table, c, k)) for c, k in way)
                             for way in sig)
        out[i] = index[mirrored]
    return out


@lru_cache(maxsize=1)
def posecode_table() -> CompiledTable:
    entries = _elementary_entries()
    supers = _super_posecodes(entries)
    return compile_table(entries, supers)
