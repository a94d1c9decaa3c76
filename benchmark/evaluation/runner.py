"""The evaluation loop: adapter x tasks -> cached responses -> scores -> result files.

Order of work, so that failures come early and nothing is lost:
1. every task is checked against the adapter's supported tasks, and every result path against the output folder,
   before any data is loaded; an adapter that answers from a file checks the whole run's requests first;
2. per task: load the split, build requests, look them up in the response cache (cached answers are validated
   again, as fresh ones);
3. the misses go to the adapter in batches (round-robin across the processes of a launched run); each batch is
   validated and committed to the cache at once (a killed run resumes from there);
4. the task scores the whole split;
5. once every task is scored, the result JSONs and per-sample JSONLs are written atomically (all or nothing).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from tqdm.auto import tqdm

from benchmark.adapters import ModelAdapter
from benchmark.atomic_files import remove_orphans
from benchmark.errors import BenchmarkError
from benchmark.evaluation.cache import ResponseCache
from benchmark.evaluation.distributed import answered_batches
from benchmark.results import (AdapterInfo, DatasetInfo, ResultFileError, TaskResult, check_companions,
                               environment, result_path, write_jsonl_atomic)
from benchmark.evaluation.run_key import run_key
from benchmark.evaluation.validate import InvalidResponse, validate_response
from benchmark.metrics.specs import check_declared
from benchmark.requests import PoseResponse
from benchmark.response_embeddings import embeddings_path, write_embeddings
from benchmark.tasks.base import Task


class UnsupportedTask(BenchmarkError):
    pass


def check_support(adapter: ModelAdapter, tasks: Sequence[Task]) -> None:
    unsupported = [t.name for t in tasks if not adapter.meta.supports(t.spec.task_id)]
    if unsupported:
        raise UnsupportedTask(f"adapter {adapter.meta.name} does not support {', '.join(unsupported)} (it supports "
                              f"{', '.join(adapter.meta.tasks) or 'nothing'}); nothing was loaded or run")


def collect_responses(adapter: ModelAdapter, requests: Sequence, cache: ResponseCache, *, joint_sets=(),
                      batch_size: int | None = None, progress: bool = True, desc: str = "") -> tuple[list, int]:
    """Responses aligned with `requests` (cache first, then the adapter for the misses); returns (responses,
    number served from the cache)."""
    meta = adapter.meta
    if not getattr(adapter, "cacheable", True):
        # answered by row id (e.g. a predictions file): no content-addressed caching
        answers = []
        for start in range(0, len(requests), batch_size or adapter.batch_size):
            batch = list(requests[start:start + (batch_size or adapter.batch_size)])
            answers += adapter.answer(batch[0].kind, batch)
        for request, answer in zip(requests, answers):
            validate_response(request, answer, meta.name, joint_sets)
        return answers, 0
    by_hash = {r.request_hash: r for r in requests}
    # cached answers pass the same checks as fresh ones; a rejected one is asked again (cache.take_rejected())
    cached = cache.get_valid(meta.name, meta.revision, by_hash, joint_sets)
    misses = [r for h, r in by_hash.items() if h not in cached]
    batch_size = batch_size or adapter.batch_size
    with tqdm(total=len(misses), desc=desc or meta.name, unit="req", disable=not progress or not misses) as bar:
        # one process, or round-robin across the processes of a launched run (benchmark.evaluation.distributed)
        for batch, answers in answered_batches(adapter, misses, batch_size):
            if len(answers) != len(batch):
                raise InvalidResponse(f"adapter returned {len(answers)} responses for {len(batch)} requests",
                                      file=f"adapter {meta.name}")
            for request, answer in zip(batch, answers):
                validate_response(request, answer, meta.name, joint_sets)
            cache.put_many(meta.name, meta.revision, batch[0].kind,
                           [(r.request_hash, a) for r, a in zip(batch, answers)])
            cached.update((r.request_hash, a) for r, a in zip(batch, answers))
            bar.update(len(batch))
    n_cached = len(by_hash) - len(misses)
    return [cached[r.request_hash] for r in requests], n_cached


def _other_split(task: Task, split: str | None) -> str | None:
    """`split` when it is not the task's evaluation split (its results get their own file), else None."""
    return split if split not in (None, task.spec.dataset.split) else None


