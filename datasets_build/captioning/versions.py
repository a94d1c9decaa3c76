"""Named caption versions: the flag sets of the released automatic texts (naver/posescript
`posescript/README.md`, `posefix/README.md`).

PoseScript-A2 holds three captions per pose, from the versions N2, N6 and N7 (upstream does not document their
order in the file). The ECCV'22 PoseScript-A1 files are versions A to F. PoseFix-A holds three instructions per pair,
from pfA, pfB and pfC. Without action labels (`actions=None`), N6 and ECCV A-C are the same pipeline without the
action sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmark.errors import InputError


@dataclass(frozen=True)
class DescriptionVersion:
    name: str
    random_skip: bool = False
    simplified: bool = False
    transitive_ripple: bool = False
    stat_ripple: bool = False
    actions: bool = False  # upstream --add_babel_info
    dancing: bool = False  # upstream --add_dancing_info


@dataclass(frozen=True)
class InstructionVersion:
    name: str
    random_skip: bool = False
    simplified: bool = False


DESCRIPTION_VERSIONS: dict[str, DescriptionVersion] = {v.name: v for v in [
    DescriptionVersion("N2", random_skip=True, simplified=True),
    DescriptionVersion("N6", random_skip=True, actions=True, dancing=True),
    DescriptionVersion("N7", random_skip=True, transitive_ripple=True, stat_ripple=True),
    DescriptionVersion("A", random_skip=True, transitive_ripple=True, stat_ripple=True, actions=True, dancing=True),
    DescriptionVersion("B", random_skip=True, actions=True, dancing=True),
    DescriptionVersion("C", random_skip=True, actions=True),
    DescriptionVersion("D", random_skip=True),
    DescriptionVersion("E", random_skip=True, simplified=True),
    DescriptionVersion("F", simplified=True),
]}
POSESCRIPT_A2_VERSIONS = ("N2", "N6", "N7")

INSTRUCTION_VERSIONS: dict[str, InstructionVersion] = {v.name: v for v in [
    InstructionVersion("pfA"),
    InstructionVersion("pfB", random_skip=True),
    InstructionVersion("pfC", random_skip=True, simplified=True),
]}
POSEFIX_A_VERSIONS = ("pfA", "pfB", "pfC")


def description_version(name: str | DescriptionVersion) -> DescriptionVersion:
    if isinstance(name, DescriptionVersion):
        return name
    if name not in DESCRIPTION_VERSIONS:
        raise InputError(f"unknown description version '{name}'", field="version",
                         hint=f"one of {', '.join(DESCRIPTION_VERSIONS)}")
    return DESCRIPTION_VERSIONS[name]


def instruction_version(name: str | InstructionVersion) -> InstructionVersion:
    if isinstance(name, InstructionVersion):
        return name
    if name not in INSTRUCTION_VERSIONS:
        raise InputError(f"unknown instruction version '{name}'", field="version",
                         hint=f"one of {', '.join(INSTRUCTION_VERSIONS)}")
    return INSTRUCTION_VERSIONS[name]
