"""PoseFix's automatic instructions (pose A -> pose B): paircodes, pose-B posecodes, aggregation, imperative text.

`describe_pose_pairs(joints_a, joints_b, version, seed)` follows naver/posescript `posefix/correcting.py`:
1. paircodes: value = measure(A) - measure(B) on per-pose heading-normalised joints (angle, distance, relative
   position of the same joint, body inclination, head rotation when rotations are given), noise, binning;
2. super-paircodes (straighten, farther / closer) from paircodes and posecodes of A or B, then their supports;
3. pose-B posecodes restricted to "absolute" interpretations, with the changed-part filter: a pose-B posecode is
   kept only if it is about a part a paircode changed, or a part kinematically downstream of it on the same limb
   chain (the shoulder changed -> statements about the elbow or the hand of that arm may stay);
4. random skip (pfB, pfC): paircodes p = 0.15, pose-B posecodes p = 0.33;
5. aggregation: entity (same direction, the larger magnitude kept), symmetry, side reversal without inverting the
   interpretation, interpretation / focus aggregation excluding the distance paircodes;
6. imperative text (`text_pair`), with the global-rotation sentence of in-sequence pairs prepended.

Deviations, each the documented intent of an upstream slip:
* pose-B posecodes are skipped with p = 0.33, the value upstream's PoseFix table declares; upstream actually reads
  PoseScript's 0.15 because it imports the skip function from the PoseScript module;
* the support rules of super-paircodes act on the pose B of the same pair (upstream works on pose ids, so a pose
  shared by two pairs could lose a statement because of the other pair);
* joints are taken relative to the pelvis, which upstream gets implicitly from a body model without translation.
"""

from __future__ import annotations

import numpy as np

from benchmark.body import rotations as rot
from benchmark.errors import InputError
from benchmark.posecodes import operators as ops
from benchmark.posecodes.extract import absolute_eligibility, categorize, measure, super_posecodes
from benchmark.posecodes.inputs import captioning_rotations, joints_from_poses, prepare_joints
from benchmark.posecodes.records import PLURAL, Code
from benchmark.posecodes.table import ONE_OR_TWO_COMPONENTS, posecode_table
from datasets_build.captioning.aggregation import (entity_aggregation, interpretation_focus_aggregation,
                                                   side_reversal, symmetry_aggregation)
from datasets_build.captioning.codes import AnyCode, singularize
from datasets_build.captioning.describe import code_lookup, version_rng
from datasets_build.captioning.paircode_table import (DIRECTIONS, DISTANCE_INTERPS, GLOBAL_ROTATION,
                                                      PAIR_OPERATORS, PAIR_ROTATION_KINDS, PairTable,
                                                      compiled_requirements, pair_table)
from datasets_build.captioning.selection import PROP_SKIP_POSE_B_POSECODES, PROP_SKIP_POSECODES, select
from datasets_build.captioning.text_pair import render_instruction, rotation_sentence
from datasets_build.captioning.versions import instruction_version

PELVIS = ops.JOINT_INDEX["pelvis"]


def pair_values(ja: np.ndarray, jb: np.ndarray, rot_a, rot_b, table: PairTable) -> np.ndarray:
    """[B, n] measure(A) - measure(B) of every elementary paircode (0 for the head codes without rotations)."""
    values = np.zeros((ja.shape[0], table.n_columns))
    for kind, cols in table.kind_slices.items():
        ids = table.joint_ids[kind]
        if kind == "pair_angle":
            values[:, cols] = ops.angle(ja, ids) - ops.angle(jb, ids)
        elif kind == "pair_distance":
            values[:, cols] = ops.distance(ja, ids) - ops.distance(jb, ids)
        elif kind.startswith("pair_relativePos"):
            axis = "XYZ".index(kind[-1])
            values[:, cols] = ja[:, ids[:, 0], axis] - jb[:, ids[:, 1], axis]
    incline = ops.body_incline(ja) - ops.body_incline(jb)
    # a lying or upside-down pose has no forward inclination: the change is meaningless for that pair
    incline[:, 0] = np.where(ops.upright_enough(ja) & ops.upright_enough(jb), incline[:, 0], 0.0)
    for axis, kind in enumerate(("pair_bodyInclineX", "pair_bodyInclineY", "pair_bodyInclineZ")):
        values[:, table.kind_slices[kind]] = incline[:, axis:axis + 1]
    if rot_a is not None and rot_b is not None:
        for kind in PAIR_ROTATION_KINDS:
            axis = "XYZ".index(kind[-1])
            ids = table.joint_ids[kind]
            values[:, table.kind_slices[kind]] = (ops.relative_rotation(rot_a, ids)[..., axis]
                                                  - ops.relative_rotation(rot_b, ids)[..., axis])
    return values


