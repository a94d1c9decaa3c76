"""Side-by-side timings of the real builders' hot paths (run `python -m datasets_build.real.perf`).

1. ImageDiff's pose-A mining for a batch of poses B: the fast path (`imagediff.top_similar` on chunked matrix
   products + posecodes computed once and compared for all candidates at once + `choose_pose_a`) against a
   per-pose reference (a full argsort per B and one posecode comparison per candidate pair, in Python loops). Both
   must choose the same poses A; the ratio is reported.
2. Person crops (decode, crop, resize, PNG encode) in rows per second, one thread against `workers` threads.
Poses come from the embedded pose generator; features are a fixed random projection of the joints (a stand-in for
the trained evaluator, whose cost is not what is measured here).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np


def _poses_and_features(n: int, seed: int):
    from benchmark.posecodes.inputs import joints_from_poses
    from datasets_build.world.generator import generate_poses

    poses = generate_poses(n, seed=seed).poses.astype(np.float32)
    joints, _ = joints_from_poses(poses)
    rng = np.random.default_rng(seed)
    feats = joints.reshape(n, -1) @ rng.normal(size=(joints.shape[1] * 3, 64))
    feats /= np.linalg.norm(feats, axis=1, keepdims=True)
    return joints, feats.astype(np.float32)


def _reference_choice(feats, arrays, queries, top_k, min_differing, choose_among, rng):
    """Per query: argsort all similarities, compare posecodes pair by pair, draw among the first valid ones."""
    from benchmark.posecodes.extract import PosecodeArrays, count_differing_posecodes

    def one(row):
        return PosecodeArrays({k: v[[row]] for k, v in arrays.categories.items()}, arrays.super_posecodes[[row]],
                              arrays.table, arrays.has_rotations)

    chosen = []
    for b in queries:
        sims = feats @ feats[b]
        order = [int(j) for j in np.argsort(-sims, kind="stable") if j != b][:top_k]
        valid = [j for j in order if int(count_differing_posecodes(one(j), one(b))[0]) >= min_differing]
        eligible = valid[:choose_among]
        u = rng.random()
        chosen.append(eligible[int(np.floor(u * len(eligible)))] if eligible else -1)
    return np.array(chosen)


def benchmark_mining(n_poses: int = 20000, n_queries: int = 2000, reference_queries: int = 200, top_k: int = 100,
                     min_differing: int = 10, choose_among: int = 3, seed: int = 0) -> dict:
    from benchmark.posecodes.extract import posecode_arrays
    from datasets_build.pair_mining import PosecodeCounter, choose_pose_a, top_similar

    joints, feats = _poses_and_features(n_poses, seed)
    queries = np.random.default_rng(seed + 1).choice(n_poses, size=n_queries, replace=False)

    start = time.perf_counter()
    counter = PosecodeCounter(joints)
    chosen = []
    rng = np.random.default_rng(seed)
    for s in range(0, n_queries, 512):
        q = queries[s:s + 512]
        candidates, _ = top_similar(feats, q, top_k)
        differing = counter.count(candidates.reshape(-1), np.repeat(q, candidates.shape[1]))
        chosen.append(choose_pose_a(candidates, differing.reshape(candidates.shape), min_differing, choose_among,
                                    rng))
    fast_s = time.perf_counter() - start
    fast = np.concatenate(chosen)

    ref_n = min(reference_queries, n_queries)
    start = time.perf_counter()
    arrays = posecode_arrays(joints)
    reference = _reference_choice(feats, arrays, queries[:ref_n], top_k, min_differing, choose_among,
                                  np.random.default_rng(seed))
    ref_s = time.perf_counter() - start
    # Ties in similarity could order candidates differently; with float features they do not occur in practice.
    agree = float((reference == fast[:ref_n]).mean())
    fast_per_query = fast_s / n_queries
    ref_per_query = ref_s / ref_n
    return {"poses": n_poses, "queries": n_queries, "top_k": top_k, "fast_s": fast_s,
            "fast_ms_per_query": 1e3 * fast_per_query, "reference_queries": ref_n, "reference_s": ref_s,
            "reference_ms_per_query": 1e3 * ref_per_query, "speedup": ref_per_query / fast_per_query,
            "same_choice_fraction": agree, "found_fraction": float((fast >= 0).mean())}


def benchmark_crops(rows: int = 200, image_size: tuple[int, int] = (1920, 1080), crop_size: int = 256,
                    workers: int = 2, seed: int = 0) -> dict:
    from PIL import Image

    from datasets_build.real.crops import CropOptions, crop_rows

    rng = np.random.default_rng(seed)
    w, h = image_size
    with tempfile.TemporaryDirectory() as tmp:
        n_images = max(1, rows // 2)                # two people per image, as in multi-person datasets
        base = rng.integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8)
        for k in range(n_images):
            Image.fromarray(np.roll(base, k, axis=1)).resize((w, h)).save(Path(tmp) / f"{k}.jpg", quality=90)
        paths = [f"{k // 2}.jpg" for k in range(rows)]
        centres = np.stack([rng.uniform(300, w - 300, rows), rng.uniform(300, h - 300, rows)], axis=1)
        sides = rng.uniform(200, 800, rows)
        timings = {}
        for n in (1, workers):
            start = time.perf_counter()
            for _ in crop_rows(tmp, paths, centres, sides, CropOptions(size=crop_size, workers=n)):
                pass
            timings[n] = time.perf_counter() - start
    return {"rows": rows, "image": f"{w}x{h} JPEG", "crop": crop_size, "rows_per_s_1_thread": rows / timings[1],
            f"rows_per_s_{workers}_threads": rows / timings[workers], "thread_speedup": timings[1] / timings[workers]}


def run_benchmark(n_poses: int = 20000, n_queries: int = 2000, reference_queries: int = 200, crop_rows: int = 200,
                  workers: int = 2, seed: int = 0, verbose: bool = True) -> dict:
    """Both measurements in one run; prints them when `verbose` and returns them."""
    out = {"mining": benchmark_mining(n_poses, n_queries, reference_queries, seed=seed),
           "crops": benchmark_crops(crop_rows, workers=workers, seed=seed)}
    if verbose:
        m, c = out["mining"], out["crops"]
        print(f"ImageDiff pose-A mining, {m['poses']} poses, top-{m['top_k']}: fast {m['fast_ms_per_query']:.2f} "
              f"ms/query ({m['queries']} queries), reference {m['reference_ms_per_query']:.2f} ms/query "
              f"({m['reference_queries']} queries): x{m['speedup']:.1f}; same choice on "
              f"{100 * m['same_choice_fraction']:.1f}% of the compared queries; pose A found for "
              f"{100 * m['found_fraction']:.1f}%")
        print(f"person crops ({c['image']} -> {c['crop']} px PNG): {c['rows_per_s_1_thread']:.1f} rows/s on 1 "
              f"thread, {c[f'rows_per_s_{workers}_threads']:.1f} rows/s on {workers} (x{c['thread_speedup']:.2f})")
    return out


if __name__ == "__main__":
    run_benchmark()
