"""The code tables, templates and ripple rules: upstream counts, coverage and left/right mirror closure."""

from collections import Counter

import numpy as np
import pytest

from benchmark.posecodes.records import Code
from benchmark.posecodes.table import FOCUS_ONLY_KINDS, OPERATORS, mirror_category, posecode_table
from datasets_build.captioning import templates_pair, templates_pose
from datasets_build.captioning.codes import LATERAL_MIRROR, mirror_code
from datasets_build.captioning.describe import code_lookup
from datasets_build.captioning.paircode_table import GLOBAL_ROTATION, PAIR_OPERATORS, pair_table
from datasets_build.captioning.ripple_rules import LEFT_SIDE_RULES, canonical_raw, stat_ripple_rules
from tests.captioning.helpers import swap_left_right

# reference/POSESCRIPT_POSEFIX.md 2.3 and 2.10
POSECODE_COUNTS = {"angle": 4, "distance": 70, "relativePosX": 54, "relativePosY": 61, "relativePosZ": 57,
                   "relativeVAxis": 13, "onGround": 6, "bodyInclineX": 1, "bodyInclineY": 1, "bodyInclineZ": 1,
                   "relativeRotX": 1, "relativeRotY": 1, "relativeRotZ": 1}
PAIRCODE_COUNTS = {"pair_angle": 4, "pair_distance": 12, "pair_relativePosX": 8, "pair_relativePosY": 10,
                   "pair_relativePosZ": 10, "pair_bodyInclineX": 1, "pair_bodyInclineY": 1, "pair_bodyInclineZ": 1,
                   "pair_relativeRotX": 1, "pair_relativeRotY": 1}
# upstream's number of template variants per interpretation (captioning_data.py / corrective_data.py)
POSE_ONE_COUNTS = {"completely bent": 5, "bent more": 3, "right angle": 6, "bent less": 4, "slightly bent": 6,
                   "straight": 2, "close": 5, "shoulder width": 4, "spread": 6, "wide": 3, "at_right": 13,
                   "at_left": 13, "below": 8, "above": 7, "behind": 9, "front": 5, "vertical": 4, "horizontal": 5,
                   "body lean left": 20, "body lean left slightly": 16, "body lean right": 20,
                   "body lean right slightly": 16, "body incline backward": 7, "body incline backward slightly": 6,
                   "body incline forward": 7, "body incline forward slightly": 7, "body twist right": 5,
                   "body twist right slightly": 5, "body twist left": 5, "body twist left slightly": 5,
                   "kneeling": 6, "kneel_on_left": 6, "kneel_on_right": 6, "on_ground": 3}
HEAD_COUNTS = {"incline backward": 4, "incline forward": 3, "turn right": 4, "turn right slightly": 4,
               "turn left": 4, "turn left slightly": 4, "incline right": 2, "incline left": 2}
POSE_TWO_COUNTS = {"close": 9, "shoulder width": 4, "spread": 5, "wide": 2, "at_right": 2, "at_left": 2,
                   "above": 8, "below": 7, "behind": 3, "front": 3, "xy-aligned": 3, "xz-aligned": 2,
                   "yz-aligned": 4}
PAIR_ONE_COUNTS = {"bent much less": 3, "bent less": 5, "bent slightly less": 4, "bent slightly more": 5,
                   "bent more": 4, "bent much more": 3, "farther": 5, "slightly farther": 5, "slightly closer": 5,
                   "closer": 3, "more to left": 5, "slightly more to left": 3, "slightly more to right": 3,
                   "more to right": 5, "higher": 6, "slightly higher": 7, "slightly lower": 7, "lower": 6,
                   "more to front": 5, "slightly more to front": 6, "slightly more to back": 6, "more to back": 5,
                   "straighten": 5, "body lean left more": 4, "body lean left slightly more": 4,
                   "body lean right more": 4, "body lean right slightly more": 4, "body incline backward more": 4,
                   "body incline backward slightly more": 4, "body incline forward more": 6,
                   "body incline forward slightly more": 4, "body twist right more": 5,
                   "body twist right slightly more": 5, "body twist left more": 5, "body twist left slightly more": 5,
                   "incline backward more": 4, "incline forward more": 3, "turn right more": 4,
                   "turn right slightly more": 4, "turn left more": 4, "turn left slightly more": 4}
PAIR_TWO_COUNTS = {"farther": 4, "slightly farther": 6, "slightly closer": 7, "closer": 4}
ROTATION_COUNTS = {"around": 5, "around to the right": 8, "a quarter to the right": 2,
                   "slightly more to the right": 2, "slightly more to the left": 3, "a quarter to the left": 2,
                   "around to the left": 10}


def test_posecode_counts_match_upstream():
    table = posecode_table()
    assert Counter(e.kind for e in table.entries) == POSECODE_COUNTS
    assert len(table.supers) == 150
    assert sum(sp.name.endswith(("hand_Rhip", "hand_Lhip")) or "aligned" in sp.name for sp in table.supers) == 144
    assert sum(sp.rare for sp in table.supers) == 5  # all hand-made ones but feet_shoulder_width


def test_paircode_counts_match_upstream():
    table = pair_table()
    assert Counter(e.kind for e in table.entries) == PAIRCODE_COUNTS
    assert len(table.supers) == 52 and all(sp.rare for sp in table.supers)


