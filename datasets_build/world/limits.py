"""Anatomical joint limits of SMPL's 21 body joints, as boxes on local Euler angles.

Frames. SMPL's canonical rest pose is a T-pose: y up, the body faces +z, body-left is +x, palms down. At rest every
joint frame is aligned with these axes, so a joint's local rotation turns its child bones about these axes
(the hip's X axis is the left-right axis, the arm's bone axis is X, ...).

Euler convention. Intrinsic, one axis order per joint kind, written as roma's uppercase convention strings:
"XZY" means R = Rx(a0) @ Rz(a1) @ Ry(a2), the angles stored in that order (a0, a1, a2), in degrees. The order puts
the motion with the large range first and keeps the *middle* angle strictly inside (-90, 90) degrees in every box,
so inside a box the decomposition of a rotation is unique (roma's `rotmat_to_euler` returns the middle angle in
[-90, 90]; the other branch of a Tait-Bryan decomposition has |middle| > 90). Orders:
  hips, knees, ankles, toes, spine, neck, head, collars: "XZY" (flexion about X first; X is the hinge of knees
  and ankles, and the only large motion of the legs and the spine; Z, the middle angle, is abduction or lateral
  bending, which stays well below 90 degrees);
  shoulders and wrists: "ZYX" (X, the bone axis, is the twist; the middle Y angle is forward flexion, whose singular
  direction, the arm pointing exactly forward, is left just outside the box);
  elbows: "YZX" (flexion, about the vertical Y axis of the T-pose, first; forearm twist last).

Anatomical parameterisation. Each Euler angle is one anatomical motion whose positive direction is named (hip
"flexion" brings the knee forward, knee "flexion" takes the ankle behind the thigh line, ...); the raw Euler angle is
`sign * anatomical angle`. Signs were derived with the skeleton's forward kinematics (`tests/world/test_limits.py`
re-derives each of them). Ranges are set once per joint kind, in anatomical degrees, from standard clinical
ranges of motion, and hold on both sides. The right side is the mirror image of the left: mirroring across the
sagittal plane (x -> -x) keeps a rotation's angle about X and negates its angles about Y and Z, so the right-side
signs are the left-side signs with Y and Z negated, and the limit box is exactly mirror-symmetric (central joints
have ranges symmetric in Y and Z for the same reason).

The root orientation (pose joint 0) is not limited here: the generator sets it (see `generator.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import roma
import torch

from benchmark.body.joints import SMPL_BODY_22
from benchmark.body.validation import check_poses
from benchmark.errors import InputError

BODY_JOINT_NAMES: tuple[str, ...] = SMPL_BODY_22.names[1:]
DEFAULT_TOLERANCE_DEG = 0.05  # float32 axis-angle round trips move Euler angles by ~1e-4 degrees


@dataclass(frozen=True)
class Motion:
    """One Euler angle of a joint: the anatomical motion of its positive direction and its range (degrees)."""

    name: str
    axis: str  # 'X', 'Y' or 'Z', the joint-frame axis it rotates about
    sign: int  # raw Euler angle = sign * anatomical angle, on the left side and for central joints
    lower: float
    upper: float


@dataclass(frozen=True)
class JointKind:
    name: str
    convention: str  # intrinsic roma convention, e.g. "XZY": R = Rx(a0) @ Rz(a1) @ Ry(a2)
    motions: tuple[Motion, Motion, Motion]  # in convention order
    natural_spread: tuple[float, float, float]  # default standard deviation (deg) around an archetype's centre

    def __post_init__(self):
        if "".join(m.axis for m in self.motions) != self.convention:
            raise ValueError(f"joint kind {self.name}: motion axes do not follow the convention {self.convention}")
        middle = self.motions[1]
        if not (-90 < middle.lower and middle.upper < 90):
            raise ValueError(f"joint kind {self.name}: the middle angle range must stay inside (-90, 90)")

    def motion_index(self, motion: str) -> int:
        for i, m in enumerate(self.motions):
            if m.name == motion:
                return i
        raise KeyError(f"joint kind '{self.name}' has no motion '{motion}' "
                       f"(it has {', '.join(m.name for m in self.motions)})")


M = Motion
# Ranges: clinical active ranges of motion (AAOS / Norkin-White tables), rounded, and split between the spine
# segments and between neck and head so that the sums match the whole-region ranges.
JOINT_KINDS: dict[str, JointKind] = {k.name: k for k in (
    JointKind("hip", "XZY", (M("flexion", "X", -1, -25, 130), M("abduction", "Z", +1, -30, 70),
                             M("external_rotation", "Y", +1, -40, 60)), (8, 5, 8)),
    JointKind("knee", "XZY", (M("flexion", "X", +1, -5, 155), M("abduction", "Z", +1, -6, 6),
                              M("external_rotation", "Y", +1, -20, 20)), (6, 1.5, 5)),
    JointKind("ankle", "XZY", (M("plantarflexion", "X", +1, -35, 50), M("inversion", "Z", -1, -20, 30),
                               M("abduction", "Y", +1, -25, 25)), (6, 4, 5)),
    JointKind("toes", "XZY", (M("flexion", "X", +1, -40, 30), M("abduction", "Z", +1, -8, 8),
                              M("external_rotation", "Y", +1, -8, 8)), (6, 2, 2)),
    JointKind("spine1", "XZY", (M("flexion", "X", +1, -25, 45), M("lateral_bend_left", "Z", -1, -20, 20),
                                M("rotation_left", "Y", +1, -15, 15)), (4, 3, 3)),
    JointKind("spine2", "XZY", (M("flexion", "X", +1, -15, 30), M("lateral_bend_left", "Z", -1, -15, 15),
                                M("rotation_left", "Y", +1, -15, 15)), (3, 2, 3)),
    JointKind("spine3", "XZY", (M("flexion", "X", +1, -15, 25), M("lateral_bend_left", "Z", -1, -12, 12),
                                M("rotation_left", "Y", +1, -20, 20)), (3, 2, 3)),
    JointKind("neck", "XZY", (M("flexion", "X", +1, -35, 40), M("lateral_bend_left", "Z", -1, -25, 25),
                              M("rotation_left", "Y", +1, -40, 40)), (6, 4, 8)),
    JointKind("head", "XZY", (M("flexion", "X", +1, -35, 30), M("lateral_bend_left", "Z", -1, -20, 20),
                              M("rotation_left", "Y", +1, -40, 40)), (6, 4, 8)),
    JointKind("collar", "XZY", (M("rotation", "X", +1, -10, 10), M("elevation", "Z", +1, -12, 35),
                                M("protraction", "Y", -1, -20, 25)), (2, 3, 3)),
    # Shoulder elevation is measured from the T-pose: -90 = arm down by the side, +90 = arm straight up; with
    # forward flexion it sweeps the arm around the forward axis (-130 with 60 of flexion: arms crossed).
    JointKind("shoulder", "ZYX", (M("elevation", "Z", +1, -160, 115), M("flexion", "Y", -1, -45, 80),
                                  M("external_rotation", "X", -1, -80, 90)), (8, 8, 12)),
    JointKind("elbow", "YZX", (M("flexion", "Y", -1, -5, 150), M("valgus", "Z", +1, -10, 10),
                               M("supination", "X", -1, -80, 85)), (8, 2, 12)),
    JointKind("wrist", "ZYX", (M("flexion", "Z", -1, -70, 80), M("radial_deviation", "Y", -1, -35, 20),
                               M("supination", "X", -1, -30, 30)), (10, 6, 8)),
)}
del M

_KIND_OF_JOINT = {"hip": "hip", "knee": "knee", "ankle": "ankle", "foot": "toes", "collar": "collar",
                  "shoulder": "shoulder", "elbow": "elbow", "wrist": "wrist"}


def joint_kind(joint: str) -> JointKind:
    """The kind of a body joint name ("left_knee" -> knee, "spine2" -> spine2, "left_foot" -> toes)."""
    base = joint.split("_", 1)[1] if joint.startswith(("left_", "right_")) else joint
    return JOINT_KINDS[_KIND_OF_JOINT.get(base, base)]


def _side_sign(joint: str, axis: str) -> int:
    """+1, or -1 for the Y and Z angles of right-side joints (the mirror image of the left)."""
    return -1 if joint.startswith("right_") and axis in "YZ" else 1


@dataclass(frozen=True)
class LimitTable:
    """The limits of the 21 body joints as arrays (body joint b is pose joint b + 1)."""

    conventions: tuple[str, ...]  # [21]
    axes: np.ndarray  # [21, 3] str, the axis of each Euler angle
    signs: np.ndarray  # [21, 3] raw angle = signs * anatomical angle
    lower: np.ndarray  # [21, 3] raw Euler lower bounds, degrees
    upper: np.ndarray  # [21, 3] raw Euler upper bounds, degrees
    motion_names: tuple[tuple[str, str, str], ...]

    @cached_property
    def convention_groups(self) -> tuple[tuple[str, np.ndarray], ...]:
        """(convention, body-joint indices) for each distinct convention: one vectorised conversion per group."""
        return tuple((c, np.array([i for i, ci in enumerate(self.conventions) if ci == c]))
                     for c in dict.fromkeys(self.conventions))

    @cached_property
    def mirror_negate(self) -> np.ndarray:
        """[21, 3] bool: the Euler angles that change sign under a left/right mirror (those about Y and Z)."""
        return self.axes != "X"

    @cached_property
    def mirror_permutation(self) -> np.ndarray:
        """[21]: body joint index of each joint's left/right counterpart."""
        return SMPL_BODY_22.mirror_permutation[1:] - 1


