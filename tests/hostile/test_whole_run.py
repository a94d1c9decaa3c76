"""A run is all or nothing: the whole submission is checked against the whole run before the first task is scored
(coverage, unknown ids), and result files are written only once every task has scored, so a refusal in the second
task leaves no result of the first (issue 13: the leaderboard showed partial submissions)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.errors import InputError
from benchmark.requests import PoseResponse, TextResponse

TASKS = ("pose_to_text/embedded", "text_to_pose/embedded")


def write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture
def tasks(context):
    from benchmark.tasks.catalog import get_task

    return [get_task(name, context) for name in TASKS]


def run_cli(capsys, *argv):
    from benchmark.cli.main import main

    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def test_a_prediction_for_a_row_the_split_lacks_is_refused(tasks, tmp_path, capsys):
    from benchmark.evaluation.ground_truth import ground_truth_records

    records = ground_truth_records(tasks) + [{"task": TASKS[1], "id": "not-a-row", "pose": np.zeros((22, 3)).tolist()}]
    path = write(tmp_path / "preds.jsonl", records)
    out = tmp_path / "out"
    code, err = run_cli(capsys, "evaluate", "--model", f"predictions_file:path={path},name=mine", "--tasks", *TASKS,
                        "--output", out, "--cache", tmp_path / "c.sqlite", "--bootstrap", "0")
    assert code == 2 and f"task '{TASKS[1]}': 1 predictions name ids the split does not have (ids not-a-row)" in err
    assert not (out / "results").exists()
    from benchmark.evaluation.cache import ResponseCache

    with ResponseCache(tmp_path / "c.sqlite") as cache:  # a predictions file's answers are never cached
        assert cache.count() == 0
    # a --limit run answers the first rows only: the other rows of the file are expected, not unknown
    code, err = run_cli(capsys, "evaluate", "--model", f"predictions_file:path={path},name=mine", "--tasks", TASKS[1],
                        "--output", out, "--cache", tmp_path / "c.sqlite", "--bootstrap", "0", "--limit", "4")
    assert code == 0, err
    assert [p.name for p in (out / "results").rglob("*.json")] == ["text_to_pose__embedded.limit-4.json"]


class HalfBroken(ModelAdapter):
    """Answers the text task well, the pose task with float64 poses (which the response validation refuses)."""

    cacheable = False

    def __init__(self, pose_dtype):
        self.pose_dtype = pose_dtype
        self.meta = AdapterMeta(name="half-broken", revision=str(np.dtype(pose_dtype)),
                                tasks=("pose_to_text", "text_to_pose"))

    def describe(self, requests):
        return [TextResponse("The left arm is raised.") for _ in requests]

    def generate_pose(self, requests):
        return [PoseResponse(poses=np.zeros((r.n_samples, 22, 3), self.pose_dtype)) for r in requests]


def test_a_refusal_in_the_second_task_writes_no_result_of_the_first(tasks, tmp_path):
    from benchmark.evaluation.cache import ResponseCache
    from benchmark.evaluation.runner import evaluate

    out = tmp_path / "out"
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        with pytest.raises(InputError, match="float32") as err:
            evaluate(HalfBroken(np.float64), tasks, out, cache, limit=6, progress=False)
        assert err.value.field == "poses"
        assert not (out / "results").exists()
        # the control: the same adapter with float32 poses writes both tasks' files
        results = evaluate(HalfBroken(np.float32), tasks, out, cache, limit=6, progress=False)
    assert [r.task for r in results] == list(TASKS)
    written = sorted(p.name for p in (out / "results").rglob("*.json"))
    assert written == sorted(f"{t.replace('/', '__')}.limit-6.json" for t in TASKS)
