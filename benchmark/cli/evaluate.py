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
            raise SystemExit(f"{what} '{item}' is not KEY=DIR")
        out[key] = Path(value)
    return out


def default_context(seed: int = 0, bootstrap: int = 1000, body_models: str | None = None):
    """A TaskContext pointing at the newest embedded-world build and its evaluators, when they exist."""
    from benchmark import workspace
    from benchmark.tasks.base import TaskContext
    from benchmark.tasks.catalog import EMBEDDED_REPO

    ctx = TaskContext(seed=seed, bootstrap_resamples=bootstrap, body_models_dir=body_models)
    build = workspace.latest_world_id()
    if build is not None:
        ctx.dataset_dirs[EMBEDDED_REPO] = workspace.world_hub_dir(build)
        for kind in ("pose-text", "pair-text"):
            folder = workspace.current_evaluator(build, kind)
            if folder is not None:
                ctx.evaluator_dirs[f"{EMBEDDED_REPO}/{kind}"] = folder
    return ctx


def resolve_tasks(names: list[str]) -> list[str]:
    from benchmark.tasks.catalog import embedded_task_names, task_registry

    registry = task_registry()
    out = []
    for name in names:
        if name == "embedded":
            out += embedded_task_names()
        else:
            registry.get(name)  # did-you-mean on typos
            out.append(name)
    return list(dict.fromkeys(out))


def run(args) -> int:
    from benchmark import workspace
    from benchmark.adapters import load_adapter
    from benchmark.evaluation.cache import ResponseCache
    from benchmark.evaluation.runner import check_support, evaluate
    from benchmark.tasks.catalog import EMBEDDED_REPO, get_task

    ctx = default_context(args.seed, args.bootstrap, args.body_models)
    ctx.dataset_dirs.update(_pairs(args.dataset_dir, "--dataset-dir"))
    ctx.evaluator_dirs.update(_pairs(args.evaluator, "--evaluator"))
    tasks = [get_task(name, ctx) for name in resolve_tasks(args.tasks)]
    defaults = {}
    if EMBEDDED_REPO in ctx.dataset_dirs:
        defaults["train"] = str(ctx.dataset_dirs[EMBEDDED_REPO])
        for key, kind in (("pose_text", "pose-text"), ("pair_text", "pair-text")):
            if f"{EMBEDDED_REPO}/{kind}" in ctx.evaluator_dirs:
                defaults[key] = str(ctx.evaluator_dirs[f"{EMBEDDED_REPO}/{kind}"])
    repos = {task.spec.dataset.repo for task in tasks}
    if len(repos) == 1 and next(iter(repos)) in ctx.dataset_dirs:  # the folder the tasks' rows come from
        defaults["dataset"] = str(ctx.dataset_dirs[next(iter(repos))])
    adapter = load_adapter(args.model, **defaults)
    check_support(adapter, tasks)
    with ResponseCache(args.cache or workspace.cache_path()) as cache:
        results = evaluate(adapter, tasks, args.output, cache, limit=args.limit, split=args.split,
                           batch_size=args.batch_size)
    for r in results:
        main = r.scores[r.main_metric]
        ci = f" [{main.ci_low:.2f}, {main.ci_high:.2f}]" if main.ci_low is not None else ""
        print(f"{r.task:32s} {r.main_metric} = {main.value:.2f}{ci} {main.unit}  ({r.n_cached}/{r.n_requests} "
              f"cached, {r.runtime_s:.1f} s)")
    print(f"results in {Path(args.output) / 'results'}")
    return 0
