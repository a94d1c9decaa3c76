"""The code records the aggregation and sentence steps work on, and the word-level facts about body parts.

One posecode or paircode is a `benchmark.posecodes.records.Code` ("part 1 <interpretation> [part 2]"; the extractor
is pure pose geometry and lives in the core). Aggregation produces two more records: one interpretation shared by
several subjects (`MultiSubject`), and one subject with several predicates (`MultiPredicate`).
"""

from __future__ import annotations

from typing import NamedTuple, Union

from benchmark.posecodes.records import Code


class MultiSubject(NamedTuple):
    """Several subjects sharing one predicate: "the left knee and the right elbow are bent"."""

    subjects: tuple[tuple[str | None, str | None], ...]
    interp: str
    side2: str | None
    part2: str | None
    pair: bool = False


class Predicate(NamedTuple):
    interp: str
    side2: str | None
    part2: str | None
    pair: bool = False


class MultiPredicate(NamedTuple):
    """One subject with several predicates: "the left arm is raised and bent"."""

    side: str | None
    part: str | None
    predicates: tuple[Predicate, ...]


AnyCode = Union[Code, MultiSubject, MultiPredicate]

# Relations of order and their opposite (used to swap the two parts of a code).
OPPOSITE = {"at_right": "at_left", "at_left": "at_right", "below": "above", "above": "below",
            "behind": "front", "front": "behind"}
ORDER_FAMILY = {"at_right": "x", "at_left": "x", "below": "y", "above": "y", "behind": "z", "front": "z"}

# Interpretations that name a side of the body: mirroring the pose swaps them.
_LATERAL_PAIRS = [
    ("at_right", "at_left"),
    ("body lean left", "body lean right"), ("body lean left slightly", "body lean right slightly"),
    ("body twist left", "body twist right"), ("body twist left slightly", "body twist right slightly"),
    ("turn left", "turn right"), ("turn left slightly", "turn right slightly"),
    ("incline left", "incline right"),
    ("kneel_on_left", "kneel_on_right"),
    # paircodes
    ("more to left", "more to right"), ("slightly more to left", "slightly more to right"),
    ("body lean left more", "body lean right more"),
    ("body lean left slightly more", "body lean right slightly more"),
    ("body twist left more", "body twist right more"),
    ("body twist left slightly more", "body twist right slightly more"),
    ("turn left more", "turn right more"), ("turn left slightly more", "turn right slightly more"),
]
LATERAL_MIRROR = {a: b for a, b in _LATERAL_PAIRS} | {b: a for a, b in _LATERAL_PAIRS}

# Two parts of one side that together form a larger one (entity aggregation, upstream's table; unordered).
_ENTITIES = {
    ("wrist", "elbow"): "arm", ("hand", "elbow"): "arm", ("ankle", "knee"): "leg", ("foot", "knee"): "leg",
    ("forearm", "upperarm"): "arm", ("shin", "thigh"): "leg", ("lowerleg", "thigh"): "leg",
    ("upperback", "lowerback"): "back", ("belly", "chest"): "torso", ("index", "wrist"): "hand",
    ("toes", "ankle"): "foot",
}
ENTITIES = _ENTITIES | {(b, a): c for (a, b), c in _ENTITIES.items()}

_PLURALS = {"foot": "feet", "toes": "toes"}
_SINGULARS = {v: k for k, v in _PLURALS.items()}
# Joined words used as part names, split for the text.
SPLIT_WORDS = {"upperarm": "upper arm", "lowerleg": "lower leg", "upperback": "upper back", "lowerback": "lower back"}


def pluralize(part: str) -> str:
    return _PLURALS.get(part, part + "s")


def singularize(part: str) -> str:
    return _SINGULARS.get(part, part[:-1] if part.endswith("s") else part)


def mirror_side(side: str | None) -> str | None:
    return {"left": "right", "right": "left"}.get(side, side)


def mirror_code(code: AnyCode) -> AnyCode:
    """The code of the left/right mirrored body: sides swapped, lateral interpretations swapped."""
    if isinstance(code, Code):
        return Code(mirror_side(code.side1), code.part1, LATERAL_MIRROR.get(code.interp, code.interp),
                    mirror_side(code.side2), code.part2, code.pair)
    if isinstance(code, MultiSubject):
        return MultiSubject(tuple((mirror_side(s), p) for s, p in code.subjects),
                            LATERAL_MIRROR.get(code.interp, code.interp), mirror_side(code.side2), code.part2,
                            code.pair)
    return MultiPredicate(mirror_side(code.side), code.part,
                          tuple(Predicate(LATERAL_MIRROR.get(p.interp, p.interp), mirror_side(p.side2), p.part2,
                                          p.pair) for p in code.predicates))


def reverse_code(code: Code, invert: bool = True) -> Code:
    """Swap the two parts of a code; with `invert`, a relation of order becomes its opposite (A above B: B below A)."""
    interp = OPPOSITE.get(code.interp, code.interp) if invert else code.interp
    return Code(code.side2, code.part2, interp, code.side1, code.part1, code.pair)


def word_fix(text: str) -> str:
    for joined, split in SPLIT_WORDS.items():
        text = text.replace(joined, split)
    return text
