"""Code aggregation steps shared by the description (PoseScript) and instruction (PoseFix) pipelines.

Order and semantics (naver/posescript `posescript/captioning.py`, `posefix/correcting.py`), each step a function on
one pose's code list:
0. `transitive_ripple`: among three order relations on the same axis linking exactly three parts (a < b, b < c,
   a < c), drop the outer one (a < c).
1. `entity_aggregation`: two codes with the same sides and interpretation whose parts form a larger part on the same
   side merge ("left hand" + "left elbow" -> "left arm"); paircodes merge when they go the same direction and keep
   the larger magnitude.
2. `symmetry_aggregation`: the same statement on the left and on the right becomes one plural statement.
3. `stat_ripple`: "A [+ B] => C" rules drop a code C implied by codes A and B of the raw list (`ripple_rules`).
4. `side_reversal`: a code relating the two sides of one part is stated from either side (p = 0.5), and a distance
   between the two sides may become a one-part plural ("the hands are close", p = 0.5).
5. `interpretation_focus_aggregation`: codes sharing (interpretation, part 2) get several subjects; codes sharing
   their subject get several predicates.
Every random decision draws from the caller's numpy Generator. Steps 1, 2 and 5 happen with probability 0.95 each.

Deviations from upstream, each the documented intent of an upstream bug:
* a failed draw in step 5 puts its codes back in the pool (upstream lost them before its fix for issue #5);
* step 2 requires the two codes to be on different sides (upstream only compares the part names, so "left hand close
  to left knee" + "left hand close to right knee" would become "the hands are close to the knees");
* step 3 skips a rule one of whose conditions was dropped by a rule conditioned on this rule's own target, so
  that a rule and its mirror (feet together: left foot behind => drop right foot behind, and the converse) cannot
  drop both facts (the information loss the rule-mining notes say two-way rules must avoid);
* step 0 skips three relations that form a cycle (possible with threshold noise), where upstream would crash;
* de-duplication keeps the first occurrence (upstream goes through a Python set, whose order changes between runs).
"""

from __future__ import annotations

from itertools import combinations
from typing import Callable, Iterable

import numpy as np

from benchmark.posecodes.records import PLURAL, SIDES, Code
from datasets_build.captioning.codes import (ENTITIES, ORDER_FAMILY, AnyCode, MultiPredicate, MultiSubject, Predicate,
                                             pluralize, reverse_code)

AGGREGATION_PROB = 0.95

# "a < b" on an axis: the code's parts as (lower, higher) along x (right -> left), y (down -> up), z (back -> front).
_LOWER_FIRST = {"at_right", "below", "behind"}


def _edge(code: Code) -> tuple[tuple, tuple]:
    e1, e2 = (code.side1, code.part1), (code.side2, code.part2)
    return (e1, e2) if code.interp in _LOWER_FIRST else (e2, e1)


def _outer_of_chain(codes: tuple[Code, Code, Code]) -> Code | None:
    """The code relating the lowest and the highest of three parts in a chain a < b < c; None for a cycle."""
    edges = [_edge(c) for c in codes]
    lows = [lo for lo, _ in edges]
    highs = [hi for _, hi in edges]
    for code, (lo, hi) in zip(codes, edges):
        if lows.count(lo) == 2 and highs.count(hi) == 2:
            return code
    return None


def transitive_ripple(codes: list[AnyCode]) -> list[AnyCode]:
    codes = list(codes)
    while True:
        candidates = [c for c in codes if isinstance(c, Code) and not c.pair and c.interp in ORDER_FAMILY
                      and c.part1 is not None and c.part2 is not None]
        removed = None
        for family in ("x", "y", "z"):
            group = [c for c in candidates if ORDER_FAMILY[c.interp] == family]
            for triple in combinations(group, 3):
                entities = {(c.side1, c.part1) for c in triple} | {(c.side2, c.part2) for c in triple}
                pairs = {frozenset([(c.side1, c.part1), (c.side2, c.part2)]) for c in triple}
                if len(entities) == 3 and len(pairs) == 3:
                    removed = _outer_of_chain(triple)
                    if removed is not None:
                        break
            if removed is not None:
                break
        if removed is None:
            return codes
        codes.remove(removed)


def dedupe(codes: Iterable[AnyCode]) -> list[AnyCode]:
    return list(dict.fromkeys(codes))


def same_interp(a: Code, b: Code) -> str | None:
    return a.interp if a.interp == b.interp else None


