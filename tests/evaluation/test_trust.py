"""Nothing read back is trusted: cached responses are checked as fresh ones, a damaged cache is moved aside, result
files carry digests and range checks, reuse is keyed on every option that changes a number, writes are atomic.

A toy text-to-pose task (six rows held in memory, error = mean absolute difference to a known target) keeps these
checks independent of any world on disk, so that the file runs in seconds."""

from __future__ import annotations

import json
import os
import sqlite3

import numpy as np
import pytest

from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.evaluation.cache import ResponseCache
from benchmark.evaluation.runner import evaluate, reusable_result
from benchmark.metrics.bootstrap import bootstrap_mean_ci
from benchmark.requests import DescribeRequest, PoseRequest, PoseResponse, TextResponse
from benchmark.results import (ResultFileError, ScoreEntry, TaskResult, content_digest, load_result_files,
                               load_results, result_path)
from benchmark.tasks.base import Task, TaskContext, TaskScores
from benchmark.tasks.catalog import task_registry

N_ROWS = 6
TARGETS = {f"r{i}": np.full((22, 3), 0.1 * i, np.float32) for i in range(N_ROWS)}


class ToyTask(Task):
    """text_to_pose with one declared metric, data in memory."""

    def __init__(self, seed=0, bootstrap=50):
        spec = task_registry().get("text_to_pose/embedded")
        spec = type(spec).model_validate({**spec.model_dump(), "name": "toy/text_to_pose", "metrics": ("mpjpe",),
                                          "main_metric": "mpjpe", "evaluators": ()})
        super().__init__(spec, TaskContext(seed=seed, bootstrap_resamples=bootstrap))

    def load(self, limit=None, split=None):
        rows = [{"id": i, "text": f"pose number {i}"} for i in TARGETS]
        return rows[:limit] if limit is not None else rows, "f00d" * 4, N_ROWS

    def fingerprint(self, split=None):
        return "f00d" * 4

    def evaluator_versions(self):
        return {}

    def requests(self, ds):
        return [PoseRequest(task=self.name, row_id=r["id"], inputs={"text": r["text"]}, instruction="pose:")
                for r in ds]

    def score(self, ds, responses):
        errors = np.array([float(np.abs(resp.poses[0].astype(np.float64) - TARGETS[r["id"]]).mean())
                           for r, resp in zip(ds, responses)])
        low = high = None
        if self.context.bootstrap_resamples:
            low, high = bootstrap_mean_ci(errors, n_resamples=self.context.bootstrap_resamples,
                                          seed=self.context.seed)
        entry = ScoreEntry(value=float(errors.mean()), ci_low=low, ci_high=high, unit="mm", n=len(errors),
                           higher_is_better=False)
        return TaskScores(scores={"mpjpe": entry}, samples=[{"id": r["id"], "mpjpe": e} for r, e in zip(ds, errors)])


class Zeros(ModelAdapter):
    """Answers the zero pose and counts the rows it was asked."""

    meta = AdapterMeta(name="zeros", revision="1", tasks=("text_to_pose",))

    def __init__(self):
        self.asked: list[str] = []

    def generate_pose(self, requests):
        self.asked += [r.row_id for r in requests]
        return [PoseResponse(poses=np.zeros((1, 22, 3), np.float32)) for _ in requests]


# the score of Zeros: mean over rows of 0.1 * i
EXPECTED = float(np.mean([0.1 * i for i in range(N_ROWS)]))


def run(tmp_path, task=None, adapter=None, cache_name="cache.sqlite", **kw):
    adapter = adapter or Zeros()
    with ResponseCache(tmp_path / cache_name) as cache:
        [result] = evaluate(adapter, [task or ToyTask()], tmp_path / "out", cache, progress=False, **kw)
    return result, adapter


def path_of(tmp_path, task_name="toy/text_to_pose"):
    return result_path(tmp_path / "out", "zeros", "1", task_name)


# -- cached responses are validated as fresh ones ------------------------------------------------------------------

