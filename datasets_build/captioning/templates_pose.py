"""Sentence templates of the posecodes (descriptions, and pose-B statements of PoseFix instructions).

Written for this suite; as many variants per interpretation as upstream has (naver/posescript
`posescript/captioning_data.py`: 2 to 20; e.g. right angle 6, at_right 13, body lean left 20), which the tests check.
Placeholders:
  {s} subject ("the left knee"), {v} its verb ("is"/"are", dropped after "with", or "should be" in PoseFix),
  {o} the second part, {det} the determiner, {subj} the person ("they", "he", ...), {are} a plural verb of a
  template that names its own plural subject ("the knees {are} on the floor").
Gendered words are written neutral ("their") and replaced after the determiner is chosen. The templates of a lateral
interpretation (to the right / to the left, ...) are word-for-word mirrors of each other, so that a mirrored pose
gets the mirrored text for the same random draws.
"""

from __future__ import annotations


def _f(*phrases: str) -> list[str]:
    return [f"{{s}} {{v}} {p}" for p in phrases]


def _lateral(side: str) -> dict[str, list[str]]:
    s = side
    lean = [f"{{s}} {{v}} {verb} {det} {s}{end}" for verb in ("leaning to", "tilted toward", "bending toward",
                                                            "inclined toward", "tipped to")
            for det in ("the", "their") for end in ("", " side")]
    lean_slightly = [f"{{s}} {{v}} {verb} {det} {s}{end}" for verb in ("leaning a little to", "tilted slightly toward",
                                                                     "bending a bit toward", "inclined slightly to")
                     for det in ("the", "their") for end in ("", " side")]
    return {
        f"at_{s}": _f(f"to the {s}", f"on the {s} side", f"off to the {s}", f"out to the {s}", f"toward the {s}",
                      f"on their {s}", f"to their {s}", f"reaching {s}", f"pointing to the {s}",
                      f"extended {s}wards", f"moved to the {s}", f"held to the {s}", f"placed on the {s}"),
        f"body lean {s}": lean,
        f"body lean {s} slightly": lean_slightly,
        f"body twist {s}": _f(f"twisted to the {s}", f"rotated toward the {s}", f"turned to the {s}",
                              f"facing {s}", f"swiveled to the {s}"),
        f"body twist {s} slightly": _f(f"twisted slightly to the {s}", f"rotated a little toward the {s}",
                                       f"turned a bit to the {s}", f"facing slightly {s}",
                                       f"swiveled a touch to the {s}"),
        f"kneel_on_{s}": _f(f"kneeling on the {s} knee", f"kneeling on their {s} knee", f"down on the {s} knee",
                            f"down on their {s} knee", f"resting on the {s} knee", f"resting on their {s} knee"),
    }


def _head_lateral(side: str) -> dict[str, list[str]]:
    s = side
    return {
        f"turn {s}": [f"{{det}} head {{v}} turned to the {s}", f"{{det}} face {{v}} turned {s}",
                      f"{{subj}} {{v}} looking to the {s}", f"{{det}} gaze {{v}} directed to the {s}"],
        f"turn {s} slightly": [f"{{det}} head {{v}} turned a little to the {s}",
                               f"{{det}} face {{v}} turned slightly {s}", f"{{subj}} {{v}} looking a bit to the {s}",
                               f"{{det}} gaze {{v}} directed slightly to the {s}"],
        f"incline {s}": [f"{{det}} head {{v}} tilted to the {s}",
                         f"{{det}} head {{v}} leaning toward the {s} shoulder"],
    }


