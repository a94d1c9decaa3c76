"""The suite's jobs as library calls, under a thin CLI (`benchmark.cli`):

* `latest_context` - a TaskContext pointing at the newest embedded-world build and its evaluators;
* `resolve_tasks` - task names from the command line ("embedded" = the seven embedded-world tasks);
* `main_job` - build a world (through its `benchmark.worlds` provider), load its evaluators and score them on the
  test splits, evaluate adapters and the ground truth, compare the trained model with the strongest trivial baseline
  (`run_comparisons`), write every leaderboard and the site to browse them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from benchmark import workspace
from benchmark.adapters import ADAPTERS, load_adapter
from benchmark.errors import BenchmarkError
from benchmark.evaluation.cache import ResponseCache
from benchmark.evaluation.ground_truth import write_ground_truth
from benchmark.results import ResultFileError, TaskResult, load_results, result_path
from benchmark.evaluation.runner import evaluate
from benchmark.leaderboard.build import build_table
from benchmark.leaderboard.render import write_all
from benchmark.leaderboard.site.writer import write_site
from benchmark.leaderboard.spec import load_specs
from benchmark.tasks.base import TaskContext
from benchmark.tasks.catalog import (EMBEDDED_REPO, embedded_task_names, evaluator_task_specs, get_task,
                                     task_names, task_registry)
from benchmark.worlds import WORLDS

# The adapters the main job runs (predictions_file needs a file: the ground truth is submitted as one). UniPose's
# tiny preset is trained on the world's train splits the first time (7-9.5 minutes on 2 cores), then cached; so
# are the PoseScript / PoseFix baselines' tiny presets (about 2.5 minutes for the four models) and MetaPose's tiny
# preset (3-5 minutes). The two text generators trained here with no minimum length end their pair instructions
# too early (UniPose's greedy answer to most pairs is one short modal sentence) and BLEU's brevity penalty then
# dominates: both are held to 30 tokens, the world's median instruction length; UniPose also bars repeated 4-grams,
# as the PoseScript / PoseFix adapters do by default (greedy loops otherwise run to the length limit).
UNIPOSE_MAIN = "unipose:preset=tiny,no_repeat_ngram=4,min_tokens=30"
MAIN_JOB_ADAPTERS = (UNIPOSE_MAIN, "auto_captioner", "nearest_neighbour", "copy_source", "mean_pose",
                     "random", "blazepose", "posescript:preset=tiny", "posefix:preset=tiny,min_tokens=30",
                     "metapose:preset=tiny")
# The comparison the main job runs so that its site has one: the model it trains against the strongest trivial
# baseline of the embedded world (the nearest neighbour: the best trivial row on most of its tasks), as specs of
# MAIN_JOB_ADAPTERS, on every task both do. Fewer resamples than `unipose-bench compare`'s 10000 / 1000 keep it to
# seconds (the p-values are then resolved to about 0.001 and 0.01); run the command for the full counts.
MAIN_JOB_COMPARISONS = ((UNIPOSE_MAIN, "nearest_neighbour"),)
MAIN_JOB_COMPARISON_RESAMPLES = 1000
MAIN_JOB_COMPARISON_PERMUTATIONS = 200
EVALUATOR_KINDS = ("pose-text", "pair-text")


def latest_context(seed: int = 0, bootstrap: int = 1000, body_models: str | None = None) -> TaskContext:
    """A TaskContext pointing at the newest embedded-world build and its evaluators, when they exist."""
    ctx = TaskContext(seed=seed, bootstrap_resamples=bootstrap, body_models_dir=body_models)
    build = workspace.latest_world_id()
    if build is not None:
        ctx.dataset_dirs[EMBEDDED_REPO] = workspace.world_hub_dir(build)
        for kind in EVALUATOR_KINDS:
            folder = workspace.current_evaluator(build, kind)
            if folder is not None:
                ctx.evaluator_dirs[f"{EMBEDDED_REPO}/{kind}"] = folder
    return ctx


def resolve_tasks(names: list[str]) -> list[str]:
    """Task names, with "embedded" expanded to the seven embedded-world tasks; typos get a did-you-mean error."""
    registry = task_registry()
    out = []
    for name in names:
        if name == "embedded":
            out += embedded_task_names()
        else:
            registry.get(name)
            out.append(name)
    return list(dict.fromkeys(out))


def adapter_defaults(ctx: TaskContext, tasks, train_repo: str = EMBEDDED_REPO) -> dict[str, str]:
    """Arguments adapters take from the context unless their spec gives them: the train splits and evaluators of
    `train_repo` (default: the embedded world), and the folder the tasks' rows come from when they all come from one
    dataset."""
    defaults = {}
    if train_repo in ctx.dataset_dirs:
        defaults["train"] = str(ctx.dataset_dirs[train_repo])
        for key, kind in (("pose_text", "pose-text"), ("pair_text", "pair-text")):
            if f"{train_repo}/{kind}" in ctx.evaluator_dirs:
                defaults[key] = str(ctx.evaluator_dirs[f"{train_repo}/{kind}"])
    repos = {task.spec.dataset.repo for task in tasks}
    if len(repos) == 1 and next(iter(repos)) in ctx.dataset_dirs:
        defaults["dataset"] = str(ctx.dataset_dirs[next(iter(repos))])
    return defaults


def evaluator_results(world, evaluators: dict, output: Path, *, seed: int, resamples: int, force: bool,
                      repo: str = EMBEDDED_REPO):
    """Result files of the evaluators' own retrieval quality on the world's test splits (the evaluator tasks on
    dataset `repo`; cached by version + data)."""
    import datasets

    from benchmark.retrieval.report import evaluator_result, evaluator_run_key

    out = []
    for kind in EVALUATOR_KINDS:
        spec = next((s for s in evaluator_task_specs() if s.kind == kind and s.dataset.repo == repo), None)
        if spec is None:
            raise BenchmarkError(f"no evaluator task scores the {kind} evaluator on {repo} "
                                 "(benchmark.tasks.catalog.evaluator_task_specs)")
        evaluator = evaluators[kind]
        fingerprint = world.split_fingerprints[spec.dataset.config][spec.dataset.split]
        path = result_path(output, evaluator.name, evaluator.version, spec.name)
        if path.is_file() and not force:
            try:
                old = TaskResult.from_disk(path)
            except ResultFileError as exc:  # damaged or edited: named, and computed again below
                print(f"unipose-bench: warning: not reused, computed again: {exc}", file=sys.stderr, flush=True)
                old = None
            key = evaluator_run_key(spec, evaluator, fingerprint=fingerprint, seed=seed, resamples=resamples)
            if old is not None and old.run_key == key:
                old._reused_from = path
                out.append(old)
                continue
        ds = datasets.load_dataset(str(world.hub_dir), spec.dataset.config, split=spec.dataset.split)
        result = evaluator_result(evaluator, ds, spec, fingerprint=fingerprint, seed=seed, resamples=resamples)
        result.to_disk(path)
        out.append(result)
    return out


def missing_reasons(adapters, tasks_by_name) -> dict[tuple[str, str], str]:
    """Why a leaderboard cell of this run's adapters is empty: the adapter does not do the task (said from its meta,
    since a result's name, e.g. posescript-tiny, need not be the registered name the board could look up), or the
    task's data is not here."""
    reasons = {}
    for name, task in tasks_by_name.items():
        try:
            available = task.fingerprint() is not None or task.spec.dataset.revision is not None
        except BenchmarkError:
            available = False
        for adapter in adapters:
            if not adapter.meta.supports(task.spec.task_id):
                reasons[(adapter.meta.name, name)] = f"n/a: {adapter.meta.name} does not do {task.spec.task_id}"
            elif not available:
                reasons[(adapter.meta.name, name)] = (f"dataset {task.spec.dataset.repo} is not built here "
                                                      "(needs the licensed source data; see README)")
    return reasons


