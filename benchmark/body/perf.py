"""Forward kinematics of the body layer against smplx's linear blend skinning on the same kinematic tree.

`SkeletonBody.joints` (roma's axis-angle -> matrix, then smplx's `batch_rigid_transform` on the 22-joint tree) is
timed against `smplx.lbs.lbs` (smplx/lbs.py: Rodrigues, pose blend shapes, joint regression, rigid transforms,
skinning) given the same tree and rest joints: the rest joints are the template "vertices", the joint regressor and
the skinning weights are the identity and the blend shapes are zero, so lbs's posed joints must be the body layer's
(up to smplx's 1e-8 rad guard in `batch_rodrigues` and float32 rounding).

    unipose-bench perf --report body
"""

from __future__ import annotations

import torch

from benchmark.perf_table import Row, pick, side_by_side


def _lbs_inputs(rest_joints: torch.Tensor, dtype: torch.dtype) -> dict:
    n = rest_joints.shape[0]
    eye = torch.eye(n, dtype=dtype)
    return {"v_template": rest_joints.to(dtype)[None], "shapedirs": torch.zeros(n, 3, 1, dtype=dtype),
            "posedirs": torch.zeros((n - 1) * 9, n * 3, dtype=dtype), "J_regressor": eye, "lbs_weights": eye}


def fk_rows(n: int = 2000, seed: int = 0, repeats: int = 5) -> list[Row]:
    from smplx.lbs import lbs

    from benchmark.body.skeleton import SkeletonBody

    body = SkeletonBody()
    generator = torch.Generator().manual_seed(seed)
    # joint angles of everyday poses: a few tenths of a radian per joint
    poses = torch.randn(n, 22, 3, generator=generator) * 0.4
    inputs = _lbs_inputs(body.rest_joints, poses.dtype)
    betas = torch.zeros(n, 1, dtype=poses.dtype)

    def reference():
        _, joints = lbs(betas, poses.reshape(n, -1), parents=body.parents, **inputs)
        return joints

    return [side_by_side(
        "body", "forward kinematics, 22 joints, float32", f"{n} poses",
        fast=lambda: body.joints(poses), reference=reference,
        gap=lambda a, b: float((a - b).abs().max()) * 1000.0, gap_unit="mm", tolerance=1e-3,
        fast_label="SkeletonBody.joints", reference_label="smplx.lbs.lbs (identity skinning)",
        repeats=repeats, peak="rss")]


def perf_table(size: str = "full", seed: int = 0) -> list[Row]:
    return fk_rows(n=pick(size, 200, 2000, 2000), seed=seed, repeats=pick(size, 2, 3, 10))


def run_benchmark(seed: int = 0) -> list[Row]:
    rows = perf_table("full", seed=seed)
    for r in rows:
        print(f"{r.measured} on {r.size}: {r.fast} {r.fast_s * 1e3:.2f} ms, {r.reference} {r.reference_s * 1e3:.2f} "
              f"ms, ratio {r.ratio:.2f}x; max joint gap {r.gap:.2e} {r.gap_unit}; peak {r.peak_fast_mib:.1f} / "
              f"{r.peak_reference_mib:.1f} MiB ({r.peak_method})")
    return rows
