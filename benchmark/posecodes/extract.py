"""Posecodes of a batch of poses as arrays: measurement, binning, super-posecodes and eligibility, all vectorised.

`posecode_arrays(joints)` gives, per operator kind, the category of every elementary posecode of every pose
(int8 [B, n_codes_of_kind]) and the super-posecodes that fire (bool [B, 150]); the code table travels with them.
`count_differing_posecodes(a, b)` is the "number of differing posecodes" of PoseFix pair mining (upstream counts the
elementary codes whose interpretation differs plus the super-posecodes produced in only one pose).

Eligibility (naver/posescript `posescript/captioning.py`): 0 = not described, 1 = described unless randomly skipped,
2 = rare (never skipped). A support-I interpretation is never described and a support-II one is not described when a
super-posecode that requires it fired. Upstream zeroes a support-I interpretation only when some super-posecode
requires it, so its elbow/knee "shoulder width" and part-torso "close" codes (support I by the table's definition;
the latter "exist only to feed PoseFix super-paircodes") still reach its descriptions; here the definition is applied:
support-I interpretations are never described.

Mirror equivariance: `canonical_values` decides from the noise-free categories whether the pipeline processes the
pose or its left/right mirror image (the lexicographically smaller category vector), so that, with the same seed,
a mirrored pose gets exactly the mirrored description (the text step mirrors the codes back).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmark.errors import InputError
from benchmark.posecodes import operators as ops
from benchmark.posecodes.inputs import captioning_rotations, prepare_joints
from benchmark.posecodes.table import (KINDS, OPERATORS, RELATIVE_POS_KINDS, ROTATION_KINDS, CompiledTable,
                                       posecode_table)


def measure(joints35: np.ndarray, rotations: np.ndarray | None, table: CompiledTable) -> np.ndarray:
    """Raw values [B, n_columns] (float64) of every elementary posecode; relativeRot columns are 0 without rotations."""
    values = np.zeros((joints35.shape[0], table.n_columns))
    for kind in KINDS:
        cols, ids = table.kind_slices[kind], table.joint_ids[kind]
        if kind == "angle":
            values[:, cols] = ops.angle(joints35, ids)
        elif kind == "distance":
            values[:, cols] = ops.distance(joints35, ids)
        elif kind in RELATIVE_POS_KINDS:
            values[:, cols] = ops.relative_position(joints35, ids, RELATIVE_POS_KINDS.index(kind))
        elif kind == "relativeVAxis":
            values[:, cols] = ops.vertical_axis_angle(joints35, ids)
        elif kind == "onGround":
            values[:, cols] = ops.height_above_ground(joints35, ids)
    incline = ops.body_incline(joints35)
    for axis, kind in enumerate(("bodyInclineX", "bodyInclineY", "bodyInclineZ")):
        values[:, table.kind_slices[kind]] = incline[:, axis:axis + 1]
    if rotations is not None:
        for axis, kind in enumerate(ROTATION_KINDS):
            values[:, table.kind_slices[kind]] = ops.relative_rotation(rotations, table.joint_ids[kind])[..., axis]
    return values


def categorize(values: np.ndarray, table: CompiledTable) -> np.ndarray:
    """Category index (int8) [B, n_columns] of every value, binned by its operator."""
    cats = np.empty(values.shape, np.int8)
    for kind in KINDS:
        cols = table.kind_slices[kind]
        cats[:, cols] = OPERATORS[kind].bin(values[:, cols])
    return cats


def mirrored_values(values: np.ndarray, table: CompiledTable) -> np.ndarray:
    """The values the left/right mirrored bodies would measure."""
    return values[:, table.mirror_column] * table.mirror_sign


def canonical_values(values: np.ndarray, table: CompiledTable) -> tuple[np.ndarray, np.ndarray]:
    """(values of the canonical side [B, n], flipped [B] bool): flipped rows are the values of the mirrored body."""
    mirrored = mirrored_values(values, table)
    a, b = categorize(values, table), categorize(mirrored, table)
    differ = a != b
    first = differ.argmax(axis=1)
    rows = np.arange(len(values))
    flipped = differ.any(axis=1) & (b[rows, first] < a[rows, first])
    return np.where(flipped[:, None], mirrored, values), flipped


def super_posecodes(cats: np.ndarray, table: CompiledTable) -> np.ndarray:
    """[B, n_super] bool: a super-posecode fires when every requirement of at least one of its ways holds."""
    match = cats[:, table.req_column] == table.req_category
    way_starts = np.flatnonzero(np.r_[True, table.req_way[1:] != table.req_way[:-1]])
    ways = np.logical_and.reduceat(match, way_starts, axis=1)
    super_starts = np.flatnonzero(np.r_[True, table.way_super[1:] != table.way_super[:-1]])
    return np.logical_or.reduceat(ways, super_starts, axis=1)


def _column_lookup(mask: np.ndarray, cats: np.ndarray) -> np.ndarray:
    return mask[np.arange(mask.shape[0])[None, :], cats]


def description_eligibility(cats: np.ndarray, supers: np.ndarray, table: CompiledTable,
                            has_rotations: bool) -> np.ndarray:
    """[B, n_columns + n_super] int8 eligibility of every posecode for a PoseScript description."""
    acceptable = _column_lookup(table.acceptable, cats) & ~_column_lookup(table.support1, cats)
    elig = acceptable.astype(np.int8) + (acceptable & _column_lookup(table.rare, cats))
    # support II: not described when a super-posecode that requires the interpretation fired
    match = cats[:, table.req_column] == table.req_category
    req_super = table.way_super[table.req_way]
    killed = match & table.support2[table.req_column, table.req_category] & supers[:, req_super]
    rows, reqs = np.nonzero(killed)
    elig[rows, table.req_column[reqs]] = 0
    if not has_rotations:
        elig[:, _rotation_columns(table)] = 0
    sp = supers.astype(np.int8) * np.where(table.super_rare, 2, 1).astype(np.int8)
    return np.concatenate([elig, sp], axis=1)


def absolute_eligibility(cats: np.ndarray, supers: np.ndarray, table: CompiledTable,
                         has_rotations: bool) -> np.ndarray:
    """[B, n_columns + n_super] int8 eligibility of every posecode as a pose-B statement of a PoseFix instruction.

    Only "absolute" interpretations (and absolute super-posecodes) count; rare ones get 2 (upstream `infer_codes`).
    """
    absolute = _column_lookup(table.absolute, cats)
    elig = absolute.astype(np.int8) + (absolute & _column_lookup(table.rare, cats))
    if not has_rotations:
        elig[:, _rotation_columns(table)] = 0
    sp = (supers & table.super_absolute).astype(np.int8) * np.where(table.super_rare, 2, 1).astype(np.int8)
    return np.concatenate([elig, sp], axis=1)


def _rotation_columns(table: CompiledTable) -> np.ndarray:
    return np.concatenate([np.arange(table.kind_slices[k].start, table.kind_slices[k].stop) for k in ROTATION_KINDS])


@dataclass
class PosecodeArrays:
    """Posecodes of B poses: per kind, the category index [B, n_codes] (into `OPERATORS[kind].categories`) of each
    elementary code of `table.kind_slices[kind]`, and the fired super-posecodes [B, n_super] (`table.supers`)."""

    categories: dict[str, np.ndarray]
    super_posecodes: np.ndarray
    table: CompiledTable
    has_rotations: bool

    def __len__(self) -> int:
        return self.super_posecodes.shape[0]

    def interpretations(self, row: int) -> list[tuple[str, tuple[str, ...], str]]:
        """(kind, joints, interpretation) of every elementary code of pose `row`, for inspection."""
        out = []
        for kind, cats in self.categories.items():
            s = self.table.kind_slices[kind]
            for k, c in enumerate(range(s.start, s.stop)):
                out.append((kind, self.table.entries[c].joints, OPERATORS[kind].categories[cats[row, k]]))
        return out


def compute_categories(joints, rotations=None, noise: bool = False, rng: np.random.Generator | None = None,
                       canonical: bool = False, table: CompiledTable | None = None):
    """(cats [B, n], supers [B, n_super], flipped [B], has_rotations) of joints [B, 22|52, 3] (captioning frame)."""
    table = table or posecode_table()
    j35 = prepare_joints(joints)
    rot = None if rotations is None else captioning_rotations(rotations, j35.shape[0])
    values = measure(j35, rot, table)
    flipped = np.zeros(len(values), bool)
    if canonical:
        values, flipped = canonical_values(values, table)
    if noise:
        if rng is None:
            raise InputError("noise=True needs a numpy Generator", field="rng")
        values = ops.add_noise(values, table.noise, rng)
    cats = categorize(values, table)
    return cats, super_posecodes(cats, table), flipped, rot is not None


def posecode_arrays(joints, rotations=None, noise: bool = False, seed: int | None = 0) -> PosecodeArrays:
    """Posecodes of joints [B, 22|52, 3] (y-up captioning frame; see `inputs`) as arrays.

    `rotations` (axis-angle poses [B, 22|52, 3]) adds the relativeRot (head) codes. `noise=True` adds upstream's
    threshold noise, drawn from `np.random.default_rng(seed)`; the default gives the exact categories.
    """
    table = posecode_table()
    rng = np.random.default_rng(seed) if noise else None
    cats, supers, _, has_rot = compute_categories(joints, rotations, noise, rng, table=table)
    kinds = [k for k in KINDS if has_rot or k not in ROTATION_KINDS]
    return PosecodeArrays({k: cats[:, table.kind_slices[k]] for k in kinds}, supers, table, has_rot)


def count_differing_posecodes(a: PosecodeArrays, b: PosecodeArrays) -> np.ndarray:
    """[B] number of posecodes (elementary interpretations + fired super-posecodes) that differ between a and b."""
    if len(a) != len(b):
        raise InputError(f"{len(a)} poses in a but {len(b)} in b", field="b", hint="compare two batches row by row")
    kinds = [k for k in a.categories if k in b.categories]
    diff = sum((a.categories[k] != b.categories[k]).sum(axis=1) for k in kinds)
    return (diff + (a.super_posecodes != b.super_posecodes).sum(axis=1)).astype(np.int64)