def test_cached_bad_responses_are_rejected_asked_again_and_never_scored(tmp_path, capsys):
    task = ToyTask()
    requests = task.requests(task.load()[0])
    with ResponseCache(tmp_path / "cache.sqlite") as cache:  # what a buggy earlier run could have cached
        cache.put_many("zeros", "1", "generate_pose", [
            (requests[0].request_hash, PoseResponse(poses=np.full((1, 22, 3), 9.0, np.float64))),  # float64
            (requests[1].request_hash, PoseResponse(poses=np.full((1, 21, 3), 9.0, np.float32))),  # shape
            (requests[2].request_hash, PoseResponse(poses=np.zeros((1, 22, 3), np.float32))),  # fine
        ])
    result, adapter = run(tmp_path, task)
    assert sorted(adapter.asked) == ["r0", "r1", "r3", "r4", "r5"]
    assert result.n_cached == 1 and result.n_cache_rejected == 2
    assert result.scores["mpjpe"].value == pytest.approx(EXPECTED, abs=1e-6)  # the 9.0 answers were not scored
    assert "2 cached response(s) of zeros" in capsys.readouterr().err
    with ResponseCache(tmp_path / "cache.sqlite") as cache:  # replaced by the fresh answers
        again = cache.get_valid("zeros", "1", {r.request_hash: r for r in requests})
        assert len(again) == N_ROWS and cache.take_rejected() == 0


def test_a_cached_empty_text_is_rejected(tmp_path):
    request = DescribeRequest(task="t", row_id="a", inputs={"pose": np.zeros((22, 3), np.float32)},
                              instruction="describe")
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        cache.put_many("m", "1", "describe", [(request.request_hash, TextResponse("   "))])
        assert cache.get_valid("m", "1", {request.request_hash: request}) == {}
        assert cache.take_rejected() == 1 and cache.count() == 0


def test_an_entry_whose_payload_was_altered_or_does_not_decode_is_rejected(tmp_path):
    task = ToyTask()
    requests = task.requests(task.load()[0])[:3]
    by_hash = {r.request_hash: r for r in requests}
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        cache.put_many("zeros", "1", "generate_pose",
                       [(h, PoseResponse(poses=np.zeros((1, 22, 3), np.float32))) for h in by_hash])
    hashes = list(by_hash)
    with sqlite3.connect(tmp_path / "c.sqlite") as db:
        db.execute("UPDATE responses SET payload = ? WHERE request_hash = ?", [b"P" + b"\x00" * 40, hashes[0]])
        garbage = b"P" + b"PK\x03\x04 not a zip"  # a digest that matches bytes that do not decode
        import hashlib
        db.execute("UPDATE responses SET payload = ?, sha256 = ? WHERE request_hash = ?",
                   [garbage, hashlib.sha256(garbage).hexdigest(), hashes[1]])
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        found = cache.get_valid("zeros", "1", by_hash)
        assert set(found) == {hashes[2]} and cache.take_rejected() == 2


def test_an_old_cache_is_upgraded_in_place_with_digests(tmp_path):
    from benchmark.requests import response_to_bytes

    path = tmp_path / "old.sqlite"
    payload = response_to_bytes(TextResponse("a person stands"))
    with sqlite3.connect(path) as db:  # the schema before the sha256 column
        db.execute("CREATE TABLE responses (adapter TEXT NOT NULL, revision TEXT NOT NULL, request_hash TEXT NOT "
                   "NULL, kind TEXT NOT NULL, payload BLOB NOT NULL, PRIMARY KEY (adapter, revision, request_hash))")
        db.execute("INSERT INTO responses VALUES ('m', '1', 'h', 'describe', ?)", [payload])
    with ResponseCache(path) as cache:
        assert cache.get_many("m", "1", ["h"]) == {"h": TextResponse("a person stands")}
    with sqlite3.connect(path) as db:
        import hashlib
        assert db.execute("SELECT sha256 FROM responses").fetchone()[0] == hashlib.sha256(payload).hexdigest()


# -- a damaged cache file is named, moved aside and replaced --------------------------------------------------------

def test_a_garbled_cache_is_moved_aside_and_the_run_continues(tmp_path, capsys):
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"this is not an SQLite file at all" * 100)
    result, adapter = run(tmp_path)
    err = capsys.readouterr().err
    assert f"response cache {path} is damaged" in err and "Traceback" not in err
    [moved] = tmp_path.glob("cache.sqlite.damaged-*")
    assert moved.read_bytes().startswith(b"this is not an SQLite")
    assert len(adapter.asked) == N_ROWS and result.scores["mpjpe"].value == pytest.approx(EXPECTED, abs=1e-6)
    with ResponseCache(path) as cache:  # the fresh cache holds this run's answers
        assert cache.count("zeros") == N_ROWS


def test_a_truncated_cache_is_moved_aside_and_the_run_continues(tmp_path, capsys):
    path = tmp_path / "cache.sqlite"
    task = ToyTask()
    requests = task.requests(task.load()[0])
    with ResponseCache(path) as cache:  # many pages, so that the cut loses table and index pages
        cache.put_many("other", "1", "describe", [(f"h{i}", TextResponse("x" * 500)) for i in range(2000)])
        cache.put_many("zeros", "1", "generate_pose",
                       [(r.request_hash, PoseResponse(poses=np.zeros((1, 22, 3), np.float32))) for r in requests])
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 3])
    result, adapter = run(tmp_path, task)
    err = capsys.readouterr().err
    assert f"response cache {path} is damaged" in err
    assert list(tmp_path.glob("cache.sqlite.damaged-*"))
    assert len(adapter.asked) == N_ROWS and result.n_cached == 0
    assert result.scores["mpjpe"].value == pytest.approx(EXPECTED, abs=1e-6)