def _build_table() -> LimitTable:
    conventions, axes, signs, lower, upper, names = [], [], [], [], [], []
    for joint in BODY_JOINT_NAMES:
        kind = joint_kind(joint)
        conventions.append(kind.convention)
        axes.append([m.axis for m in kind.motions])
        s = [m.sign * _side_sign(joint, m.axis) for m in kind.motions]
        signs.append(s)
        a = np.array([m.lower for m in kind.motions]) * s
        b = np.array([m.upper for m in kind.motions]) * s
        lower.append(np.minimum(a, b))
        upper.append(np.maximum(a, b))
        names.append(tuple(m.name for m in kind.motions))
    return LimitTable(tuple(conventions), np.array(axes), np.array(signs, dtype=np.float64),
                      np.array(lower, dtype=np.float64), np.array(upper, dtype=np.float64), tuple(names))


LIMITS = _build_table()


def anatomical_to_euler(joint: str, **motions: float) -> np.ndarray:
    """Raw Euler angles [3] (degrees, the joint's convention order) of anatomical motions of one body joint.

    Example: `anatomical_to_euler("left_knee", flexion=90)`. Motions not named are 0.
    """
    kind = joint_kind(joint)
    out = np.zeros(3)
    for name, value in motions.items():
        i = kind.motion_index(name)
        out[i] = kind.motions[i].sign * _side_sign(joint, kind.motions[i].axis) * value
    return out


