"""The procedural pose generator of the embedded world: seeded samples around the archetypes, inside the limits.

Each pose is drawn in four vectorised steps, all from one `np.random.Generator`:
1. a primary archetype (weights over the chosen archetypes) and its Euler parameters: a normal around the
   archetype's centre with its spread, truncated at `truncate` standard deviations and at the joint limits, the
   deviations of left/right joint pairs correlated (`side_correlation`) so that e.g. both feet stay on the floor;
2. with probability `blend`, a second archetype whose root orientation is compatible (pitch and roll centres within
   `BLEND_ROOT_TOLERANCE_DEG`, so that a standing pose never half-blends into a lying one) is sampled the same way,
   and the two are mixed linearly in the Euler box with a partner weight in [0, `max_blend_weight`]; the box is
   convex, so the mix respects the limits;
3. with probability `mirror`, the pose is mirrored left/right (so asymmetric archetypes occur on both sides);
4. the root is Rz(heading) @ Rx(+90 deg) @ Rx(pitch) @ Rz(roll) (AMASS z-up frame; pitch/roll in SMPL's canonical
   body frame, see `archetypes.py`), the heading uniform over the full circle.
A final clip to the limits guards the float rounding. PoseScript's heading normalisation
(`benchmark.body.frames.normalize_pose_heading`) only changes the root, so normalised poses keep every property.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import roma
import torch
from scipy.special import ndtr, ndtri

from benchmark.body.joints import SMPL_BODY_22, SMPLH_52
from benchmark.body.validation import check_poses
from benchmark.errors import InputError
from datasets_build.world.archetypes import ARCHETYPE_NAMES, archetype_arrays, archetype_index
from datasets_build.world.canonical import snap_poses
from datasets_build.world.limits import BODY_JOINT_NAMES, LIMITS, euler_to_axis_angle, mirror_euler

BLEND_ROOT_TOLERANCE_DEG = 30.0
SIDE_CORRELATION = 0.6
UPRIGHT_PITCH_DEG = 90.0  # Rx(+90 deg) turns SMPL's y-up canonical body upright in the z-up AMASS frame


@dataclass(frozen=True, eq=False)
class GeneratedPoses:
    """N generated poses and how each was made.

    poses: float32 [N, 22, 3] axis-angle, AMASS z-up convention (root + 21 body joints).
    archetype_ids: int64 [N, 2] indices into `archetype_names`: the primary archetype and the blend partner
        (-1 where the pose is not blended).
    blend_weights: float32 [N, 2], the weights of the two archetypes (sum 1; [1, 0] where not blended).
    mirrored: bool [N], the pose was mirrored left/right after sampling.
    heading_deg: float32 [N], drawn in [-180, 180) unless given.
    root_pitch_roll_deg: float32 [N, 2], the root pitch and roll (after mirroring, which negates the roll).
    euler_deg: float32 [N, 21, 3], the raw Euler parameters of the body joints (conventions in `limits.py`).
    """

    poses: np.ndarray
    archetype_ids: np.ndarray
    blend_weights: np.ndarray
    mirrored: np.ndarray
    heading_deg: np.ndarray
    root_pitch_roll_deg: np.ndarray
    euler_deg: np.ndarray
    archetype_names: tuple[str, ...] = ARCHETYPE_NAMES

    def __len__(self) -> int:
        return len(self.poses)

    @property
    def primary_names(self) -> list[str]:
        return [self.archetype_names[i] for i in self.archetype_ids[:, 0]]


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise InputError(f"seed must be an int or a numpy Generator, got {seed!r}", field="seed",
                         hint="pass seed=0 (or any integer) for reproducible poses")
    return np.random.default_rng(int(seed))


def _truncated_normal(rng: np.random.Generator, ids, centre, spread, lower, upper, truncate: float,
                      uniform=None) -> np.ndarray:
    """Per pose, Normal(centre[id], spread[id]) truncated to [lower, upper] and to +-`truncate` spreads.

    Inverse-CDF sampling inside the truncation interval (instead of clipping) keeps mass from piling up at the
    limits. centre/spread: [A, ...] per archetype (the centre inside [lower, upper]); ids: [N] archetype rows;
    uniform: the U(0, 1) variates to transform (drawn here when None). The normal CDF at the bounds depends only
    on the archetype, so it is computed once per archetype.
    """
    safe = np.where(spread > 0, spread, 1.0)
    a = np.maximum((lower - centre) / safe, -truncate)
    b = np.minimum((upper - centre) / safe, truncate)
    cdf_a, cdf_width = ndtr(a), ndtr(b) - ndtr(a)
    u = rng.random((len(ids),) + centre.shape[1:]) if uniform is None else uniform
    z = np.clip(ndtri(cdf_a[ids] + u * cdf_width[ids]), a[ids], b[ids])
    return centre[ids] + np.where(spread[ids] > 0, spread[ids] * z, 0.0)


# Where each body joint takes the shared part of its deviation from, and with which sign: a right-side joint takes
# its left partner's draw, mirrored (its Y and Z raw angles change sign under a mirror).
_IS_RIGHT = np.array([name.startswith("right_") for name in BODY_JOINT_NAMES])
_SHARED_SOURCE = np.where(_IS_RIGHT, LIMITS.mirror_permutation, np.arange(len(BODY_JOINT_NAMES)))
_SHARED_SIGN = np.where(_IS_RIGHT[:, None] & LIMITS.mirror_negate, -1.0, 1.0).astype(np.float32)


def _side_correlated_uniforms(rng: np.random.Generator, n: int, correlation: float) -> np.ndarray:
    """U(0, 1) variates [n, 21, 3] whose left/right pairs are correlated (a Gaussian copula).

    People move both sides alike more often than not: a squat bends both knees about equally, so both feet stay on
    the floor. Each variate is Phi(sqrt(c) * shared + sqrt(1 - c) * own) with standard normals; the right joint's
    shared part is its left partner's, mirrored, so the deviation is the same anatomical motion on both sides. The
    marginals stay exactly uniform, hence the truncated normals exact. (float32: the variates only need ~1e-7.)
    """
    shared = rng.standard_normal((n, 21, 3), dtype=np.float32)[:, _SHARED_SOURCE] * _SHARED_SIGN
    z = rng.standard_normal((n, 21, 3), dtype=np.float32)
    z *= np.float32(np.sqrt(1.0 - correlation))
    z += np.float32(np.sqrt(correlation)) * shared
    return ndtr(z)


def _sample_archetypes(rng, ids, centre, spread, root, root_spread, truncate, side_correlation):
    uniform = _side_correlated_uniforms(rng, len(ids), side_correlation)
    euler = _truncated_normal(rng, ids, centre, spread, LIMITS.lower, LIMITS.upper, truncate, uniform)
    root_pr = _truncated_normal(rng, ids, root, root_spread, -np.inf, np.inf, truncate)
    return euler, root_pr


def _pool(archetypes, weights) -> tuple[np.ndarray, np.ndarray]:
    if archetypes is None:
        ids = np.arange(len(ARCHETYPE_NAMES))
    else:
        if isinstance(archetypes, str):
            archetypes = [archetypes]
        try:
            ids = np.array([a if isinstance(a, (int, np.integer)) else archetype_index(a) for a in archetypes])
        except KeyError as exc:
            raise InputError(str(exc.args[0]), field="archetypes") from None
        if len(ids) == 0 or ids.min() < 0 or ids.max() >= len(ARCHETYPE_NAMES):
            raise InputError(f"archetype indices must be in 0..{len(ARCHETYPE_NAMES) - 1}", field="archetypes")
    if weights is None:
        p = np.full(len(ids), 1.0 / len(ids))
    else:
        p = np.asarray(weights, dtype=float)
        if p.shape != ids.shape or not np.isfinite(p).all() or (p < 0).any() or p.sum() <= 0:
            raise InputError(f"weights must be {len(ids)} non-negative finite numbers, not all 0", field="weights",
                             hint="one weight per archetype, in the same order")
        p = p / p.sum()
    return ids, p


def root_orientation(heading_deg, pitch_deg, roll_deg) -> np.ndarray:
    """Axis-angle [..., 3] of Rz(heading) @ Rx(+90 deg) @ Rx(pitch) @ Rz(roll) (AMASS z-up convention)."""
    angles = np.stack(np.broadcast_arrays(np.asarray(heading_deg, float),
                                          UPRIGHT_PITCH_DEG + np.asarray(pitch_deg, float),
                                          np.asarray(roll_deg, float)), axis=-1)
    rotmat = roma.euler_to_rotmat("ZXZ", torch.from_numpy(angles), degrees=True)
    return roma.rotmat_to_rotvec(rotmat).numpy()


def root_compatible(root_deg: np.ndarray) -> np.ndarray:
    """[A, A] bool: archetypes whose root pitch and roll centres [A, 2] lie within the blend tolerance."""
    return (np.abs(root_deg[:, None] - root_deg[None]) <= BLEND_ROOT_TOLERANCE_DEG).all(-1)


def _draw_rows(rng: np.random.Generator, rows: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One column per row of `probs` [A, A] (unnormalised weights), for the row indices `rows` [N].

    Returns (column [N], possible [N]); where a row has no positive weight, the column is the row itself.
    """
    cdf = np.cumsum(probs, axis=1)
    possible = cdf[:, -1] > 0
    cdf /= np.where(possible, cdf[:, -1], 1.0)[:, None]  # x / x == 1.0 exactly: u < 1 never runs off the end
    col = (rng.random(len(rows))[:, None] >= cdf[rows]).sum(1)
    return np.where(possible[rows], col, rows), possible[rows]


