"""Timings of the pose world's hot paths, measured side by side in one run.

    python -m datasets_build.world.perf [--n 100000] [--seed 0]

Reports the generation of `n` poses (and the limit check of the same poses), and farthest-point sampling of
`fps_k` out of `fps_n` poses; the fast FPS is also timed against the brute-force reference on a small set
(`ref_n`, `ref_k`), where both must pick the same poses. Torch's thread count and the machine's load average are
reported with the numbers, since both move them.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch


def _timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def run_benchmark(n: int = 100_000, seed: int = 0, *, fps_n: int = 20_000, fps_k: int = 1_000, ref_n: int = 800,
                  ref_k: int = 80, torch_threads: int | None = None, verbose: bool = True) -> dict:
    """Measure the generator and farthest-point sampling; returns (and prints) the figures in seconds.

    torch_threads: run with this many torch threads (restored afterwards); on a busy machine one thread can be
    several times faster than two.
    """
    previous = torch.get_num_threads()
    if torch_threads is not None:
        torch.set_num_threads(torch_threads)
    try:
        return _run(n, seed, fps_n, fps_k, ref_n, ref_k, verbose)
    finally:
        torch.set_num_threads(previous)


def _run(n, seed, fps_n, fps_k, ref_n, ref_k, verbose) -> dict:
    from benchmark.body.skeleton import SkeletonBody
    from datasets_build.world.generator import generate_poses
    from datasets_build.world.limits import check_limits
    from datasets_build.world.sampling import farthest_point_sampling, farthest_point_sampling_reference

    body = SkeletonBody()
    generate_poses(1000, seed)  # warm-up: first-call costs of torch/roma/scipy are not the generator's
    gen_s, generated = _timed(generate_poses, n, seed)
    check_s, check = _timed(check_limits, generated.poses)
    fps_poses = generated.poses[:fps_n] if fps_n <= n else generate_poses(fps_n, seed).poses
    fk_s, joints = _timed(body.joints, fps_poses)
    fps_s, _ = _timed(farthest_point_sampling, joints, fps_k)
    ref_joints = joints[:ref_n].astype(np.float64)
    fast_small_s, fast_idx = _timed(farthest_point_sampling, ref_joints, ref_k)
    ref_small_s, ref_idx = _timed(farthest_point_sampling_reference, ref_joints, ref_k)
    result = {
        "n_poses": n, "generate_s": gen_s, "poses_per_s": n / gen_s, "check_limits_s": check_s,
        "all_within_limits": check.all_within,
        "fps_n": fps_n, "fps_k": fps_k, "fk_s": fk_s, "fps_s": fps_s,
        "ref_n": ref_n, "ref_k": ref_k, "fps_small_s": fast_small_s, "fps_reference_small_s": ref_small_s,
        "reference_over_fast": ref_small_s / fast_small_s, "same_selection": bool(np.array_equal(fast_idx, ref_idx)),
        "torch_threads": torch.get_num_threads(), "load_average_1min": os.getloadavg()[0],
    }
    if verbose:
        print(f"generate_poses({n}): {gen_s:.2f} s ({n / gen_s:,.0f} poses/s); check_limits: {check_s:.2f} s "
              f"(all within limits: {check.all_within})")
        print(f"farthest_point_sampling {fps_k} of {fps_n}: {fps_s:.2f} s (skeleton FK of the {fps_n}: {fk_s:.2f} s)")
        print(f"FPS {ref_k} of {ref_n}: fast {fast_small_s:.3f} s, brute-force reference {ref_small_s:.3f} s, "
              f"ratio {result['reference_over_fast']:.0f}x, same picks: {result['same_selection']}")
        print(f"torch threads: {result['torch_threads']}, 1-min load average: {result['load_average_1min']:.2f}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fps-n", type=int, default=20_000)
    parser.add_argument("--fps-k", type=int, default=1_000)
    parser.add_argument("--torch-threads", type=int, default=None, help="default: torch's own setting")
    args = parser.parse_args(argv)
    run_benchmark(args.n, args.seed, fps_n=args.fps_n, fps_k=args.fps_k, torch_threads=args.torch_threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
