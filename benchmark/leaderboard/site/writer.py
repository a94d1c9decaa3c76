"""Writing the whole site into a folder: pages, CSV, shared assets and images.

It is written into a temporary folder beside the target and moved into place at the end, so a failed or killed
build never leaves a half-written site (the previous one stays until the new one is complete). A folder that exists
and is not a site this writer made is never replaced.
"""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path

from benchmark.errors import BenchmarkError, InputError
from benchmark.leaderboard.build import Table, comparable_results
from benchmark.leaderboard.render import to_csv
from benchmark.leaderboard.site import SAMPLES_PER_PAGE, paths
from benchmark.leaderboard.site.board_pages import board_page, index_page
from benchmark.leaderboard.site.comparison_pages import comparison_page, index_section, read_comparisons
from benchmark.leaderboard.site.drilldown import DatasetRows, ImageWriter, build_views
from benchmark.leaderboard.site.markup import SiteMeta
from benchmark.leaderboard.site.model_pages import ModelSamples, model_page
from benchmark.leaderboard.site.score_entries import model_label
from benchmark.leaderboard.site.task_pages import task_page
from benchmark.leaderboard.site.sample_metrics import read_samples
from benchmark.results import TaskResult, load_result_files, result_files

ASSETS = Path(__file__).resolve().with_name("assets")
_MARKER = "assets/site.js"  # a folder holding it is a site this writer made (and may replace)


class SiteError(BenchmarkError):
    """The site cannot be written (no results, a folder it must not or cannot write)."""


def write_site(tables: list[Table], results_dir: str | Path, out_dir: str | Path, *, context=None,
               cache_path: str | Path | None = None, samples_per_page: int = SAMPLES_PER_PAGE,
               progress: bool = True) -> Path:
    """Write the site of `tables` (the boards, built from the results under RESULTS_DIR/results), of every result
    there and of every comparison under RESULTS_DIR/comparisons into `out_dir`; returns the path of its index.html.
    `context` (a TaskContext) says where the tasks' datasets are, for the drill-down's inputs and ground truth;
    `cache_path` is the response cache that holds the outputs older samples files lack."""
    from tqdm.auto import tqdm

    from benchmark import __version__

    results_dir, out_dir = Path(results_dir), Path(out_dir)
    if samples_per_page < 1:
        raise SiteError(f"samples per page must be at least 1, not {samples_per_page}")
    files = result_files(results_dir)
    if not files:
        where = results_dir / "results"
        raise SiteError(f"no result files under {where}" + ("" if where.is_dir() else " (the folder does not exist)")
                        + ": evaluate models first (`unipose-bench run`, or `unipose-bench evaluate --model NAME "
                        f"--output {results_dir}`), or point --results at the folder that holds results/")
    results = load_result_files(files, check_files=True)  # a damaged or edited one is named and left out
    staging = _staging_folder(out_dir)
    try:
        _write(tables, results, results_dir, staging, context=context, cache_path=cache_path, n=samples_per_page,
               meta=SiteMeta(__version__, datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                             str(results_dir)), progress=progress, bar=tqdm)
        _swap_into_place(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir / paths.INDEX


def _staging_folder(out_dir: Path) -> Path:
    if out_dir.exists() and (not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / _MARKER).is_file())):
        raise SiteError(f"{out_dir} exists and is not a site written by unipose-bench: choose a new or empty folder "
                        "(the site replaces its folder as a whole)")
    staging = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    try:
        staging.mkdir(parents=True, exist_ok=False)
        (staging / ".write-test").write_text("")
    except FileExistsError:
        shutil.rmtree(staging, ignore_errors=True)  # left by a killed build of this same process id
        return _staging_folder(out_dir)
    except OSError as exc:
        raise SiteError(f"cannot write the site to {out_dir}: {exc.strerror or exc} ({exc.filename or out_dir}); "
                        "choose a folder you can write with --site DIR") from None
    (staging / ".write-test").unlink()
    return staging


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    if out_dir.exists():
        out_dir.rename(old)
    staging.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)


def _write_text(root: Path, target: str, text: str) -> None:
    path = root / target
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _task_version(task: str, results: list[TaskResult]) -> int:
    """The version a task page shows: the registered task's current one, else the newest result's."""
    from benchmark.tasks.catalog import evaluator_task_registry, task_registry

    for registry in (task_registry(), evaluator_task_registry()):
        if task in registry:
            return registry.get(task).version
    return max(results, key=lambda r: r.created_at).task_version