def _check_options(blend, max_blend_weight, mirror, truncate, side_correlation):
    for name, value in (("blend", blend), ("max_blend_weight", max_blend_weight), ("mirror", mirror),
                        ("side_correlation", side_correlation)):
        if not 0.0 <= value <= 1.0:
            raise InputError(f"{name} must be in [0, 1], got {value}", field=name)
    if not truncate > 0:
        raise InputError(f"truncate must be positive, got {truncate}", field="truncate")


def _generate(rng, pool, p, primary, *, blend, max_blend_weight, mirror, truncate, side_correlation,
              mirrored=None, heading_deg=None) -> GeneratedPoses:
    """Poses whose primary archetypes are `primary` (rows of `pool`); mirror flags and headings drawn if None."""
    n = len(primary)
    centre, spread, root, root_spread = archetype_arrays(pool)
    euler, root_pr = _sample_archetypes(rng, primary, centre, spread, root, root_spread, truncate,
                                        side_correlation)

    # Blend partners: drawn with the pool weights among root-compatible archetypes other than the primary.
    partner, has_partner = _draw_rows(rng, primary, (root_compatible(root) & ~np.eye(len(pool), dtype=bool)) * p)
    blended = (rng.random(n) < blend) & has_partner
    mix = np.flatnonzero(blended)
    w = np.zeros(n)
    w[mix] = rng.uniform(0.0, max_blend_weight, len(mix))
    euler_b, root_b = _sample_archetypes(rng, partner[mix], centre, spread, root, root_spread, truncate,
                                          side_correlation)
    euler[mix] = (1.0 - w[mix, None, None]) * euler[mix] + w[mix, None, None] * euler_b
    root_pr[mix] = (1.0 - w[mix, None]) * root_pr[mix] + w[mix, None] * root_b

    if mirrored is None:
        mirrored = rng.random(n) < mirror
    euler = np.where(mirrored[:, None, None], mirror_euler(euler), euler)
    root_pr[:, 1] = np.where(mirrored, -root_pr[:, 1], root_pr[:, 1])
    euler = np.clip(euler, LIMITS.lower, LIMITS.upper)
    heading = rng.uniform(-180.0, 180.0, n) if heading_deg is None else heading_deg

    poses = np.empty((n, 22, 3), dtype=np.float64)
    poses[:, 0] = root_orientation(heading, root_pr[:, 0], root_pr[:, 1])
    poses[:, 1:] = euler_to_axis_angle(euler)
    poses = snap_poses(poses)  # the same float32 poses on every CPU (canonical.py)
    ids = np.stack([pool[primary], np.where(blended, pool[partner], -1)], axis=1).astype(np.int64)
    weights_out = np.stack([1.0 - w, w], axis=1).astype(np.float32)
    return GeneratedPoses(poses, ids, weights_out, np.asarray(mirrored, dtype=bool), heading.astype(np.float32),
                          root_pr.astype(np.float32), euler.astype(np.float32))


