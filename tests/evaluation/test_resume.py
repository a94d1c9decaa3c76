"""A run killed in the middle resumes from the response cache and ends with the scores of an uninterrupted run."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

SCRIPT = r"""
import sys, time
from benchmark.adapters import ADAPTERS
from models.baselines.random_baseline import RandomAdapter

class SlowRandom(RandomAdapter):
    batch_size = 2
    def describe(self, requests):
        time.sleep(float(sys.argv[4]))
        return super().describe(requests)

ADAPTERS.register("slow_random", SlowRandom)
from benchmark.cli.main import main
sys.exit(main(["evaluate", "--model", "slow_random", "--tasks", "pose_to_text/embedded", "--output", sys.argv[1],
               "--cache", sys.argv[2], "--bootstrap", "100", "--dataset-dir", "unipose-bench/embedded-world=" + sys.argv[3]]))
"""


def run_script(tmp_path, out, cache, hub, delay):
    script = tmp_path / "slow_eval.py"
    script.write_text(SCRIPT)
    return subprocess.Popen([sys.executable, str(script), str(out), str(cache), str(hub), str(delay)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy(),
                            cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def cached(cache) -> int:
    if not cache.exists():
        return 0
    with sqlite3.connect(cache) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def test_killed_run_resumes_with_identical_scores(small_world, tmp_path):
    from benchmark.results import TaskResult, result_path

    n_rows = small_world.info["rows"]["pose_to_text"]["test"]
    cache, out = tmp_path / "cache.sqlite", tmp_path / "out"
    proc = run_script(tmp_path, out, cache, small_world.hub_dir, delay=0.5)
    deadline = time.time() + 120
    while cached(cache) < 6 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = cached(cache)
    assert 6 <= done < n_rows, (done, proc.stderr.read().decode()[-2000:])
    path = result_path(out, "random", "seed0", "pose_to_text/embedded")
    assert not path.exists()  # nothing half-done was written

    resumed = run_script(tmp_path, out, cache, small_world.hub_dir, delay=0.0)
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read().decode()[-2000:]
    result = TaskResult.from_disk(path)
    assert result.n_cached == done and result.n_requests == n_rows

    fresh_out, fresh_cache = tmp_path / "fresh", tmp_path / "fresh.sqlite"
    fresh = run_script(tmp_path, fresh_out, fresh_cache, small_world.hub_dir, delay=0.0)
    assert fresh.wait(timeout=300) == 0, fresh.stderr.read().decode()[-2000:]
    uninterrupted = TaskResult.from_disk(result_path(fresh_out, "random", "seed0", "pose_to_text/embedded"))
    assert uninterrupted.n_cached == 0
    def numbers(r):  # every number of every score, intervals included (not whole objects: details may differ)
        return {f"{k}.{f}": getattr(v, f) for k, v in r.scores.items() for f in ("value", "ci_low", "ci_high")}

    assert numbers(result) == pytest.approx(numbers(uninterrupted), nan_ok=True)
    assert result.run_key == uninterrupted.run_key and result.n_cache_rejected == 0
