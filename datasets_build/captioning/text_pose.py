"""Sentence assembly of a pose description from its aggregated posecodes (naver/posescript `posescript/captioning.py`).

Per description: the codes are put in kinematic order (`ordering`); one determiner is drawn (the / their / his / her
with p = 0.5 / 0.3 / 0.1 / 0.1); each code after the first is preceded by a transition (" while ", ", ", ". ",
" and ", " with ", p = 0.2 each; after " with " and the " and "s that follow it the verb is dropped: "with the arms
raised"). The body as a subject opens a sentence as "Someone", "The person", ... and reads "the body" / "the figure"
mid-sentence. Several predicates of one subject are chained with " and " / ", " (verb dropped), ". It ..." /
". They ..." or " and is ...". Unless simplified, a second part that adds nothing is left out (a hand behind *the
torso*, a hand to the right of *its shoulder*, a foot to the side of *its hip*, a hand above *the neck*), and the
same part on the other side may read "the other" or "the left". Post-processing collapses spaces, splits joined
words ("upper arm"), capitalises sentence starts and makes "their"/"them" agree with his/her.

Two upstream slips are fixed: a pronoun-led chained predicate agrees with its pronoun ("They are", where upstream
can write "They is"), and capitalisation only raises the first letter (upstream's `str.capitalize` also lowers
the rest of each sentence).
"""

from __future__ import annotations

import re

import numpy as np

from benchmark.posecodes.records import PLURAL
from benchmark.posecodes.table import HEAD_ROTATION_INTERPS
from datasets_build.captioning.actions import SENTENCE_STARTS
from datasets_build.captioning.codes import AnyCode, MultiPredicate, MultiSubject, mirror_code, word_fix
from datasets_build.captioning.ordering import order_codes
from datasets_build.captioning.templates_pose import HEAD, ONE_COMPONENT, TWO_COMPONENTS

DETERMINERS = ("the", "their", "his", "her")
DETERMINER_P = (0.5, 0.3, 0.1, 0.1)
PERSON = {"the": "the person", "their": "they", "his": "he", "her": "she"}
TRANSITIONS = (" while ", ", ", ". ", " and ", " with ")
BODY_MID_SENTENCE = ("the body", "the figure")


def pick(options, rng: np.random.Generator):
    return options[int(rng.integers(len(options)))]


def side_text(side: str | None, det: str, rng: np.random.Generator) -> tuple[str, str]:
    if side is None:
        return det, "is"
    if side == PLURAL:
        return pick(("both", det), rng), "are"
    return f"{det} {side}", "is"


def subject_text(side, part, det: str, new_sentence: bool, rng: np.random.Generator) -> tuple[str, str]:
    if part == "body":
        who = pick(SENTENCE_STARTS, rng).lower() if new_sentence else pick(BODY_MID_SENTENCE, rng)
        if who == "they":
            return ("they", "are") if det not in ("his", "her") else (PERSON[det], "is")
        if who == "the human":
            return {"his": "the man", "her": "the woman"}.get(det, who), "is"
        if who == "the body":
            return f"{det} body", "is"
        return who, "is"
    s, verb = side_text(side, det, rng)
    return f"{s} {part}", verb


def object_text(side, part, det: str, rng: np.random.Generator) -> str | None:
    if part is None:
        return None
    return f"{side_text(side, det, rng)[0]} {part}"


def omit_object(interp: str, subject_parts: tuple[str, ...], part2: str | None) -> bool:
    """True when the second part only states the obvious reference point and reads better left out."""
    if part2 is None:
        return True

    def has(*words):
        return any(w in p for p in subject_parts for w in words)

    return ((part2 == "torso" and interp in ("behind", "front"))
            or (has("hand") and "shoulder" in part2 and interp in ("at_right", "at_left"))
            or (has("foot", "feet") and "hip" in part2 and interp in ("at_right", "at_left"))
            or (has("hand", "wrist") and part2 == "neck" and interp == "above"))


def fill(template: str, subject: str, verb: str, obj: str | None, det: str, no_verb: bool) -> str:
    return template.format(s=subject, v="" if no_verb else verb, o=obj or "", det=det, subj=PERSON[det],
                           are="" if no_verb else "are")


def statement(subject: str, verb: str, interp: str, obj: str | None, part2: str | None,
              subject_parts: tuple[str, ...], det: str, simplified: bool, no_verb: bool,
              rng: np.random.Generator) -> str:
    """One predicate: "<subject> <verb> <interpretation> [<object>]"."""
    if obj is not None and not simplified and omit_object(interp, subject_parts, part2):
        obj = None
    if obj is None and "head" in subject_parts and interp in HEAD_ROTATION_INTERPS:
        template = pick(HEAD[interp], rng)
        if "{subj}" in template and PERSON[det] == "they":
            verb = "are"
        elif "{subj}" not in template:
            verb = "is"
        return fill(template, subject, verb, None, det, no_verb)
    template = pick(ONE_COMPONENT[interp] if obj is None else TWO_COMPONENTS[interp], rng)
    return fill(template, subject, verb, obj, det, no_verb)


