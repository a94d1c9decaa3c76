"""One evaluation on one process against the same evaluation on two processes (`torchrun --nproc_per_node 2`, see
benchmark.evaluation.distributed), each a fresh command with a fresh response cache, timed end to end from start to
exit (imports, loading the split, answering, scoring, writing): what a user launching it waits for. The scores of the
two must be identical; peak memory is the largest process of each command (ru_maxrss from wait4(2)).

The evaluation: the nearest-neighbour model (text encoding through the frozen pose-text evaluator, then a search of
the training poses: a real cost per request that the second process shares) on the embedded world's text-to-pose
task. It needs the embedded world and its evaluators in the suite's home (`unipose-bench run` puts them there).

    unipose-bench perf --only processes
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmark import workspace
from benchmark.perf_table import Row, pick, skipped

MODEL, TASK = "nearest_neighbour", "text_to_pose/embedded"
MEASURED = "one evaluation (nearest_neighbour, text_to_pose), start to exit"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(n_processes: int, out: Path, limit: int, batch_size: int = 8, timeout_s: float = 900) -> dict:
    """Run the evaluation as a command; returns its wall seconds, ru_maxrss (MiB), exit code and scores."""
    command = ["-m", "benchmark.cli.main", "evaluate", "--model", MODEL, "--tasks", TASK, "--limit", str(limit),
               "--batch-size", str(batch_size), "--bootstrap", "0", "--output", str(out),
               "--cache", str(out / "cache.sqlite")]
    if n_processes > 1:
        command = ["-m", "torch.distributed.run", "--nproc_per_node", str(n_processes), "--master_addr",
                   "127.0.0.1", "--master_port", str(_free_port()), *command]
    # one thread per process on both sides: the comparison is of processes, not of intra-op threads
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1",
           "HF_DATASETS_OFFLINE": "1"}
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "stdout.txt", "w") as stdout, open(out / "stderr.txt", "w") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *command], env=env, stdout=stdout, stderr=stderr,
                                start_new_session=True)
        timer = threading.Timer(timeout_s, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        try:
            # wait4 rather than Popen.wait: it also returns the child's resource usage (its waited-for children
            # included), whose ru_maxrss is the largest process of the command
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    scores = {}
    for path in sorted((out / "results").rglob("*.json")):
        for metric, score in json.loads(path.read_text())["scores"].items():
            scores[f"{path.name}:{metric}"] = score.get("value") if isinstance(score, dict) else score
    error = (out / "stderr.txt").read_text(errors="replace").strip().splitlines()
    return {"seconds": seconds, "maxrss_mib": usage.ru_maxrss / 1024, "returncode": proc.returncode,
            "scores": scores, "error": error[-1] if error else ""}


def _gap(a: dict, b: dict) -> float:
    if set(a) != set(b) or not a:
        return math.inf
    gap = 0.0
    for key, value in a.items():
        other = b[key]
        if value is None or other is None:
            gap = gap if value is other else math.inf
        else:
            gap = max(gap, abs(float(value) - float(other)))
    return gap


def missing_world() -> str | None:
    build = workspace.latest_world_id()
    if build is None:
        return f"no embedded world in {workspace.home()} (run `unipose-bench run` first)"
    for kind in ("pose-text", "pair-text"):
        if workspace.current_evaluator(build, kind) is None:
            return f"the embedded world {build} has no {kind} evaluator yet (run `unipose-bench run` first)"
    return None


def perf_table(size: str = "full", seed: int = 0) -> list[Row]:
    limit, repeats = pick(size, 32, 64, 512), pick(size, 1, 1, 2)
    reason = missing_world()
    if reason is not None:
        return [skipped("processes", MEASURED, f"skipped: {reason}")]
    runs: dict[int, list[dict]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory(prefix="unipose-perf-processes-") as tmp:
        for r in range(repeats):  # interleaved: each round runs both
            for n in (2, 1):
                run = launch(n, Path(tmp) / f"{n}-{r}", limit)
                if run["returncode"] != 0:
                    return [skipped("processes", MEASURED, f"failed: {n}-process evaluation exited "
                                                           f"{run['returncode']}: {run['error']}")]
                runs[n].append(run)
    two, one = runs[2], runs[1]
    return [Row(entry="processes", measured=MEASURED, size=f"{limit} requests", fast="2 processes (torchrun)",
                reference="1 process", fast_s=min(r["seconds"] for r in two),
                reference_s=min(r["seconds"] for r in one), gap=_gap(one[0]["scores"], two[0]["scores"]),
                gap_unit="score", tolerance=0.0, peak_fast_mib=max(r["maxrss_mib"] for r in two),
                peak_reference_mib=max(r["maxrss_mib"] for r in one), peak_method="ru_maxrss", repeats=repeats,
                notes=f"whole commands (imports and scoring included); OMP_NUM_THREADS=1 per process; "
                      f"{os.cpu_count()} CPUs")]


def run_benchmark(seed: int = 0) -> list[Row]:
    rows = perf_table("full", seed=seed)
    for r in rows:
        print(r.skipped or f"{r.measured}, {r.size}: 1 process {r.reference_s:.1f} s, 2 processes {r.fast_s:.1f} s "
                           f"(ratio {r.ratio:.2f}x); score gap {r.gap}; largest process {r.peak_reference_mib:.0f} / "
                           f"{r.peak_fast_mib:.0f} MiB")
    return rows
