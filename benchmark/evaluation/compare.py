"""Is model A better than model B? Paired tests on the rows both were scored on, from their result files.

For each task, A's and B's results must be comparable (same task version, data, seed and evaluators) and their
per-sample records must hold the same rows; then every score both results have is tested for a difference A - B:

* metrics that are means of per-row values (MPJPE, PA-MPJPE, the per-joint and per-part errors, the root
  orientation error, METEOR, ROUGE-L), and the posecode agreement (a function of per-row counts): a paired bootstrap
  over rows (`benchmark.metrics.paired_tests.paired_bootstrap`);
* the retrieval metrics (R-precision, recall, mRecall, multimodality), computed over the whole split: a paired
  permutation test that swaps the two models' responses on random sets of rows and recomputes the metrics from the
  evaluator embeddings kept beside the records (`benchmark.response_embeddings`, `benchmark.metrics.mixed_retrieval`);
  their interval is the paired bootstrap of the per-query values with each model's gallery fixed, as the results'
  own intervals are;
* a score with neither (corpus BLEU, FID) is listed as not compared, with the reason.

p-values are per metric, not corrected for the number of metrics compared. The comparison is a JSON-ready dict
(`compare_results`) and a markdown table (`to_markdown`), written together to RESULTS/comparisons/A-vs-B.{json,md}
(`comparison_path`, `write_comparison`), where the leaderboard site finds them.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.errors import BenchmarkError, InputError
from benchmark.metrics.mixed_retrieval import MixedRetrieval, is_retrieval_key
from benchmark.metrics.paired_tests import (DEFAULT_CONFIDENCE, DEFAULT_PERMUTATIONS, DEFAULT_RESAMPLES,
                                            paired_bootstrap, paired_permutation)
from benchmark.metrics.specs import METRIC_SPECS
from benchmark.response_embeddings import embeddings_path, read_embeddings
from benchmark.results import ResultFileError, TaskResult, check_companions, read_sample_records, result_path

SCHEMA_VERSION = 1
_POSECODE_COUNTS = "posecode_counts"  # the record field of benchmark.tasks.scoring.posecode_scores


@dataclass
class TaskFiles:
    """One adapter's result of one task: the result, its records (by row id) and where they are."""

    path: Path
    result: TaskResult
    ids: list[str]
    records: dict[str, dict]


def adapter_dir(results_dir: str | Path, adapter: str) -> Path:
    """The folder of `adapter` ("NAME" with one revision, or "NAME/REVISION") under RESULTS/results."""
    root = Path(results_dir) / "results"
    name, _, revision = adapter.partition("/")
    folder = result_path(results_dir, name, revision or "-", "-").parent.parent  # RESULTS/results/<adapter>
    if not folder.is_dir():
        known = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
        raise InputError(f"no results of adapter '{name}'", file=str(folder),
                         hint=f"adapters with results here: {', '.join(known) or 'none'}")
    if revision:
        chosen = result_path(results_dir, name, revision, "x").parent
        if not chosen.is_dir():
            known = sorted(p.name for p in folder.iterdir() if p.is_dir())
            raise InputError(f"adapter '{name}' has no results of revision '{revision}'", file=str(chosen),
                             hint=f"its revisions here: {', '.join(known) or 'none'}")
        return chosen
    revisions = sorted(p.name for p in folder.iterdir() if p.is_dir())
    if len(revisions) != 1:
        raise InputError(f"adapter '{name}' has results of {len(revisions)} revisions ({', '.join(revisions)})",
                         file=str(folder), hint=f"name one: {name}/REVISION")
    return folder / revisions[0]


def load_task_files(folder: Path, task: str) -> TaskFiles:
    """The result of `task` in an adapter's folder and its records; missing or unreadable files are an InputError
    naming the file."""
    path = folder / result_path(folder, "-", "-", task).name
    if not path.is_file():
        raise InputError(f"no result of task {task}", file=str(path), hint="run `unipose-bench evaluate` first")
    result = TaskResult.from_disk(path)  # a ResultFileError naming the file when damaged or edited
    check_companions(path, result)
    samples = path.with_suffix(".samples.jsonl")
    if not samples.is_file():
        raise InputError("no per-sample records beside the result", file=str(samples),
                         hint="the paired tests need them; re-run `unipose-bench evaluate` for this task")
    ids, records = read_sample_records(samples)
    return TaskFiles(path, result, ids, records)


