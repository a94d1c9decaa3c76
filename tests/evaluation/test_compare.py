"""`unipose-bench compare A B`: paired tests from result files, records and embeddings written as the runner writes
them; clear refusals (no traceback) when the rows differ or the records are missing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmark.cli.main import main
from benchmark.metrics.retrieval import cross_modal_recall, r_precision
from benchmark.response_embeddings import ResponseEmbeddings, embeddings_path, write_embeddings
from benchmark.results import (AdapterInfo, DatasetInfo, Environment, ScoreEntry, TaskResult, result_path,
                               write_jsonl_atomic)

TASK = "text_to_pose/embedded"
N = 48


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def write_result(out, adapter, *, errors, poses, texts, ids=None, seed=0):
    """A text_to_pose result of `adapter` with per-row MPJPE `errors`, posecode counts and evaluator embeddings
    (`poses` answer `texts`), its scores computed from them as the task computes them."""
    ids = ids or [f"pose-{i:03d}" for i in range(len(errors))]
    counts = np.stack([np.full(len(errors), 10), 10 + (errors > 200), np.full(len(errors), 10)], axis=1)
    counts[:, 0] = np.where(errors > 200, 3, 10)
    rec = cross_modal_recall(poses, texts, (1, 5))
    rp = r_precision(texts, poses, (1,), "posescript", 32, 10, seed)

    def entry(value, unit="%", higher=True):
        return ScoreEntry(value=float(value), unit=unit, n=len(errors), higher_is_better=higher)

    sums = counts.sum(axis=0)
    scores = {"mpjpe": entry(errors.mean(), "mm", False), "recall_t2p@1": entry(rec["t2p R@1"].value),
              "recall_p2t@5": entry(rec["p2t R@5"].value), "r_precision@1": entry(rp["R-Precision@1"].value),
              "posecode_f1": entry(100 * 2 * sums[0] / (sums[1] + sums[2])), "fid": entry(1.0, "", False)}
    result = TaskResult(
        task=TASK, task_id="text_to_pose", task_version=1,
        dataset=DatasetInfo(repo="unipose-bench/embedded-world", config="text_to_pose", split="test", revision=None,
                            fingerprint="f" * 16, n_rows=len(ids), n_evaluated=len(ids)),
        adapter=AdapterInfo(name=adapter, revision="1"), scores=scores, main_metric="mpjpe", seed=seed,
        environment=Environment(suite_version="0", git_hash=None, python="3", platform="test", packages={}))
    path = result_path(out, adapter, "1", TASK)
    records = [{"id": i, "mpjpe": float(e), "posecode_counts": {"all": [int(c) for c in row]}}
               for i, e, row in zip(ids, errors, counts)]
    write_jsonl_atomic(path.with_suffix(".samples.jsonl"), records)
    write_embeddings(embeddings_path(path), ResponseEmbeddings(tuple(ids), texts, poses, "pose"))
    result.to_disk(path)
    return path


@pytest.fixture
def results(tmp_path):
    """Results of a good model, its twin (the same answers), and a random one, on the same rows."""
    rng = np.random.default_rng(0)
    texts = unit(rng.normal(size=(N, 8)))
    good_poses = unit(texts + 0.5 * rng.normal(size=texts.shape))
    good_errors = rng.gamma(2.0, 40.0, size=N)
    write_result(tmp_path, "good", errors=good_errors, poses=good_poses, texts=texts)
    write_result(tmp_path, "twin", errors=good_errors.copy(), poses=good_poses.copy(), texts=texts)
    write_result(tmp_path, "random", errors=rng.gamma(4.0, 90.0, size=N), poses=unit(rng.normal(size=texts.shape)),
                 texts=texts)
    return tmp_path


def compare(out, a, b, *extra):
    return main(["compare", a, b, "--results", str(out), "--resamples", "400", "--permutations", "200", *extra])


def rows_of(comparison):
    (task,) = comparison["tasks"]
    return {r["metric"]: r for r in task["comparisons"]}, task


def test_a_clearly_better_model_is_told_apart(results, capsys):
    assert compare(results, "good", "random") == 0
    out = capsys.readouterr().out
    assert "| metric | unit | A | B | A - B |" in out and "good-vs-random.json" in out
    comparison = json.loads((results / "comparisons" / "good-vs-random.json").read_text())
    rows, task = rows_of(comparison)
    assert set(rows) == {"mpjpe", "recall_t2p@1", "recall_p2t@5", "r_precision@1", "posecode_f1"}
    assert "fid" in task["not_compared"] and task["notes"] == []  # the recomputation matched the result files
    for key, row in rows.items():
        assert row["favours"] == "A" and row["significant"] and row["p_value"] < 0.05, key
    assert "permutation" in rows["r_precision@1"]["test"] and "bootstrap" in rows["mpjpe"]["test"]
    assert rows["mpjpe"]["ci_high"] < 0 < rows["posecode_f1"]["ci_low"]
    assert (results / "comparisons" / "good-vs-random.md").read_text().startswith("# good (1) vs random (1)")


def test_identical_models_get_p_1_and_an_interval_around_0(results):
    assert compare(results, "good", "twin", "--out", str(results / "same.json")) == 0
    rows, _ = rows_of(json.loads((results / "same.json").read_text()))
    for key, row in rows.items():
        assert row["difference"] == 0.0 and row["ci_low"] <= 0.0 <= row["ci_high"], key
        assert row["p_value"] == pytest.approx(1.0) and row["favours"] == "neither", key


def test_the_comparison_is_seeded(results):
    for name, seed in (("one", "3"), ("two", "3"), ("three", "4")):
        assert compare(results, "good", "random", "--seed", seed, "--out", str(results / f"{name}.json")) == 0
    one, two, three = (json.loads((results / f"{n}.json").read_text()) for n in ("one", "two", "three"))
    assert one == two
    assert rows_of(one)[0]["mpjpe"]["ci_low"] != rows_of(three)[0]["mpjpe"]["ci_low"]


def test_other_rows_or_missing_records_are_refused_without_a_traceback(results, capsys):
    rng = np.random.default_rng(1)
    texts = unit(rng.normal(size=(N, 8)))
    write_result(results, "other_rows", errors=rng.gamma(2.0, 40.0, size=N), poses=texts, texts=texts,
                 ids=[f"pose-{i:03d}" for i in range(1, N + 1)])
    assert compare(results, "good", "other_rows") == 2
    err = capsys.readouterr().err
    assert "hold different rows: 1 only in A, 1 only in B" in err and "Traceback" not in err
    result_path(results, "random", "1", TASK).with_suffix(".samples.jsonl").unlink()
    assert compare(results, "good", "random") == 2
    err = capsys.readouterr().err
    assert "no per-sample records" in err and "random/1/text_to_pose__embedded.samples.jsonl" in err
    assert compare(results, "good", "nobody") == 2
    assert "no results of adapter 'nobody'" in capsys.readouterr().err
    assert not (results / "comparisons").exists()  # nothing half-written


def test_without_embeddings_the_retrieval_metrics_are_listed_as_not_compared(results):
    embeddings_path(result_path(results, "random", "1", TASK)).unlink()
    assert compare(results, "good", "random", "--out", str(results / "c.json")) == 0
    rows, task = rows_of(json.loads((results / "c.json").read_text()))
    assert set(rows) == {"mpjpe", "posecode_f1"}
    assert "no embeddings file" in task["not_compared"]["r_precision@1"]


def test_the_main_jobs_comparison_is_written_or_skipped_with_the_reason(results):
    """benchmark.pipeline.run_comparisons: the pairs of this run's adapters (by spec) on the tasks both do, a task
    without a result left out with the reason, a pair it cannot make skipped with the reason, never an error."""
    from types import SimpleNamespace

    from benchmark.adapters import AdapterMeta
    from benchmark.pipeline import run_comparisons

    def adapter(name, tasks=("text_to_pose",)):
        return SimpleNamespace(meta=AdapterMeta(name=name, revision="1", tasks=tasks))

    tasks = [SimpleNamespace(spec=SimpleNamespace(name=TASK, task_id="text_to_pose")),
             SimpleNamespace(spec=SimpleNamespace(name="pose_edit/embedded", task_id="pose_edit"))]
    adapters = {"good:k=1": adapter("good", ("text_to_pose", "pose_edit")), "random": adapter("random"),
                "lost": adapter("lost"), "poet": adapter("poet", ("pose_to_text",))}
    log = []
    written = run_comparisons(results, adapters, [("good:k=1", "random"), ("good:k=1", "absent"),
                                                  ("good:k=1", "lost"), ("good:k=1", "poet")], tasks,
                              n_resamples=200, n_permutations=50, log=log.append)
    assert written == [results / "comparisons" / "good-vs-random.json"]
    comparison = json.loads(written[0].read_text())
    assert [t["task"] for t in comparison["tasks"]] == [TASK] and comparison["bootstrap_resamples"] == 200
    assert written[0].with_suffix(".md").is_file()
    text = "\n".join(log)
    assert "[compare] good vs random on 1 task(s), 200 bootstrap resamples and 50 permutations" in text
    assert "skipped good:k=1 vs absent: absent not among this run's adapters" in text
    assert "skipped good vs lost: " in text and "no results of adapter 'lost'" in text
    assert "skipped good vs poet: no task of this run that both do" in text


def test_skip_failing_lists_the_tasks_it_could_not_compare(results):
    from benchmark.errors import InputError
    from benchmark.evaluation.compare import compare_results

    with pytest.raises(InputError, match="no result of task pose_edit/embedded"):
        compare_results(results, "good", "random", [TASK, "pose_edit/embedded"], n_resamples=50, n_permutations=10)
    comparison = compare_results(results, "good", "random", [TASK, "pose_edit/embedded"], n_resamples=50,
                                 n_permutations=10, skip_failing=True)
    assert [t["task"] for t in comparison["tasks"]] == [TASK]
    assert "no result of task pose_edit/embedded" in comparison["skipped_tasks"]["pose_edit/embedded"]


def test_the_default_tasks_skip_partial_runs_and_name_an_unreadable_result(results, capsys):
    import shutil

    full = result_path(results, "good", "1", TASK)
    shutil.copy(full, result_path(results, "good", "1", TASK, limit=10))  # a --limit run beside the full one
    shutil.copy(result_path(results, "random", "1", TASK), result_path(results, "random", "1", TASK, limit=10))
    assert compare(results, "good", "random", "--out", str(results / "c.json")) == 0
    assert len(json.loads((results / "c.json").read_text())["tasks"]) == 1  # the task once, from the full results
    for adapter in ("good", "random"):
        result_path(results, adapter, "1", "pose_edit/embedded").write_text("{broken")
    capsys.readouterr()
    # named in a warning and skipped; the other tasks are still compared
    assert compare(results, "good", "random", "--out", str(results / "c2.json")) == 0
    err = capsys.readouterr().err
    assert "result ignored" in err and "pose_edit__embedded.json: not JSON" in err and "Traceback" not in err
    assert len(json.loads((results / "c2.json").read_text())["tasks"]) == 1


def test_an_unknown_revision_or_too_few_resamples_is_refused_with_what_to_do(results, capsys):
    assert compare(results, "good/nope", "random") == 2
    assert "no results of revision 'nope'" in capsys.readouterr().err
    assert main(["compare", "good", "random", "--results", str(results), "--permutations", "20"]) == 2
    err = capsys.readouterr().err
    assert "too few" in err and "at least 39" in err