def mirror_euler(euler_deg: np.ndarray) -> np.ndarray:
    """Euler parameters [..., 21, 3] of the left/right mirrored body: swap the sides, negate the Y and Z angles."""
    euler_deg = np.asarray(euler_deg)
    mirrored = euler_deg[..., LIMITS.mirror_permutation, :]
    return np.where(LIMITS.mirror_negate, -mirrored, mirrored)


# The conversions run in float32, the dtype of the poses themselves: it halves the time of the 100k-pose batches
# and moves angles by ~1e-4 degrees, well inside DEFAULT_TOLERANCE_DEG.
_AXIS_INDEX = {"X": 0, "Y": 1, "Z": 2}


def _axis_quaternions(convention: str, angles: torch.Tensor) -> list[torch.Tensor]:
    """The three elementary unit quaternions (x, y, z, w; roma's order) of Euler angles [..., 3] in radians.

    Written out because it is only cos/sin of the half angles; roma's `euler_to_unitquat` goes through the general
    rotation-vector map (sinc and norms) for each axis, which doubles the cost of 100k-pose batches.
    """
    half = angles * 0.5
    cos, sin = torch.cos(half), torch.sin(half)
    quats = []
    for i, axis in enumerate(convention):
        q = torch.zeros(angles.shape[:-1] + (4,), dtype=angles.dtype)
        q[..., _AXIS_INDEX[axis]] = sin[..., i]
        q[..., 3] = cos[..., i]
        quats.append(q)
    return quats


def euler_to_axis_angle(euler_deg) -> np.ndarray:
    """Raw Euler parameters [..., 21, 3] (degrees) -> local axis-angle rotations [..., 21, 3] (radians, float64:
    the world build snaps what it stores, `canonical.py`)."""
    angles = torch.deg2rad(torch.as_tensor(np.asarray(euler_deg, dtype=np.float64)))
    out = torch.empty_like(angles)
    for convention, idx in LIMITS.convention_groups:
        # intrinsic "ABC": R = R_A(a0) @ R_B(a1) @ R_C(a2), i.e. q = q_A * q_B * q_C
        q_a, q_b, q_c = _axis_quaternions(convention, angles[..., idx, :])
        quat = roma.quat_product(roma.quat_product(q_a, q_b), q_c)
        out[..., idx, :] = roma.unitquat_to_rotvec(quat)
    return out.numpy()


