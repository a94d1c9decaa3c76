"""Sentence assembly of a PoseFix instruction from its aggregated paircodes and pose-B posecodes (naver/posescript
`posefix/correcting.py`).

Per instruction: kinematic order (`ordering`); one determiner, "the" or "your" (p = 0.5 each); transitions
" while ", ", ", ". ", " and ", " then " (p = 0.2 each). Paircode templates are imperative ("bend your left knee
more"); after " while " (and the " and "s that follow it) their verb takes the gerund. A pose-B posecode reads
"<part> should be / needs to be / must be <state>" (or "is" after " while"), its verb agreeing with a singular
subject. Several predicates of one subject are chained with " and " or ", ", referring back with "it" / "them"; a
predicate following a template whose verb carries no direction ("move", "bring") may drop its own such verb
("move your left hand up and forward").

Fixed upstream slips: an object pronoun reads "them" (upstream writes "move they"), and a head template keeps the
transition before it.
"""

from __future__ import annotations

import re

import numpy as np

from benchmark.posecodes.records import PLURAL
from datasets_build.captioning.codes import AnyCode, MultiPredicate, MultiSubject, word_fix
from datasets_build.captioning.ordering import order_codes
from datasets_build.captioning.templates_pair import NEUTRAL_VERBS, ONE_COMPONENT, ROTATION, TWO_COMPONENTS
from datasets_build.captioning.templates_pose import ONE_COMPONENT as POSE_ONE
from datasets_build.captioning.templates_pose import TWO_COMPONENTS as POSE_TWO
from datasets_build.captioning.text_pose import pick

DETERMINERS = ("the", "your")
TRANSITIONS = (" while ", ", ", ". ", " and ", " then ")
SHOULD = ("should be", "need to be", "must be")
JOINT_LESS_PREFIXES = ("body ", "incline ", "turn ")  # body inclination and head rotation interpretations

_VERB = re.compile(r"<([a-z ]+)>")
_DOUBLED = {"tip": "tipping", "drop": "dropping", "spin": "spinning"}


def gerund(verb: str) -> str:
    if verb in _DOUBLED:
        return _DOUBLED[verb]
    if verb.endswith("e") and not verb.endswith("ee"):
        return verb[:-1] + "ing"
    return verb + "ing"


def third_person(verb: str) -> str:
    """'need to be' -> 'needs to be'; modal verbs and the plain 'be' forms are left to the caller."""
    first, _, rest = verb.partition(" ")
    if first in ("should", "must", "is", "are"):
        return verb
    if first.endswith(("s", "sh", "ch", "x", "z", "o")):
        first += "es"
    else:
        first += "s"
    return f"{first} {rest}".strip()


def conjugate(template: str, form: str) -> str:
    """Replace the <verb> of a template: form 'imperative', 'gerund' or 'none' (the verb is dropped)."""
    verb = _VERB.search(template).group(1)
    new = {"imperative": verb, "gerund": gerund(verb), "none": ""}[form]
    return template.replace(f"<{verb}>", new, 1)


def uses_neutral_verb(template: str) -> bool:
    return _VERB.search(template).group(1) in NEUTRAL_VERBS


def part_right_after_verb(template: str) -> bool:
    return re.match(r".*<[a-z ]+> \{p\}", template) is not None


def is_joint_less(interp: str) -> bool:
    return interp.startswith(JOINT_LESS_PREFIXES)


def side_text(side, det: str, rng: np.random.Generator) -> tuple[str, bool]:
    """(text, plural)."""
    if side is None:
        return det, False
    if side == PLURAL:
        return pick(("both", det) + ((f"both {det}",) if det != "the" else ()), rng), True
    return f"{det} {side}", False


def part_text(side, part, det: str, rng: np.random.Generator) -> tuple[str, bool]:
    s, plural = side_text(side, det, rng)
    return f"{s} {part}", plural


def paircode_text(subject: str, plural: bool, interp: str, obj: str | None, form: str, reference: bool,
                  rng: np.random.Generator) -> tuple[str, bool]:
    """(text, whether its verb is neutral) of one paircode; `reference`: refer to the subject as it / them."""
    choices = ONE_COMPONENT[interp] if obj is None else TWO_COMPONENTS[interp]
    if is_joint_less(interp):
        form = "imperative" if form == "none" else form
    else:
        if form == "none":
            neutral = [t for t in choices if uses_neutral_verb(t)]
            if neutral:
                choices, subject = neutral, ""
            else:
                form = "imperative"
        if reference and form != "none":
            direct = [t for t in choices if part_right_after_verb(t)]
            if direct:
                choices, subject = direct, "them" if plural else "it"
    template = pick(choices, rng)
    text = conjugate(template, form).format(p=subject, o=obj or "")
    return text, uses_neutral_verb(template)


