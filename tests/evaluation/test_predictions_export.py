"""`predict` / write_predictions: a model's answers written as a predictions file read back by `predictions_file` as
exactly the answers the model gave (texts, pose samples bit for bit), served from the response cache the second
time, and refused up front for a task the model does not do."""

import hashlib
import json

import numpy as np
import pytest

from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.evaluation.cache import ResponseCache
from benchmark.requests import PoseResponse, TextResponse
from benchmark.tasks.catalog import embedded_task_names, get_task

LIMIT = 12


class _Echo(ModelAdapter):
    """Answers derived from each request alone (its row id): a text naming it, pose samples seeded by it."""

    def __init__(self, tasks):
        self.meta = AdapterMeta(name="echo", revision="1", tasks=tasks)
        self.calls = 0

    @staticmethod
    def _seed(request) -> int:
        return int(hashlib.sha256(f"{request.task}|{request.row_id}".encode()).hexdigest()[:8], 16)

    def describe(self, requests):
        self.calls += 1
        return [TextResponse(f"answer to {r.row_id} ({len(r.instruction)} characters asked)") for r in requests]

    def generate_pose(self, requests):
        self.calls += 1
        return [PoseResponse(poses=np.random.default_rng(self._seed(r)).normal(0, 0.4, (r.n_samples, 22, 3))
                             .astype(np.float32)) for r in requests]


@pytest.fixture
def tasks(context):
    return [get_task(name, context) for name in embedded_task_names()]


def test_the_file_reads_back_as_the_answers_given(tasks, tmp_path):
    from benchmark.evaluation.predictions_export import write_predictions
    from models.predictions_file import PredictionsFileAdapter

    adapter = _Echo(tuple(t.spec.task_id for t in tasks))
    with ResponseCache(tmp_path / "cache.sqlite") as cache:
        path, skipped = write_predictions(adapter, tasks, tmp_path / "preds.jsonl", cache, limit=LIMIT,
                                          progress=False)
        assert skipped == {}
        calls = adapter.calls
        assert calls > 0
        # a second export is served from the cache, byte for byte the same file
        again, _ = write_predictions(adapter, tasks, tmp_path / "again.jsonl", cache, limit=LIMIT, progress=False)
        assert adapter.calls == calls and again.read_bytes() == path.read_bytes()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(records) == len(tasks) * LIMIT
    assert {r["task"] for r in records} == {t.name for t in tasks}
    read_back = PredictionsFileAdapter(str(path), name="echo-file")
    n_pose_tasks = 0
    for task in tasks:
        ds, _, _ = task.load(LIMIT)
        requests = task.requests(ds)
        kind = requests[0].kind
        given = adapter.answer(kind, requests)
        for request, answer, read in zip(requests, given, read_back.answer(kind, requests)):
            if isinstance(answer, TextResponse):
                assert read.text == answer.text
            else:
                assert read.poses.dtype == np.float32 and read.poses.shape == (request.n_samples, 22, 3)
                assert np.array_equal(read.poses, answer.poses)
        n_pose_tasks += kind == "generate_pose"
    assert n_pose_tasks == 3  # text_to_pose, pose_estimation, pose_edit


def test_the_command_writes_the_file_and_refuses_an_unsupported_task(small_world, tmp_path, capsys):
    from benchmark.cli.main import main

    out, cache = tmp_path / "mean.jsonl", str(tmp_path / "cache.sqlite")
    assert main(["predict", "--model", "mean_pose", "--tasks", "text_to_pose/embedded", "--out", str(out),
                 "--limit", "5", "--cache", cache]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 5 and {r["task"] for r in records} == {"text_to_pose/embedded"}
    assert all(np.asarray(r["poses"]).shape[1:] == (22, 3) for r in records)
    assert "5 predictions of mean_pose" in capsys.readouterr().out
    refused = tmp_path / "refused.jsonl"
    assert main(["predict", "--model", "mean_pose", "--tasks", "pose_to_text/embedded", "--out", str(refused),
                 "--cache", cache]) == 2
    assert "does not support pose_to_text" in capsys.readouterr().err and not refused.exists()


class _EmptyOnPoseDiff(_Echo):
    def describe(self, requests):
        answers = super().describe(requests)
        return [TextResponse(" ") if r.task.startswith("pose_diff") else a for r, a in zip(requests, answers)]


def test_a_failing_task_is_left_out_only_when_asked(tasks, tmp_path):
    from benchmark.evaluation.predictions_export import write_predictions
    from benchmark.evaluation.validate import InvalidResponse

    adapter = _EmptyOnPoseDiff(tuple(t.spec.task_id for t in tasks))
    with ResponseCache(tmp_path / "cache.sqlite") as cache:
        with pytest.raises(InvalidResponse, match="empty"):
            write_predictions(adapter, tasks, tmp_path / "all.jsonl", cache, limit=LIMIT, progress=False)
        assert not (tmp_path / "all.jsonl").exists()
        path, skipped = write_predictions(adapter, tasks, tmp_path / "some.jsonl", cache, keep_going=True,
                                          limit=LIMIT, progress=False)
    assert list(skipped) == ["pose_diff/embedded"] and "empty" in skipped["pose_diff/embedded"]
    written = {json.loads(line)["task"] for line in path.read_text().splitlines()}
    assert written == {t.name for t in tasks} - {"pose_diff/embedded"}
