"""`unipose-bench perf scoring`: time and peak memory of scoring 100k pose predictions, as `evaluate` scores a pose
task (MPJPE / PA-MPJPE under the skeleton-22 protocol, the per-joint, per-part and root diagnostics that
pose_estimation/embedded declares, their bootstrap intervals, the per-sample records written to a JSONL file).

Side by side: the joint errors in blocks of JOINT_ERROR_BLOCK rows (what the suite does) and in one pass over all
rows (what it did). Peaks are Python's tracemalloc peaks (numpy reports its buffers to it; the torch kinematics
batches are not counted); times are wall times of a run without tracemalloc, whose bookkeeping slows small Python
objects down several fold.
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

N_ROWS = 100_000
# bootstrap resamples: the draws cost O(resamples x rows) per metric whatever the blocking (the counts block is
# bounded by benchmark.metrics.bootstrap), so a smaller number keeps the benchmark to a minute or two
RESAMPLES = 100
TASK = "pose_estimation/embedded"


def predictions(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(predicted, ground-truth) axis-angle poses float32 [n, 22, 3]: random poses and noisy copies of them."""
    rng = np.random.default_rng(seed)
    truth = (0.3 * rng.standard_normal((n, 22, 3))).astype(np.float32)
    return (truth + 0.1 * rng.standard_normal((n, 22, 3))).astype(np.float32), truth


def score_and_write(pred: np.ndarray, truth: np.ndarray, samples_path: Path, *, seed: int = 0,
                    resamples: int = RESAMPLES) -> dict:
    """Score as the pose tasks do and write the records as the runner does; returns the result entries."""
    from benchmark.metrics.joint_protocols import skeleton_22
    from benchmark.results import write_jsonl_atomic
    from benchmark.tasks.catalog import task_registry
    from benchmark.tasks.scoring import pose_error_scores, records

    declared = task_registry().get(TASK).metrics
    scores, per_item = pose_error_scores(skeleton_22(), pred, truth, seed=seed, resamples=resamples,
                                         declared=declared)
    write_jsonl_atomic(samples_path, records([f"row-{i}" for i in range(len(pred))], per_item))
    return scores


def measure(n: int = N_ROWS, *, seed: int = 0, resamples: int = RESAMPLES, one_pass: bool = False,
            timed: bool = True) -> dict:
    """{"rows", "peak_mib", "seconds" (None unless `timed`), "inputs_mib", "mpjpe"} of scoring n predictions;
    `one_pass` scores the joint errors of all rows at once."""
    import benchmark.metrics.joint_protocols as joint_protocols

    from benchmark.tasks.catalog import task_registry

    pred, truth = predictions(n, seed)
    task_registry().get(TASK)  # the registry, the imports and the body model: loaded outside the measurement
    joint_protocols.skeleton_22().joint_errors(pred[:2], truth[:2])
    saved = joint_protocols.JOINT_ERROR_BLOCK
    if one_pass:
        joint_protocols.JOINT_ERROR_BLOCK = n + 1
    try:
        with tempfile.TemporaryDirectory() as tmp:
            seconds = None
            if timed:
                start = time.perf_counter()
                score_and_write(pred, truth, Path(tmp) / "a.samples.jsonl", seed=seed, resamples=resamples)
                seconds = time.perf_counter() - start
            tracemalloc.start()
            try:
                scores = score_and_write(pred, truth, Path(tmp) / "b.samples.jsonl", seed=seed, resamples=resamples)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
    finally:
        joint_protocols.JOINT_ERROR_BLOCK = saved
    return {"rows": n, "peak_mib": peak / 2**20, "seconds": seconds,
            "inputs_mib": (pred.nbytes + truth.nbytes) / 2**20, "mpjpe": scores["mpjpe"].value}


def run_benchmark(seed: int = 0) -> dict:
    from benchmark.metrics.joint_protocols import JOINT_ERROR_BLOCK

    blocked = measure(N_ROWS, seed=seed)
    print(f"scoring {N_ROWS} pose predictions ({TASK} metrics, {RESAMPLES} bootstrap resamples, records written): "
          f"{blocked['seconds']:.1f} s, peak {blocked['peak_mib']:.0f} MiB traced "
          f"(inputs {blocked['inputs_mib']:.0f} MiB), joint errors in blocks of {JOINT_ERROR_BLOCK} rows", flush=True)
    whole = measure(N_ROWS, seed=seed, one_pass=True, timed=False)
    print(f"  joint errors in one pass: peak {whole['peak_mib']:.0f} MiB traced "
          f"({whole['peak_mib'] / blocked['peak_mib']:.1f}x the blocked peak); MPJPE identical: "
          f"{whole['mpjpe'] == blocked['mpjpe']}", flush=True)
    return {"blocked": blocked, "one_pass": whole}