def reusable_result(adapter: ModelAdapter, task: Task, output_dir: str | Path, *, limit: int | None,
                    split: str | None) -> TaskResult | None:
    """An existing result of this adapter revision on this task that the same run would reproduce: same task
    version, seed, limit and split, same dataset content, same evaluator versions (MTEB's "only missing")."""
    meta = adapter.meta
    path = result_path(output_dir, meta.name, meta.revision, task.spec.name, split=_other_split(task, split),
                       limit=limit)
    # an adapter whose responses are not cached is re-scored every run, unless it says its revision names all it
    # answers (`result_reusable`: a predictions file, whose revision carries the file's digest)
    if not path.is_file() or not getattr(adapter, "result_reusable", getattr(adapter, "cacheable", True)):
        return None
    try:
        old = TaskResult.from_disk(path)
        check_companions(path, old)
    except ResultFileError as exc:  # damaged or edited: named, and scored again from the response cache
        print(f"unipose-bench: warning: not reused, scored again: {exc}", file=sys.stderr, flush=True)
        return None
    try:
        fingerprint, evaluators = task.fingerprint(split), task.evaluator_versions()
        key = run_key(meta, task, limit=limit, split=split, fingerprint=fingerprint)
    except BenchmarkError:
        return None
    # the run key covers every option that changes a number (--bootstrap, adapter args ...); a result of schema 1
    # has none and is scored again
    same = (old.run_key == key and old.task_version == task.spec.version and old.seed == task.context.seed
            and old.limit == limit
            and old.dataset.split == (split or task.spec.dataset.split) and fingerprint is not None
            and old.dataset.fingerprint == fingerprint
            and {e.kind: e.version for e in old.evaluators} == evaluators
            and old.adapter.reference == meta.reference)
    # written before the task declared more diagnostics (or kept its retrieval embeddings): scored again, from the
    # response cache, so that every result of a task version has the same keys
    complete = set(task.spec.metrics) <= set(old.scores) and (
        not task.spec.evaluators or embeddings_path(path).is_file())
    if same and complete:
        old._reused_from = path
        return old
    return None


def with_pose_outputs(samples: Iterable[dict], requests: Sequence, responses: Sequence) -> Iterator[dict]:
    """The per-sample records with the scored pose beside the metrics (`output_pose`, or `output_joints` and
    `output_joint_set`; text outputs are there already as `prediction`), so that a samples file shows what the
    model answered without the response cache (which a predictions file never fills). Yielded one at a time: the
    records are written as they come (their lists of rounded floats would otherwise be a run's largest object)."""
    by_id = {request.row_id: response for request, response in zip(requests, responses)}
    for record in samples:
        response = by_id.get(record.get("id"))
        if not isinstance(response, PoseResponse):
            yield record
            continue
        if response.poses is not None:
            record["output_pose"] = [[round(float(v), 5) for v in joint] for joint in response.poses[0]]
        elif response.joints is not None:
            record["output_joints"] = [[round(float(v), 5) for v in joint] for joint in response.joints[0]]
            record["output_joint_set"] = response.joint_set
        yield record


