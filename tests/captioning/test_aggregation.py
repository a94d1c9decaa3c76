"""Every aggregation step on hand-made code lists, and the kinematic ordering."""

from collections import Counter

import numpy as np

from benchmark.posecodes.records import PLURAL, Code
from benchmark.posecodes.table import ONE_OR_TWO_COMPONENTS
from datasets_build.captioning.aggregation import (entity_aggregation, interpretation_focus_aggregation,
                                                   side_reversal, stat_ripple, symmetry_aggregation,
                                                   transitive_ripple)
from datasets_build.captioning.codes import MultiPredicate, MultiSubject, Predicate
from datasets_build.captioning.instruct import merge_pair_interp, pair_merge_key
from datasets_build.captioning.ordering import KINEMATIC_GRAPH, order_codes, random_part_order
from datasets_build.captioning.ripple_rules import stat_ripple_rules

L, R = "left", "right"


def rng(seed=0):
    return np.random.default_rng(seed)


def test_transitive_ripple_drops_the_outer_relation():
    # R hand < neck < L hand (vertically): "the left hand is above the right hand" is implied
    codes = [Code(L, "hand", "above", None, "neck"), Code(R, "hand", "below", None, "neck"),
             Code(L, "hand", "above", R, "hand"), Code(L, "knee", "straight")]
    assert transitive_ripple(codes) == [codes[0], codes[1], codes[3]]
    # written the other way round (a reversed code of the chain), same result
    codes2 = [Code(None, "neck", "below", L, "hand"), codes[1], Code(R, "hand", "below", L, "hand")]
    assert transitive_ripple(codes2) == codes2[:2]


def test_transitive_ripple_keeps_unrelated_axes_and_cycles():
    mixed = [Code(L, "hand", "above", None, "neck"), Code(R, "hand", "below", None, "neck"),
             Code(L, "hand", "front", R, "hand")]  # z, not y: not a chain
    assert transitive_ripple(mixed) == mixed
    cycle = [Code(L, "hand", "above", None, "neck"), Code(None, "neck", "above", R, "hand"),
             Code(R, "hand", "above", L, "hand")]  # a < b < c < a: noise can do this; nothing is implied
    assert transitive_ripple(cycle) == cycle


def test_entity_aggregation_merges_parts_into_the_limb():
    codes = [Code(L, "hand", "behind", None, "torso"), Code(L, "elbow", "behind", None, "torso"),
             Code(R, "elbow", "behind", None, "torso")]
    out = entity_aggregation(codes, rng(), prob=1.0)
    assert out == [Code(L, "arm", "behind", None, "torso"), Code(R, "elbow", "behind", None, "torso")]
    assert entity_aggregation(codes, rng(), prob=0.0) == codes
    # both parts merge: left hand below right hand + left elbow below right elbow -> left arm below right arm
    both = [Code(L, "hand", "below", R, "hand"), Code(L, "elbow", "below", R, "elbow")]
    assert entity_aggregation(both, rng(), prob=1.0) == [Code(L, "arm", "below", R, "arm")]
    # the same interpretation on parts of different limbs does not merge
    apart = [Code(R, "knee", "straight"), Code(R, "elbow", "straight")]
    assert entity_aggregation(apart, rng(), prob=1.0) == apart


def test_pair_entity_aggregation_keeps_the_larger_change_in_the_same_direction():
    codes = [Code(L, "hand", "slightly higher", pair=True), Code(L, "elbow", "higher", pair=True)]
    kw = dict(prob=1.0, merge_interp=merge_pair_interp, merge_key=pair_merge_key)
    assert entity_aggregation(codes, rng(), **kw) == [Code(L, "arm", "higher", pair=True)]
    assert entity_aggregation(codes[::-1], rng(), **kw) == [Code(L, "arm", "higher", pair=True)]
    opposite = [Code(L, "hand", "higher", pair=True), Code(L, "elbow", "lower", pair=True)]
    assert entity_aggregation(opposite, rng(), **kw) == opposite
    other_kind = [Code(L, "hand", "higher", pair=True), Code(L, "elbow", "more to front", pair=True)]
    assert entity_aggregation(other_kind, rng(), **kw) == other_kind


def test_symmetry_aggregation_needs_both_sides():
    codes = [Code(L, "knee", "straight"), Code(R, "knee", "straight"), Code(L, "elbow", "straight")]
    assert symmetry_aggregation(codes, rng(), prob=1.0) == [Code(PLURAL, "knees", "straight"),
                                                            Code(L, "elbow", "straight")]
    crossed = [Code(L, "hand", "close", R, "knee"), Code(R, "hand", "close", L, "knee")]
    assert symmetry_aggregation(crossed, rng(), prob=1.0) == [Code(PLURAL, "hands", "close", PLURAL, "knees")]
    same_side = [Code(L, "hand", "close", L, "knee"), Code(L, "hand", "close", R, "knee")]
    assert symmetry_aggregation(same_side, rng(), prob=1.0) == same_side
    assert symmetry_aggregation(codes, rng(), prob=0.0) == codes


