"""Write one model adapter's answers to tasks as a predictions file (JSONL), without scoring them.

    unipose-bench predict --model unipose:checkpoint=runs/small/4-instruction --tasks embedded --out preds.jsonl
    unipose-bench evaluate --model predictions_file:path=preds.jsonl,name=unipose-small,revision=r1 --tasks embedded

For a model that runs on a machine where the scoring cannot (no Java for METEOR, no evaluators): the file, in the
format `predictions_file` reads, is scored wherever `evaluate` runs, with the same rows and the same request
checks. Answers go through the response cache (--cache), so an interrupted export resumes. The tasks' datasets are
found as `evaluate` finds them (the newest embedded world, or --dataset-dir REPO=DIR).
"""

from __future__ import annotations

import sys
from pathlib import Path


def add_arguments(parser):
    parser.add_argument("--model", required=True, help="adapter spec NAME[:key=value,...] (see `ls models`)")
    parser.add_argument("--tasks", nargs="+", default=["embedded"], help="task names, or 'embedded' (default)")
    parser.add_argument("--out", type=Path, required=True, help="the predictions file to write (JSONL)")
    parser.add_argument("--split", default=None, help="this split instead of each task's test split")
    parser.add_argument("--limit", type=int, default=None, help="only the first N rows of each split")
    parser.add_argument("--dataset-dir", action="append", default=[], metavar="REPO=DIR",
                        help="local folder (Hub layout) of a dataset repo; repeatable")
    parser.add_argument("--seed", type=int, default=0, help="seed of templates and samples (default 0, as evaluate)")
    parser.add_argument("--batch-size", type=int, default=None, help="requests per adapter call")
    parser.add_argument("--cache", default=None, help="response cache file (default: the suite's)")
    parser.add_argument("--keep-going", action="store_true",
                        help="leave out a task whose answers fail (named on stderr, exit status 1) and write the "
                             "others, instead of writing nothing")


def run(args) -> int:
    from benchmark import workspace
    from benchmark.adapters import load_adapter
    from benchmark.cli.evaluate import _pairs
    from benchmark.evaluation.cache import ResponseCache
    from benchmark.evaluation.predictions_export import write_predictions
    from benchmark.pipeline import adapter_defaults, latest_context, resolve_tasks
    from benchmark.tasks.catalog import get_task
    from benchmark.writable import check_file

    check_file(args.out, "the predictions file (--out)")
    check_file(args.cache or workspace.cache_path(), "the response cache (--cache)")
    ctx = latest_context(args.seed, 0, None)
    ctx.dataset_dirs.update(_pairs(args.dataset_dir, "--dataset-dir"))
    tasks = [get_task(name, ctx) for name in resolve_tasks(args.tasks)]
    adapter = load_adapter(args.model, **adapter_defaults(ctx, tasks))
    with ResponseCache(args.cache or workspace.cache_path()) as cache:
        path, skipped = write_predictions(adapter, tasks, args.out, cache, keep_going=args.keep_going,
                                          limit=args.limit, split=args.split, batch_size=args.batch_size)
    n = sum(1 for _ in path.open(encoding="utf-8"))
    print(f"{n} predictions of {adapter.meta.name} (revision {adapter.meta.revision}) on "
          f"{', '.join(t.name for t in tasks if t.name not in skipped)}: {path}")
    for name, message in skipped.items():
        print(f"unipose-bench predict: left out {name}: {message}", file=sys.stderr)
    return 1 if skipped else 0
