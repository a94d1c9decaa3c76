"""The pages built from leaderboard tables (benchmark.leaderboard.build's model of a board): one page per board,
and the index that lists the boards and shows every task's main metric per model at a glance."""

from __future__ import annotations

from dataclasses import dataclass

from benchmark.leaderboard.build import Cell, Row, Table
from benchmark.leaderboard.render import UNSUPPORTED, number_text
from benchmark.leaderboard.site import paths
from benchmark.leaderboard.site.figures import RankedItem, heat_style, ranking_svg
from benchmark.leaderboard.site.markup import (SiteMeta, badge, esc, figure_with_data, link, page_html,
                                               ranking_data_table, sort_value, value_html)
from benchmark.metrics.specs import METRIC_SPECS
from benchmark.results import TaskResult

# model page of (task, adapter name, adapter revision), for the cells that link to their samples
ModelPages = dict[tuple[str, str, str], str]


@dataclass
class Footnotes:
    """Missing-cell reasons numbered in order of first use (the "n/a" of unsupported tasks needs none)."""

    numbers: dict[str, int]

    def mark(self, reason: str) -> str:
        number = self.numbers.setdefault(reason, len(self.numbers) + 1)
        return f"<sup>{number}</sup>"

    def html(self) -> str:
        if not self.numbers:
            return ""
        return '<ol class="footnotes">' + "".join(f'<li value="{n}">{esc(r)}</li>' for r, n in self.numbers.items()) \
            + "</ol>"


def _label_cell(row: Row) -> str:
    title = f"{row.adapter} revision {row.revision}" if row.revision else row.source
    kind_badge = badge(row.kind, row.source if row.kind == "reported" else "")
    return (f'<td class="label" data-sort="{esc(row.label.lower())}" title="{esc(title)}">{esc(row.label)}'
            f"{kind_badge}</td>")


def _cell(cell: Cell, fmt: str, row: Row, task: str, page: str, model_pages: ModelPages, notes: Footnotes) -> str:
    if cell.value is None:
        if cell.reason and cell.reason.startswith(UNSUPPORTED):
            return f'<td data-sort="" title="{esc(cell.reason)}"><span class="missing">{UNSUPPORTED}</span></td>'
        reason = cell.reason or "no value"
        return f'<td data-sort="" title="{esc(reason)}"><span class="missing">–</span>{notes.mark(reason)}</td>'
    text = value_html(cell.value, cell.ci_low, cell.ci_high, fmt)
    target = model_pages.get((task, row.adapter, row.revision))
    if target:
        return (f'<td class="cell-link" data-sort="{sort_value(cell.value)}">'
                f'{link(target, page, text, title="open this model’s samples for this task")}</td>')
    title = f' title="{esc(row.source)}"' if row.kind == "reported" and row.source else ""
    return f'<td data-sort="{sort_value(cell.value)}"{title}>{text}</td>'


def _header(label: str, metric: str, key: str, col: int) -> str:
    spec = METRIC_SPECS.get(metric)
    better = "higher" if spec.higher_is_better else "lower"
    arrow = "↑" if spec.higher_is_better else "↓"
    unit = f" ({spec.unit})" if spec.unit and spec.unit not in ("%",) else ""
    return (f'<th data-key="{esc(key)}" data-col="{col}" data-better="{better}" '
            f'title="{esc(metric)}: {esc(spec.protocol)}; {better} is better">{esc(label)}{unit} {arrow}</th>')