def check_same_rows(a: TaskFiles, b: TaskFiles) -> None:
    """The two results must be comparable and their records must hold the same rows."""
    fields = ("task", "task version", "dataset revision", "dataset content", "split", "rows evaluated", "seed",
              "evaluators")
    differ = [f"{name}: {x} vs {y}" for name, x, y in zip(fields, a.result.comparability_key(),
                                                           b.result.comparability_key()) if x != y]
    if differ:
        raise BenchmarkError(f"{a.path} and {b.path} are not comparable ({'; '.join(differ)}); compare results of "
                             "the same task version on the same data, seed and evaluators")
    only_a, only_b = set(a.ids) - set(b.ids), set(b.ids) - set(a.ids)
    if only_a or only_b:
        example = sorted(only_a)[:1] or sorted(only_b)[:1]
        raise BenchmarkError(
            f"{a.path.with_suffix('.samples.jsonl')} and {b.path.with_suffix('.samples.jsonl')} hold different rows: "
            f"{len(only_a)} only in A, {len(only_b)} only in B (e.g. {example[0]!r}); a paired test needs the same "
            "rows")


def _per_row(files: TaskFiles, ids: list[str], key: str):
    """(values [N] or counts [N, 3], statistic or None) of `key` from the records, or None when they have none."""
    if key.startswith("posecode_"):
        from benchmark.metrics import posecode_agreement as pa

        measure, _, group = key[len("posecode_"):].partition("@")
        rows = [files.records[i].get(_POSECODE_COUNTS, {}).get(group or "all") for i in ids]
        if any(r is None for r in rows):
            return None
        return np.asarray(rows, dtype=np.float64), getattr(pa, f"{measure}_from_counts")
    values = [files.records[i].get(key) for i in ids]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return None
    return np.asarray(values, dtype=np.float64), None


def _favours(difference: float, higher_is_better: bool) -> str:
    if difference == 0:
        return "neither"
    return "A" if (difference > 0) == higher_is_better else "B"


def _row(key: str, entry, a: float, b: float, difference: float, low: float, high: float, p: float, test: str,
         alpha: float) -> dict:
    group = METRIC_SPECS.get(key).group if key in METRIC_SPECS else ""
    return {"metric": key, "unit": entry.unit, "higher_is_better": entry.higher_is_better, "group": group,
            "a": a, "b": b, "difference": difference, "ci_low": low, "ci_high": high, "p_value": p,
            "favours": _favours(difference, entry.higher_is_better), "significant": bool(p < alpha), "test": test}