def _parts(code: AnyCode) -> tuple[str, ...]:
    if isinstance(code, MultiSubject):
        return tuple(p for _, p in code.subjects if p)
    if isinstance(code, MultiPredicate):
        return (code.part,)
    return (code.part1,)


def special_continuation(part, verb: str, subject: str, det: str) -> tuple[str, str] | None:
    """The pronoun (and its verb) that may restart the sentence of a chained predicate, or None for the head."""
    if part == "body" and "body" not in subject:
        person = PERSON[det]
        return person[0].upper() + person[1:], "are" if person == "they" else "is"
    if verb == "are":
        return "They", "are"
    if part == "head":
        return None
    return "It", "is"


def chained_statements(code: MultiPredicate, subject: str, verb: str, no_verb: bool, det: str, simplified: bool,
                       rng: np.random.Generator) -> str:
    objects = [object_text(p.side2, p.part2, det, rng) for p in code.predicates]
    special = special_continuation(code.part, verb, subject, det)
    lead, subj, verb_k, drop_verb, plain_and = "", subject, verb, no_verb, False
    text = ""
    for pred, obj in zip(code.predicates, objects):
        text += lead + statement(subj, verb_k, pred.interp, obj, pred.part2, (code.part,), det, simplified, drop_verb,
                                rng)
        if not plain_and or special is None:
            options = [(" and ", "", verb, True, False), (", ", "", verb, True, False)]
            if special is not None:
                options.append((". ", special[0], special[1], False, False))
            if not drop_verb:
                options.append((" and ", "", verb, False, True))
            lead, subj, verb_k, drop_verb, plain_and = pick(options, rng)
        else:
            lead, subj, verb_k, drop_verb, plain_and = ". ", special[0], special[1], False, False
    return text


def polish(text: str, det: str) -> str:
    text = word_fix(re.sub(r"\s\s+", " ", text).strip())
    text = re.sub(r"\s+([,.])", r"\1", text)
    text = ". ".join(s[:1].upper() + s[1:] for s in text.split(". "))
    if det in ("his", "her"):
        him = "him" if det == "his" else "her"
        text = re.sub(r"\btheir\b", det, text)
        text = re.sub(r"\bTheir\b", det.capitalize(), text)
        text = re.sub(r"\bthem\b", him, text)
    return text


def render_description(codes: list[AnyCode], rng: np.random.Generator, simplified: bool,
                       mirror: bool = False) -> tuple[str, str | None]:
    """(description, determiner) of one pose; `mirror` tells the codes of the mirrored body."""
    if not codes:
        return "", None
    codes = order_codes(codes, rng)
    if mirror:
        codes = [mirror_code(c) for c in codes]
    det = DETERMINERS[int(rng.choice(len(DETERMINERS), p=DETERMINER_P))]
    transitions = [""] + [TRANSITIONS[k] for k in rng.integers(len(TRANSITIONS), size=len(codes) - 1)]
    with_mode = False
    text = ""
    for code, trans in zip(codes, transitions):
        new_sentence = trans in ("", ". ")
        no_verb = trans == " with " or (with_mode and trans == " and ")
        with_mode = no_verb or (with_mode and trans == " and ")
        if isinstance(code, MultiSubject):
            pieces = [f"{side_text(s, det, rng)[0]} {p}" for s, p in code.subjects]
            subject, verb = ", ".join(pieces[:-1]) + " and " + pieces[-1], "are"
            obj = object_text(code.side2, code.part2, det, rng)
            piece = statement(subject, verb, code.interp, obj, code.part2, _parts(code), det, simplified, no_verb,
                              rng)
        elif isinstance(code, MultiPredicate):
            subject, verb = subject_text(code.side, code.part, det, new_sentence, rng)
            piece = chained_statements(code, subject, verb, no_verb, det, simplified, rng)
        else:
            subject, verb = subject_text(code.side1, code.part1, det, new_sentence, rng)
            obj = object_text(code.side2, code.part2, det, rng)
            if (not simplified and obj is not None and code.part1 == code.part2 and code.side1 != code.side2
                    and code.side2 in ("left", "right")):
                obj = pick((obj, "the other", f"the {code.side2}"), rng)
            piece = statement(subject, verb, code.interp, obj, code.part2, _parts(code), det, simplified,
                              no_verb, rng)
        text += trans + piece
    return polish(text + ".", det), det
