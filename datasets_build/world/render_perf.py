"""Speed of the embedded world's renderer: milliseconds per image at 128 and 224 pixels, and the tiled ray cast
against an untiled one (every volume tested at every pixel) on the same bodies and cameras.

    python -m datasets_build.world.render_perf [n] [seed]
"""

from __future__ import annotations

import sys

import numpy as np

from benchmark.body import rotations
from benchmark.timing import best_time
from datasets_build.world.camera import fit_cameras, sample_camera_parameters
from datasets_build.world.render import pose_bodies, raycast, render_poses


def benchmark_poses(n: int, seed: int) -> np.ndarray:
    """n upright bodies with random headings and joint rotations (about 17 degrees per axis), float32 [n, 22, 3]."""
    rng = np.random.default_rng(seed)
    poses = rng.normal(scale=0.3, size=(n, 22, 3))
    heading = rng.uniform(0, 2 * np.pi, n)
    upright = rotations.rotation_about("x", np.pi / 2)
    roots = np.stack([rotations.rotation_about("z", h) @ upright for h in heading])
    poses[:, 0] = rotations.matrix_to_axis_angle(roots)
    return poses.astype(np.float32)


def run_benchmark(n: int = 200, seed: int = 0, repeats: int = 3, verbose: bool = True) -> dict[str, float]:
    """Render n poses at 128 and 224 px (and 128 px with 2x2 supersampling); time tiled vs untiled ray casts.

    Returns milliseconds per image under "ms_per_image_<size>[_ss2]", the ray-cast times and their ratio.
    """
    poses = benchmark_poses(n, seed)
    render_poses(poses[:4], seed, 128)  # warm-up: imports and caches
    figures = {}
    for size, ss in ((128, 1), (224, 1), (128, 2)):
        seconds = best_time(lambda: render_poses(poses, seed, size, supersample=ss), repeats)
        figures[f"ms_per_image_{size}" + ("_ss2" if ss > 1 else "")] = 1e3 * seconds / n

    # Ray casts alone, on 128 px cameras fitted as render_poses does, in render_poses' chunks of 8 images.
    m = min(n, 48)  # the untiled cast is slow; a subset is enough for the ratio
    bodies = pose_bodies(poses[:m])
    params = sample_camera_parameters(np.random.default_rng(seed), m)
    cams = fit_cameras(bodies.bound_centres, bodies.bound_shapes, image_size=128, floor_z=bodies.floor_height(),
                       **params)
    chunks = [slice(i, min(i + 8, m)) for i in range(0, m, 8)]
    tiled = best_time(lambda: [raycast(bodies[c], cams[c]) for c in chunks], repeats)
    untiled = best_time(lambda: [raycast(bodies[c], cams[c], tile=128) for c in chunks], repeats)
    agree = [(raycast(bodies[c], cams[c]).volume == raycast(bodies[c], cams[c], tile=128).volume).mean()
             for c in chunks]
    figures.update(raycast_tiled_ms_per_image_128=1e3 * tiled / m, raycast_untiled_ms_per_image_128=1e3 * untiled / m,
                   raycast_speedup=untiled / tiled, raycast_same_volume_fraction=float(np.mean(agree)))
    if verbose:
        print(f"renderer, {n} random upright poses, best of {repeats}:")
        for key, value in figures.items():
            print(f"  {key:36s} {value:8.3f}")
    return figures


if __name__ == "__main__":
    run_benchmark(*(int(a) for a in sys.argv[1:3]))