def run_comparisons(output: Path, adapters: dict, pairs, tasks, *, seed: int = 0,
                    n_resamples: int = MAIN_JOB_COMPARISON_RESAMPLES,
                    n_permutations: int = MAIN_JOB_COMPARISON_PERMUTATIONS, log=print) -> list[Path]:
    """The paired tests (`unipose-bench compare`) of each (spec A, spec B) of `pairs`, `adapters` being this run's
    adapters by spec, on the `tasks` both do, written to OUTPUT/comparisons/A-vs-B.{json,md}; returns the JSON files.
    A pair or task that cannot be compared (an adapter not in this run, a missing result, records or embeddings) is
    skipped with the reason logged, never an error."""
    from benchmark.evaluation.compare import compare_results, comparison_path, write_comparison

    written = []
    for spec_a, spec_b in pairs:
        missing = [spec for spec in (spec_a, spec_b) if spec not in adapters]
        if missing:
            log(f"[compare] skipped {spec_a} vs {spec_b}: {' and '.join(missing)} not among this run's adapters")
            continue
        a, b = adapters[spec_a].meta, adapters[spec_b].meta
        names = [t.spec.name for t in tasks if a.supports(t.spec.task_id) and b.supports(t.spec.task_id)]
        if not names:
            log(f"[compare] skipped {a.name} vs {b.name}: no task of this run that both do")
            continue
        start = time.perf_counter()
        try:
            comparison = compare_results(output, f"{a.name}/{a.revision}", f"{b.name}/{b.revision}", names,
                                         seed=seed, n_resamples=n_resamples, n_permutations=n_permutations,
                                         skip_failing=True)
        except (BenchmarkError, OSError, ValueError) as exc:
            log(f"[compare] skipped {a.name} vs {b.name}: {exc}")
            continue
        for task, reason in comparison.get("skipped_tasks", {}).items():
            log(f"[compare] {a.name} vs {b.name}: {task} skipped: {reason}")
        if not comparison["tasks"]:
            log(f"[compare] skipped {a.name} vs {b.name}: no task could be compared")
            continue
        path = comparison_path(output, a.name, b.name)
        write_comparison(comparison, path)
        written.append(path)
        log(f"[compare] {a.name} vs {b.name} on {len(comparison['tasks'])} task(s), {n_resamples} bootstrap "
            f"resamples and {n_permutations} permutations (`unipose-bench compare` runs 10000 / 1000), "
            f"{time.perf_counter() - start:.1f} s: {path}")
    return written