def posecode_statement(subject: str, plural: bool, interp: str, obj: str | None, form: str, reference: bool,
                       rng: np.random.Generator) -> str:
    template = pick(POSE_ONE[interp] if obj is None else POSE_TWO[interp], rng)
    if reference:
        subject = "they" if plural else "it"
    verbs = SHOULD + ((("are" if plural else "is"),) if form == "gerund" else ())
    verb = pick(verbs, rng)
    if not plural:
        verb = third_person(verb)
    return template.format(s=subject, v=verb, o=obj or "", det="", subj="", are="are")


def chained(code: MultiPredicate, subject: str, plural: bool, form: str, while_mode: bool, det: str,
            simplified: bool, rng: np.random.Generator) -> str:
    objects = [None if p.part2 is None else part_text(p.side2, p.part2, det, rng)[0] for p in code.predicates]
    text, trans, reference = "", "", False
    for pred, obj in zip(code.predicates, objects):
        if pred.pair:
            piece, neutral = paircode_text(subject, plural, pred.interp, obj, form, reference, rng)
        else:
            piece, neutral = posecode_statement(subject, plural, pred.interp, obj, form, reference, rng), False
        text += trans + piece
        trans = pick((" and ", ", "), rng)
        reference = not simplified
        form = "imperative"
        if neutral and pred.pair:
            if rng.random() < 0.5:
                trans = " and "
            if trans == " and " and rng.random() < 0.8:
                form = "none"
        if while_mode and form != "none":
            form = "gerund"
    return text


def polish(text: str, det: str) -> str:
    text = word_fix(re.sub(r"\s\s+", " ", text).strip())
    text = re.sub(r"\s+([,.])", r"\1", text)
    if det != "your":
        text = re.sub(r"\byour\b", det, text)
    return ". ".join(s[:1].upper() + s[1:] for s in text.split(". "))


def render_instruction(codes: list[AnyCode], rng: np.random.Generator, simplified: bool) -> str:
    if not codes:
        return ""
    codes = order_codes(codes, rng)
    det = DETERMINERS[int(rng.integers(2))]
    transitions = [""] + [TRANSITIONS[k] for k in rng.integers(len(TRANSITIONS), size=len(codes) - 1)]
    while_mode = False
    text = ""
    for code, trans in zip(codes, transitions):
        gerund_here = trans == " while " or (while_mode and trans == " and ")
        while_mode = gerund_here or (while_mode and trans == " and ")
        form = "gerund" if gerund_here else "imperative"
        if isinstance(code, MultiPredicate):
            subject, plural = part_text(code.side, code.part, det, rng)
            piece = chained(code, subject, plural, form, while_mode, det, simplified, rng)
        else:
            if isinstance(code, MultiSubject):
                texts = [part_text(s, p, det, rng)[0] for s, p in code.subjects]
                subject, plural = ", ".join(texts[:-1]) + " and " + texts[-1], True
                obj = None if code.part2 is None else part_text(code.side2, code.part2, det, rng)[0]
            else:
                subject, plural = part_text(code.side1, code.part1, det, rng)
                obj = None if code.part2 is None else part_text(code.side2, code.part2, det, rng)[0]
                if (not simplified and obj is not None and code.part1 == code.part2 and code.side1 != code.side2
                        and code.side2 in ("left", "right")):
                    obj = pick((obj, "the other", f"the {code.side2}")
                               + ((f"your {code.side2}",) if det == "your" else ()), rng)
            if code.pair:
                piece = paircode_text(subject, plural, code.interp, obj, form, False, rng)[0]
            else:
                piece = posecode_statement(subject, plural, code.interp, obj, form, False, rng)
        text += trans + piece
    return polish(text + ".", det)


def rotation_sentence(category: str, rng: np.random.Generator) -> str:
    """"Turn a quarter to the left. " for a binned change of global rotation."""
    text = conjugate(pick(ROTATION[category], rng), "imperative")
    return text[:1].upper() + text[1:] + ". "