def compare_task(a: TaskFiles, b: TaskFiles, *, seed: int = 0, n_resamples: int = DEFAULT_RESAMPLES,
                 n_permutations: int = DEFAULT_PERMUTATIONS, confidence: float = DEFAULT_CONFIDENCE) -> dict:
    """The paired tests of every score two results of one task share (see the module docstring)."""
    check_same_rows(a, b)
    ids = a.ids
    alpha = 1.0 - confidence
    scores_a, scores_b = a.result.scores, b.result.scores
    shared = [k for k in scores_a if k in scores_b]
    rows, skipped, notes = [], {}, []
    retrieval = []
    for key in shared:
        ea, eb = scores_a[key], scores_b[key]
        if ea.value is None or eb.value is None:
            skipped[key] = (ea.details.get("reason") or eb.details.get("reason") or "not computed")
            continue
        if is_retrieval_key(key):
            retrieval.append(key)
            continue
        if ea.details.get("averaging") == "actions":
            skipped[key] = "averaged per action: the records hold frame values (their mean is another number)"
            continue
        per_a, per_b = _per_row(a, ids, key), _per_row(b, ids, key)
        if per_a is None or per_b is None:
            skipped[key] = ("a corpus-level score: the records keep no per-row values" if key != "fid" else
                            "a distance between two feature distributions of the whole split: no per-row values")
            continue
        t = paired_bootstrap(per_a[0], per_b[0], per_a[1], n_resamples=n_resamples, confidence=confidence,
                             seed=seed, field=key)
        for files, got in ((a, t.a), (b, t.b)):  # e.g. ROUGE-L: the result keeps rouge_score's bootstrap "mid"
            stored = files.result.scores[key].value
            if stored is not None and abs(got - stored) > 1e-6 * max(1.0, abs(stored)):
                notes.append(f"{key}: the mean of {files.path.name}'s per-row values is {got:.6g}, the result "
                             f"says {stored:.6g} (the test is on the per-row mean)")
        rows.append(_row(key, ea, t.a, t.b, t.difference, t.ci_low, t.ci_high, t.p_value, t.test, alpha))
    if retrieval:
        try:
            emb_a, emb_b = read_embeddings(embeddings_path(a.path)), read_embeddings(embeddings_path(b.path))
        except InputError as exc:
            skipped.update({key: f"not tested: {exc}" for key in retrieval})
            retrieval = []
    if retrieval:
        for emb, files in ((emb_a, a), (emb_b, b)):
            if set(emb.ids) != set(ids) or len(emb.ids) != len(ids):
                raise InputError("the embeddings hold other rows than the records", file=str(embeddings_path(
                    files.path)), hint="re-run `unipose-bench evaluate` for this task")
        order_b = [emb_b.ids.index(i) for i in emb_a.ids] if emb_b.ids != emb_a.ids else None
        if order_b is not None:
            from benchmark.response_embeddings import ResponseEmbeddings

            emb_b = ResponseEmbeddings(emb_a.ids, emb_b.text_side[order_b], emb_b.pose_side[order_b],
                                       emb_b.response_side)
        mix = MixedRetrieval(emb_a, emb_b, retrieval, seed=a.result.seed)
        n = len(emb_a.ids)
        values_a, values_b, p_values = paired_permutation(mix.values, n, n_permutations=n_permutations, seed=seed)
        per_a, per_b = mix.per_row(np.arange(n)), mix.per_row(np.arange(n) + n)
        test = (f"paired permutation test over rows ({n_permutations} random swaps of the two models' responses, "
                f"metrics recomputed, two-sided, seed {seed}); interval: paired bootstrap of the per-query values, "
                f"{n_resamples} resamples")
        for i, key in enumerate(retrieval):
            for files, got in ((a, values_a[i]), (b, values_b[i])):
                stored = files.result.scores[key].value
                if abs(got - stored) > 1e-6 * max(1.0, abs(stored)):
                    notes.append(f"{key}: recomputed {got:.6g} from {embeddings_path(files.path).name}, the result "
                                 f"says {stored:.6g}")
            t = paired_bootstrap(per_a[key], per_b[key], n_resamples=n_resamples, confidence=confidence, seed=seed,
                                 field=key)
            rows.append(_row(key, scores_a[key], float(values_a[i]), float(values_b[i]),
                             float(values_a[i] - values_b[i]), t.ci_low, t.ci_high, float(p_values[i]), test, alpha))
    order = {k: i for i, k in enumerate(shared)}
    rows.sort(key=lambda r: order[r["metric"]])
    return {"task": a.result.task, "task_version": a.result.task_version, "n_rows": len(ids),
            "dataset_fingerprint": a.result.dataset.fingerprint, "seed_of_results": a.result.seed,
            "comparisons": rows, "not_compared": skipped, "notes": notes}


def _full_results(folder: Path) -> dict[str, Path]:
    """{file stem: path} of the full-split results in an adapter's folder (not `.limit-N` / `.split-X` runs)."""
    return {p.stem: p for p in folder.glob("*.json") if "." not in p.stem}


def _common_tasks(folder_a: Path, folder_b: Path) -> list[str]:
    """The tasks both folders have a full result of, by the name inside A's result."""
    in_b = _full_results(folder_b)
    tasks = []
    for stem, path in sorted(_full_results(folder_a).items()):
        if stem not in in_b:
            continue
        try:
            tasks.append(TaskResult.from_disk(path).task)
        except ResultFileError as exc:  # named and left out: the other tasks are still compared
            print(f"unipose-bench: warning: result ignored: {exc}", file=sys.stderr, flush=True)
    return list(dict.fromkeys(tasks))


def compare_results(results_dir: str | Path, adapter_a: str, adapter_b: str, tasks=None, *, seed: int = 0,
                    n_resamples: int = DEFAULT_RESAMPLES, n_permutations: int = DEFAULT_PERMUTATIONS,
                    confidence: float = DEFAULT_CONFIDENCE, skip_failing: bool = False) -> dict:
    """Compare two adapters' results under RESULTS_DIR/results on `tasks` (default: every task both have). A task
    whose files are missing or not comparable is an error, or with `skip_failing` is left out and listed, with the
    reason, under "skipped_tasks"."""
    folder_a, folder_b = adapter_dir(results_dir, adapter_a), adapter_dir(results_dir, adapter_b)
    if tasks is None:
        tasks = _common_tasks(folder_a, folder_b)
        if not tasks:
            raise InputError("the two adapters have no result of a common task", file=f"{folder_a} and {folder_b}")
    out, skipped = [], {}
    for task in tasks:
        try:
            out.append(compare_task(load_task_files(folder_a, task), load_task_files(folder_b, task), seed=seed,
                                    n_resamples=n_resamples, n_permutations=n_permutations, confidence=confidence))
        except BenchmarkError as exc:
            if not skip_failing:
                raise
            skipped[task] = str(exc)
    comparison = {"schema_version": SCHEMA_VERSION,
                  "a": {"adapter": folder_a.parent.name, "revision": folder_a.name},
                  "b": {"adapter": folder_b.parent.name, "revision": folder_b.name},
                  "seed": seed, "confidence": confidence, "bootstrap_resamples": n_resamples,
                  "permutations": n_permutations, "tasks": out}
    if skipped:
        comparison["skipped_tasks"] = skipped
    return comparison