ONE_COMPONENT: dict[str, list[str]] = {
    "completely bent": _f("completely bent", "fully flexed", "folded all the way", "bent to the maximum",
                          "tightly bent"),
    "bent more": _f("almost fully bent", "strongly bent", "bent quite a lot"),
    "right angle": _f("bent at a right angle", "at ninety degrees", "forming an L", "bent to about 90 degrees",
                      "in an L shape", "at a right angle"),
    "bent less": _f("partly bent", "half bent", "somewhat bent", "moderately bent"),
    "slightly bent": _f("slightly bent", "a little bent", "barely bent", "bent a touch", "softly bent",
                        "just a bit bent"),
    "straight": _f("straight", "fully extended"),
    "close": _f("close together", "next to each other", "near each other", "side by side", "held together"),
    "shoulder width": _f("shoulder width apart", "roughly shoulder width apart", "about a shoulder width apart",
                         "separated by about the width of the shoulders"),
    "spread": _f("apart", "spread", "more than shoulder width apart", "wider apart than the shoulders", "set apart",
                 "beyond shoulder width apart"),
    "wide": _f("wide apart", "far apart", "spread very wide"),
    "below": _f("down", "low", "lowered", "pointing down", "hanging down", "toward the floor", "held low", "downward"),
    "above": _f("up", "raised", "lifted", "held high", "up in the air", "pointing up", "upward"),
    "behind": _f("behind", "at the back", "behind their back", "back", "pulled back", "stretched backward",
                 "toward the back", "held back", "behind the body"),
    "front": _f("in front", "forward", "out in front", "toward the front", "stretched forward"),
    "vertical": _f("vertical", "upright", "perpendicular to the floor", "straight up and down"),
    "horizontal": _f("horizontal", "level", "parallel to the floor", "flat", "parallel to the ground"),
    "body incline backward": _f("leaning back", "bent backward", "arching backward", "reclining backward",
                                "tilted backward", "leaning backward", "tipped back"),
    "body incline backward slightly": _f("leaning back a little", "slightly bent backward", "arching back a bit",
                                         "tilted slightly backward", "reclining a little",
                                         "leaning slightly backward"),
    "body incline forward": _f("bent forward", "leaning forward", "bent over", "tilted forward", "hunched forward",
                               "folded forward", "tipped forward"),
    "body incline forward slightly": _f("leaning slightly forward", "a little bent forward", "tilted a bit forward",
                                        "slightly hunched", "leaning forward a bit", "bent forward a little",
                                        "slightly bent over"),
    "kneeling": _f("kneeling", "on their knees", "in a kneeling stance", "down on both knees")
    + ["the knees {are} on the floor", "their knees {are} resting on the ground"],
    "on_ground": _f("on the ground", "on the floor", "touching the floor"),
    **_lateral("right"), **_lateral("left"),
}

# Head rotations (relativeRot codes): the template names the head itself.
HEAD: dict[str, list[str]] = {
    "incline backward": ["{det} head {v} tipped back", "{det} chin {v} lifted away from {det} chest",
                         "{det} head {v} tilted up and back", "{det} face {v} turned up toward the ceiling"],
    "incline forward": ["{det} chin {v} tucked toward {det} chest", "{det} head {v} bowed",
                        "{det} head {v} tilted down"],
    **_head_lateral("right"), **_head_lateral("left"),
}


def _o(*phrases: str) -> list[str]:
    return [f"{{s}} {{v}} {p} {{o}}" for p in phrases]


TWO_COMPONENTS: dict[str, list[str]] = {
    "close": _o("close to", "near", "next to", "by", "beside", "just by", "near to", "held close to", "alongside"),
    "shoulder width": _o("shoulder width from", "about shoulder width from", "roughly a shoulder width away from",
                         "about the width of the shoulders away from"),
    "spread": _o("apart from", "farther than shoulder width from", "well away from", "spread apart from",
                 "more than shoulder width from"),
    "wide": _o("far from", "wide apart from"),
    "at_right": _o("to the right of", "on the right of"),
    "at_left": _o("to the left of", "on the left of"),
    "above": _o("above", "higher than", "over", "up above", "positioned above", "raised above", "lifted higher than",
                "held over"),
    "below": _o("below", "lower than", "under", "beneath", "underneath", "down below", "positioned lower than"),
    "behind": _o("behind", "at the back of", "further back than"),
    "front": _o("in front of", "ahead of", "further forward than"),
    "xy-aligned": _o("level with", "at the same height as", "lined up in height with"),
    "xz-aligned": _o("vertically aligned with", "in a vertical line with"),
    "yz-aligned": _o("at the same height as", "level with", "even with", "horizontally in line with"),
}