def _write(tables: list[Table], results: dict[Path, TaskResult], results_dir: Path, root: Path, *, context,
           cache_path, n: int, meta: SiteMeta, progress: bool, bar) -> None:
    from benchmark.evaluation.cache import ResponseCache
    from benchmark.tasks.catalog import task_registry

    for asset in ("site.css", "site.js"):
        target = root / "assets" / asset
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ASSETS / asset, target)
    path_of = {id(r): p for p, r in results.items()}
    all_results = list(results.values())
    by_task: dict[str, list[TaskResult]] = {}
    task_notes: dict[str, list[str]] = {}
    for task in dict.fromkeys(r.task for r in all_results):
        notes: list[str] = []
        candidates = [r for r in all_results if r.task == task]
        chosen = comparable_results(task, _task_version(task, candidates), all_results, notes)
        if chosen:
            by_task[task] = sorted(chosen, key=lambda r: (not r.adapter.reference, r.adapter.name))
            task_notes[task] = notes
    model_pages = {(t, r.adapter.name, r.adapter.revision): paths.model_page(t, r.adapter.name, r.adapter.revision)
                   for t, rs in by_task.items() for r in rs}

    cache = ResponseCache(cache_path) if cache_path is not None and Path(cache_path).is_file() else None
    rows, images = DatasetRows(context), ImageWriter(root)
    try:
        todo = [(t, r) for t, rs in by_task.items() for r in rs]
        samples_of: dict[str, dict[tuple[str, str], ModelSamples]] = {t: {} for t in by_task}
        for task, result in bar(todo, desc="site pages", unit="page", disable=not progress):
            samples = _model_samples(result, path_of[id(result)], rows, cache, images, n)
            samples_of[task][(result.adapter.name, result.adapter.revision)] = samples
            label = model_label(result, by_task[task])
            page, text = model_page(result, label, samples, n, str(path_of[id(result)]), meta)
            _write_text(root, page, text)
    finally:
        if cache is not None:
            cache.close()

    for task, task_results in by_task.items():
        page, text, csvs = task_page(task, task_results, samples_of[task], model_pages, task_notes[task], meta)
        _write_text(root, page, text)
        for target, csv_text in csvs.items():
            _write_text(root, target, csv_text)
    for table in tables:
        csv_target = f"data/boards/{paths.slug(table.spec.name)}.csv"
        _write_text(root, csv_target, to_csv(table))
        page, text = board_page(table, model_pages, csv_target, meta)
        _write_text(root, page, text)
    comparisons = read_comparisons(results_dir)
    current = {(r.task, r.adapter.name, r.adapter.revision): r.dataset.fingerprint for r in all_results}
    for item in comparisons:
        if item.data is not None:
            page, text, data_files = comparison_page(item, model_pages, set(by_task), current, meta)
            _write_text(root, page, text)
            for target, data_text in data_files.items():
                _write_text(root, target, data_text)
    model_tasks = {t: rs for t, rs in by_task.items() if t in task_registry()}
    summary_csv = "data/summary.csv"
    _write_text(root, summary_csv, _summary_csv(model_tasks))
    page, text = index_page(tables, model_tasks, model_pages, summary_csv, meta, index_section(comparisons))
    _write_text(root, page, text)


def _model_samples(result: TaskResult, result_file: Path, rows: DatasetRows, cache, images: ImageWriter,
                   n: int) -> ModelSamples:
    samples_file = result_file.with_suffix(".samples.jsonl")
    if not samples_file.is_file():
        return ModelSamples(None, f"{samples_file.name} is not beside the result file", [], {}, [])
    try:
        table = read_samples(samples_file)
    except InputError as exc:
        return ModelSamples(None, f"the samples file is malformed: {exc}", [], {}, [])
    drawn = table.drawn(n)
    try:
        views, notes = build_views(result, table, drawn, rows, cache, images)
    except BenchmarkError as exc:  # e.g. a row the task refuses to turn into a request: the page still has numbers
        return ModelSamples(table, None, [], {}, [f"The samples cannot be drawn: {exc}"])
    return ModelSamples(table, None, [i for i in drawn if i in views], views, notes)


def _summary_csv(task_results: dict[str, list[TaskResult]]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["task", "adapter", "revision", "reference", "main_metric", "value", "ci_low", "ci_high", "unit"])
    for task, results in task_results.items():
        for r in results:
            s = r.scores.get(r.main_metric)
            if s is None:
                continue
            writer.writerow([task, r.adapter.name, r.adapter.revision, r.adapter.reference, r.main_metric,
                             "" if s.value is None else s.value, "" if s.ci_low is None else s.ci_low,
                             "" if s.ci_high is None else s.ci_high, s.unit])
    return out.getvalue()