def test_aligned_codes_merge_into_existing_entries():
    table = posecode_table()
    # the left hand - left hip y code existed (below); the aligned super-posecodes add y-aligned as support I
    e = table.entries[table.column("relativePosY", ("left_hand", "left_hip"))]
    assert e.acceptable == ["below", "y-aligned"] and e.support1 == ["y-aligned"]
    # hand - opposite knee "close" was rare: as a support it becomes support II; the new categories are support I
    e = table.entries[table.column("distance", ("left_hand", "right_knee"))]
    assert e.support2 == ["close"] and sorted(e.support1) == ["shoulder width", "spread"]


def test_tables_are_mirror_closed():
    table = posecode_table()
    for c, e in enumerate(table.entries):
        m = table.mirror_column[c]
        assert table.mirror_column[m] == c
        n = len(table.interp_names[c])
        for mask in ("acceptable", "rare", "support1", "support2", "absolute"):
            arr = getattr(table, mask)
            mapped = [arr[m, mirror_category(table, c, k)] for k in range(n)]
            assert list(arr[c, :n]) == mapped, (e, mask)
        for k in range(n):  # the code a mirrored body reads is the mirror of this code
            if table.acceptable[c, k]:
                want = canonical_raw(mirror_code(table.code(c, k)))
                got = canonical_raw(table.code(m, mirror_category(table, c, k)))
                assert want == got
    sm = table.super_mirror
    assert (sm[sm] == np.arange(len(sm))).all()
    for s, sp in enumerate(table.supers):
        assert canonical_raw(mirror_code(table.super_codes[s])) == canonical_raw(table.super_codes[sm[s]])


def test_every_describable_interpretation_has_templates():
    table = posecode_table()
    for c, e in enumerate(table.entries):
        described = table.acceptable[c] & ~table.support1[c]
        for k in np.flatnonzero(described[:len(table.interp_names[c])]):
            interp = table.interp_names[c][k]
            if e.kind.startswith("relativeRot"):
                assert interp in templates_pose.HEAD
            else:
                assert interp in templates_pose.ONE_COMPONENT, (e.kind, interp)
            if e.kind not in FOCUS_ONLY_KINDS:
                assert interp in templates_pose.TWO_COMPONENTS, (e.kind, interp)
    for code in table.super_codes:
        assert code.interp in (templates_pose.TWO_COMPONENTS if code.part2 else templates_pose.ONE_COMPONENT)
    for kind, op in PAIR_OPERATORS.items():
        for interp in op.described_categories:
            assert interp in templates_pair.ONE_COMPONENT, interp
    for interp in PAIR_OPERATORS["pair_distance"].described_categories:
        assert interp in templates_pair.TWO_COMPONENTS
    assert {c for c in GLOBAL_ROTATION.categories if "ignored" not in c} == set(templates_pair.ROTATION)


@pytest.mark.parametrize("templates, counts", [
    (templates_pose.ONE_COMPONENT, POSE_ONE_COUNTS), (templates_pose.HEAD, HEAD_COUNTS),
    (templates_pose.TWO_COMPONENTS, POSE_TWO_COUNTS), (templates_pair.ONE_COMPONENT, PAIR_ONE_COUNTS),
    (templates_pair.TWO_COMPONENTS, PAIR_TWO_COUNTS), (templates_pair.ROTATION, ROTATION_COUNTS)])
def test_template_variants_per_interpretation_match_upstream(templates, counts):
    assert {k: len(v) for k, v in templates.items()} == counts
    for variants in templates.values():
        assert len(set(variants)) == len(variants)  # no duplicates


def test_lateral_templates_are_word_for_word_mirrors():
    for templates in (templates_pose.ONE_COMPONENT, templates_pose.HEAD, templates_pose.TWO_COMPONENTS):
        for interp, variants in templates.items():
            if interp in LATERAL_MIRROR:
                assert [swap_left_right(t) for t in variants] == templates[LATERAL_MIRROR[interp]]
            else:
                assert all(swap_left_right(t) == t for t in variants), interp


def test_stat_ripple_rules_use_codes_the_table_produces():
    by_column, supers = code_lookup()
    producible = {c for col in by_column for c in col} | set(supers)
    assert len(LEFT_SIDE_RULES) == 27
    rules = stat_ripple_rules()
    assert len(rules) == 54
    for a, b, c in rules:
        for code in (a, b, c):
            assert code is None or code in producible, code
    for a, b, c in rules:
        assert c not in (a, b) and a != b
    assert len(set(rules)) == len(rules)


def test_mirror_code_swaps_sides_and_lateral_words():
    code = Code("left", "hand", "at_right", "right", "hand")
    assert mirror_code(code) == Code("right", "hand", "at_left", "left", "hand")
    assert canonical_raw(mirror_code(code)) == code  # crossed hands are their own mirror
    assert canonical_raw(mirror_code(Code("left", "hand", "above", "right", "hand"))) == Code(
        "left", "hand", "below", "right", "hand")
    assert mirror_code(Code(None, "body", "body lean left")) == Code(None, "body", "body lean right")
    assert OPERATORS["bodyInclineZ"].categories[0] == "body lean right"
