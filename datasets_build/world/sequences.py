"""Short motion sequences of the embedded world, so that "in-sequence" pose pairs exist as in PoseFix.

PoseFix pairs a pose A with a pose B that follows it in the same AMASS sequence less than 0.5 s later
(PoseScript `src/other_utils/pair_mining.py`); the embedded world has no motion capture, so each sequence here moves
from one generated pose to another over `duration_s` seconds at `fps` frames per second. The end pose keeps the
start pose's side (mirror flag), turns its heading by at most `max_turn_deg`, and belongs to the same archetype or,
with probability `switch`, to a root-compatible one (standing -> arms raised, walking -> running, ...). The timing
follows a smoothstep ease-in/ease-out, as a movement that starts and ends at rest.

Two ways to move between the poses:
  "euler" (default): the body joints move on straight lines of their Euler parameters (the limit box is convex,
  so every frame respects the joint limits), the root by slerp;
  "slerp": every joint by slerp (`interpolate_poses`), the frames then projected onto the limit box
  (`limits.clamp_to_limits`), since a geodesic between two in-box rotations can leave the box.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import roma
import torch

from benchmark.errors import InputError
from datasets_build.world.archetypes import archetype_arrays
from datasets_build.world.canonical import snap_poses
from datasets_build.world.generator import SIDE_CORRELATION, GeneratedPoses, _check_options, _draw_rows, _generate, \
    _pool, _rng, root_compatible
from datasets_build.world.limits import clamp_to_limits, euler_to_axis_angle

INTERPOLATIONS = ("euler", "slerp")
POSEFIX_MAX_DT_S = 0.5  # PoseFix in-sequence pairs: B after A, less than 0.5 s apart


def interpolate_poses(pose_a, pose_b, t):
    """Per-joint spherical linear interpolation of axis-angle poses (roma.rotvec_slerp).

    pose_a, pose_b: [..., J, 3] (same shape; numpy or torch). t: a number, or [T] values in [0, 1].
    Returns [..., J, 3] for a number, [T, ..., J, 3] for a sequence (numpy in -> numpy out). At t = 0 and t = 1
    the results are the rotations of pose_a and pose_b (as rotation vectors of angle <= pi).
    """
    as_numpy = not (isinstance(pose_a, torch.Tensor) or isinstance(pose_b, torch.Tensor))
    a = torch.as_tensor(np.asarray(pose_a) if as_numpy else pose_a)
    b = torch.as_tensor(np.asarray(pose_b) if as_numpy else pose_b)
    if a.shape != b.shape or a.ndim < 2 or a.shape[-1] != 3:
        raise InputError(f"pose_a {list(a.shape)} and pose_b {list(b.shape)} must share one shape [..., J, 3]",
                         field="pose_b")
    dtype = a.dtype if a.is_floating_point() else torch.float64
    scalar = np.ndim(t) == 0
    steps = torch.as_tensor(np.atleast_1d(np.asarray(t, dtype=np.float64)), dtype=dtype)
    if steps.ndim != 1 or not bool(torch.isfinite(steps).all()):
        raise InputError("t must be a finite number or a 1-D sequence of numbers", field="t")
    out = roma.rotvec_slerp(a.to(dtype), b.to(dtype), steps)
    out = out[0] if scalar else out
    return out.numpy() if as_numpy else out


def smoothstep(t):
    """3 t^2 - 2 t^3: 0 -> 0, 1 -> 1, zero speed at both ends."""
    t = np.asarray(t, dtype=np.float64)
    return t * t * (3.0 - 2.0 * t)


@dataclass(frozen=True, eq=False)
class MotionSequences:
    """S sequences of T frames.

    poses: float32 [S, T, 22, 3] axis-angle (AMASS z-up convention); frame_index: int64 [T]; time_s: float64 [T]
    (frame_index / fps); start, end: the generated end-point poses (their archetypes, mirror flags, headings).
    """

    poses: np.ndarray
    frame_index: np.ndarray
    fps: float
    start: GeneratedPoses
    end: GeneratedPoses
    interpolation: str

    @property
    def time_s(self) -> np.ndarray:
        return self.frame_index / self.fps

    def __len__(self) -> int:
        return len(self.poses)


def make_sequences(n_sequences: int, seed, archetypes: Sequence[str | int] | None = None, weights=None, *,
                   duration_s: float = 1.0, fps: float = 30.0, switch: float = 0.5, max_turn_deg: float = 30.0,
                   interpolation: str = "euler", blend: float = 0.3, max_blend_weight: float = 0.5,
                   mirror: float = 0.5, truncate: float = 2.5, side_correlation: float = SIDE_CORRELATION
                   ) -> MotionSequences:
    """Generate `n_sequences` short motions (see the module docstring); seeded and deterministic.

    The start poses are `generate_poses(n_sequences, ...)` with the same archetype options; each sequence has
    round(duration_s * fps) + 1 frames, frame 0 the start pose and the last frame the end pose.
    """
    if isinstance(n_sequences, bool) or not isinstance(n_sequences, (int, np.integer)) or n_sequences < 0:
        raise InputError(f"n_sequences must be a non-negative integer, got {n_sequences!r}", field="n_sequences")
    if interpolation not in INTERPOLATIONS:
        raise InputError(f"unknown interpolation '{interpolation}'", field="interpolation",
                         hint=f"choose one of {', '.join(INTERPOLATIONS)}")
    if not (np.isfinite(fps) and fps > 0 and np.isfinite(duration_s) and duration_s > 0):
        raise InputError(f"fps ({fps}) and duration_s ({duration_s}) must be positive", field="fps")
    n_frames = int(round(duration_s * fps)) + 1
    if n_frames < 2:
        raise InputError(f"{duration_s} s at {fps} fps is less than one frame step", field="duration_s",
                         hint="a sequence needs at least two frames: duration_s >= 1 / fps")
    if not 0.0 <= switch <= 1.0 or not 0.0 <= max_turn_deg <= 180.0:
        raise InputError(f"switch must be in [0, 1] and max_turn_deg in [0, 180] (got {switch}, {max_turn_deg})",
                         field="switch")
    _check_options(blend, max_blend_weight, mirror, truncate, side_correlation)
    rng = _rng(seed)
    pool, p = _pool(archetypes, weights)
    options = dict(blend=blend, max_blend_weight=max_blend_weight, mirror=mirror, truncate=truncate,
                   side_correlation=side_correlation)

    first = rng.choice(len(pool), size=n_sequences, p=p)
    start = _generate(rng, pool, p, first, **options)
    # The end archetype: the same one, or (with probability `switch`) a root-compatible other one.
    other, has_other = _draw_rows(rng, first, (root_compatible(archetype_arrays(pool)[2])
                                               & ~np.eye(len(pool), dtype=bool)) * p)
    last = np.where((rng.random(n_sequences) < switch) & has_other, other, first)
    turn = rng.uniform(-max_turn_deg, max_turn_deg, n_sequences)
    end = _generate(rng, pool, p, last, mirrored=start.mirrored,
                    heading_deg=start.heading_deg.astype(np.float64) + turn, **options)

    frame_index = np.arange(n_frames, dtype=np.int64)
    s = smoothstep(frame_index / (n_frames - 1))
    if interpolation == "euler":
        root = interpolate_poses(start.poses[:, :1].astype(np.float64), end.poses[:, :1].astype(np.float64), s)
        euler = (1.0 - s)[:, None, None, None] * start.euler_deg + s[:, None, None, None] * end.euler_deg
        frames = np.concatenate([root, euler_to_axis_angle(euler)], axis=2)
    else:
        frames = interpolate_poses(start.poses.astype(np.float64), end.poses.astype(np.float64), s)
        frames = clamp_to_limits(frames.reshape(-1, 22, 3)).reshape(frames.shape)
    poses = np.ascontiguousarray(snap_poses(np.swapaxes(frames, 0, 1)))  # same on every CPU (canonical.py)
    poses[:, 0], poses[:, -1] = start.poses, end.poses  # the end frames are the generated poses, bit for bit
    return MotionSequences(poses, frame_index, float(fps), start, end, interpolation)


def sample_in_sequence_pairs(sequences: MotionSequences, n_pairs: int, seed, *,
                             max_dt_s: float = POSEFIX_MAX_DT_S) -> np.ndarray:
    """PoseFix-style in-sequence pairs: [n_pairs, 3] int64 rows (sequence, frame of A, frame of B).

    B comes after A in the same sequence, 0 < t_B - t_A < max_dt_s; the sequence, the frame gap and then the frame
    of A are each drawn uniformly, with replacement, from one seeded generator.
    """
    if isinstance(n_pairs, bool) or not isinstance(n_pairs, (int, np.integer)) or n_pairs < 0:
        raise InputError(f"n_pairs must be a non-negative integer, got {n_pairs!r}", field="n_pairs")
    n_frames = sequences.poses.shape[1]
    max_gap = min(int(np.ceil(max_dt_s * sequences.fps)) - 1, n_frames - 1)
    if max_gap < 1 or len(sequences) == 0:
        raise InputError(f"no frame pair is less than {max_dt_s} s apart at {sequences.fps} fps "
                         f"with {n_frames} frames", field="max_dt_s")
    rng = _rng(seed)
    seq = rng.integers(0, len(sequences), n_pairs)
    gap = rng.integers(1, max_gap + 1, n_pairs)
    frame_a = (rng.random(n_pairs) * (n_frames - gap)).astype(np.int64)
    return np.stack([seq, frame_a, frame_a + gap], axis=1).astype(np.int64)