def _column_groups_table(table: Table, page: str, model_pages: ModelPages, notes: Footnotes) -> str:
    spec = table.spec
    groups = "".join(f'<th colspan="{len(s.columns)}">{esc(s.title)}</th>' for s in spec.sections)
    heads, col = [], 1
    for i, section in enumerate(spec.sections):
        for column in section.columns:
            heads.append(_header(column.label, column.metric, f"board-c{col}", col))
            col += 1
    body = []
    for row in table.rows:
        cells = [_cell(row.cells.get((s.title, c.metric), Cell(reason="not evaluated")), c.format, row, s.task, page,
                       model_pages, notes) for s in spec.sections for c in s.columns]
        body.append(f'<tr class="{row.kind}">{_label_cell(row)}{"".join(cells)}</tr>')
    return ('<div class="table-wrap"><table class="data sortable" id="board">'
            f'<thead><tr class="groups"><th rowspan="2" class="left" data-key="board-c0" data-col="0" data-type="text">'
            f'Method</th>{groups}</tr><tr>{"".join(heads)}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _row_groups_tables(table: Table, page: str, model_pages: ModelPages, notes: Footnotes) -> str:
    """One table per section (the sections share their columns): sorting never mixes two tasks' rows."""
    out = []
    for k, section in enumerate(table.spec.sections):
        rows = []
        for row in table.rows:
            cells = [row.cells.get((section.title, c.metric), Cell(reason="not evaluated")) for c in section.columns]
            if all(c.value is None for c in cells) and (row.kind == "reported" or all(
                    c.reason in (None, "not evaluated") for c in cells)):
                continue  # a row with nothing to say about this section
            rows.append(f'<tr class="{row.kind}">{_label_cell(row)}' + "".join(
                _cell(c, col.format, row, section.task, page, model_pages, notes)
                for c, col in zip(cells, section.columns)) + "</tr>")
        heads = "".join(_header(c.label, c.metric, f"s{k}-c{i + 1}", i + 1) for i, c in enumerate(section.columns))
        out.append(f"<h3>{esc(section.title)}</h3>" + (
            f'<div class="table-wrap"><table class="data sortable" id="board-s{k}"><thead><tr>'
            f'<th class="left" data-key="s{k}-c0" data-col="0" data-type="text">Method</th>{heads}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>' if rows else '<p class="muted">No rows.</p>'))
    return "".join(out)


def _rankings(table: Table, page: str, model_pages: ModelPages, csv_target: str) -> str:
    """Per section, its first column's values with their intervals, best first; the numbers beside each plot."""
    figures = []
    for section in table.spec.sections:
        column = section.columns[0]
        items = []
        for row in table.rows:
            cell = row.cells.get((section.title, column.metric))
            if cell is None or cell.value is None:
                continue
            target = model_pages.get((section.task, row.adapter, row.revision))
            items.append(RankedItem(row.label, row.kind, cell.value, cell.ci_low, cell.ci_high,
                                    paths.relative(target, page) if target else None))
        if not items:
            continue
        spec = METRIC_SPECS.get(column.metric)
        svg = ranking_svg(items, lower_is_better=column.lower_is_better, fmt=column.format, unit=spec.unit)
        ordered = sorted(items, key=lambda it: it.value if column.lower_is_better else -it.value)
        data = ranking_data_table([_ranking_row(it, column.format) for it in ordered], column.label)
        figures.append(figure_with_data(svg, data, link(csv_target, page, "all values of this board (CSV)"),
                                        f"{esc(section.title)}: {esc(column.label)}"))
    if not figures:
        return ""
    return ('<h2>Rankings</h2><p class="legend">Dots are values, whiskers 95 % bootstrap intervals; hollow grey dots '
            'are numbers reported in papers (other evaluators, not comparable). Click a model to open its samples.</p>'
            f'<div class="figures">{"".join(figures)}</div>')


def _ranking_row(it: RankedItem, fmt: str) -> tuple[str, str, str, str]:
    ci = it.ci_low is not None and it.ci_high is not None
    return (esc(it.label) + badge(it.kind, short=True), number_text(fmt, it.value),
            number_text(fmt, it.ci_low) if ci else "", number_text(fmt, it.ci_high) if ci else "")


def _provenance(table: Table) -> str:
    if not table.provenance and not table.notes:
        return ""
    items = []
    for title, p in table.provenance.items():
        evaluators = ", ".join(f"{k} {v}" for k, v in p["evaluators"].items()) or "none"
        options = "".join(f"; {k}: {v}" for k, v in p.get("options", {}).items())
        items.append(f"<li><b>{esc(title)}</b>: {esc(p['task'])} v{p['task_version']}, {esc(p['dataset'])} "
                     f"({esc(p['config'])}, {esc(p['split'])}, {p['rows']} rows, revision "
                     f"{esc(p['revision'] or 'local')}, content {esc(p['fingerprint'])}); evaluators: "
                     f"{esc(evaluators)}{esc(options)}</li>")
    notes = "".join(f"<li>{esc(n)}</li>" for n in table.notes)
    return (("<h2>Measured on</h2><ul class='notes'>" + "".join(items) + "</ul>" if items else "")
            + ("<h2>Notes</h2><ul class='notes'>" + notes + "</ul>" if notes else ""))


def board_page(table: Table, model_pages: ModelPages, csv_target: str, meta: SiteMeta) -> tuple[str, str]:
    """(site path, HTML) of a board's page."""
    spec = table.spec
    page = paths.board_page(spec.name)
    notes = Footnotes({})
    grid = (_row_groups_tables if spec.layout == "row_groups" else _column_groups_table)(table, page, model_pages,
                                                                                          notes)
    measured = sum(r.kind != "reported" for r in table.rows)
    reported = sum(r.kind == "reported" for r in table.rows)
    body = (f"<h1>{esc(spec.title)}</h1>"
            + (f'<p class="lead">{esc(spec.description)}</p>' if spec.description else "")
            + f'<p class="legend"><span>{measured} measured row(s), {reported} reported in papers</span>'
            f'<span>{badge("reference")} labelled reference</span><span>{badge("reported")} paper\'s number '
            "(italic)</span><span>[a, b] 95 % bootstrap interval</span><span>– missing (footnote says why)</span>"
            "<span>click a header to sort, a value to open its samples</span></p>"
            + grid + notes.html()
            + f'<p class="csv">{link(csv_target, page, "Download this board as CSV")} (one value per line, with '
            "intervals and missing reasons)</p>"
            + _rankings(table, page, model_pages, csv_target) + _provenance(table))
    crumbs = [("Index", paths.INDEX), (spec.title, None)]
    return page, page_html(kind="board", title=spec.title, page=page, crumbs=crumbs, body=body,
                           data={"board": spec.name}, meta=meta)


def _heat_fractions(values: list[float | None], higher_is_better: bool) -> list[float | None]:
    present = sorted({v for v in values if v is not None}, reverse=higher_is_better)
    if len(present) < 2:
        return [None if v is None else 1.0 for v in values]
    rank = {v: i for i, v in enumerate(present)}
    return [None if v is None else 1 - rank[v] / (len(present) - 1) for v in values]


def index_page(tables: list[Table], task_results: dict[str, list[TaskResult]], model_pages: ModelPages,
               summary_csv: str, meta: SiteMeta, comparisons: str = "") -> tuple[str, str]:
    """(site path, HTML) of the index: a models x tasks heat map of each task's main metric, the `comparisons`
    section (comparison_pages.index_section) when there is one, then the boards."""
    page = paths.INDEX
    cards = []
    # boards with measured rows first: the papers' layouts wait for the licensed data
    for table in sorted(tables, key=lambda t: not any(r.kind != "reported" for r in t.rows)):
        spec = table.spec
        measured = sum(r.kind != "reported" for r in table.rows)
        reported = sum(r.kind == "reported" for r in table.rows)
        description = spec.description.strip()
        short = description if len(description) <= 220 else description[:217].rsplit(" ", 1)[0] + " …"
        chips = [f'<span class="chip {"strong" if measured else "bad"}">{measured} measured</span>']
        if reported:
            chips.append(f'<span class="chip">{reported} reported</span>')
        chips += [f'<span class="chip">{esc(s.title)}</span>' for s in spec.sections[:8]]
        cards.append(f'<div class="card"><h3>{link(paths.board_page(spec.name), page, esc(spec.title))}</h3>'
                     f'<p>{esc(short)}</p><div class="chips">{"".join(chips)}</div></div>')
    body = ["<h1>Leaderboards</h1>",
            f'<p class="lead">{sum(len(v) for v in task_results.values())} results of '
            f"{len({(r.adapter.name, r.adapter.revision) for v in task_results.values() for r in v})} models on "
            f"{len(task_results)} tasks, from <code>{esc(meta.results)}</code>. Every board shows confidence "
            "intervals, marks the papers' numbers, and says why a cell is empty; every value opens the samples "
            "behind it.</p>",
            _heat_map(task_results, model_pages, page, summary_csv), comparisons,
            '<h2>Boards</h2><div class="cards">' + "".join(cards) + "</div>"]
    return page, page_html(kind="index", title="Leaderboards", page=page, crumbs=[("Index", None)],
                           body="".join(body), data={}, meta=meta)


def _heat_map(task_results: dict[str, list[TaskResult]], model_pages: ModelPages, page: str, summary_csv: str) -> str:
    if not task_results:
        return ""
    from benchmark.tasks.schema import TASKS

    # the paper's task order (pose_to_text ... pose_edit), then by dataset
    tasks = sorted(task_results, key=lambda t: (TASKS.index(t.split("/")[0]) if t.split("/")[0] in TASKS
                                                else len(TASKS), t))
    models = list(dict.fromkeys((r.adapter.name, r.adapter.revision, r.adapter.reference)
                                for results in task_results.values() for r in results))
    names = [m[0] for m in models]
    by = {(t, r.adapter.name, r.adapter.revision): r for t, results in task_results.items() for r in results}
    columns = []
    for t in tasks:
        main = task_results[t][0].main_metric
        entries = {m: by[(t, m[0], m[1])].scores.get(main) if (t, m[0], m[1]) in by else None for m in models}
        spec = METRIC_SPECS.get(main) if main in METRIC_SPECS else None
        known = [e for e in entries.values() if e is not None]
        higher = spec.higher_is_better if spec else (known[0].higher_is_better if known else True)
        values = [entries[m].value if entries[m] is not None else None for m in models]
        columns.append((t, main, higher, values, _heat_fractions(values, higher)))
    heads = "".join(
        f'<th data-key="heat-c{i + 1}" data-col="{i + 1}" data-better="{"higher" if higher else "lower"}" '
        f'title="{esc(t)}: {esc(main)}, {"higher" if higher else "lower"} is better">'
        f'{link(paths.task_page(t), page, esc(t.split("/")[0]))}<br><span class="muted small">{esc(main)} '
        f'{"↑" if higher else "↓"}</span></th>'
        for i, (t, main, higher, _, _) in enumerate(columns))
    rows = []
    for j, (name, revision, reference) in enumerate(models):
        label = name if names.count(name) == 1 else f"{name} @{revision[:10]}"
        cells = []
        for t, main, _, values, fractions in columns:
            value = values[j]
            if value is None:
                cells.append('<td data-sort=""><span class="missing">–</span></td>')
                continue
            unit = by[(t, name, revision)].scores[main].unit
            fmt = "{:.1f}" if unit in ("%", "mm") else "{:.3f}" if abs(value) < 1 else "{:.2f}"
            target = model_pages.get((t, name, revision))
            text = esc(number_text(fmt, value))
            inner = link(target, page, text, title=f"{name} on {t}") if target else text
            cells.append(f'<td class="cell-link" data-sort="{sort_value(value)}" style="{heat_style(fractions[j])}">'
                         f"{inner}</td>")
        rows.append(f'<tr class="{"reference" if reference else "measured"}"><td class="label" '
                    f'data-sort="{esc(label.lower())}">{esc(label)}{badge("reference") if reference else ""}</td>'
                    + "".join(cells) + "</tr>")
    return ("<h2>Tasks at a glance</h2>"
            '<p class="legend">Each task\'s main metric per model, on the comparable results of the task (those a '
            "board would show). Darker is better within a column. Click a value for the model's samples, a task for "
            f"every score and the model-vs-model scatter. {link(summary_csv, page, 'Data (CSV)')}</p>"
            '<div class="table-wrap"><table class="data sortable heat" id="heat"><thead><tr>'
            '<th class="left" data-key="heat-c0" data-col="0" data-type="text">Model</th>'
            f'{heads}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')
