"""The record of one posecode, and the column lookups of the compiled code tables.

A code says "part 1 <interpretation> [part 2]" (PoseScript `posescript/captioning.py`): each part is a (side, name)
with side 'left', 'right', None (a central part: torso, body, neck, head) or `PLURAL` (both sides, e.g. the hands).
Paircodes (PoseFix) use the same record with `pair=True`: their interpretation is a change from pose A to pose B.
The records the text steps build on top of these (aggregated subjects and predicates) live with the captioning
pipelines in `datasets_build.captioning.codes`.
"""

from __future__ import annotations

from typing import NamedTuple

PLURAL = "<plural>"
SIDES = ("left", "right")


class Code(NamedTuple):
    side1: str | None
    part1: str | None
    interp: str
    side2: str | None = None
    part2: str | None = None
    pair: bool = False  # a paircode (a change between poses A and B) rather than a posecode


class CodeColumns:
    """Column lookups shared by the compiled posecode and paircode tables, which hold `entries` (one per column, with
    their `joints`), `kind_slices`, `interp_names` and `subjects`."""

    PAIR = False  # the tables' codes are paircodes
    WHAT = "posecode"

    @property
    def n_columns(self) -> int:
        return len(self.entries)

    def column(self, kind: str, joints: tuple[str, ...]) -> int:
        s = self.kind_slices[kind]
        for c in range(s.start, s.stop):
            if self.entries[c].joints == joints:
                return c
        raise KeyError(f"no {kind} {self.WHAT} on {joints}")

    def code(self, column: int, category: int) -> Code:
        s1, p1, s2, p2 = self.subjects[column]
        return Code(s1, p1, self.interp_names[column][category], s2, p2, pair=self.PAIR)


def parse_joint(name: str) -> tuple[str | None, str]:
    """'left_hand' -> ('left', 'hand'); 'torso' -> (None, 'torso'); '<plural>_hands' -> ('<plural>', 'hands')."""
    head, _, tail = name.partition("_")
    if tail and head in ("left", "right", PLURAL):
        return head, tail
    return None, name
