"""Posecode and paircode operators: vectorised measurements on batches of captioning joints, and their binning.

Conventions (naver/posescript `posescript/compute_coords.py`, `posescript/posecodes.py`, `posefix/paircodes.py`):
* joints are float arrays [B, 35, 3] in `benchmark.body.virtual_joints.CAPTIONING_JOINTS` order, in metres, in the
  y-up captioning frame: +y up, the body faces +z, +x is the body's *left* ("A at the right of B" <=> A.x < B.x);
* angles are in degrees, distances in metres;
* binning: category i is the smallest i with `value <= thresholds[i]`, else the last category (upstream's rule,
  which `np.searchsorted(..., side="left")` computes directly);
* noise: `value + U(-delta, +delta)`, one independent draw per pose and per code, simulating annotator subjectivity.

Every operator is a few numpy array expressions over the whole batch; the measured values are float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmark.body import rotations
from benchmark.body.joints import SMPL_BODY_PARENTS
from benchmark.body.virtual_joints import CAPTIONING_JOINTS

JOINT_INDEX = {name: i for i, name in enumerate(CAPTIONING_JOINTS.names)}
# A body is "upright enough" to be called bent forward/backward only if its lowest ankle is at least this far
# below the middle of the shoulders (lying down or standing on the hands would otherwise read as bent).
ANKLE_BELOW_SHOULDERS_M = 0.2


@dataclass(frozen=True)
class Operator:
    """One kind of relation: the categories it bins a measured value into."""

    kind: str
    categories: tuple[str, ...]
    thresholds: tuple[float, ...]
    noise: float  # the delta of the U(-delta, +delta) noise, in the operator's unit
    unit: str

    def __post_init__(self):
        if len(self.categories) != len(self.thresholds) + 1:
            raise ValueError(f"operator {self.kind}: {len(self.categories)} categories need "
                             f"{len(self.categories) - 1} thresholds")
        if list(self.thresholds) != sorted(self.thresholds):
            raise ValueError(f"operator {self.kind}: thresholds must increase")

    def bin(self, values: np.ndarray) -> np.ndarray:
        return bin_values(values, self.thresholds)

    @property
    def described_categories(self) -> tuple[str, ...]:
        """The categories a description can use ('ALL' in the upstream tables): every one but the ignored ones."""
        return tuple(c for c in self.categories if "ignored" not in c)


def bin_values(values: np.ndarray, thresholds) -> np.ndarray:
    """Category index (int8) of every value: the smallest i with value <= thresholds[i], else len(thresholds)."""
    return np.searchsorted(np.asarray(thresholds, dtype=np.float64), values, side="left").astype(np.int8)


def add_noise(values: np.ndarray, delta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """values [B, n] + U(-delta, +delta) with one delta per column."""
    return values + (rng.random(values.shape) * 2.0 - 1.0) * delta


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _acos_deg(cos: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def angle(joints: np.ndarray, triples: np.ndarray) -> np.ndarray:
    """[B, n] angle (deg) at the middle joint of each (j1, j2, j3) between the vectors j2->j1 and j2->j3."""
    a = _unit(joints[:, triples[:, 0]] - joints[:, triples[:, 1]])
    b = _unit(joints[:, triples[:, 2]] - joints[:, triples[:, 1]])
    return _acos_deg((a * b).sum(-1))


def distance(joints: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """[B, n] Euclidean distance (m) between the two joints of each pair."""
    return np.linalg.norm(joints[:, pairs[:, 0]] - joints[:, pairs[:, 1]], axis=-1)


def relative_position(joints: np.ndarray, pairs: np.ndarray, axis: int) -> np.ndarray:
    """[B, n] coordinate of the first joint minus that of the second, along `axis` (0: x/left, 1: y/up, 2: z/front)."""
    return joints[:, pairs[:, 0], axis] - joints[:, pairs[:, 1], axis]


def vertical_axis_angle(joints: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """[B, n] angle (deg, in [0, 90]) between the segment j1->j2 and the vertical, whichever way it points."""
    seg = _unit(joints[:, pairs[:, 1]] - joints[:, pairs[:, 0]])
    return _acos_deg(np.abs(seg[..., 1]))


def height_above_ground(joints: np.ndarray, single: np.ndarray) -> np.ndarray:
    """[B, n] height (m) of each joint above the lowest of all captioning joints (the ground is the lowest point)."""
    return joints[:, single[:, 0], 1] - joints[..., 1].min(axis=1, keepdims=True)


def upright_enough(joints: np.ndarray) -> np.ndarray:
    """[B] bool: the lowest ankle is at least 0.2 m below the middle of the shoulders."""
    j = JOINT_INDEX
    mid_shoulders_y = 0.5 * (joints[:, j["left_shoulder"], 1] + joints[:, j["right_shoulder"], 1])
    lowest_ankle_y = np.minimum(joints[:, j["left_ankle"], 1], joints[:, j["right_ankle"], 1])
    return lowest_ankle_y < mid_shoulders_y - ANKLE_BELOW_SHOULDERS_M


def body_incline(joints: np.ndarray) -> np.ndarray:
    """[B, 3] signed inclination of the upper body (deg) about x (forward +), y (twist right +), z (lean left +).

    * x: angle, in the YZ plane, between pelvis -> middle of the shoulders and +y; positive toward +z (forward).
      Forced to 0 when the body is not upright enough (`upright_enough`), as upstream does.
    * y: angle, in the XZ plane, between the shoulder line (left - right) and +x; positive when the left shoulder is
      in front (toward +z), i.e. the torso is turned to its right.
    * z: 90 deg minus the angle between pelvis -> middle of the shoulders and +x; positive toward the body's left.
    """
    j = JOINT_INDEX
    ls, rs, pelvis = joints[:, j["left_shoulder"]], joints[:, j["right_shoulder"]], joints[:, j["pelvis"]]
    upper = 0.5 * (ls + rs) - pelvis
    upper_yz = _unit(upper[:, 1:])
    x_angle = _acos_deg(upper_yz[:, 0]) * np.sign(upper_yz[:, 1])
    x_angle = np.where(upright_enough(joints), x_angle, 0.0)
    line_xz = (ls - rs)[:, [0, 2]]
    line_unit = _unit(line_xz)
    y_angle = _acos_deg(line_unit[:, 0]) * np.sign(line_xz[:, 1])
    z_angle = 90.0 - _acos_deg(_unit(upper)[:, 0])
    return np.stack([x_angle, y_angle, z_angle], axis=1)


def _chain(child: int, ancestor: int) -> list[int]:
    """SMPL body joints from `ancestor` (inclusive) down to `child` (inclusive)."""
    chain = [child]
    while chain[-1] != ancestor:
        parent = SMPL_BODY_PARENTS[chain[-1]]
        if parent < 0:
            raise ValueError(f"joint {ancestor} is not an ancestor of joint {child}")
        chain.append(parent)
    return chain[::-1]


def relative_rotation(local_rotations: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """[B, n, 3] Euler angles (deg; R = Rz Ry Rx, returned as (x, y, z)) of the rotation of j1 relative to j2.

    `local_rotations` are axis-angle rotations [B, 22, 3] whose root (joint 0) is expressed in the captioning frame
    (see `inputs.captioning_rotations`); the relative rotation composes the local rotations along the kinematic chain
    from j2 (inclusive) down to j1, as upstream does. x: chin tucked in (+) / out; y: head turned left (+) / right;
    z: head tilted right (+) / left.
    """
    mats = rotations.axis_angle_to_matrix(np.asarray(local_rotations, dtype=np.float64))
    out = np.empty((mats.shape[0], len(pairs), 3))
    for k, (j1, j2) in enumerate(pairs):  # a handful of codes: the batch dimension is vectorised
        chain = _chain(int(j1), int(j2))
        total = mats[:, chain[0]]
        for jj in chain[1:]:
            total = total @ mats[:, jj]
        out[:, k] = np.degrees(rotations.matrix_to_euler(total, "xyz"))
    return out