# -- result files are checked ---------------------------------------------------------------------------------------

def _edit(path, change, *, reseal=False):
    data = json.loads(path.read_text())
    change(data)
    if reseal:  # a forger who also recomputes the digest: the range checks still catch a lie
        data.pop("content_sha256")
        data["content_sha256"] = content_digest(data)
    path.write_text(json.dumps(data))


def test_a_result_records_its_digests_and_round_trips(tmp_path):
    result, _ = run(tmp_path)
    path = path_of(tmp_path)
    on_disk = json.loads(path.read_text())
    assert on_disk["schema_version"] == 2 and len(on_disk["content_sha256"]) == 64
    assert set(on_disk["files_sha256"]) == {"samples"}
    loaded = TaskResult.from_disk(path)
    assert loaded.scores["mpjpe"].value == result.scores["mpjpe"].value and loaded.run_key == result.run_key


def test_an_edited_score_is_named_refused_and_scored_again(tmp_path, capsys):
    run(tmp_path)
    path = path_of(tmp_path)
    _edit(path, lambda d: d["scores"]["mpjpe"].update(value=0.01))  # a better score, digest left stale
    with pytest.raises(ResultFileError, match="does not match its content_sha256") as err:
        TaskResult.from_disk(path)
    assert str(path) in str(err.value)
    _edit(path, lambda d: d["scores"]["mpjpe"].update(value=0.01), reseal=True)  # outside its own interval
    with pytest.raises(ResultFileError, match="outside its own interval"):
        TaskResult.from_disk(path)
    capsys.readouterr()
    again, adapter = run(tmp_path)  # not reused: scored again from the cache
    assert again.reused_from is None and adapter.asked == [] and again.n_cached == N_ROWS
    assert again.scores["mpjpe"].value == pytest.approx(EXPECTED, abs=1e-6)
    assert "not reused, scored again" in capsys.readouterr().err
    assert TaskResult.from_disk(path).scores["mpjpe"].value == pytest.approx(EXPECTED, abs=1e-6)


@pytest.mark.parametrize("change, message", [
    (lambda d: d["scores"]["mpjpe"].update(value=float("nan"), ci_low=None, ci_high=None), "not a finite"),
    (lambda d: d["scores"]["mpjpe"].update(unit="%", value=120.0, ci_low=None, ci_high=None), "outside \\[0, 100\\]"),
    (lambda d: d["scores"]["mpjpe"].update(ci_low=2.0, ci_high=1.0), "upside down"),
])
def test_range_checks(tmp_path, change, message):
    run(tmp_path)
    _edit(path_of(tmp_path), change, reseal=True)
    with pytest.raises(ResultFileError, match=message):
        TaskResult.from_disk(path_of(tmp_path))


def test_an_edited_records_file_is_caught_and_scored_again(tmp_path, capsys):
    run(tmp_path)
    samples = path_of(tmp_path).with_suffix(".samples.jsonl")
    samples.write_text(samples.read_text().replace('"mpjpe": 0.0', '"mpjpe": 0.5', 1))
    again, _ = run(tmp_path)
    assert again.reused_from is None
    assert "does not match the sha256" in capsys.readouterr().err


def test_malformed_results_are_named_and_skipped_by_boards_site_and_compare(tmp_path, capsys):
    from benchmark.cli.main import main
    from benchmark.evaluation.compare import load_task_files

    run(tmp_path)
    good = path_of(tmp_path)
    bad = good.with_name("broken.json")
    bad.write_text('{"schema_version": 2, "task": ')  # a truncated write by another tool
    assert [r.task for r in load_results(tmp_path / "out")] == ["toy/text_to_pose"]
    assert f"file {bad}" in capsys.readouterr().err
    assert list(load_result_files([bad, good], check_files=True)) == [good]  # the site's reader
    code = main(["leaderboard", "--results", str(tmp_path / "out"), "--out", str(tmp_path / "boards"), "--spec",
                 "appendix-tokenizer"])
    err = capsys.readouterr().err
    assert code == 0 and f"result ignored: file {bad}: not JSON" in err and "Traceback" not in err
    with pytest.raises(ResultFileError, match="not JSON") as caught:  # compare names the file
        load_task_files(good.parent, "broken")
    assert str(bad) in str(caught.value)


