"""From result files to table cells, keeping only comparable results.

Within a section (one task), a result enters only if its task version is the spec's and it belongs to the
comparability group (dataset revision + fingerprint, evaluator versions) of the newest result; everything else is
left out and listed in the table's notes. A cell without a value says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmark.results import TaskResult
from benchmark.leaderboard.spec import LeaderboardSpec


@dataclass
class Cell:
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    reason: str | None = None


@dataclass
class Row:
    label: str
    kind: str  # "measured", "reference" (a labelled reference adapter) or "reported" (a paper's number)
    source: str = ""
    adapter: str = ""
    revision: str = ""
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)


@dataclass
class Table:
    spec: LeaderboardSpec
    rows: list[Row]
    notes: list[str]
    provenance: dict[str, dict] = field(default_factory=dict)  # section title -> dataset/evaluator description


def comparable_results(task: str, task_version: int, results: list[TaskResult], notes: list[str],
                       title: str | None = None) -> list[TaskResult]:
    """The results of `task` at `task_version` that one table may compare (the newest full run's comparability
    group, one result per adapter revision); why the others were left out is appended to `notes`."""
    title = title or task
    candidates = [r for r in results if r.task == task]
    wrong_version = [r for r in candidates if r.task_version != task_version]
    if wrong_version:
        notes.append(f"{title}: left out {len(wrong_version)} result(s) of task version(s) "
                     f"{sorted({r.task_version for r in wrong_version})} (this table shows version "
                     f"{task_version})")
    candidates = [r for r in candidates if r.task_version == task_version]
    if not candidates:
        return []
    # the newest full run on the test split sets what the table compares (partial runs only when no full one)
    full = [r for r in candidates if not r.partial]
    newest = max(full or candidates, key=lambda r: (r.dataset.split == "test", r.created_at))
    key = newest.comparability_key()
    kept = [r for r in candidates if r.comparability_key() == key]
    if len(kept) < len(candidates):
        partial = sum(r.partial for r in candidates if r not in kept)
        notes.append(f"{title}: left out {len(candidates) - len(kept)} result(s) computed on another "
                     "dataset revision, split, seed or number of rows (--limit), or with other evaluator versions, "
                     f"than the newest full result{f' ({partial} of them partial runs)' if partial else ''}")
    # one result per adapter revision: the newest
    latest: dict[tuple[str, str], TaskResult] = {}
    for r in sorted(kept, key=lambda r: r.created_at):
        latest[(r.adapter.name, r.adapter.revision)] = r
    return list(latest.values())


def build_table(spec: LeaderboardSpec, results: list[TaskResult],
                missing_reasons: dict[tuple[str, str], str] | None = None) -> Table:
    """`missing_reasons[(adapter name, task)]` explains a missing result (unsupported task, dataset not built)."""
    missing_reasons = missing_reasons or {}
    notes: list[str] = []
    rows: dict[tuple[str, str], Row] = {}
    provenance = {}
    per_section = {}
    for section in spec.sections:
        chosen = comparable_results(section.task, section.task_version, results, notes, title=section.title)
        per_section[section.title] = chosen
        if chosen:
            r = chosen[0]
            if r.dataset.off_pin:
                notes.append(f"{section.title}: measured on content {r.dataset.fingerprint}, not the "
                             f"{r.dataset.pinned_fingerprint} task {r.task} pins (another world seed or preset, or "
                             "a rebuilt dataset): not comparable with published numbers")
            provenance[section.title] = {
                "task": r.task, "task_version": r.task_version, "dataset": r.dataset.repo,
                "config": r.dataset.config, "split": r.dataset.split, "revision": r.dataset.revision,
                "fingerprint": r.dataset.fingerprint, "rows": r.dataset.n_evaluated, "options": r.options,
                "evaluators": {e.kind: f"{e.version} (weights sha256 {e.sha256[:16]})" if e.sha256 else e.version
                               for e in r.evaluators}}
        for r in chosen:
            key = (r.adapter.name, r.adapter.revision)
            if key not in rows:
                rows[key] = Row(label=r.adapter.name, kind="reference" if r.adapter.reference else "measured",
                                adapter=r.adapter.name, revision=r.adapter.revision)
    # two revisions of one adapter (other weights, other decoding settings) are two rows: their labels name the
    # revision, or the table would show two rows of one name
    names = [name for name, _ in rows]
    for (name, revision), row in rows.items():
        if names.count(name) > 1:
            row.label = f"{name} @ {revision}"
    for section in spec.sections:
        by_adapter = {(r.adapter.name, r.adapter.revision): r for r in per_section[section.title]}
        for key, row in rows.items():
            result = by_adapter.get(key)
            for column in section.columns:
                if result is None:
                    reason = missing_reasons.get((key[0], section.task)) or _default_reason(key[0], section.task)
                    row.cells[(section.title, column.metric)] = Cell(reason=reason)
                elif column.metric not in result.scores or result.scores[column.metric].value is None:
                    entry = result.scores.get(column.metric)
                    reason = (entry.details.get("reason") if entry is not None else None) or \
                        f"{column.metric} not computed"
                    row.cells[(section.title, column.metric)] = Cell(reason=reason)
                else:
                    s = result.scores[column.metric]
                    row.cells[(section.title, column.metric)] = Cell(s.value, s.ci_low, s.ci_high)
    measured = sorted(rows.values(), key=lambda row: _sort_key(spec, row))
    reported_rows = []
    for rep in spec.reported:
        row = Row(label=rep.label, kind="reported", source=rep.source)
        for section in spec.sections:
            values = rep.values.get(section.title, {})
            for column in section.columns:
                v = values.get(column.metric)
                row.cells[(section.title, column.metric)] = Cell(v, reason=None if v is not None else
                                                                 "not reported")
        reported_rows.append(row)
    for section in spec.sections:
        if not per_section[section.title]:
            reasons = {r for (_, task), r in missing_reasons.items() if task == section.task and
                       not r.startswith("n/a")}
            if section.awaiting:
                reasons.add(f"it awaits {section.awaiting}")
            notes.append(f"{section.title}: no measured results for {section.task}"
                         + (f" ({'; '.join(sorted(reasons))})" if reasons else ""))
    return Table(spec=spec, rows=[r for r in measured if r.kind == "reference"]
                 + [r for r in measured if r.kind == "measured"] + reported_rows, notes=notes, provenance=provenance)


def _default_reason(adapter: str, task: str) -> str:
    from benchmark.adapters import registered_tasks

    task_id = task.split("/")[0]
    tasks = registered_tasks(adapter)
    if tasks is not None and task_id not in tasks:
        return f"n/a: {adapter} does not do {task_id}"
    return "not evaluated"


def _sort_key(spec: LeaderboardSpec, row: Row):
    title = spec.sort_by or spec.sections[0].title
    section = next(s for s in spec.sections if s.title == title)
    column = section.columns[0]
    cell = row.cells.get((title, column.metric))
    if cell is None or cell.value is None:
        return (1, 0.0, row.label)
    return (0, cell.value if column.lower_is_better else -cell.value, row.label)