def write_leaderboards(output: Path, adapters, ctx: TaskContext, *, progress: bool = True) -> tuple[dict, Path]:
    """Every leaderboard spec built from the result files under `output`, written to OUTPUT/leaderboards, and the
    site to browse them and their samples in OUTPUT/leaderboards/site; `ctx` says which datasets are here (the
    others' empty cells say they are not built; the site shows the samples' inputs from them). Returns (the files of
    each board, the site's index.html)."""
    all_tasks = {name: get_task(name, ctx) for name in task_registry().names()}
    reasons = missing_reasons(adapters, all_tasks)
    results = load_results(output)
    tables = {name: build_table(spec, results, reasons) for name, spec in load_specs().items()}
    written = {name: write_all(table, output / "leaderboards") for name, table in tables.items()}
    index = write_site(list(tables.values()), output, output / "leaderboards" / "site", context=ctx,
                       cache_path=workspace.cache_path(), progress=progress)
    return written, index


def installed_adapters(models, defaults: dict, log=print, seconds: dict | None = None) -> tuple[tuple[str, ...], list]:
    """(specs, adapters) of `models` whose packages are installed; one whose optional extra is missing (e.g.
    blazepose without mediapipe) is skipped with the reason logged, so the other rows still get made. `seconds`,
    if given, receives each kept spec's loading time (its training, the first time)."""
    from benchmark.errors import MissingExtra

    kept, adapters = [], []
    for spec in models:
        start = time.perf_counter()
        try:
            adapters.append(load_adapter(spec, **defaults))
        except MissingExtra as exc:
            log(f"[skipped] {spec}: {exc}")
            continue
        kept.append(spec)
        if seconds is not None:
            seconds[spec] = time.perf_counter() - start
    return tuple(kept), adapters


def evaluate_adapters(adapters, tasks, output: Path, cache, *, force: bool = False) -> dict[str, float]:
    """Every adapter on the tasks it does; returns the seconds each took, as {"NAME (evaluate)": s}."""
    seconds = {}
    for adapter in adapters:
        supported = [t for t in tasks if adapter.meta.supports(t.spec.task_id)]
        start = time.perf_counter()
        evaluate(adapter, supported, output, cache, overwrite=force)
        seconds[f"{adapter.meta.name} (evaluate)"] = time.perf_counter() - start
    return seconds