def evaluate(adapter: ModelAdapter, tasks: Sequence[Task], output_dir: str | Path, cache: ResponseCache, *,
             limit: int | None = None, split: str | None = None, batch_size: int | None = None,
             progress: bool = True, overwrite: bool = False) -> list[TaskResult]:
    """Results of `adapter` on `tasks`; an up-to-date result already in `output_dir` is reused unless
    `overwrite`. All or nothing: every task is scored before the first result file is written, so a submission
    refused in its second task leaves no result of its first (a leaderboard never shows half a run)."""
    from benchmark.safe_paths import contained

    check_support(adapter, tasks)
    remove_orphans(Path(output_dir) / "results")  # temporary files of a killed run (benchmark.atomic_files)
    meta = adapter.meta
    # where each result goes, checked before any work: a name or revision such as '..' must not leave OUT/results
    paths = {task.name: contained(result_path(output_dir, meta.name, meta.revision, task.spec.name,
                                              split=_other_split(task, split), limit=limit),
                                  Path(output_dir) / "results") for task in tasks}
    # task name -> a result already on disk that this run would reproduce (None: evaluate it)
    todo = {task.name: None if overwrite else reusable_result(adapter, task, output_dir, limit=limit, split=split)
            for task in tasks}
    prepared = {}
    if type(adapter).check_requests is not ModelAdapter.check_requests:
        # the adapter checks the whole run first (e.g. a predictions file covers every row of every task)
        for task in tasks:
            if todo[task.name] is None:
                ds, fingerprint, n_rows = task.load(limit, split)
                prepared[task.name] = (ds, fingerprint, n_rows, task.requests(ds))
        adapter.check_requests({name: p[3] for name, p in prepared.items()},
                               partial=limit is not None or any(_other_split(t, split) for t in tasks))
    results, pending = [], []
    for task in tasks:
        if todo[task.name] is not None:
            results.append(todo[task.name])
            continue
        start = time.perf_counter()
        if task.name in prepared:
            ds, fingerprint, n_rows, requests = prepared.pop(task.name)
        else:
            ds, fingerprint, n_rows = task.load(limit, split)
            requests = task.requests(ds)
        responses, n_cached = collect_responses(adapter, requests, cache, joint_sets=task.accepted_joint_sets,
                                                batch_size=batch_size, progress=progress,
                                                desc=f"{adapter.meta.name} | {task.name}")
        scored = task.score(ds, responses)
        spec = task.spec
        check_declared(spec.name, spec.metrics, scored.scores)
        result = TaskResult(
            task=spec.name, task_id=spec.task_id, task_version=spec.version,
            dataset=DatasetInfo(repo=spec.dataset.repo, config=spec.dataset.config, split=split or spec.dataset.split,
                                revision=spec.dataset.revision, fingerprint=fingerprint, n_rows=n_rows,
                                n_evaluated=len(ds),
                                pinned_fingerprint=spec.dataset.fingerprint if (split or spec.dataset.split) ==
                                spec.dataset.split else None),
            evaluators=scored.evaluators,
            adapter=AdapterInfo(name=meta.name, revision=meta.revision, reference=meta.reference,
                                args={k: str(v) for k, v in meta.args.items()}, license=meta.license,
                                n_parameters=meta.n_parameters, training_data=meta.training_data),
            scores=scored.scores, main_metric=spec.main_metric, options=spec.options(),
            task_spec=spec.model_dump(mode="json"), seed=task.context.seed,
            limit=limit, run_key=run_key(meta, task, limit=limit, split=split, fingerprint=fingerprint),
            n_requests=len(requests), n_cached=n_cached, runtime_s=round(time.perf_counter() - start, 3),
            n_cache_rejected=cache.take_rejected(),
            environment=environment(),
        )
        pending.append((paths[task.name], result, with_pose_outputs(scored.samples, requests, responses),
                        scored.embeddings))
        results.append(result)
    # every task scored: now the files, each written atomically (result JSON last, so a reader never finds a result
    # without its samples)
    for path, result, samples, embeddings in pending:
        write_jsonl_atomic(path.with_suffix(".samples.jsonl"), samples)
        if embeddings is not None:  # what `compare` needs to test the retrieval metrics
            write_embeddings(embeddings_path(path), embeddings)
        result.to_disk(path)
    return results
