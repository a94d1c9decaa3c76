"""Kinematic ordering of the codes of one description or instruction (naver/posescript `posescript/utils.order_codes`).

The codes are grouped by (sided) body part and the groups are told in the order of a randomised depth-first walk of
a body-part graph rooted at the body, so that the text moves from one part to its neighbours instead of jumping
around. The graph is anatomy: body -> head, torso; torso -> shoulders, arms, hips, legs; limb -> segment -> joint ->
extremity. A part absent from the graph (none of the described parts is) is told last rather than dropped.
"""

from __future__ import annotations

import numpy as np

from benchmark.posecodes.records import PLURAL, SIDES
from datasets_build.captioning.codes import AnyCode, MultiPredicate, MultiSubject, singularize


def _graph() -> dict[str, list[str]]:
    edges = [("body", "head"), ("body", "torso")]
    edges += [("torso", p) for p in ("left_torso", "right_torso", "chest", "belly", "crotch", "upperback",
                                     "lowerback", "butt", "back")]
    edges += [("head", p) for p in ("throat", "neck", "crown", "face")]
    for s in ("left_", "right_"):
        edges += [("torso", f"{s}shoulder"), ("torso", f"{s}arm"), (f"{s}arm", f"{s}upperarm"),
                  (f"{s}arm", f"{s}forearm"), (f"{s}upperarm", f"{s}elbow"), (f"{s}upperarm", f"{s}shoulder"),
                  (f"{s}forearm", f"{s}elbow"), (f"{s}forearm", f"{s}hand"), (f"{s}hand", f"{s}wrist"),
                  (f"{s}hand", f"{s}index")]
        edges += [("torso", f"{s}hip"), ("crotch", f"{s}leg"), ("torso", f"{s}leg"), (f"{s}leg", f"{s}thigh"),
                  (f"{s}leg", f"{s}shin"), (f"{s}leg", f"{s}lowerleg"), (f"{s}thigh", f"{s}hip"),
                  (f"{s}thigh", f"{s}knee"), (f"{s}shin", f"{s}knee"), (f"{s}shin", f"{s}foot"),
                  (f"{s}lowerleg", f"{s}knee"), (f"{s}lowerleg", f"{s}foot"), (f"{s}foot", f"{s}ankle"),
                  (f"{s}foot", f"{s}toes")]
    children: dict[str, list[str]] = {}
    for parent, child in edges:
        children.setdefault(parent, []).append(child)
        children.setdefault(child, [])
    return children


KINEMATIC_GRAPH = _graph()
_NODES = list(KINEMATIC_GRAPH)
_NODE_ID = {p: k for k, p in enumerate(_NODES)}
_CHILDREN = [[_NODE_ID[c] for c in KINEMATIC_GRAPH[p]] for p in _NODES]
_MAX_CHILDREN = max(len(c) for c in _CHILDREN)
_PADDING = np.arange(_MAX_CHILDREN)[None, :] >= np.array([len(c) for c in _CHILDREN])[:, None]


def random_part_order(rng: np.random.Generator) -> list[str]:
    """Every part of the graph once, in the order a randomised depth-first walk from 'body' first reaches it.

    Each part's children are pushed in a random order, drawn for all parts at once (one array draw rather than a
    permutation per visit). A part reached a second time has had its whole subtree visited already (depth first),
    so pushing its children again, as upstream does, would change nothing: it is skipped.
    """
    keys = rng.random((len(_NODES), _MAX_CHILDREN))
    keys[_PADDING] = np.inf
    ranks = np.argsort(keys, axis=1).tolist()
    order, seen, stack = [], [False] * len(_NODES), [_NODE_ID["body"]]
    while stack:
        node = stack.pop()
        if seen[node]:
            continue
        seen[node] = True
        order.append(_NODES[node])
        children = _CHILDREN[node]
        if children:
            stack.extend(children[k] for k in ranks[node][:len(children)])
    return order


def _key(side: str | None, part: str | None) -> str:
    return f"{side}_{part}" if side is not None else str(part)


def _subject(code: AnyCode) -> tuple[str | None, str | None]:
    if isinstance(code, MultiSubject):
        return code.subjects[0]
    if isinstance(code, MultiPredicate):
        return code.side, code.part
    return code.side1, code.part1


def order_codes(codes: list[AnyCode], rng: np.random.Generator) -> list[AnyCode]:
    parts = random_part_order(rng)
    shuffled = [codes[k] for k in rng.permutation(len(codes))]
    groups: dict[str, list[AnyCode]] = {}
    for code in shuffled:
        side, part = _subject(code)
        if side == PLURAL:
            # a plural statement is told with one of the two sides, preferring a side already talked about
            part = singularize(part)
            sides = [SIDES[k] for k in rng.permutation(2)]
            key = next((_key(s, part) for s in sides if _key(s, part) in groups), _key(sides[0], part))
        else:
            key = _key(side, part)
        groups.setdefault(key, []).append(code)
    rank = {p: k for k, p in enumerate(parts)}
    ordered_keys = sorted(groups, key=lambda k: rank.get(k, len(rank)))
    return [c for k in ordered_keys for c in groups[k]]
