"""Numbers of the embedded world that are the same on every CPU.

The world must be the same bytes on every machine for a seed and version. Two CPUs running the same numpy / torch
code may still round differently: numpy and torch pick SIMD kernels per CPU (AVX-512, AVX2, SSE), and BLAS libraries
sum matrix products in kernel-specific orders. In float32 these differences touch the last of 24 bits and flip
stored values and threshold decisions often; in float64 they touch the last of 53 bits.

So the build follows two rules:
* every value that decides something (a posecode category, a farthest-point pick, a nearest neighbour, a pixel) is
  computed in float64 from stored inputs, where an ulp of difference changes the decision only if the value lies
  within ~1e-16 of the threshold;
* every float that is stored, and fed to later steps, is first snapped to a dyadic grid (`snap`) much coarser than
  float32's resolution, then cast to float32: two CPUs then agree unless a float64 value lies within ~1e-16 of the
  midpoint between two grid points (a chance of ~1e-11 per value at the pose grid).
Both are decisions of measure ~1e-11 per value or less; the committed fingerprints (`fingerprints.json`) check the
result on every test run.
"""

from __future__ import annotations

import numpy as np

# Axis-angle components (radians): 2^-16 rad = 0.00087 degrees, far below any pose difference that matters, 64
# float32 ulps at pi.
POSE_GRID_BITS = 16
# Derived coordinates stored with the rows (joints in metres, keypoints in pixels, camera parameters):
# 2^-20 = 1e-6 m or px.
DERIVED_GRID_BITS = 20


def snap(values, bits: int = DERIVED_GRID_BITS) -> np.ndarray:
    """float32 array of `values` (computed in float64) rounded to the nearest multiple of 2^-bits.

    Multiples of 2^-bits below 2^(24 - bits) in magnitude are exactly float32 numbers, so the cast adds no
    rounding of its own there; above, the cast rounds deterministically (same float64 in, same float32 out).
    """
    scale = float(2 ** bits)
    return (np.rint(np.asarray(values, dtype=np.float64) * scale) / scale).astype(np.float32)


def snap_poses(poses) -> np.ndarray:
    """Axis-angle poses [..., J, 3] snapped to the pose grid, float32."""
    return snap(poses, POSE_GRID_BITS)
