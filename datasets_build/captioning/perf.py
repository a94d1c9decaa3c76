"""Throughput of the captioning pipelines: `python -m datasets_build.captioning.perf [n] [seed]`.

`run_benchmark(n, seed)` measures, in one run, on n poses of the embedded skeleton body (the procedural generator
of `datasets_build.world` when it is importable, else random axis-angle poses with small angles around an upright
stance):
* descriptions per second (`describe_poses`, version N7, and N2) and instructions per second
  (`describe_pose_pairs`, pfA and pfB, on n pairs), per wall-clock second and per CPU second of the process;
* the vectorised posecode extraction (`posecode_arrays`) against a per-pose reference loop that measures the same
  posecodes one pose at a time (the shape upstream's pipeline would take without batching), side by side on the
  same poses, with their ratio and a check that both give identical categories.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def benchmark_poses(n: int, seed: int) -> tuple[np.ndarray, str]:
    """n axis-angle poses [n, 22, 3] (AMASS frame) and where they come from."""
    try:
        from datasets_build.world.generator import generate_poses
    except ImportError:
        generate_poses = None
    if generate_poses is not None:
        return generate_poses(n, seed).poses, "datasets_build.world.generate_poses"
    from benchmark.body.frames import UPRIGHT_ROOT

    rng = np.random.default_rng(seed)
    poses = rng.normal(0.0, 0.25, (n, 22, 3)).astype(np.float32)
    poses[:, 0] = UPRIGHT_ROOT + rng.normal(0.0, 0.1, (n, 3))
    return poses, "random axis-angle poses (sigma 0.25 rad)"


def _timed(fn):
    """(result, wall seconds, CPU seconds of this process): on a shared machine the CPU figure is the stable one."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _reference_categories(joints: np.ndarray) -> np.ndarray:
    """Per-pose loop over the same measurement and binning functions (one pose at a time)."""
    from benchmark.posecodes.extract import categorize, measure
    from benchmark.posecodes.inputs import prepare_joints
    from benchmark.posecodes.table import posecode_table

    table = posecode_table()
    rows = [categorize(measure(prepare_joints(joints[i:i + 1]), None, table), table)[0] for i in range(len(joints))]
    return np.stack(rows)


def run_benchmark(n: int = 10000, seed: int = 0, reference_n: int | None = 1000, verbose: bool = True) -> dict:
    from benchmark.posecodes.extract import compute_categories
    from benchmark.posecodes.inputs import joints_from_poses
    from benchmark.posecodes.table import posecode_table
    from datasets_build.captioning.describe import describe_poses
    from datasets_build.captioning.instruct import describe_pose_pairs

    poses, source = benchmark_poses(n, seed)
    (joints, _), t_fk, _ = _timed(lambda: joints_from_poses(poses))
    figures: dict = {"n": n, "seed": seed, "poses": source, "fk_s": t_fk}
    for version in ("N7", "N2"):
        texts, wall, cpu = _timed(lambda: describe_poses(joints, version, seed))
        figures[f"descriptions_per_s_{version}"] = n / wall
        figures[f"descriptions_per_cpu_s_{version}"] = n / cpu
        figures[f"mean_words_{version}"] = float(np.mean([len(s.split()) for s in texts]))
    perm = np.random.default_rng(seed).permutation(n)
    for version in ("pfA", "pfB"):
        texts, wall, cpu = _timed(lambda: describe_pose_pairs(joints, joints[perm], version, seed))
        figures[f"instructions_per_s_{version}"] = n / wall
        figures[f"instructions_per_cpu_s_{version}"] = n / cpu
        figures[f"mean_words_{version}"] = float(np.mean([len(s.split()) for s in texts]))

    m = n if reference_n is None else min(n, reference_n)
    table = posecode_table()
    (fast, *_), t_fast, c_fast = _timed(lambda: compute_categories(joints[:m], table=table))
    ref, t_ref, c_ref = _timed(lambda: _reference_categories(joints[:m]))
    figures.update({"posecodes_poses": m, "posecodes_vectorised_per_s": m / t_fast,
                    "posecodes_per_pose_loop_per_s": m / t_ref, "posecodes_speedup": t_ref / t_fast,
                    "posecodes_speedup_cpu": c_ref / c_fast, "posecodes_identical": bool(np.array_equal(fast, ref))})
    if verbose:
        for key, value in figures.items():
            print(f"{key:34s} {value:,.1f}" if isinstance(value, float) else f"{key:34s} {value}")
    return figures


def perf_table(size: str = "full", seed: int = 0) -> list:
    """The `unipose-bench perf` row: vectorised posecode extraction (the captioning pipeline's measuring and binning
    step) against the per-pose loop on the same joints; the categories must be identical."""
    from benchmark.perf_table import pick, side_by_side
    from benchmark.posecodes.extract import compute_categories
    from benchmark.posecodes.inputs import joints_from_poses
    from benchmark.posecodes.table import posecode_table

    n = pick(size, 100, 1000, 5000)
    poses, _ = benchmark_poses(n, seed)
    joints, _ = joints_from_poses(poses)
    table = posecode_table()
    return [side_by_side(
        "captioning", "posecode categories (measure + bin)", f"{n} poses",
        fast=lambda: compute_categories(joints, table=table)[0], reference=lambda: _reference_categories(joints),
        gap=lambda a, b: float(np.count_nonzero(np.asarray(a) != np.asarray(b))), gap_unit="categories differ",
        tolerance=0.0, fast_label="compute_categories (batch)", reference_label="per-pose loop",
        repeats=pick(size, 1, 2, 3), peak="tracemalloc")]


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    run_benchmark(*args)
