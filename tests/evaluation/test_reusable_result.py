"""An existing result is reused only when it is complete: every result key its task now declares, and, for a task
scored through a retrieval evaluator, the embeddings `compare` tests its retrieval metrics with."""

from __future__ import annotations

import numpy as np

from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.evaluation.run_key import run_key
from benchmark.evaluation.runner import reusable_result
from benchmark.response_embeddings import ResponseEmbeddings, embeddings_path, write_embeddings
from benchmark.results import AdapterInfo, DatasetInfo, Environment, ScoreEntry, TaskResult, result_path
from benchmark.tasks.catalog import task_registry
from benchmark.tasks.generate import TextToPoseTask

FINGERPRINT = "0123456789abcdef"


class PinnedTask(TextToPoseTask):
    """text_to_pose/embedded whose data and evaluator are known without a world on disk."""

    def fingerprint(self, split=None):
        return FINGERPRINT

    def evaluator_versions(self):
        return {"pose-text": "v1"}


class Answers(ModelAdapter):
    meta = AdapterMeta(name="answers", revision="1", tasks=("text_to_pose",))


def write(out, task, keys, revision="1", meta=None):
    """A result as `evaluate` writes it, under the run key of `meta` (default: Answers) on `task`."""
    key = run_key(meta or Answers.meta, task, limit=None, split=None, fingerprint=FINGERPRINT)
    result = TaskResult(run_key=key,
        task=task.name, task_id="text_to_pose", task_version=task.spec.version,
        dataset=DatasetInfo(repo=task.spec.dataset.repo, config="text_to_pose", split="test", revision=None,
                            fingerprint=FINGERPRINT, n_rows=3, n_evaluated=3),
        evaluators=[{"kind": "pose-text", "version": "v1"}], adapter=AdapterInfo(name="answers", revision=revision),
        scores={k: ScoreEntry(value=1.0) for k in keys}, main_metric=task.spec.main_metric, seed=0,
        environment=Environment(suite_version="0", git_hash=None, python="3", platform="test", packages={}))
    return result.to_disk(result_path(out, "answers", revision, task.name))


def test_a_result_lacking_a_declared_key_or_its_embeddings_is_scored_again(tmp_path):
    task = PinnedTask(task_registry().get("text_to_pose/embedded"))
    older = [k for k in task.spec.metrics if not k.startswith(("posecode_", "mpjpe_joint@"))]
    path = write(tmp_path, task, older)
    assert reusable_result(Answers(), task, tmp_path, limit=None, split=None) is None  # keys missing
    path = write(tmp_path, task, task.spec.metrics)
    assert reusable_result(Answers(), task, tmp_path, limit=None, split=None) is None  # embeddings missing
    ids = ("a", "b", "c")
    write_embeddings(embeddings_path(path), ResponseEmbeddings(ids, np.eye(3), np.eye(3), "pose"))
    reused = reusable_result(Answers(), task, tmp_path, limit=None, split=None)
    assert reused is not None and set(reused.scores) == set(task.spec.metrics)


def test_a_predictions_file_result_is_reused_until_the_file_changes(tmp_path):
    """A predictions file's responses are never cached (it answers by row id), yet its result is reused: the
    adapter's revision carries the file's digest, so an edited file gets a new revision and is scored again; a
    result written with another reference flag is scored again too (the boards mark reference rows)."""
    import json

    from models.predictions_file import PredictionsFileAdapter

    task = PinnedTask(task_registry().get("text_to_pose/embedded"))
    preds = tmp_path / "preds.jsonl"

    def submit(value):
        preds.write_text("".join(json.dumps({"task": task.name, "id": i, "pose": [[value] * 3] * 22}) + "\n"
                                 for i in ("a", "b", "c")))
        return PredictionsFileAdapter(str(preds), name="answers")

    adapter = submit(0.0)
    assert adapter.cacheable is False
    path = write(tmp_path, task, task.spec.metrics, revision=adapter.meta.revision, meta=adapter.meta)
    write_embeddings(embeddings_path(path), ResponseEmbeddings(("a", "b", "c"), np.eye(3), np.eye(3), "pose"))
    assert reusable_result(adapter, task, tmp_path, limit=None, split=None) is not None
    as_reference = PredictionsFileAdapter(str(preds), name="answers", reference=True)  # same file, other flag
    assert reusable_result(as_reference, task, tmp_path, limit=None, split=None) is None
    edited = submit(0.1)
    assert edited.meta.revision != adapter.meta.revision
    assert reusable_result(edited, task, tmp_path, limit=None, split=None) is None