def generate_poses(n: int, seed, archetypes: Sequence[str | int] | None = None, weights=None, *,
                   blend: float = 0.3, max_blend_weight: float = 0.5, mirror: float = 0.5, truncate: float = 2.5,
                   side_correlation: float = SIDE_CORRELATION, heading_deg=None) -> GeneratedPoses:
    """Generate `n` poses (see the module docstring); the same seed always gives the same poses.

    seed: an int or a `np.random.Generator` (which is advanced). archetypes: names (or indices) of the archetypes
    to draw from (default all); weights: their relative frequencies (default uniform). blend: fraction of poses
    mixed with a second archetype; max_blend_weight: the largest weight of that partner. mirror: probability of a
    left/right mirror. truncate: spreads are truncated at this many standard deviations. side_correlation: the
    correlation of the left and right deviations from the centre (see `_side_correlated_uniforms`). heading_deg:
    fixed headings (a number or [n]; default uniform in [-180, 180)).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise InputError(f"n must be a non-negative integer, got {n!r}", field="n")
    _check_options(blend, max_blend_weight, mirror, truncate, side_correlation)
    heading = None
    if heading_deg is not None:
        try:
            heading = np.broadcast_to(np.asarray(heading_deg, dtype=float), (n,))
        except ValueError:
            raise InputError(f"expected one heading or {n}, got shape {np.shape(heading_deg)}",
                             field="heading_deg") from None
        if not np.isfinite(heading).all():
            raise InputError("headings must be finite", field="heading_deg", row=int(np.argmin(np.isfinite(heading))))
    rng = _rng(seed)
    pool, p = _pool(archetypes, weights)
    primary = rng.choice(len(pool), size=n, p=p)
    return _generate(rng, pool, p, primary, blend=blend, max_blend_weight=max_blend_weight, mirror=mirror,
                     truncate=truncate, side_correlation=side_correlation, heading_deg=heading)


def mirror_poses(poses):
    """Left/right mirror of axis-angle poses [N, 22|52, 3] (numpy or torch; same kind out).

    Mirroring across the plane x = 0 maps a rotation R to M R M with M = diag(-1, 1, 1): its axis-angle (x, y, z)
    becomes (x, -y, -z); each joint takes the rotation of its counterpart on the other side. The joints of the
    result are the joints of the input reflected in x (AMASS frame) with left and right swapped; for a
    heading-normalised body x is its left-right axis.
    """
    poses = check_poses(poses)
    perm = (SMPL_BODY_22 if poses.shape[1] == 22 else SMPLH_52).mirror_permutation
    sign = np.array([1.0, -1.0, -1.0])
    if isinstance(poses, torch.Tensor):
        return poses[:, torch.from_numpy(perm)] * torch.as_tensor(sign, dtype=poses.dtype, device=poses.device)
    return (poses[:, perm] * sign).astype(poses.dtype, copy=False)