def entity_aggregation(codes: list[AnyCode], rng: np.random.Generator, prob: float = AGGREGATION_PROB,
                       merge_interp: Callable[[Code, Code], str | None] = same_interp,
                       merge_key: Callable[[Code], object] = lambda c: c.interp) -> list[AnyCode]:
    """`merge_interp(a, b)` gives the interpretation of the merged code, or None when a and b cannot merge;
    codes with different `merge_key`s never merge.

    Only codes with the same sides and merge key can merge, so the pairwise scan runs within such groups.
    """
    codes = list(codes)
    groups: dict[tuple, list[int]] = {}
    for k, c in enumerate(codes):
        if isinstance(c, Code):
            groups.setdefault((c.side1, c.side2, c.pair, merge_key(c)), []).append(k)
    removed = set()
    for members in groups.values():
        i = 0
        while i < len(members):
            j = i + 1
            while j < len(members):
                a, b = codes[members[i]], codes[members[j]]
                whole1, whole2 = ENTITIES.get((a.part1, b.part1)), ENTITIES.get((a.part2, b.part2))
                part1 = whole1 if whole1 and (a.part2 == b.part2 or whole2) else a.part1
                part2 = whole2 if whole2 and (a.part1 == b.part1 or whole1) else a.part2
                if (part1, part2) != (a.part1, a.part2):
                    interp = merge_interp(a, b)
                    if interp is not None and rng.random() < prob:
                        codes[members[i]] = a._replace(part1=part1, part2=part2, interp=interp)
                        removed.add(members.pop(j))
                        continue
                j += 1
            i += 1
    return dedupe(c for k, c in enumerate(codes) if k not in removed)


def symmetry_aggregation(codes: list[AnyCode], rng: np.random.Generator,
                         prob: float = AGGREGATION_PROB) -> list[AnyCode]:
    """Only codes with the same parts and interpretation can merge: the scan runs within such groups."""
    codes = list(codes)
    groups: dict[tuple, list[int]] = {}
    for k, c in enumerate(codes):
        if isinstance(c, Code) and c.side1 in SIDES:
            groups.setdefault((c.part1, c.interp, c.part2, c.pair), []).append(k)
    removed = set()
    for members in groups.values():
        for i, mi in enumerate(members):
            if mi in removed:
                continue
            for mj in members[i + 1:]:
                a, b = codes[mi], codes[mj]
                if mj not in removed and a.side1 != b.side1 and rng.random() < prob:
                    side2, part2 = a.side2, a.part2
                    if a.side2 != b.side2:
                        side2, part2 = PLURAL, pluralize(a.part2)
                    codes[mi] = Code(PLURAL, pluralize(a.part1), a.interp, side2, part2, a.pair)
                    removed.add(mj)
                    break
    return [c for k, c in enumerate(codes) if k not in removed]


def stat_ripple(raw: list[Code], codes: list[AnyCode], rules) -> list[AnyCode]:
    """Drop every C of a rule (A, B or None, C) whose conditions are in the raw list and C in the current one."""
    raw_set = set(raw)
    codes = list(codes)
    dropped_by: dict[Code, tuple] = {}  # dropped code -> the conditions of the rule that dropped it
    for a, b, c in rules:
        conditions = (a,) if b is None else (a, b)
        if not all(x in raw_set for x in conditions) or c not in codes:
            continue
        # a rule whose condition was dropped by a rule conditioned on this rule's C would lose both facts
        if any(x in dropped_by and c in dropped_by[x] for x in conditions):
            continue
        codes.remove(c)
        dropped_by[c] = conditions
    return codes


def side_reversal(codes: list[AnyCode], rng: np.random.Generator, invert: bool,
                  one_or_two_components: frozenset[str]) -> list[AnyCode]:
    out = []
    for c in codes:
        if isinstance(c, Code) and c.part1 == c.part2:
            new = c
            if c.side1 != c.side2 and rng.random() < 0.5:
                new = reverse_code(c, invert)
            if c.interp in one_or_two_components and rng.random() < 0.5:
                new = Code(PLURAL, pluralize(c.part1), c.interp, None, None, c.pair)
            c = new
        out.append(c)
    return out


def interpretation_focus_aggregation(codes: list[AnyCode], rng: np.random.Generator,
                                     prob: float = AGGREGATION_PROB,
                                     aggregable: Callable[[Code], bool] = lambda c: True) -> list[AnyCode]:
    fixed = [c for c in codes if not (isinstance(c, Code) and aggregable(c))]
    items = [c for c in codes if isinstance(c, Code) and aggregable(c)]
    by_interp: dict[tuple, list[int]] = {}
    by_focus: dict[tuple, list[int]] = {}
    for k, c in enumerate(items):
        by_interp.setdefault((c.interp, c.side2, c.part2, c.pair), []).append(k)
        by_focus.setdefault((c.side1, c.part1), []).append(k)
    candidates = ([("interp", key, m) for key, m in by_interp.items() if len(m) > 1]
                  + [("focus", key, m) for key, m in by_focus.items() if len(m) > 1])
    used: set[int] = set()
    planned = []
    for ci in rng.permutation(len(candidates)):
        kind, key, members = candidates[ci]
        free = [m for m in members if m not in used]
        if len(free) > 1:
            free = [free[k] for k in rng.permutation(len(free))]
            used.update(free)
            planned.append((kind, key, free))
    merged: list[AnyCode] = []
    for kind, key, members in planned:
        if rng.random() < prob:
            if kind == "interp":
                merged.append(MultiSubject(tuple((items[m].side1, items[m].part1) for m in members), *key))
            else:
                merged.append(MultiPredicate(key[0], key[1], tuple(
                    Predicate(items[m].interp, items[m].side2, items[m].part2, items[m].pair) for m in members)))
        else:
            used.difference_update(members)  # put back: these codes stay as they are (issue #5)
    return fixed + merged + [c for k, c in enumerate(items) if k not in used]
