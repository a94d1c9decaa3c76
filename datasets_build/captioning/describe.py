"""PoseScript's automatic descriptions: joints -> posecodes -> selection -> aggregation -> text.

`describe_poses(joints, version, seed)` runs the whole pipeline (PoseScript `posescript/captioning.py`) on a batch:
measurement, noise, binning, super-posecodes, eligibility and random skip are numpy operations on the whole batch;
aggregation and sentence assembly are per pose (text). Every random draw comes from one numpy Generator per call,
seeded by (seed, version name), so the same inputs and seed give the same texts (upstream cannot be seeded, issue
#25) and the versions of one dataset built with one seed draw independently. `noise=False` uses the exact
categories. The texts of a call depend on the whole batch (the draws are shared), not only on each pose.
"""

from __future__ import annotations

import zlib
from functools import lru_cache

import numpy as np

from benchmark.errors import InputError
from benchmark.posecodes.extract import compute_categories, description_eligibility
from benchmark.posecodes.inputs import joints_from_poses
from benchmark.posecodes.records import Code
from benchmark.posecodes.table import ONE_OR_TWO_COMPONENTS, CompiledTable, posecode_table
from datasets_build.captioning.actions import action_sentence, usable_labels
from datasets_build.captioning.aggregation import (entity_aggregation, interpretation_focus_aggregation,
                                                   side_reversal, stat_ripple, symmetry_aggregation,
                                                   transitive_ripple)
from datasets_build.captioning.codes import AnyCode
from datasets_build.captioning.ripple_rules import stat_ripple_rules
from datasets_build.captioning.selection import PROP_SKIP_POSECODES, select
from datasets_build.captioning.text_pose import render_description
from datasets_build.captioning.versions import DescriptionVersion, description_version


def version_rng(seed: int, version_name: str) -> np.random.Generator:
    """The Generator of one call: the version name is mixed into the seed, so that the versions of one dataset built
    with one seed draw independently (N6 and N7 would otherwise share most of their choices)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed {seed!r} is not a non-negative integer", field="seed")
    return np.random.default_rng([int(seed), zlib.crc32(version_name.encode())])


@lru_cache(maxsize=1)
def code_lookup() -> tuple[list[list[Code]], list[Code]]:
    """The Code of every (column, category) of the posecode table, and of every super-posecode."""
    table = posecode_table()
    return ([[table.code(c, k) for k in range(len(table.interp_names[c]))] for c in range(table.n_columns)],
            list(table.super_codes))


def codes_of_row(cats_row: np.ndarray, keep_row: np.ndarray, table: CompiledTable) -> list[Code]:
    by_column, supers = code_lookup()
    n = table.n_columns
    return [by_column[c][cats_row[c]] if c < n else supers[c - n] for c in np.flatnonzero(keep_row)]


def aggregate_description_codes(codes: list[Code], version: DescriptionVersion, rng: np.random.Generator
                                ) -> list[AnyCode]:
    raw = list(codes)
    out: list[AnyCode] = list(codes)
    if version.transitive_ripple:
        out = transitive_ripple(out)
    if not version.simplified:
        out = entity_aggregation(out, rng)
        out = symmetry_aggregation(out, rng)
    if version.stat_ripple:
        out = stat_ripple(raw, out, stat_ripple_rules())
    out = side_reversal(out, rng, invert=True, one_or_two_components=ONE_OR_TWO_COMPONENTS)
    if not version.simplified:
        out = interpretation_focus_aggregation(out, rng)
    return out


def _check_actions(actions, n: int):
    if actions is None:
        return None
    if len(actions) != n:
        raise InputError(f"{len(actions)} action lists for {n} poses", field="actions",
                         hint="one list of action labels (or None) per pose")
    for row, labels in enumerate(actions):
        if labels is not None and (isinstance(labels, str) or not all(isinstance(a, str) for a in labels)):
            raise InputError("expected a list of action-label strings or None", row=row, field="actions",
                             hint='e.g. ["walk", "wave"]')
    return actions


def describe_poses(joints, version: str = "N7", seed: int = 0, noise: bool = True, rotations=None,
                   actions=None) -> list[str]:
    """One automatic description per pose.

    joints: [B, 22|52, 3] joint positions (m) in the y-up captioning frame, each pose heading-normalised
        (`benchmark.posecodes.inputs`; `describe_poses_from_axis_angle` builds them from axis-angle poses).
    version: a PoseScript version name (`versions.DESCRIPTION_VERSIONS`: N2, N6, N7, A-F).
    rotations: optional axis-angle poses [B, 22|52, 3] for the head-rotation codes.
    actions: optional per-pose action labels, used by the versions with action sentences (N6, A, B, C).
    """
    v = description_version(version)
    rng = version_rng(seed, v.name)
    table = posecode_table()
    cats, supers, flipped, has_rot = compute_categories(joints, rotations, noise, rng, canonical=True, table=table)
    actions = _check_actions(actions, len(cats))
    keep = select(description_eligibility(cats, supers, table, has_rot), rng, v.random_skip, PROP_SKIP_POSECODES)
    texts = []
    for row in range(len(cats)):
        codes = aggregate_description_codes(codes_of_row(cats[row], keep[row], table), v, rng)
        text, det = render_description(codes, rng, v.simplified, mirror=bool(flipped[row]))
        if v.actions and actions is not None:
            text = action_sentence(usable_labels(actions[row], v.dancing), det, rng) + text
        texts.append(text.strip())
    return texts


def describe_poses_from_axis_angle(poses, body_model=None, version: str = "N7", seed: int = 0, noise: bool = True,
                                   actions=None, use_rotations: bool = False) -> list[str]:
    """`describe_poses` on axis-angle poses [B, 22|52, 3] (AMASS frame): heading normalisation, FK, frame change.

    `use_rotations` adds the head-rotation codes (relativeRot, a post-ECCV addition). Off by default: upstream's
    captioning script runs on joint positions only, so the released PoseScript texts never contain them."""
    joints, normalised = joints_from_poses(poses, body_model)
    return describe_poses(joints, version, seed, noise, normalised if use_rotations else None, actions)
