"""What the evaluation harness costs per request over calling the adapter directly.

A trivial adapter (it answers a text-to-pose request with a constant pose, no model) is called
* bare: `adapter.answer` batch by batch, the least any harness can do, and
* through the runner's `collect_responses`: request hashing, the response-cache lookup, the same batches, response
  validation and one committed cache write per batch (a fresh cache file each run), and again with every answer
  already cached (the second run of an evaluation);
so the difference is the harness's own cost. Both must return the same poses.

    unipose-bench perf --report harness
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.evaluation.cache import ResponseCache
from benchmark.evaluation.runner import collect_responses
from benchmark.perf_table import Row, pick, side_by_side
from benchmark.requests import PoseRequest, PoseResponse


class ConstantPoseAdapter(ModelAdapter):
    """Answers every text-to-pose request with a pose that depends only on the request's seed: no model cost."""

    meta = AdapterMeta(name="perf-constant", revision="1", tasks=("text_to_pose",))
    batch_size = 32

    def generate_pose(self, requests):
        return [PoseResponse(poses=np.full((r.n_samples, 22, 3), 1e-3 * (r.seed % 100), dtype=np.float32))
                for r in requests]


def harness_requests(n: int) -> list[PoseRequest]:
    return [PoseRequest(task="text_to_pose", row_id=f"row-{i}", inputs={"text": f"the person raises the arm {i}"},
                        instruction="Generate the pose this text describes.", seed=i) for i in range(n)]


def _poses(responses) -> np.ndarray:
    return np.stack([r.poses for r in responses])


def harness_rows(n: int = 2000, repeats: int = 3) -> list[Row]:
    adapter = ConstantPoseAdapter()
    requests = harness_requests(n)
    for r in requests:
        r.request_hash  # noqa: B018 - hashed once here, as the task's request list would be, in both sides' favour

    def bare():
        out = []
        for start in range(0, n, adapter.batch_size):
            batch = requests[start:start + adapter.batch_size]
            out += adapter.answer(batch[0].kind, batch)
        return _poses(out)

    with tempfile.TemporaryDirectory(prefix="unipose-perf-") as tmp:
        runs = iter(range(10**6))

        def cold():  # a new, empty cache every call: every request is a miss
            with ResponseCache(Path(tmp) / f"cold-{next(runs)}.sqlite") as cache:
                return _poses(collect_responses(adapter, requests, cache, progress=False)[0])

        warm_cache = ResponseCache(Path(tmp) / "warm.sqlite")
        collect_responses(adapter, requests, warm_cache, progress=False)

        def warm():
            responses, n_cached = collect_responses(adapter, requests, warm_cache, progress=False)
            assert n_cached == n
            return _poses(responses)

        rows = []
        for label, harness in (("cache misses: answer, validate, commit", cold), ("cache hits", warm)):
            row = side_by_side(
                "harness", f"runner overhead, {label}", f"{n} requests", fast=bare, reference=harness,
                gap=lambda a, b: float(np.abs(a - b).max()), gap_unit="rad", tolerance=0.0,
                fast_label="bare adapter.answer", reference_label="runner.collect_responses", repeats=repeats,
                peak="tracemalloc")
            overhead_us = (row.reference_s - row.fast_s) / n * 1e6
            row.extra["overhead_us_per_request"] = overhead_us
            row.notes = f"{overhead_us:.1f} µs/request over bare calls (ratio: harness / bare)"
            rows.append(row)
        warm_cache.close()
    return rows


def perf_table(size: str = "full", seed: int = 0) -> list[Row]:
    return harness_rows(n=pick(size, 100, 500, 5000), repeats=pick(size, 1, 2, 3))


def run_benchmark(seed: int = 0) -> list[Row]:
    rows = perf_table("full", seed=seed)
    for r in rows:
        print(f"{r.measured}, {r.size}: bare {r.fast_s * 1e3:.1f} ms, harness {r.reference_s * 1e3:.1f} ms -> "
              f"{r.notes}; peak {r.peak_fast_mib:.1f} / {r.peak_reference_mib:.1f} MiB ({r.peak_method})")
    return rows