def time_summary(parts: dict[str, float], total: float) -> str:
    """One line: where the seconds of a run went, largest first (parts under half a second are left out).

    >>> time_summary({"world": 30.2, "a (load)": 0.1, "b (load)": 400.0}, 431.0)
    'time by part: b (load) 400 s, world 30 s, other 1 s; total 431 s'
    """
    shown = sorted(((v, k) for k, v in parts.items() if v >= 0.5), reverse=True)
    other = total - sum(v for v, _ in shown)
    items = [f"{k} {v:.0f} s" for v, k in shown] + ([f"other {other:.0f} s"] if other >= 0.5 else [])
    return f"time by part: {', '.join(items)}; total {total:.0f} s"


def main_job(output: Path, *, world: str = "embedded", preset: str | None = None, seed: int = 0,
             bootstrap: int = 1000, models=MAIN_JOB_ADAPTERS, ground_truth: bool = True, force: bool = False,
             comparisons=MAIN_JOB_COMPARISONS, log=print) -> Path:
    """The main job; returns the folder of the leaderboards. Everything is cached: a second run re-reads it.
    `comparisons`: pairs of specs of `models` whose paired tests the site shows (skipped, with the reason logged,
    when one cannot be made)."""
    from benchmark.retrieval import load_evaluator

    start = time.perf_counter()
    parts: dict[str, float] = {}  # seconds by part, printed at the end (the first run's figure is its sum)
    provider = WORLDS.get(world)
    preset = preset or provider.presets[0]
    built = provider.build(preset, seed=seed, force=force,
                           command=f"unipose-bench run --world {world} --preset {preset} --seed {seed}")
    parts["world"] = time.perf_counter() - start
    log(f"[world] {built.build_id}{' (cached)' if built.cached else ''}, content {built.fingerprint}: "
        f"{built.hub_dir}")
    provided = provider.evaluators(built)
    for p in provided.values():
        log(f"[evaluators] {p.kind}: {'shipped, ' if p.shipped else 'trained here, '}{p.path}")
    evaluators = {kind: load_evaluator(p.path) for kind, p in provided.items()}
    evaluator_results(built, evaluators, output, seed=seed, resamples=bootstrap, force=force, repo=provider.repo)

    ctx = TaskContext(seed=seed, bootstrap_resamples=bootstrap, dataset_dirs={provider.repo: built.hub_dir},
                      evaluator_dirs={f"{provider.repo}/{kind}": p.path for kind, p in provided.items()})
    tasks = [get_task(name, ctx) for name in task_names(provider.repo)]
    defaults = adapter_defaults(ctx, tasks, train_repo=provider.repo)
    loading: dict[str, float] = {}
    models, adapters = installed_adapters(models, defaults, log, seconds=loading)
    parts.update({f"{spec} (load)": v for spec, v in loading.items()})
    if ground_truth:
        # the ground truth, submitted as any third party would: a labelled reference (the evaluators' ceiling)
        path = write_ground_truth(tasks, output / "predictions" / "ground_truth.jsonl")
        adapters.append(ADAPTERS.get("predictions_file")(path=str(path), name="ground_truth",
                                                         revision=built.fingerprint, reference=True))
    with ResponseCache(workspace.cache_path()) as cache:
        parts.update(evaluate_adapters(adapters, tasks, output, cache, force=force))

    t0 = time.perf_counter()
    run_comparisons(output, dict(zip(models, adapters)), comparisons, tasks, seed=seed, log=log)
    written, site_index = write_leaderboards(output, adapters, ctx)
    parts["comparisons and leaderboards"] = time.perf_counter() - t0
    board_dir = output / "leaderboards"
    if (board_dir / f"{world}.md").is_file():  # the world's own board, if it has one
        log((board_dir / f"{world}.md").read_text())
    log(f"leaderboards ({len(written)} tables, markdown/CSV/LaTeX/HTML/PNG): {board_dir.resolve()}")
    log(f"leaderboard site (open in a browser, works offline): {site_index.resolve()}")
    log(time_summary(parts, time.perf_counter() - start))
    log(f"main job finished in {time.perf_counter() - start:.0f} s")
    return board_dir