def categorize_pairs(values: np.ndarray, table: PairTable) -> np.ndarray:
    cats = np.empty(values.shape, np.int8)
    for kind, cols in table.kind_slices.items():
        cats[:, cols] = PAIR_OPERATORS[kind].bin(values[:, cols])
    return cats


def pair_eligibility(pair_cats: np.ndarray, cats_a: np.ndarray, cats_b: np.ndarray, pose_b_elig: np.ndarray,
                     table: PairTable, has_rotations: bool) -> tuple[np.ndarray, np.ndarray]:
    """(eligibility [B, n_pair + n_super] of the paircodes, pose-B posecode eligibility with the supports applied)."""
    n = table.n_columns
    direction = np.sign(pair_cats.astype(np.int64) - table.switch)
    elig = (direction != 0).astype(np.int8)  # every non-ignored category is acceptable; none is rare
    if not has_rotations:
        for kind in PAIR_ROTATION_KINDS:
            elig[:, table.kind_slices[kind]] = 0
    reqs, way_super = compiled_requirements()
    holds = []
    for r in reqs:
        if r.source == "pair_strict":
            holds.append(pair_cats[:, r.column] == r.value)
        elif r.source == "pair_direction":
            holds.append(direction[:, r.column] == r.value)
        else:
            holds.append((cats_a if r.pose == 0 else cats_b)[:, r.column] == r.value)
    ways = np.ones((len(pair_cats), len(way_super)), bool)
    for r, h in zip(reqs, holds):
        ways[:, r.way] &= h
    supers = np.zeros((len(pair_cats), len(table.supers)), bool)
    for w, s in enumerate(way_super):
        supers[:, s] |= ways[:, w]
    pose_b_elig = pose_b_elig.copy()
    ptable = posecode_table()
    for r, h in zip(reqs, holds):
        produced = supers[:, way_super[r.way]]
        if r.source == "pair_strict" and table.support1[r.column, r.value]:
            elig[h, r.column] = 0
        elif r.source == "pair_direction" and table.support_direction2[r.column, (r.value + 1) // 2]:
            elig[h & produced, r.column] = 0
        elif r.source == "pose" and r.pose == 1 and ptable.absolute[r.column, r.value]:
            pose_b_elig[h & produced, r.column] = 0
    super_elig = supers.astype(np.int8) * np.array([2 if sp.rare else 1 for sp in table.supers], np.int8)
    return np.concatenate([elig[:, :n], super_elig], axis=1), pose_b_elig


# Kinematic chains of the changed-part filter: a part later in a chain depends on the parts before it.
_UPPER = ("body", "torso", "{s}_arm", "{s}_shoulder", "{s}_upperarm", "{s}_elbow", "{s}_forearm", "{s}_wrist",
          "{s}_hand", "{s}_index")
_LOWER = ("body", "torso", "{s}_leg", "{s}_hip", "{s}_thigh", "{s}_knee", "{s}_lowerleg", "{s}_shin", "{s}_ankle",
          "{s}_foot", "{s}_toes")
CHAINS = {f"{limb}-{s}": [p.format(s=s) for p in chain] for limb, chain in (("upper", _UPPER), ("lower", _LOWER))
          for s in ("left", "right")}
_RANK = {}
for _name, _chain in CHAINS.items():
    for _i, _part in enumerate(_chain):
        _RANK.setdefault(_part, {})[_name] = _i


def _named_parts(side, part) -> list[str]:
    if part is None:
        return []
    if side == PLURAL:
        return [f"left_{singularize(part)}", f"right_{singularize(part)}"]
    return [part] if side is None else [f"{side}_{part}"]


def changed_parts(paircodes: list[Code]) -> set[str]:
    out = set()
    for c in paircodes:
        out.update(_named_parts(c.side1, c.part1))
        out.update(_named_parts(c.side2, c.part2))
    return out


def depends_on(part: str, changed: str) -> bool:
    """True if `part` is `changed` or kinematically downstream of it on a common chain."""
    if part == changed:
        return True
    ranks, cranks = _RANK.get(part, {}), _RANK.get(changed, {})
    common = sorted(set(ranks) & set(cranks))
    return bool(common) and ranks[common[0]] > cranks[common[0]]


def filter_changed_parts(paircodes: list[Code], posecodes_b: list[Code]) -> list[Code]:
    changed = changed_parts(paircodes)
    return [pc for pc in posecodes_b
            if any(depends_on(p, c) for p in _named_parts(pc.side1, pc.part1) + _named_parts(pc.side2, pc.part2)
                   for c in changed)]


def merge_pair_interp(a: Code, b: Code) -> str | None:
    """Entity aggregation of PoseFix: equal interpretations, or paircodes of one kind going the same direction (the
    larger magnitude is kept)."""
    if a.interp == b.interp:
        return a.interp
    if a.pair and a.interp in DIRECTIONS and b.interp in DIRECTIONS:
        (ka, da, ma), (kb, db, mb) = DIRECTIONS[a.interp], DIRECTIONS[b.interp]
        if ka == kb and da == db:
            return a.interp if ma > mb else b.interp
    return None


def pair_merge_key(code: Code):
    """Codes that `merge_pair_interp` may merge share this key: (kind, direction) of a paircode, else the name."""
    return DIRECTIONS[code.interp][:2] if code.pair and code.interp in DIRECTIONS else code.interp


def aggregate_instruction_codes(codes: list[Code], simplified: bool, rng: np.random.Generator) -> list[AnyCode]:
    out: list[AnyCode] = list(codes)
    if not simplified:
        out = entity_aggregation(out, rng, merge_interp=merge_pair_interp, merge_key=pair_merge_key)
        out = symmetry_aggregation(out, rng)
    out = side_reversal(out, rng, invert=False, one_or_two_components=DISTANCE_INTERPS | ONE_OR_TWO_COMPONENTS)
    if not simplified:
        out = interpretation_focus_aggregation(out, rng, aggregable=lambda c: not (c.pair and
                                                                                   c.interp in DISTANCE_INTERPS))
    return out


def rotation_change_degrees(roots_a, roots_b) -> np.ndarray:
    """[B] angle (deg) of R_B R_A^-1 about the vertical; roots are AMASS-frame axis-angle [B, 3] (z up), both after
    pose A's heading normalisation. Positive: pose B is turned to the left of pose A."""
    ra = rot.axis_angle_to_matrix(np.asarray(roots_a, dtype=np.float64))
    rb = rot.axis_angle_to_matrix(np.asarray(roots_b, dtype=np.float64))
    return np.degrees(rot.matrix_to_axis_angle(rb @ np.swapaxes(ra, -1, -2)))[:, 2]


def _roots(roots, n: int, field: str) -> np.ndarray:
    arr = np.asarray(roots, dtype=np.float64)
    if arr.shape != (n, 3) or not np.isfinite(arr).all():
        raise InputError(f"shape {list(arr.shape)} is not [{n}, 3] finite axis-angle roots", field=field,
                         hint="the root orientation (pose joint 0) of every pair, after pose A's normalisation")
    return arr


def describe_pose_pairs(joints_a, joints_b, version: str = "pfA", seed: int = 0, in_sequence=None, roots_a=None,
                        roots_b=None, noise: bool = True, rotations_a=None, rotations_b=None) -> list[str]:
    """One automatic instruction per pair, telling how to go from pose A to pose B.

    joints_a, joints_b: [B, 22|52, 3] joint positions (m), y-up captioning frame, each pose heading-normalised.
    version: pfA (no flags), pfB (random skip) or pfC (random skip, simplified).
    in_sequence: optional [B] bool; for True rows the change of global rotation, from `roots_a`/`roots_b`
        (AMASS-frame root axis-angle [B, 3], both after pose A's normalisation), opens the instruction.
    rotations_a, rotations_b: optional axis-angle poses [B, 22|52, 3] for the head-rotation paircodes.
    """
    v = instruction_version(version)
    rng = version_rng(seed, v.name)
    ja, jb = prepare_joints(joints_a, "joints_a"), prepare_joints(joints_b, "joints_b")
    if ja.shape[0] != jb.shape[0]:
        raise InputError(f"{ja.shape[0]} poses A but {jb.shape[0]} poses B", field="joints_b",
                         hint="one pose B per pose A")
    n = ja.shape[0]
    ja, jb = ja - ja[:, PELVIS:PELVIS + 1], jb - jb[:, PELVIS:PELVIS + 1]
    if (rotations_a is None) != (rotations_b is None):
        raise InputError("rotations given for one pose of the pairs only", field="rotations_b",
                         hint="pass both rotations_a and rotations_b, or neither")
    rot_a = None if rotations_a is None else captioning_rotations(rotations_a, n, "rotations_a")
    rot_b = None if rotations_b is None else captioning_rotations(rotations_b, n, "rotations_b")
    has_rot = rot_a is not None
    rotation_rows = np.zeros(n, bool)
    if in_sequence is not None:
        rotation_rows = np.asarray(in_sequence, dtype=bool).reshape(-1)
        if rotation_rows.shape != (n,):
            raise InputError(f"{rotation_rows.size} flags for {n} pairs", field="in_sequence")
        if rotation_rows.any() and (roots_a is None or roots_b is None):
            raise InputError("in-sequence pairs need roots_a and roots_b", field="roots_a",
                             hint="the root orientations of both poses, after pose A's normalisation")
    table, ptable = posecode_table(), pair_table()

    values_a, values_b = measure(ja, rot_a, table), measure(jb, rot_b, table)
    pvalues = pair_values(ja, jb, rot_a, rot_b, ptable)
    if noise:
        values_a = ops.add_noise(values_a, table.noise, rng)
        values_b = ops.add_noise(values_b, table.noise, rng)
        pvalues = ops.add_noise(pvalues, ptable.noise, rng)
    cats_a, cats_b, pcats = categorize(values_a, table), categorize(values_b, table), categorize_pairs(pvalues, ptable)
    pose_b_elig = absolute_eligibility(cats_b, super_posecodes(cats_b, table), table, has_rot)
    pair_elig, pose_b_elig = pair_eligibility(pcats, cats_a, cats_b, pose_b_elig, ptable, has_rot)
    keep_pairs = select(pair_elig, rng, v.random_skip, PROP_SKIP_POSECODES)
    keep_b = select(pose_b_elig, rng, v.random_skip, PROP_SKIP_POSE_B_POSECODES)

    rotation_cats = np.full(n, 4)
    if rotation_rows.any():
        change = rotation_change_degrees(_roots(roots_a, n, "roots_a"), _roots(roots_b, n, "roots_b"))
        if noise:
            change = ops.add_noise(change, GLOBAL_ROTATION.noise, rng)
        rotation_cats = np.where(rotation_rows, GLOBAL_ROTATION.bin(change), 4)

    pose_codes, pose_supers = code_lookup()
    n_pose = table.n_columns
    texts = []
    for row in range(n):
        paircodes = [ptable.code(c, pcats[row, c]) if c < ptable.n_columns else ptable.super_codes[c - ptable.n_columns]
                     for c in np.flatnonzero(keep_pairs[row])]
        posecodes_b = [pose_codes[c][cats_b[row, c]] if c < n_pose else pose_supers[c - n_pose]
                       for c in np.flatnonzero(keep_b[row])]
        codes = paircodes + filter_changed_parts(paircodes, posecodes_b)
        text = render_instruction(aggregate_instruction_codes(codes, v.simplified, rng), rng, v.simplified)
        category = GLOBAL_ROTATION.categories[rotation_cats[row]]
        if "ignored" not in category:
            text = rotation_sentence(category, rng) + text
        texts.append(text.strip())
    return texts


def describe_pose_pairs_from_axis_angle(poses_a, poses_b, body_model=None, version: str = "pfA", seed: int = 0,
                                        noise: bool = True, in_sequence=None, use_rotations: bool = False
                                        ) -> list[str]:
    """`describe_pose_pairs` on axis-angle poses [B, 22|52, 3] in the AMASS frame (as stored in AMASS files).

    `use_rotations` adds the head-rotation paircodes (pair_relativeRot, post-ICCV). Off by default: the released
    PoseFix instructions come from the ICCV pipeline, which has only angle, distance and relative-position codes.

    Each pose is heading-normalised for its joints (as PoseFix's captioning coordinates); for in-sequence pairs,
    pose A's normalisation is also applied to pose B's root to measure the change of global rotation.
    """
    from benchmark.body import frames

    joints_a, norm_a = joints_from_poses(poses_a, body_model, field="poses_a")
    joints_b, norm_b = joints_from_poses(poses_b, body_model, field="poses_b")
    roots_a = roots_b = None
    if in_sequence is not None and np.asarray(in_sequence, dtype=bool).any():
        raw_a = np.asarray(poses_a, dtype=np.float64).reshape(len(joints_a), -1, 3)
        raw_b = np.asarray(poses_b, dtype=np.float64).reshape(len(joints_b), -1, 3)
        roots_a, correction = frames.normalize_heading(raw_a[:, 0], return_correction=True)
        roots_b = frames.rotate_root(raw_b[:, :1], correction)[:, 0]
    return describe_pose_pairs(joints_a, joints_b, version, seed, in_sequence, roots_a, roots_b, noise,
                               norm_a if use_rotations else None, norm_b if use_rotations else None)
