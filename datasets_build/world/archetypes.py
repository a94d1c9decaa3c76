"""The archetype library of the embedded pose world: named body postures with a centre and a spread.

An archetype is a distribution over poses: for each of the 21 body joints a centre and a standard deviation of its
Euler parameters (the raw angles of `limits.py`, degrees), plus a centre and spread of the root pitch and roll.
Archetypes are written in anatomical terms, `"<joint>.<motion>": degrees`:
  "hip.flexion": 90        both sides (the right side gets the mirrored raw angles);
  "left_knee.flexion": 20  one side (applied after the two-sided entries, so it overrides them);
  "spine1.flexion": 10     a central joint.
Motions not named sit at 0 (the T-pose value); spreads not named take the joint kind's natural spread.

Root orientation (see `generator.py`): the root is Rz(heading) @ Rx(+90 deg) @ Rx(pitch) @ Rz(roll), the last two
in SMPL's canonical body frame: pitch > 0 tips the body forward (+90: lying on the belly, -90: lying on the back),
roll > 0 tips the head toward the body's right (+90: lying on the right side). The root is SMPL's pelvis, so a
posture that tilts the pelvis over the legs (bending forward, squatting, hands on knees) pitches the root by about
the hip flexion that keeps the legs under the body: bending forward is root pitch + hip flexion + spine flexion,
with vertical legs.

Asymmetric archetypes are written for one side (usually the left leg forward / the right arm acting); the
generator mirrors any pose with probability 1/2, so both sides occur equally often.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from datasets_build.world.limits import BODY_JOINT_NAMES, LIMITS, anatomical_to_euler, joint_kind, mirror_euler


@dataclass(frozen=True, eq=False)
class Archetype:
    """One posture family. Arrays are raw Euler parameters in degrees, [21, 3] over the body joints 1..21."""

    name: str
    description: str
    centre_deg: np.ndarray
    spread_deg: np.ndarray
    root_deg: tuple[float, float]  # (pitch, roll) centre
    root_spread_deg: tuple[float, float]
    anatomy: MappingProxyType = field(repr=False)  # the "<joint>.<motion>" centre entries it was written with

    @property
    def symmetric(self) -> bool:
        """True when the mirror image of the archetype is the archetype itself."""
        return (np.allclose(mirror_euler(self.centre_deg), self.centre_deg)
                and np.allclose(mirror_euler(self.spread_deg) ** 2, self.spread_deg ** 2)
                and self.root_deg[1] == 0.0)


def _joints_of(key: str) -> tuple[list[str], str]:
    joint, _, motion = key.partition(".")
    if not motion:
        raise ValueError(f"archetype entry '{key}' is not '<joint>.<motion>'")
    if joint in BODY_JOINT_NAMES:
        return [joint], motion
    sided = [f"left_{joint}", f"right_{joint}"]
    if all(j in BODY_JOINT_NAMES for j in sided):
        return sided, motion
    raise ValueError(f"archetype entry '{key}': unknown joint '{joint}'")


def _expand(entries: dict[str, float]) -> list[tuple[str, str, float]]:
    """(joint, motion, value) triples; two-sided entries first so that one-sided entries override their side."""
    two_sided, one_joint = [], []
    for key, value in entries.items():
        joints, motion = _joints_of(key)
        (two_sided if len(joints) == 2 else one_joint).extend((j, motion, float(value)) for j in joints)
    return two_sided + one_joint


def make_archetype(name: str, description: str, pose: dict[str, float], spread: dict[str, float] | None = None,
                   root: tuple[float, float] = (0.0, 0.0), root_spread: tuple[float, float] = (2.0, 2.0)
                   ) -> Archetype:
    """Build an archetype from anatomical entries (see the module docstring); validates names and ranges."""
    centre = np.zeros((21, 3))
    spread = dict(spread or {})
    spread_deg = np.array([joint_kind(j).natural_spread for j in BODY_JOINT_NAMES], dtype=float)
    for joint, motion, value in _expand(pose):
        b = BODY_JOINT_NAMES.index(joint)
        i = joint_kind(joint).motion_index(motion)
        centre[b, i] = anatomical_to_euler(joint, **{motion: value})[i]
    for joint, motion, value in _expand(spread):
        b = BODY_JOINT_NAMES.index(joint)
        spread_deg[b, joint_kind(joint).motion_index(motion)] = value
    if (spread_deg < 0).any() or min(root_spread) < 0:
        raise ValueError(f"archetype {name}: spreads must be non-negative")
    outside = (centre < LIMITS.lower) | (centre > LIMITS.upper)
    if outside.any():
        b, i = np.argwhere(outside)[0]
        raise ValueError(f"archetype {name}: {BODY_JOINT_NAMES[b]} {LIMITS.motion_names[b][i]} centre "
                         f"{centre[b, i]:.0f} is outside [{LIMITS.lower[b, i]:.0f}, {LIMITS.upper[b, i]:.0f}]")
    return Archetype(name, description, centre, spread_deg, (float(root[0]), float(root[1])),
                     (float(root_spread[0]), float(root_spread[1])), MappingProxyType(dict(pose)))


# Shared building blocks (anatomical degrees).
ARMS_RELAXED = {"shoulder.elevation": -78, "shoulder.flexion": 5, "elbow.flexion": 12, "wrist.flexion": 5}
ARMS_RELAXED_SPREAD = {"shoulder.elevation": 5, "shoulder.flexion": 7, "elbow.flexion": 8}
LEGS_STRAIGHT = {"hip.flexion": 2, "hip.abduction": 4, "knee.flexion": 4, "hip.external_rotation": 8}
LEGS_STRAIGHT_SPREAD = {"hip.flexion": 4, "hip.abduction": 3, "knee.flexion": 3}
STANDING_SPREAD = {**ARMS_RELAXED_SPREAD, **LEGS_STRAIGHT_SPREAD}
GUARD_ARMS = {"shoulder.elevation": -70, "shoulder.flexion": 40, "shoulder.external_rotation": 20,
              "elbow.flexion": 125, "elbow.supination": 40, "wrist.flexion": 10}

_A = make_archetype
ARCHETYPES: tuple[Archetype, ...] = (
    # --- standing -------------------------------------------------------------------------------------------
    _A("stand_relaxed", "standing, arms hanging relaxed",
       {**ARMS_RELAXED, **LEGS_STRAIGHT}, STANDING_SPREAD),
    _A("stand_attention", "standing straight, arms tight by the sides, feet together",
       {"shoulder.elevation": -86, "shoulder.flexion": 2, "elbow.flexion": 3, "hip.abduction": -1,
        "hip.external_rotation": 5, "spine1.flexion": -3},
       {"shoulder.elevation": 2, "shoulder.flexion": 3, "elbow.flexion": 2, "hip.abduction": 1.5,
        "hip.flexion": 2, "knee.flexion": 1.5}),
    _A("stand_t_pose", "standing with the arms stretched out sideways (T-pose)",
       {**LEGS_STRAIGHT, "shoulder.elevation": 0, "shoulder.flexion": 3, "elbow.flexion": 4},
       {**LEGS_STRAIGHT_SPREAD, "shoulder.elevation": 7, "shoulder.flexion": 7, "elbow.flexion": 4}),
    _A("stand_a_pose", "standing with the arms held out and down at about 45 degrees",
       {**LEGS_STRAIGHT, "shoulder.elevation": -45, "shoulder.flexion": 5, "elbow.flexion": 6},
       {**LEGS_STRAIGHT_SPREAD, "shoulder.elevation": 8, "shoulder.flexion": 7, "elbow.flexion": 5}),
    _A("stand_wide", "standing with the feet wide apart",
       {**ARMS_RELAXED, "hip.abduction": 14, "hip.external_rotation": 15, "knee.flexion": 6,
        "ankle.inversion": -10},
       {**ARMS_RELAXED_SPREAD, "hip.abduction": 5}),
    _A("hands_on_hips", "standing with the hands on the hips, elbows out",
       {**LEGS_STRAIGHT, "shoulder.elevation": -45, "shoulder.flexion": -18, "shoulder.external_rotation": -74,
        "elbow.flexion": 92, "elbow.supination": -20, "wrist.flexion": -10},
       {**LEGS_STRAIGHT_SPREAD, "shoulder.elevation": 5, "shoulder.flexion": 5, "elbow.flexion": 8}),
    _A("arms_crossed", "standing with the arms crossed over the chest",
       {**LEGS_STRAIGHT, "shoulder.elevation": -92, "shoulder.flexion": 39, "shoulder.external_rotation": -72,
        "elbow.flexion": 93, "left_shoulder.elevation": -94, "left_shoulder.external_rotation": -76,
        "left_elbow.flexion": 83},
       {**LEGS_STRAIGHT_SPREAD, "shoulder.elevation": 4, "shoulder.flexion": 4, "elbow.flexion": 5,
        "shoulder.external_rotation": 4}),
    _A("hands_behind_head", "standing with the hands clasped behind the head, elbows out",
       {**LEGS_STRAIGHT, "shoulder.elevation": 50, "shoulder.flexion": -18, "shoulder.external_rotation": 85,
        "elbow.flexion": 125, "collar.elevation": 5, "wrist.flexion": 10},
       {**LEGS_STRAIGHT_SPREAD, "shoulder.elevation": 6, "shoulder.flexion": 6, "elbow.flexion": 5,
        "shoulder.external_rotation": 6}),
    _A("arms_raised", "standing with both arms raised above the head",
       {**LEGS_STRAIGHT, "shoulder.elevation": 78, "shoulder.flexion": 12, "elbow.flexion": 8,
        "collar.elevation": 12},
       {**LEGS_STRAIGHT_SPREAD, "shoulder.elevation": 7, "shoulder.flexion": 8, "elbow.flexion": 6}),
    _A("reach_up", "standing on tiptoe, reaching up with the right arm",
       {**LEGS_STRAIGHT, **{f"left_{k}": v for k, v in ARMS_RELAXED.items()},
        "right_shoulder.elevation": 75, "right_shoulder.flexion": 10, "right_elbow.flexion": 5,
        "right_collar.elevation": 12, "ankle.plantarflexion": 30, "spine1.lateral_bend_left": 5,
        "spine2.lateral_bend_left": 3, "neck.flexion": -20},
       {**LEGS_STRAIGHT_SPREAD, "right_shoulder.elevation": 6, "ankle.plantarflexion": 4}),
    _A("reach_forward", "standing, reaching forward with both arms",
       {**LEGS_STRAIGHT, "hip.flexion": 12, "spine1.flexion": 10, "spine2.flexion": 5,
        "shoulder.elevation": -8, "shoulder.flexion": 72, "elbow.flexion": 8, "collar.protraction": 12},
       {**LEGS_STRAIGHT_SPREAD, "shoulder.elevation": 8, "shoulder.flexion": 5, "elbow.flexion": 6}),
    _A("point_forward", "standing, pointing forward with the right arm",
       {**LEGS_STRAIGHT, **{f"left_{k}": v for k, v in ARMS_RELAXED.items()},
        "right_shoulder.elevation": -5, "right_shoulder.flexion": 75, "right_elbow.flexion": 5,
        "head.rotation_left": -10},
       {**LEGS_STRAIGHT_SPREAD, "right_shoulder.elevation": 8, "right_shoulder.flexion": 4}),
    _A("wave", "standing, waving with the right hand raised",
       {**LEGS_STRAIGHT, **{f"left_{k}": v for k, v in ARMS_RELAXED.items()},
        "right_shoulder.elevation": -15, "right_shoulder.flexion": 25, "right_shoulder.external_rotation": 75,
        "right_elbow.flexion": 95, "right_elbow.supination": 40, "right_wrist.radial_deviation": 10},
       {**LEGS_STRAIGHT_SPREAD, "right_shoulder.elevation": 8, "right_elbow.flexion": 12,
        "right_wrist.radial_deviation": 12}),
    _A("lean_sideways", "standing and bending the upper body to the left, right arm over the head",
       {**LEGS_STRAIGHT, "spine1.lateral_bend_left": 16, "spine2.lateral_bend_left": 12,
        "spine3.lateral_bend_left": 10, "neck.lateral_bend_left": 8,
        "left_shoulder.elevation": -85, "left_elbow.flexion": 5,
        "right_shoulder.elevation": 100, "right_shoulder.flexion": 10, "right_elbow.flexion": 20},
       {**LEGS_STRAIGHT_SPREAD, "right_shoulder.elevation": 8, "right_elbow.flexion": 12},
       root=(0.0, -4.0)),
    _A("bend_forward", "bending forward from the hips, arms hanging towards the floor",
       {"hip.flexion": 62, "knee.flexion": 6, "hip.abduction": 4, "spine1.flexion": 22, "spine2.flexion": 15,
        "spine3.flexion": 10, "neck.flexion": -15, "shoulder.elevation": 85, "shoulder.flexion": 70,
        "elbow.flexion": 8},
       {"hip.flexion": 8, "spine1.flexion": 6, "shoulder.elevation": 8, "shoulder.flexion": 5},
       root=(60.0, 0.0), root_spread=(8.0, 3.0)),
    _A("hands_on_knees", "standing bent over with the hands resting on the knees",
       {"hip.flexion": 70, "knee.flexion": 35, "hip.abduction": 10, "spine1.flexion": 12, "spine2.flexion": 6,
        "neck.flexion": -25, "shoulder.elevation": -91, "shoulder.flexion": 47, "elbow.flexion": 5},
       {"hip.flexion": 4, "knee.flexion": 4, "shoulder.elevation": 3, "shoulder.flexion": 3, "spine1.flexion": 3,
        "spine2.flexion": 2},
       root=(35.0, 0.0), root_spread=(3.0, 2.0)),
    _A("one_leg_knee_up", "balancing on the left leg with the right knee raised",
       {"left_hip.flexion": 2, "left_knee.flexion": 6, "right_hip.flexion": 95, "right_knee.flexion": 95,
        "right_ankle.plantarflexion": 20, "shoulder.elevation": -45, "shoulder.flexion": 10,
        "elbow.flexion": 15},
       {"right_hip.flexion": 10, "right_knee.flexion": 12, "shoulder.elevation": 10}),
    _A("tree_pose", "yoga tree pose: standing on the left leg, right foot against the left knee, hands up",
       {"left_hip.flexion": 2, "left_knee.flexion": 3, "right_hip.flexion": 35, "right_hip.abduction": 45,
        "right_hip.external_rotation": 45, "right_knee.flexion": 135, "right_ankle.plantarflexion": 30,
        "shoulder.elevation": 80, "shoulder.flexion": 25, "elbow.flexion": 35},
       {"right_hip.abduction": 6, "right_knee.flexion": 6, "shoulder.elevation": 6}),
    _A("front_kick", "kicking forward with the right leg, arms in guard",
       {**GUARD_ARMS, "left_hip.flexion": 5, "left_knee.flexion": 12, "right_hip.flexion": 80,
        "right_knee.flexion": 20, "right_ankle.plantarflexion": 30, "spine1.flexion": 5},
       {"right_hip.flexion": 10, "right_knee.flexion": 12},
       root=(-8.0, 0.0), root_spread=(4.0, 3.0)),
    _A("boxing_guard", "boxing stance: left foot forward, knees soft, fists up at the chin",
       {**GUARD_ARMS, "left_hip.flexion": 18, "left_knee.flexion": 15, "right_hip.flexion": -8,
        "right_knee.flexion": 15, "hip.abduction": 8, "spine1.flexion": 6, "neck.flexion": 15,
        "spine2.rotation_left": -8, "left_shoulder.flexion": 50},
       {**LEGS_STRAIGHT_SPREAD, "elbow.flexion": 8, "shoulder.flexion": 6}),
    # --- moving ---------------------------------------------------------------------------------------------
    _A("walk", "walking: left leg forward, arms swinging opposite",
       {"left_hip.flexion": 25, "left_knee.flexion": 8, "left_ankle.plantarflexion": -8,
        "right_hip.flexion": -15, "right_knee.flexion": 20, "right_ankle.plantarflexion": 15,
        "shoulder.elevation": -80, "left_shoulder.flexion": -18, "right_shoulder.flexion": 22,
        "elbow.flexion": 20, "spine2.rotation_left": -4},
       {"hip.flexion": 6, "knee.flexion": 8, "shoulder.flexion": 7, "elbow.flexion": 8}),
    _A("run", "running: left thigh driven forward, arms bent and swinging",
       {"left_hip.flexion": 55, "left_knee.flexion": 85, "left_ankle.plantarflexion": 5,
        "right_hip.flexion": -20, "right_knee.flexion": 45, "right_ankle.plantarflexion": 25,
        "shoulder.elevation": -75, "left_shoulder.flexion": -35, "right_shoulder.flexion": 45,
        "elbow.flexion": 90, "spine1.flexion": 5, "spine2.rotation_left": -6},
       {"hip.flexion": 8, "knee.flexion": 12, "shoulder.flexion": 10, "elbow.flexion": 10},
       root=(10.0, 0.0)),
    _A("jump_star", "star jump: arms and legs spread, toes pointed",
       {"hip.abduction": 28, "knee.flexion": 8, "ankle.plantarflexion": 30, "shoulder.elevation": 45,
        "shoulder.flexion": 5, "elbow.flexion": 8},
       {"hip.abduction": 6, "shoulder.elevation": 10}),
    _A("jump_tuck", "tuck jump: knees pulled up, arms forward",
       {"hip.flexion": 85, "knee.flexion": 105, "hip.abduction": 8, "ankle.plantarflexion": 20,
        "shoulder.elevation": -30, "shoulder.flexion": 50, "elbow.flexion": 30, "spine1.flexion": 10},
       {"hip.flexion": 10, "knee.flexion": 10}),
    _A("lunge", "forward lunge: left foot forward, front knee bent, back leg extended",
       {"left_hip.flexion": 85, "left_knee.flexion": 90, "left_hip.abduction": 5,
        "right_hip.flexion": -20, "right_knee.flexion": 60, "right_ankle.plantarflexion": 30,
        "right_foot.flexion": -30, **ARMS_RELAXED, "spine1.flexion": -3},
       {"left_hip.flexion": 6, "left_knee.flexion": 6, "right_knee.flexion": 8, **ARMS_RELAXED_SPREAD}),
    _A("warrior_two", "yoga warrior II: wide stance, left knee bent over the foot, arms stretched sideways",
       {"left_hip.flexion": 50, "left_hip.abduction": 35, "left_hip.external_rotation": 40,
        "left_knee.flexion": 85, "right_hip.abduction": 30, "right_hip.flexion": -5, "right_knee.flexion": 3,
        "right_ankle.abduction": -15, "shoulder.elevation": 0, "shoulder.flexion": 0, "elbow.flexion": 3,
        "neck.rotation_left": 25, "head.rotation_left": 25},
       {"left_knee.flexion": 8, "shoulder.elevation": 6}),
    # --- crouching, kneeling, sitting ----------------------------------------------------------------------
    _A("squat", "deep squat, heels down, arms forward for balance",
       {"hip.flexion": 118, "knee.flexion": 128, "hip.abduction": 20, "hip.external_rotation": 15,
        "ankle.plantarflexion": -28, "spine1.flexion": 12, "spine2.flexion": 6, "neck.flexion": -20,
        "shoulder.elevation": 80, "shoulder.flexion": 45, "elbow.flexion": 15},
       {"hip.flexion": 6, "knee.flexion": 6, "shoulder.flexion": 8, "shoulder.elevation": 8},
       root=(30.0, 0.0), root_spread=(5.0, 3.0)),
    _A("pick_up", "crouching to pick something up from the floor with the right hand",
       {"hip.flexion": 100, "knee.flexion": 90, "hip.abduction": 12, "spine1.flexion": 22, "spine2.flexion": 12,
        "spine3.flexion": 6, "neck.flexion": -10, **{f"left_{k}": v for k, v in ARMS_RELAXED.items()},
        "left_shoulder.flexion": 30, "right_shoulder.elevation": -70, "right_shoulder.flexion": 75,
        "right_elbow.flexion": 5, "ankle.plantarflexion": -10},
       {"hip.flexion": 8, "knee.flexion": 10},
       root=(40.0, 0.0), root_spread=(6.0, 3.0)),
    _A("kneel_one_knee", "kneeling on the right knee, left foot flat in front",
       {"left_hip.flexion": 90, "left_knee.flexion": 90, "left_ankle.plantarflexion": -5,
        "right_hip.flexion": 0, "right_knee.flexion": 92, "right_ankle.plantarflexion": 20,
        "right_foot.flexion": -35, "left_shoulder.elevation": -65, "left_shoulder.flexion": 45,
        "left_elbow.flexion": 25, **{f"right_{k}": v for k, v in ARMS_RELAXED.items()}},
       {"left_hip.flexion": 7, "left_knee.flexion": 7, "right_hip.flexion": 5, "right_knee.flexion": 4}),
    _A("kneel_upright", "kneeling upright on both knees",
       {"hip.flexion": 5, "knee.flexion": 92, "ankle.plantarflexion": 45, "hip.abduction": 5, **ARMS_RELAXED},
       {"hip.flexion": 5, "knee.flexion": 4, **ARMS_RELAXED_SPREAD}),
    _A("kneel_sit_on_heels", "kneeling and sitting back on the heels, hands on the thighs",
       {"hip.flexion": 65, "knee.flexion": 150, "ankle.plantarflexion": 45, "hip.abduction": 6,
        "shoulder.elevation": -72, "shoulder.flexion": 35, "elbow.flexion": 50},
       {"hip.flexion": 5, "knee.flexion": 2, "ankle.plantarflexion": 3},
       root=(5.0, 0.0), root_spread=(4.0, 3.0)),
    _A("sit_chair", "sitting on a chair, thighs horizontal, hands on the thighs",
       {"hip.flexion": 88, "knee.flexion": 88, "hip.abduction": 8, "hip.external_rotation": 5,
        "spine1.flexion": 4, "shoulder.elevation": -75, "shoulder.flexion": 35, "elbow.flexion": 55},
       {"hip.flexion": 5, "knee.flexion": 12, "hip.abduction": 5, "shoulder.flexion": 8, "elbow.flexion": 12}),
    _A("sit_cross_legged", "sitting cross-legged on the floor, hands on the knees",
       {"hip.flexion": 90, "hip.abduction": 44, "hip.external_rotation": 55, "knee.flexion": 142,
        "ankle.plantarflexion": 10, "ankle.inversion": 15, "spine1.flexion": 10,
        "shoulder.elevation": -68, "shoulder.flexion": 28, "elbow.flexion": 30},
       {"hip.flexion": 6, "hip.abduction": 5, "knee.flexion": 4}),
    _A("sit_floor_legs_extended", "sitting on the floor, legs straight out in front, leaning back on the hands",
       {"hip.flexion": 75, "knee.flexion": 5, "hip.abduction": 6, "ankle.plantarflexion": 20,
        "spine1.flexion": -5, "shoulder.elevation": -80, "shoulder.flexion": -35, "elbow.flexion": 5},
       {"hip.flexion": 5, "knee.flexion": 4, "shoulder.flexion": 6},
       root=(-15.0, 0.0), root_spread=(4.0, 3.0)),
    _A("sit_hug_knees", "sitting on the floor hugging the knees to the chest",
       {"hip.flexion": 120, "knee.flexion": 135, "hip.abduction": 5, "spine1.flexion": 25, "spine2.flexion": 15,
        "neck.flexion": 10, "shoulder.elevation": -55, "shoulder.flexion": 65, "shoulder.external_rotation": -20,
        "elbow.flexion": 70, "ankle.plantarflexion": 10},
       {"hip.flexion": 5, "knee.flexion": 5},
       root=(-10.0, 0.0), root_spread=(4.0, 3.0)),
    # --- on the floor ---------------------------------------------------------------------------------------
    _A("hands_and_knees", "on hands and knees (crawling position)",
       {"hip.flexion": 90, "knee.flexion": 92, "hip.abduction": 5, "ankle.plantarflexion": 40,
        "shoulder.elevation": -88, "shoulder.flexion": 78, "elbow.flexion": 5, "neck.flexion": -25,
        "wrist.flexion": -60},
       {"hip.flexion": 5, "knee.flexion": 5, "shoulder.flexion": 2},
       root=(90.0, 0.0), root_spread=(4.0, 3.0)),
    _A("plank", "plank (push-up position): body straight, arms straight under the shoulders",
       {"hip.flexion": 0, "knee.flexion": 2, "ankle.plantarflexion": -10, "shoulder.elevation": -90,
        "shoulder.flexion": 76, "elbow.flexion": 4, "neck.flexion": -20, "wrist.flexion": -65},
       {"hip.flexion": 4, "knee.flexion": 2, "shoulder.flexion": 3},
       root=(75.0, 0.0), root_spread=(3.0, 2.0)),
    _A("lie_back", "lying flat on the back, arms by the sides",
       {"shoulder.elevation": -70, "elbow.flexion": 10, "hip.abduction": 5, "ankle.plantarflexion": 20,
        "hip.external_rotation": 15},
       {"shoulder.elevation": 12, "hip.abduction": 4},
       root=(-90.0, 0.0), root_spread=(3.0, 4.0)),
    _A("lie_back_knees_up", "lying on the back with the knees bent and the feet flat",
       {"hip.flexion": 50, "knee.flexion": 100, "ankle.plantarflexion": 10, "shoulder.elevation": -65,
        "elbow.flexion": 15},
       {"hip.flexion": 8, "knee.flexion": 10, "shoulder.elevation": 10},
       root=(-90.0, 0.0), root_spread=(3.0, 4.0)),
    _A("lie_side", "lying on the right side, knees slightly bent, head resting on the right arm",
       {"hip.flexion": 30, "knee.flexion": 40, "left_hip.flexion": 40, "left_knee.flexion": 50,
        "right_shoulder.elevation": 70, "right_shoulder.flexion": 20, "right_elbow.flexion": 40,
        "left_shoulder.elevation": -80, "left_shoulder.flexion": 20, "left_elbow.flexion": 25,
        "neck.lateral_bend_left": -10},
       {"hip.flexion": 10, "knee.flexion": 12},
       root=(0.0, 88.0), root_spread=(4.0, 3.0)),
    _A("lie_belly", "lying on the belly, forearms on the floor by the head",
       {"shoulder.elevation": 30, "shoulder.flexion": 15, "shoulder.external_rotation": 85,
        "elbow.flexion": 100, "ankle.plantarflexion": 45, "neck.flexion": -20, "head.rotation_left": 15},
       {"shoulder.elevation": 8, "elbow.flexion": 12, "head.rotation_left": 15},
       root=(90.0, 0.0), root_spread=(3.0, 3.0)),
)
del _A

ARCHETYPE_NAMES: tuple[str, ...] = tuple(a.name for a in ARCHETYPES)
if len(set(ARCHETYPE_NAMES)) != len(ARCHETYPE_NAMES):
    raise RuntimeError("archetype names must be unique")


def archetype_index(name: str) -> int:
    try:
        return ARCHETYPE_NAMES.index(name)
    except ValueError:
        import difflib

        close = difflib.get_close_matches(name, ARCHETYPE_NAMES, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"choose from {', '.join(ARCHETYPE_NAMES)}"
        raise KeyError(f"unknown archetype '{name}'; {hint}") from None


def archetype_arrays(indices=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stacked (centre [A, 21, 3], spread [A, 21, 3], root centre [A, 2], root spread [A, 2]) in degrees."""
    chosen = ARCHETYPES if indices is None else [ARCHETYPES[i] for i in indices]
    return (np.stack([a.centre_deg for a in chosen]), np.stack([a.spread_deg for a in chosen]),
            np.array([a.root_deg for a in chosen]), np.array([a.root_spread_deg for a in chosen]))