def comparison_path(results_dir: str | Path, adapter_a: str, adapter_b: str) -> Path:
    """RESULTS_DIR/comparisons/A-vs-B.json, where the site looks for comparisons ("NAME/REVISION" made safe)."""
    def safe(name: str) -> str:
        return name.replace("/", "__").replace(":", "_")
    return Path(results_dir) / "comparisons" / f"{safe(adapter_a)}-vs-{safe(adapter_b)}.json"


def write_comparison(comparison: dict, path: str | Path, *, all_rows: bool = False) -> str:
    """Write the comparison's JSON to `path` and its markdown table beside it (.md); returns the table."""
    from benchmark.results import write_text_atomic

    groups = ("", "body parts", "joints", "posecodes") if all_rows else ("", "body parts")
    table = to_markdown(comparison, groups=groups, posecode_kinds=all_rows)
    path = Path(path)
    write_text_atomic(path, json.dumps(comparison, indent=1) + "\n")
    write_text_atomic(path.with_suffix(".md"), table + "\n")
    return table


def _number(value: float) -> str:
    return f"{value:.2f}" if abs(value) >= 0.01 or value == 0 else f"{value:.2g}"


def _p(value: float) -> str:
    return f"{value:.3f}" if value >= 0.001 else f"{value:.1e}"


def to_markdown(comparison: dict, *, groups=("", "body parts"), posecode_kinds: bool = False) -> str:
    """One table per task: the headline metrics, the body-part errors and the overall posecode agreement (per-joint
    and per-kind rows are in the JSON); "better" names the model the difference favours when p < 1 - confidence."""
    a, b = comparison["a"], comparison["b"]
    level = f"{100 * comparison['confidence']:g} %"
    lines = [f"# {a['adapter']} ({a['revision']}) vs {b['adapter']} ({b['revision']})", "",
             f"A = {a['adapter']}, B = {b['adapter']}; difference = A - B with its {level} interval; p: two-sided, "
             f"per metric (no correction for the number of metrics); seed {comparison['seed']}.", ""]
    for task in comparison["tasks"]:
        lines += [f"## {task['task']} ({task['n_rows']} rows)", "",
                  "| metric | unit | A | B | A - B | " + level + " interval | p | better |",
                  "|---|---|---:|---:|---:|---|---:|---|"]
        shown = [r for r in task["comparisons"] if r["group"] in groups or (
            r["group"] == "posecodes" and ("@" not in r["metric"] or posecode_kinds))]
        for r in shown:
            arrow = "↑" if r["higher_is_better"] else "↓"
            better = r["favours"] if r["significant"] and r["favours"] != "neither" else "-"
            lines.append(f"| {r['metric']} {arrow} | {r['unit']} | {_number(r['a'])} | {_number(r['b'])} | "
                         f"{_number(r['difference'])} | [{_number(r['ci_low'])}, {_number(r['ci_high'])}] | "
                         f"{_p(r['p_value'])} | {better} |")
        hidden = len(task["comparisons"]) - len(shown)
        if hidden:
            lines.append(f"\n{hidden} more rows (per joint, per posecode kind) are in the JSON file.")
        by_reason: dict[str, list[str]] = {}
        for key, reason in task["not_compared"].items():
            by_reason.setdefault(reason, []).append(key)
        for reason, keys in by_reason.items():
            lines.append(f"\nNot compared: {', '.join(keys)} ({reason}).")
        for note in task["notes"]:
            lines.append(f"\nNote: {note}")
        lines.append("")
    for task, reason in comparison.get("skipped_tasks", {}).items():
        lines += [f"## {task}: not compared", "", reason, ""]
    return "\n".join(lines)
