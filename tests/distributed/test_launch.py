"""A real launched evaluation: `torchrun --nproc_per_node 2` (two CPU processes, gloo) against one process, on the
small world: the same scores, the same per-sample records and the same response cache, written by rank 0 alone."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

TASKS = {"random": ["pose_to_text/embedded", "text_to_pose/embedded"],
         "mean_pose": ["text_to_pose/embedded", "pose_edit/embedded"],
         "metapose:preset=smoke": ["pose_estimation/embedded"]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(n_processes: int, model: str, out: Path, cache: Path | None = None) -> subprocess.CompletedProcess:
    args = ["-m", "benchmark.cli.main", "evaluate", "--model", model, "--tasks", *TASKS[model], "--limit", "64",
            "--batch-size", "8", "--bootstrap", "50", "--output", str(out),
            "--cache", str(cache or out / "cache.sqlite")]
    if n_processes > 1:
        args = ["-m", "torch.distributed.run", "--nproc_per_node", str(n_processes), "--master_addr", "127.0.0.1",
                "--master_port", str(free_port()), *args]
    # the same threads per process on both sides (README: identical results need the same OMP_NUM_THREADS)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1",
           "HF_DATASETS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=600,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def cache_rows(path: Path) -> list:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT * FROM responses ORDER BY adapter, request_hash").fetchall()


def results(out: Path) -> dict:
    found = {}
    for path in sorted((out / "results").rglob("*.json")):
        data = json.loads(path.read_text())
        found[path.relative_to(out).as_posix()] = (data["scores"], data["n_requests"], data["n_cached"])
    return found


# mean_pose in the default suite (about 35 s on 2 cores), random with the slow tests
@pytest.mark.parametrize("model", [pytest.param("random", marks=pytest.mark.slow), "mean_pose"])
def test_two_processes_score_like_one(small_world, tmp_path, model):
    one, two = tmp_path / "one", tmp_path / "two"
    launch(1, model, one)
    done = launch(2, model, two)
    # one set of lines: rank 0's (a worker prints nothing)
    assert done.stdout.count("results in") == 1
    assert results(one) and results(one) == results(two)
    for path in sorted((one / "results").rglob("*.samples.jsonl")):
        assert path.read_text() == (two / path.relative_to(one)).read_text()
    rows = cache_rows(one / "cache.sqlite")
    assert len(rows) > 64  # both tasks' misses, more than one round of 2 x 8
    assert rows == cache_rows(two / "cache.sqlite")
    # a second launched run (new output folder, same cache) is served from the cache that rank 0 wrote
    again = launch(2, model, tmp_path / "again", cache=two / "cache.sqlite")
    assert all(n_cached == n for _, n, n_cached in results(tmp_path / "again").values()), again.stdout


@pytest.mark.slow
def test_a_launched_evaluation_trains_metapose_once_in_the_main_process(small_world, tmp_path):
    # two processes first: the main one trains and writes while the other waits for the folder; then one process
    # reuses those weights and gives the same scores
    two = launch(2, "metapose:preset=smoke", tmp_path / "two")
    assert two.stdout.count("[metapose] trained") == 1 and two.stdout.count("results in") == 1
    launch(1, "metapose:preset=smoke", tmp_path / "one")
    assert results(tmp_path / "two") and results(tmp_path / "two") == results(tmp_path / "one")