def test_a_schema_1_result_still_loads_but_is_scored_again(tmp_path):
    run(tmp_path)
    path = path_of(tmp_path)

    def downgrade(d):
        d["schema_version"] = 1
        for key in ("content_sha256", "files_sha256", "run_key", "n_cache_rejected"):
            d.pop(key)
    _edit(path, downgrade)
    old = TaskResult.from_disk(path)
    assert old.schema_version == 1 and old.run_key is None
    assert reusable_result(Zeros(), ToyTask(), tmp_path / "out", limit=None, split=None) is None


# -- reuse keyed on every option that changes a number ---------------------------------------------------------------

def test_reuse_needs_the_same_run_key_and_says_it_was_reused(tmp_path):
    from benchmark.cli.evaluate import summary_line

    first, _ = run(tmp_path, ToyTask(bootstrap=50))
    assert "reused" not in summary_line(first) and "(0/6 cached" in summary_line(first)
    other, adapter = run(tmp_path, ToyTask(bootstrap=80))  # --bootstrap changed: scored again (from the cache)
    assert other.reused_from is None and other.n_cached == N_ROWS and adapter.asked == []
    assert (other.scores["mpjpe"].ci_low, other.scores["mpjpe"].ci_high) == pytest.approx(bootstrap_mean_ci(
        [0.1 * i for i in range(N_ROWS)], n_resamples=80, seed=0), abs=1e-6)
    reused, _ = run(tmp_path, ToyTask(bootstrap=80))
    assert reused.reused_from == path_of(tmp_path)
    assert summary_line(reused).endswith(f"(reused from {path_of(tmp_path)})")
    assert run(tmp_path, ToyTask(seed=1, bootstrap=80))[0].reused_from is None
    assert run(tmp_path, ToyTask(bootstrap=80), limit=4)[0].reused_from is None  # its own file, not the full one


# -- atomic writes, orphans ----------------------------------------------------------------------------------------

def test_orphan_temporary_files_of_a_killed_run_are_removed_at_the_next_start(tmp_path):
    from benchmark.atomic_files import remove_orphans, write_text_atomic

    folder = tmp_path / "out" / "results" / "zeros" / "1"
    folder.mkdir(parents=True)
    dead = 2 ** 22 + 12345  # above Linux's default pid_max: no such process
    orphan = folder / f".text_to_pose.json.{dead}.tmp"
    orphan_npz = folder / f".text_to_pose.embeddings.npz.{dead}.tmp.npz"
    mine = folder / f".other.json.{os.getpid()}.tmp"  # a writer still running
    for p in (orphan, orphan_npz, mine):
        p.write_text("half")
    run(tmp_path)
    assert not orphan.exists() and not orphan_npz.exists() and mine.exists()
    assert remove_orphans(folder) == []
    target = folder / "x.json"
    write_text_atomic(target, "whole\n")
    assert target.read_text() == "whole\n" and not list(folder.glob(".x.json*"))


def test_the_main_jobs_evaluator_results_are_reused_only_with_the_same_run_key(small_world, tmp_path):
    from benchmark import workspace
    from benchmark.pipeline import evaluator_results
    from benchmark.retrieval import load_evaluator

    evaluators = {kind: load_evaluator(workspace.current_evaluator(small_world.build_id, kind))
                  for kind in ("pose-text", "pair-text")}
    first = evaluator_results(small_world, evaluators, tmp_path, seed=0, resamples=20, force=False)
    again = evaluator_results(small_world, evaluators, tmp_path, seed=0, resamples=20, force=False)
    assert all(r.reused_from is not None for r in again) and all(r.reused_from is None for r in first)
    assert [r.scores for r in again] == [r.scores for r in first]
    # another number of resamples changes the intervals: scored again, not reused
    other = evaluator_results(small_world, evaluators, tmp_path, seed=0, resamples=30, force=False)
    assert all(r.reused_from is None for r in other)
    assert {r.run_key for r in other}.isdisjoint({r.run_key for r in first})


def test_an_atomic_folder_replaces_the_old_one_whole_or_not_at_all(tmp_path):
    from benchmark.atomic_files import atomic_folder

    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_folder(folder) as tmp:
            (tmp / "new.txt").write_text("half")
            raise RuntimeError("killed while writing")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]  # the temporary folder is gone
    assert [p.name for p in folder.iterdir()] == ["old.txt"]  # the old folder is untouched
    with atomic_folder(folder) as tmp:
        (tmp / "new.txt").write_text("whole")
        assert not (folder / "new.txt").exists()  # nothing visible under the name until the end
    assert [p.name for p in folder.iterdir()] == ["new.txt"] and sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]
