"""The main job, on the embedded world (no download, no GPU):

1. build the embedded world (cached in $UNIPOSE_BENCH_HOME; rebuilt only when its config or code changes) and check
   its content against the committed fingerprints;
2. load the frozen retrieval evaluators shipped for that world (a world they were not trained on, e.g. another seed,
   gets a quick pair trained for it, with the reason printed) and score them on the test splits;
3. evaluate every runnable adapter on the seven embedded tasks, and the ground truth as a predictions file
   (responses and results cached: a second run only re-reads them);
4. write every leaderboard (markdown, CSV, LaTeX, HTML, PNG) into OUTPUT/leaderboards and print where they are.
"""

from __future__ import annotations

import time
from pathlib import Path

# The adapters the main job runs (predictions_file needs a file: the ground truth is submitted as one).
MAIN_JOB_ADAPTERS = ("auto_captioner", "nearest_neighbour", "copy_source", "mean_pose", "random")


def add_arguments(parser):
    parser.add_argument("--output", type=Path, default=Path("outputs"), help="output folder (default: outputs)")
    parser.add_argument("--preset", default="default", choices=("default", "small"),
                        help="size of the embedded world (default: under a minute to build on 2 cores)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the world, templates and metrics")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the CIs")
    parser.add_argument("--models", nargs="+", default=list(MAIN_JOB_ADAPTERS), help="adapters to run")
    parser.add_argument("--no-ground-truth", action="store_true",
                        help="do not score the ground truth as a predictions file")
    parser.add_argument("--force", action="store_true", help="rebuild and re-evaluate everything")


def evaluator_results(world, evaluators: dict, output: Path, *, seed: int, resamples: int, force: bool):
    """Result files of the evaluators' own retrieval quality on the test splits (cached by version + data)."""
    import datasets

    from benchmark.evaluation.results import TaskResult, result_path
    from benchmark.retrieval.report import evaluator_result
    from benchmark.tasks.catalog import EMBEDDED_REPO

    out = []
    for kind, config in (("pose-text", "pose_to_text"), ("pair-text", "pose_diff")):
        evaluator = evaluators[kind]
        fingerprint = world.split_fingerprints[config]["test"]
        path = result_path(output, evaluator.name, evaluator.version, f"retrieval:{kind}/embedded")
        if path.is_file() and not force:
            old = TaskResult.from_disk(path)
            if old.dataset.fingerprint == fingerprint and old.seed == seed:
                out.append(old)
                continue
        ds = datasets.load_dataset(str(world.hub_dir), config, split="test")
        result = evaluator_result(evaluator, ds, dataset_name="embedded", dataset_repo=EMBEDDED_REPO, config=config,
                                  split="test", fingerprint=fingerprint, seed=seed, resamples=resamples)
        result.to_disk(path)
        out.append(result)
    return out


def missing_reasons(adapters, tasks_by_name) -> dict[tuple[str, str], str]:
    """Why a leaderboard cell is empty besides "the adapter does not do the task": the task's data is not here."""
    from benchmark.errors import BenchmarkError

    reasons = {}
    for name, task in tasks_by_name.items():
        try:
            available = task.fingerprint() is not None or task.spec.dataset.revision is not None
        except BenchmarkError:
            available = False
        for adapter in adapters:
            if adapter.meta.supports(task.spec.task_id) and not available:
                reasons[(adapter.meta.name, name)] = (f"dataset {task.spec.dataset.repo} is not built here "
                                                      "(needs the licensed source data; see README)")
    return reasons


def run(args) -> int:
    from benchmark.adapters import load_adapter
    from benchmark.evaluation.cache import ResponseCache
    from benchmark.evaluation.results import load_results
    from benchmark.evaluation.runner import evaluate
    from benchmark.leaderboard.build import build_table
    from benchmark.leaderboard.render import write_all
    from benchmark.leaderboard.spec import load_specs
    from benchmark.retrieval import load_evaluator
    from benchmark.tasks.base import TaskContext
    from benchmark.tasks.catalog import EMBEDDED_REPO, embedded_task_names, get_task, task_registry
    from benchmark import workspace
    from datasets_build.world.build import PRESETS
    from datasets_build.world.ensure import ensure_world
    from datasets_build.world.evaluators import provide_evaluators
    from models.predictions_file import PredictionsFileAdapter, write_ground_truth

    start = time.perf_counter()
    config = PRESETS[args.preset].model_copy(update={"seed": args.seed})
    world = ensure_world(config, force=args.force, command=f"unipose-bench run --preset {args.preset} "
                                                         f"--seed {args.seed}")
    print(f"[world] {world.build_id}{' (cached)' if world.cached else ''}, content {world.fingerprint}: "
          f"{world.hub_dir}")
    provided = provide_evaluators(world)
    for p in provided.values():
        print(f"[evaluators] {p.kind}: {'shipped, ' if p.shipped else 'trained here, '}{p.path}")
    evaluators = {kind: load_evaluator(p.path) for kind, p in provided.items()}
    output = args.output
    evaluator_results(world, evaluators, output, seed=args.seed, resamples=args.bootstrap, force=args.force)

    ctx = TaskContext(seed=args.seed, bootstrap_resamples=args.bootstrap,
                      dataset_dirs={EMBEDDED_REPO: world.hub_dir},
                      evaluator_dirs={f"{EMBEDDED_REPO}/{kind}": p.path for kind, p in provided.items()})
    tasks = [get_task(name, ctx) for name in embedded_task_names()]
    defaults = {"train": str(world.hub_dir), "dataset": str(world.hub_dir),
                "pose_text": str(provided["pose-text"].path), "pair_text": str(provided["pair-text"].path)}
    adapters = [load_adapter(spec, **defaults) for spec in args.models]
    if not args.no_ground_truth:
        # the ground truth, submitted as any third party would: a labelled reference (the evaluators' ceiling)
        truth = PredictionsFileAdapter(write_ground_truth(tasks, output / "predictions" / "ground_truth.jsonl"),
                                       name="ground_truth", revision=world.fingerprint)
        truth.meta = truth.meta.model_copy(update={"reference": True})
        adapters.append(truth)
    with ResponseCache(workspace.cache_path()) as cache:
        for adapter in adapters:
            supported = [t for t in tasks if adapter.meta.supports(t.spec.task_id)]
            evaluate(adapter, supported, output, cache, overwrite=args.force)

    all_tasks = {name: get_task(name, ctx) for name in task_registry().names()}
    reasons = missing_reasons(adapters, all_tasks)
    results = load_results(output)
    board_dir = output / "leaderboards"
    written = {}
    for name, spec in load_specs().items():
        written[name] = write_all(build_table(spec, results, reasons), board_dir)
    print((board_dir / "embedded.md").read_text())
    print(f"leaderboards ({len(written)} tables, markdown/CSV/LaTeX/HTML/PNG): {board_dir.resolve()}")
    print(f"main job finished in {time.perf_counter() - start:.0f} s")
    return 0