def axis_angle_to_euler(body_axis_angle) -> np.ndarray:
    """Local axis-angle rotations [..., 21, 3] of the body joints -> raw Euler parameters (degrees, float64).

    Inside the limit box this inverts `euler_to_axis_angle`; outside it returns the decomposition with the middle
    angle in [-90, 90] and the others in (-180, 180].
    """
    quat = roma.rotvec_to_unitquat(torch.as_tensor(np.asarray(body_axis_angle, dtype=np.float64)))
    out = torch.empty(quat.shape[:-1] + (3,), dtype=quat.dtype)
    for convention, idx in LIMITS.convention_groups:
        out[..., idx, :] = roma.unitquat_to_euler(convention, quat[..., idx, :], degrees=True)
    return out.numpy()


@dataclass(frozen=True)
class LimitCheck:
    """The result of `check_limits` on N poses."""

    euler_deg: np.ndarray  # [N, 21, 3] raw Euler parameters of the body joints
    excess_deg: np.ndarray  # [N, 21, 3] how far each angle lies outside its range (0 inside)
    tolerance_deg: float

    @property
    def within(self) -> np.ndarray:
        """[N] bool: the pose respects every limit."""
        return ~(self.excess_deg > self.tolerance_deg).any(axis=(1, 2))

    @property
    def all_within(self) -> bool:
        return bool(self.within.all())

    @property
    def offending(self) -> np.ndarray:
        """[M, 2] int: (row, pose joint index 1..21) of every joint outside its box."""
        rows, joints = np.nonzero((self.excess_deg > self.tolerance_deg).any(axis=2))
        return np.stack([rows, joints + 1], axis=1)

    def describe(self, row: int, pose_joint: int) -> str:
        b = pose_joint - 1
        parts = []
        for i in np.flatnonzero(self.excess_deg[row, b] > self.tolerance_deg):
            parts.append(f"{LIMITS.motion_names[b][i]} angle {self.euler_deg[row, b, i]:.1f} deg outside "
                         f"[{LIMITS.lower[b, i]:.0f}, {LIMITS.upper[b, i]:.0f}]")
        return f"{BODY_JOINT_NAMES[b]}: " + "; ".join(parts)

    def raise_if_any(self, *, file: str | None = None, field: str = "poses") -> None:
        """Raise InputError naming the first offending row and joint (and how many rows are affected)."""
        bad = self.offending
        if len(bad) == 0:
            return
        row, joint = (int(v) for v in bad[0])
        n_rows = len(np.unique(bad[:, 0]))
        raise InputError(f"{self.describe(row, joint)} ({n_rows} pose(s) outside the joint limits in all)",
                         file=file, row=row, field=field,
                         hint="raw Euler angles in the conventions of datasets_build.world.limits")


def check_limits(poses, *, tolerance_deg: float = DEFAULT_TOLERANCE_DEG, file: str | None = None,
                 field: str = "poses") -> LimitCheck:
    """Check axis-angle poses [N, 22|52, 3] (SMPL order; fingers ignored) against the body-joint limits.

    The body rotations are decomposed into the Euler parameters of `LIMITS` and compared with the boxes; an angle
    more than `tolerance_deg` outside its range is a violation.
    """
    poses = check_poses(poses, file=file, field=field)
    poses = poses.detach().cpu().numpy() if isinstance(poses, torch.Tensor) else poses
    euler = axis_angle_to_euler(poses[:, 1:22])
    excess = np.maximum(LIMITS.lower - euler, 0.0) + np.maximum(euler - LIMITS.upper, 0.0)
    return LimitCheck(euler, excess, tolerance_deg)


def clamp_to_limits(poses) -> np.ndarray:
    """Project the body joints of poses [N, 22|52, 3] onto the limit boxes (clip their Euler parameters).

    Joints inside their box are returned unchanged (up to float rounding); the root and fingers are untouched.
    """
    poses = np.array(check_poses(poses), copy=True)
    euler = axis_angle_to_euler(poses[:, 1:22])
    inside = ((euler >= LIMITS.lower) & (euler <= LIMITS.upper)).all(axis=-1)
    clipped = euler_to_axis_angle(np.clip(euler, LIMITS.lower, LIMITS.upper))
    poses[:, 1:22] = np.where(inside[..., None], poses[:, 1:22], clipped)
    return poses
