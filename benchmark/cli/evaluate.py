"""Evaluate one model adapter on tasks and write one result JSON (+ per-sample JSONL) per task.

    unipose-bench evaluate --model random --tasks embedded
    unipose-bench evaluate --model predictions_file:path=preds.jsonl,name=my-model,revision=v1 \
        --tasks pose_to_text/embedded text_to_pose/embedded --output runs/my-model

--tasks takes task names (see `unipose-bench ls tasks`), or "embedded" for the seven embedded-world tasks. By
default the embedded world and its evaluators are the ones the main job (`unipose-bench run`) built last; datasets
built elsewhere are given with --dataset-dir REPO=DIR and their evaluators with --evaluator [REPO/]KIND=DIR.
Responses are cached per adapter revision, so an interrupted evaluation resumes where it stopped.
"""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser):
    parser.add_argument("--model", required=True, help="adapter spec NAME[:key=value,...] (see `ls models`)")
    parser.add_argument("--tasks", nargs="+", default=["embedded"], help="task names, or 'embedded' (default)")
    parser.add_argument("--split", default=None, help="evaluate this split instead of each task's test split")
    parser.add_argument("--limit", type=int, default=None, help="only the first N rows of each split")
    parser.add_argument("--output", default="outputs", help="output folder (default: outputs)")
    parser.add_argument("--dataset-dir", action="append", default=[], metavar="REPO=DIR",
                        help="local folder (Hub layout) of a dataset repo; repeatable")
    parser.add_argument("--evaluator", action="append", default=[], metavar="[REPO/]KIND=DIR",
                        help="retrieval evaluator checkpoint (kind pose-text or pair-text); repeatable")
    parser.add_argument("--body-models", default=None, help="folder of SMPL-family model files")
    parser.add_argument("--seed", type=int, default=0, help="seed of templates, samples and metrics (default 0)")
    parser.add_argument("--batch-size", type=int, default=None, help="requests per adapter call")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for CIs (0: none)")
    parser.add_argument("--cache", default=None, help="response cache file (default: the suite's)")


def _pairs(items: list[str], what: str) -> dict[str, Path]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            from benchmark.errors import BenchmarkError

            raise BenchmarkError(f"{what} '{item}' is not KEY=DIR")
        out[key] = Path(value)
    return out


def summary_line(r) -> str:
    """One result's line: its main score, and whether it was computed now or reused from a file on disk."""
    main = r.scores[r.main_metric]
    if main.value is None:  # e.g. R-precision on fewer rows than its 32 candidates (a small --limit)
        value = f"not computed ({main.details.get('reason', 'no value')})"
    else:
        ci = f" [{main.ci_low:.2f}, {main.ci_high:.2f}]" if main.ci_low is not None else ""
        value = f"{main.value:.2f}{ci} {main.unit}"
    how = (f"reused from {r.reused_from}" if r.reused_from is not None else
           f"{r.n_cached}/{r.n_requests} cached, {r.runtime_s:.1f} s"
           + (f", {r.n_cache_rejected} cached rejected and asked again" if r.n_cache_rejected else ""))
    return f"{r.task:32s} {r.main_metric} = {value}  ({how})"


def run(args) -> int:
    from benchmark.evaluation import distributed

    # launched with torchrun / accelerate launch: rank 0 evaluates, the other processes answer its batches
    with distributed.launch() as group:
        return _run(args, group)


def _run(args, group) -> int:
    from benchmark import workspace
    from benchmark.evaluation import distributed
    from benchmark.adapters import load_adapter
    from benchmark.evaluation.cache import ResponseCache
    from benchmark.evaluation.runner import check_support, evaluate
    from benchmark.pipeline import adapter_defaults, latest_context, resolve_tasks
    from benchmark.tasks.catalog import get_task

    from benchmark.writable import check_dir, check_file

    # where the run writes, checked before anything is loaded or scored
    check_dir(args.output, "the output folder (--output)")
    check_file(args.cache or workspace.cache_path(), "the response cache (--cache)")
    ctx = latest_context(args.seed, args.bootstrap, args.body_models)
    ctx.dataset_dirs.update(_pairs(args.dataset_dir, "--dataset-dir"))
    ctx.evaluator_dirs.update(_pairs(args.evaluator, "--evaluator"))
    tasks = [get_task(name, ctx) for name in resolve_tasks(args.tasks)]
    # every process builds the adapter (one that trains its weights first, UniPose, trains them together, with
    # one writer), then the workers serve
    adapter = load_adapter(args.model, **adapter_defaults(ctx, tasks))
    check_support(adapter, tasks)
    if group is not None and not group.is_main:
        distributed.serve(adapter, group)  # a worker writes and prints nothing
        return 0
    with ResponseCache(args.cache or workspace.cache_path()) as cache:
        results = evaluate(adapter, tasks, args.output, cache, limit=args.limit, split=args.split,
                           batch_size=args.batch_size)
    for r in results:
        print(summary_line(r))
    print(f"results in {Path(args.output) / 'results'}")
    return 0
