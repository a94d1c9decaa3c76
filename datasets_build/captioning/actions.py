"""Action prefixes of the N6 / ECCV A-C descriptions ("<Someone> is <doing something>. ").

Upstream looks up the BABEL `act_cat` labels of the pose's AMASS frame and maps them to phrases with a 219-entry
table (`posescript/action_to_sent_template.json`). The embedded world has no BABEL labels, so callers pass per-pose
action labels themselves; this module words them with a small table of common BABEL action categories, written for
this suite. Labels missing from the table are ignored, as upstream ignores categories without phrases. A pose from
DanceDB (which BABEL does not annotate) is marked with the label `DANCE_SOURCE`; it reads "dancing" only in versions
with dancing information (N6, ECCV A and B).
"""

from __future__ import annotations

import numpy as np

DANCE_SOURCE = "__DanceDB__"

ACTION_PHRASES: dict[str, list[str]] = {
    "walk": ["walking", "taking a step"],
    "run": ["running", "jogging along"],
    "jog": ["jogging", "running slowly"],
    "jump": ["jumping", "leaping up"],
    "hop": ["hopping", "hopping on one foot"],
    "stand": ["standing", "standing still"],
    "sit": ["sitting", "sitting down"],
    "kneel": ["kneeling", "getting down on the knees"],
    "crouch": ["crouching", "crouching down"],
    "squat": ["squatting", "doing a squat"],
    "lie": ["lying down", "lying on the floor"],
    "bend": ["bending", "bending over"],
    "lean": ["leaning", "leaning over"],
    "stretch": ["stretching", "doing a stretch"],
    "dance": ["dancing", "striking a dance pose", "in the middle of a dance move"],
    "kick": ["kicking", "throwing a kick"],
    "punch": ["punching", "throwing a punch"],
    "throw": ["throwing something", "making a throw"],
    "catch": ["catching something", "about to catch something"],
    "wave": ["waving", "waving a hand"],
    "clap": ["clapping", "clapping the hands"],
    "point": ["pointing at something", "pointing"],
    "reach": ["reaching out", "reaching for something"],
    "pick up": ["picking something up", "lifting something from the floor"],
    "lift something": ["lifting something", "raising an object"],
    "carry": ["carrying something", "holding something"],
    "turn": ["turning", "turning around"],
    "balance": ["balancing", "keeping balance"],
    "lunge": ["lunging", "doing a lunge"],
    "exercise/training": ["exercising", "working out"],
    "yoga": ["doing yoga", "holding a yoga pose"],
    "martial art": ["practicing martial arts", "doing a martial arts move"],
    "fight": ["fighting", "in a fighting stance"],
    "climb": ["climbing", "climbing up"],
    "crawl": ["crawling", "crawling on the floor"],
    "fall": ["falling", "losing balance"],
    "stand up": ["standing up", "getting up"],
    "sit down": ["sitting down", "taking a seat"],
    "t pose": ["holding a T-pose", "standing in a T-shape"],
    "a pose": ["holding an A-pose", "standing in an A-shape"],
    "golf": ["playing golf", "swinging a golf club"],
    "play sport": ["playing a sport", "doing sports"],
    "look": ["looking at something", "looking around"],
    "greet": ["greeting someone", "saying hello"],
    "salute": ["saluting", "giving a salute"],
    "swim": ["swimming", "making swimming strokes"],
    "march": ["marching", "marching in place"],
    "step": ["stepping", "taking a step"],
}

SENTENCE_STARTS = ("Someone", "The person", "This person", "A person", "The figure", "The body", "The subject",
                   "The human", "They")


def usable_labels(labels, dancing: bool) -> list[str]:
    """The labels of one pose that the table can word; `DANCE_SOURCE` becomes "dance" only with dancing info."""
    out = []
    for label in labels or ():
        if label == DANCE_SOURCE:
            if dancing:
                out.append("dance")
        elif label in ACTION_PHRASES:
            out.append(label)
    return list(dict.fromkeys(out))


def action_sentence(labels: list[str], determiner: str, rng: np.random.Generator) -> str:
    """"<Start> is <ing-phrase> [and|while <ing-phrase>]. ", agreeing with the description's determiner."""
    if not labels:
        return ""
    start = SENTENCE_STARTS[rng.integers(len(SENTENCE_STARTS))]
    picked = [labels[k] for k in rng.permutation(len(labels))[:2]]
    phrases = [ACTION_PHRASES[a][rng.integers(len(ACTION_PHRASES[a]))] for a in picked]
    text = " is " + phrases[0]
    if len(phrases) == 2:
        text += (" and ", " while ")[rng.integers(2)] + phrases[1]
    if start == "They":
        start = {"his": "He", "her": "She"}.get(determiner, "They")
        if start == "They":
            text = text.replace(" is ", " are ", 1)
    elif start == "The human":
        start = {"his": "The man", "her": "The woman"}.get(determiner, start)
    return start + text + ". "