def test_stat_ripple_removes_the_implied_code_only():
    rules = stat_ripple_rules()
    raw = [Code(L, "thigh", "vertical"), Code(L, "shin", "vertical"), Code(L, "knee", "straight"),
           Code(R, "knee", "straight")]
    assert stat_ripple(raw, raw, rules) == [raw[0], raw[1], raw[3]]
    # the conditions are read in the raw list: an aggregated condition still counts
    current = [Code(L, "leg", "vertical"), Code(L, "knee", "straight")]
    assert stat_ripple(raw, current, rules) == [current[0]]
    # nothing to remove when C is gone (here merged into a plural code)
    assert stat_ripple(raw, [Code(PLURAL, "knees", "straight")], rules) == [Code(PLURAL, "knees", "straight")]


def test_stat_ripple_never_drops_both_sides_of_a_fact():
    raw = [Code(L, "foot", "close", R, "foot"), Code(L, "foot", "behind", None, "torso"),
           Code(R, "foot", "behind", None, "torso")]
    out = stat_ripple(raw, raw, stat_ripple_rules())
    assert out == [raw[0], raw[1]]  # the right foot follows from the left one; the left one stays


def test_stat_ripple_chains_through_a_dropped_condition():
    # thigh vertical + shin horizontal => drop the right-angle knee; knee right angle + thigh vertical => drop the
    # foot behind the torso: both implied by the two segment orientations
    raw = [Code(L, "thigh", "vertical"), Code(L, "shin", "horizontal"), Code(L, "knee", "right angle"),
           Code(L, "foot", "behind", None, "torso")]
    assert stat_ripple(raw, raw, stat_ripple_rules()) == raw[:2]


def test_side_reversal_states_the_relation_from_either_side():
    code = Code(L, "hand", "above", R, "hand")
    seen = {tuple(side_reversal([code], rng(s), invert=True, one_or_two_components=ONE_OR_TWO_COMPONENTS))
            for s in range(40)}
    assert seen == {(code,), (Code(R, "hand", "below", L, "hand"),)}
    pair = Code(L, "hand", "higher", R, "hand", pair=True)
    seen = {side_reversal([pair], rng(s), invert=False, one_or_two_components=frozenset())[0] for s in range(40)}
    assert seen == {pair, Code(R, "hand", "higher", L, "hand", pair=True)}  # paircodes keep the interpretation
    close = Code(L, "hand", "close", R, "hand")
    seen = {side_reversal([close], rng(s), invert=True, one_or_two_components=ONE_OR_TWO_COMPONENTS)[0]
            for s in range(60)}
    assert Code(PLURAL, "hands", "close") in seen and close in seen and Code(R, "hand", "close", L, "hand") in seen


def test_interpretation_and_focus_aggregation():
    codes = [Code(L, "knee", "straight"), Code(R, "elbow", "straight"), Code(L, "hand", "above", None, "neck"),
             Code(L, "hand", "behind", None, "torso")]
    out = interpretation_focus_aggregation(codes, rng(), prob=1.0)
    assert MultiPredicate(L, "hand", (Predicate("above", None, "neck"), Predicate("behind", None, "torso"))) in out \
        or MultiPredicate(L, "hand", (Predicate("behind", None, "torso"), Predicate("above", None, "neck"))) in out
    subjects = [c for c in out if isinstance(c, MultiSubject)]
    assert len(subjects) == 1 and set(subjects[0].subjects) == {(L, "knee"), (R, "elbow")}
    assert len(out) == 2


def test_failed_aggregation_draws_put_the_codes_back():
    codes = [Code(L, "knee", "straight"), Code(R, "elbow", "straight"), Code(L, "hand", "above", None, "neck"),
             Code(L, "hand", "behind", None, "torso")]
    out = interpretation_focus_aggregation(codes, rng(), prob=0.0)
    assert Counter(out) == Counter(codes)  # upstream lost these codes before its fix for issue #5
    kept = interpretation_focus_aggregation(codes, rng(), aggregable=lambda c: c.part1 != "hand")
    assert codes[2] in kept and codes[3] in kept


def test_random_part_order_is_a_depth_first_walk():
    for seed in range(5):
        order = random_part_order(rng(seed))
        assert order[0] == "body" and sorted(order) == sorted(KINEMATIC_GRAPH)
        pos = {p: k for k, p in enumerate(order)}
        for parent, children in KINEMATIC_GRAPH.items():
            for child in children:  # a part comes after at least one of its parents
                parents = [p for p, cs in KINEMATIC_GRAPH.items() if child in cs]
                assert any(pos[p] < pos[child] for p in parents)
        # depth first: once the walk enters a limb, it finishes that limb before the next one
        arm = [pos[p] for p in ("left_arm", "left_upperarm", "left_forearm", "left_elbow", "left_hand", "left_wrist")]
        assert max(arm) - min(arm) <= 8
    assert random_part_order(rng(1)) != random_part_order(rng(2))


def test_order_codes_groups_codes_by_part_and_puts_the_body_first():
    codes = [Code(L, "hand", "above", None, "neck"), Code(None, "body", "body lean left"), Code(L, "knee", "straight"),
             Code(L, "hand", "behind", None, "torso"), Code(PLURAL, "feet", "close")]
    for seed in range(10):
        out = order_codes(codes, rng(seed))
        assert Counter(out) == Counter(codes) and out[0] == Code(None, "body", "body lean left")
        hands = [k for k, c in enumerate(out) if c.part1 == "hand"]
        assert hands[1] - hands[0] == 1
