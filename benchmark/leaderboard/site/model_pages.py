"""The page of one model on one task: its score entries (families as one chart each), and the samples drill-down:
a table of every sample's headline numbers, a filter (worst or best N by a number) and cards with the input, the
model's output and the ground truth of the N worst and N best samples by each headline number."""

from __future__ import annotations

import json
from dataclasses import dataclass

from benchmark.leaderboard.render import number_text
from benchmark.leaderboard.site import paths
from benchmark.leaderboard.site.drilldown import SampleView
from benchmark.leaderboard.site.markup import (SiteMeta, badge, column_format, esc, link, page_html, sort_value,
                                               value_html)
from benchmark.leaderboard.site.sample_metrics import SampleTable, metric_families
from benchmark.leaderboard.site.score_entries import (better_word, compact_number, entry_cell, entry_format,
                                                      family_chart, family_label, higher_is_better)
from benchmark.metrics.specs import METRIC_SPECS
from benchmark.results import TaskResult


@dataclass
class ModelSamples:
    """What a model page shows of a result's samples: the records (None, with the reason, when there are none),
    the ids drawn as cards, their views and the page-level notes on what could not be shown."""

    table: SampleTable | None
    reason: str | None
    drawn: list[str]
    views: dict[str, SampleView]
    notes: list[str]


def rounded(value: float | None) -> float | None:
    """Per-sample numbers in page data: five significant digits are plenty to rank and plot them."""
    return None if value is None else float(f"{value:.5g}")


def _protocol_details(entry) -> str:
    details = {k: v for k, v in entry.details.items() if k != "reason"}
    about = esc(entry.protocol) + (f"<br><code>{esc(json.dumps(details, ensure_ascii=False))}</code>"
                                   if details else "")
    return f"<details><summary>protocol</summary>{about}</details>"


def _scores_table(result: TaskResult) -> str:
    """Every score entry of the result, one line each (a family on one line, its chart unfolding); the protocol
    and the details unfold on demand."""
    singles, families = metric_families(result.scores)
    rows = []
    for key in singles:
        e = result.scores[key]
        main = ' <span class="chip strong">main</span>' if key == result.main_metric else ""
        value = entry_cell(e) if e.value is not None else (
            f'<td data-sort=""><span class="missing">–</span> '
            f'<span class="muted small">{esc(e.details.get("reason", "not computed"))}</span></td>')
        rows.append(f'<tr><td class="left" data-sort="{esc(key)}" title="{esc(e.protocol)}"><b>{esc(key)}</b>'
                    f"{main}</td>{value}<td class='left'>{esc(e.unit)}</td>"
                    f"<td class='left'>{'higher' if higher_is_better(key, [e]) else 'lower'}</td><td>{e.n}</td>"
                    f"<td class='left wrap'>{_protocol_details(e)}</td></tr>")
    for prefix, members in families.items():
        entries = [result.scores[k] for k in members]
        present = [e.value for e in entries if e.value is not None]
        span = (f"{compact_number(min(present))} – {compact_number(max(present))}" if present else "–")
        rows.append(f'<tr><td class="left" data-sort="{esc(prefix)}"><b>{esc(family_label(prefix, members))}</b></td>'
                    f'<td data-sort="" title="range over the family">{span}</td>'
                    f"<td class='left'>{esc(entries[0].unit)}</td>"
                    f"<td class='left'>{'higher' if higher_is_better(members[0], entries) else 'lower'}</td>"
                    f"<td>{entries[0].n}</td><td class='left wrap'><details><summary>chart of the {len(members)} "
                    f"entries</summary>{family_chart(result, members)}{_protocol_details(entries[0])}</details></td>"
                    "</tr>")
    return ('<div class="table-wrap"><table class="data sortable" id="entries"><thead><tr>'
            '<th class="left" data-key="entries-c0" data-col="0" data-type="text">Score</th>'
            '<th data-key="entries-c1" data-col="1">Value [95 % CI]</th><th class="left">Unit</th>'
            '<th class="left">Better</th><th>n</th><th class="left">Protocol and details</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _block_html(block, page: str) -> str:
    label = f'<div class="label">{esc(block.label)}</div>'
    if block.kind == "text":
        return f'<div class="block">{label}<div class="text">{esc(block.value)}</div></div>'
    if block.kind == "prompt":
        return f'<div class="block"><div class="prompt">prompt: “{esc(block.value)}”</div></div>'
    if block.kind == "texts":
        return f'<div class="block">{label}<ol>' + "".join(f"<li>{esc(t)}</li>" for t in block.value) + "</ol></div>"
    if block.kind == "image":
        return (f'<div class="block">{label}<img src="{esc(paths.relative(block.value, page))}" '
                f'alt="{esc(block.label)}" loading="lazy"></div>')
    if block.kind == "svg":
        return f'<div class="block">{label}{block.value}</div>'
    return f'<div class="block">{label}<div class="muted small">{esc(block.value)}</div></div>'


def _chip(key: str, value: float, metric, rank: int | None, total: int) -> str:
    tenth = max(1, total // 10)
    cls = ""
    if rank is not None and metric.higher_is_better is not None:
        cls = "worst" if rank < tenth else "best" if rank >= total - tenth else ""
    where = f" — rank {rank + 1} of {total}, worst first" if rank is not None else ""
    return (f'<span class="metric {cls}" title="{esc(metric.help)}{esc(where)}">{esc(key)} '
            f"{esc(compact_number(value))} {metric.arrow}</span>")


def _card(row_id: str, view: SampleView, table: SampleTable, ranks: dict[str, dict[str, int]], page: str) -> str:
    values = table.values[row_id]
    chips = [_chip(m.key, values[m.key], m, ranks[m.key].get(row_id), len(ranks[m.key]))
             for m in table.headline if m.key in values]
    for prefix, members in table.families.items():
        inner = "".join(_chip(m.key.split("@", 1)[1], values[m.key], m, None, 0) for m in members if m.key in values)
        if inner:
            chips.append(f'<details class="family"><summary>{esc(prefix)} ({len(members)})</summary>{inner}</details>')
    panes = "".join(
        f'<section class="pane"><h4>{title}</h4>' + "".join(_block_html(b, page) for b in blocks) + "</section>"
        for title, blocks in (("Input", view.inputs), ("Model output", view.output), ("Ground truth", view.truth)))
    return (f'<article class="sample" id="s-{esc(row_id)}" data-id="{esc(row_id)}"><header>'
            f'<span class="id">{esc(row_id)}</span>{"".join(chips)}</header><div class="panes">{panes}</div></article>')


POSE_LEGEND = ('<p class="pose-legend">Poses: <i style="background:#1f5fbf"></i>left limbs '
               '<i style="background:#c8352b"></i>right limbs <i style="background:#555"></i>spine '
               '<i style="background:#8a8f98;opacity:.5;height:7px"></i>ground truth under the output '
               '<i style="background:#e08a1e;height:1px"></i>per-joint error '
               '<i style="border-top:2px dashed #9aa3ad;height:0"></i>source pose (A); all drawn with the task\'s '
               "body model from one camera, at one scale per figure.</p>")


def _facts(result: TaskResult, result_file: str) -> str:
    a, d = result.adapter, result.dataset
    evaluators = ", ".join(f"{e.kind} {e.version}" + (f" (weights sha256 {e.sha256[:16]})" if e.sha256 else "")
                           for e in result.evaluators) or "none"
    options = "; ".join(f"{k}: {v}" for k, v in result.options.items())
    return (f"<dt>adapter</dt><dd>{esc(a.name)} revision {esc(a.revision)}</dd>"
            f"<dt>license</dt><dd>{esc(a.license)}</dd>"
            + (f"<dt>parameters</dt><dd>{a.n_parameters:,}</dd>" if a.n_parameters else "")
            + (f"<dt>trained on</dt><dd>{esc(', '.join(a.training_data))}</dd>" if a.training_data else "")
            + (f"<dt>arguments</dt><dd>{esc(', '.join(f'{k}={v}' for k, v in a.args.items()))}</dd>"
               if a.args else "")
            + f"<dt>dataset</dt><dd>{esc(d.repo)} ({esc(d.config)}, {esc(d.split)}, {d.n_evaluated} of {d.n_rows} "
            f"rows, revision {esc(d.revision or 'local')}, content {esc(d.fingerprint)})</dd>"
            f"<dt>evaluators</dt><dd>{esc(evaluators)}</dd>"
            + (f"<dt>protocol</dt><dd>{esc(options)}</dd>" if options else "")
            + f"<dt>task</dt><dd>{esc(result.task)} version {result.task_version}, seed {result.seed}</dd>"
            f"<dt>run</dt><dd>{esc(result.created_at[:19].replace('T', ' '))} UTC, {result.runtime_s:.1f} s, "
            f"{result.n_cached} of {result.n_requests} responses from the cache"
            + (f", partial run (--limit {result.limit})" if result.partial else "") + "</dd>"
            f"<dt>result file</dt><dd><code>{esc(result_file)}</code></dd>")


def _default_metric(result: TaskResult, table: SampleTable) -> str:
    """The headline number closest to the result's main metric: itself, one it starts with, else the first."""
    keys = [m.key for m in table.headline]
    main = result.main_metric
    stem = main.split("@")[0]  # r_precision@1 -> the per-sample r_precision_mean_rank
    for key in keys:
        if key == main or key.startswith(stem) or main.startswith(key):
            return key
    declared = [k for k in keys if k in METRIC_SPECS]
    return (declared or keys)[0]


def _samples_section(result: TaskResult, samples: ModelSamples, n: int, page: str) -> tuple[str, dict]:
    table = samples.table
    if table is None:
        return f'<p class="note-box">No per-sample records: {esc(samples.reason or "none were written")}.</p>', {}
    headline = table.headline
    if not headline:
        return '<p class="note-box">The samples file holds no per-sample numbers.</p>', {}
    data = {"ids": table.ids, "n": n, "drawn": samples.drawn,
            "metrics": [{"key": m.key, "better": better_word(m), "help": m.help} for m in headline],
            "values": {m.key: [rounded(v) for v in table.column(m.key)] for m in headline}}
    ranks = {m.key: {i: k for k, i in enumerate(table.ranked(m, "worst"))} for m in headline}
    default = _default_metric(result, table)
    metric_options = "".join(
        f'<option value="{esc(m.key)}"{" selected" if m.key == default else ""}>{esc(m.key)} {m.arrow}</option>'
        for m in headline)
    families = f" ({', '.join(table.families)} per sample: in each card and the task's CSV)" if table.families else ""
    parts = [f'<p class="legend">{len(table.ids)} samples. The cards show the {n} worst and the {n} best samples by '
             f"each number in the table ({len(samples.drawn)} drawn){esc(families)}. Pick which to see:</p>"
             '<form class="controls" id="sample-filter" onsubmit="return false">'
             f'<label>by <select id="filter-metric">{metric_options}</select></label>'
             '<label><select id="filter-order"><option value="worst">worst</option><option value="best">best'
             f'</option></select></label><label>count <input id="filter-count" type="number" min="1" max="{n}" '
             f'value="{n}"></label><label><input id="filter-all-rows" type="checkbox"> list every sample in the '
             'table</label><span id="filter-summary" class="muted"></span></form>']
    parts += [f'<p class="note-box">{esc(note)}</p>' for note in samples.notes]
    heads = "".join(f'<th data-key="samples-c{i + 1}" data-col="{i + 1}" data-metric="{esc(m.key)}"'
                    + (f' data-better="{better_word(m)}"' if better_word(m) else "")
                    + f' title="{esc(m.help)}">{esc(m.key)} {m.arrow}</th>' for i, m in enumerate(headline))
    drawn = set(samples.drawn)
    formats = {m.key: column_format([v for v in table.column(m.key) if v is not None]) for m in headline}
    rows = []
    for i in table.ids:
        values = table.values[i]
        rows.append(f'<tr data-id="{esc(i)}"><td data-sort="{esc(i)}">'
                    + (f'<a href="#s-{esc(i)}">{esc(i)}</a>' if i in drawn else esc(i)) + "</td>"
                    + "".join(f'<td data-sort="{sort_value(values.get(m.key))}">'
                              + ("" if values.get(m.key) is None else esc(number_text(formats[m.key], values[m.key])))
                              + "</td>" for m in headline) + "</tr>")
    cards = "".join(_card(i, samples.views[i], table, ranks, page) for i in samples.drawn if i in samples.views)
    parts.append('<div class="samples-layout"><div class="samples-table"><table class="data sortable" '
                 'id="samples-table"><thead><tr><th class="left" data-key="samples-c0" data-col="0" '
                 f'data-type="text">id</th>{heads}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
                 f'<div>{POSE_LEGEND}<div id="sample-cards">{cards}</div></div></div>')
    return "".join(parts), data


def model_page(result: TaskResult, label: str, samples: ModelSamples, n: int, result_file: str,
               meta: SiteMeta) -> tuple[str, str]:
    """(site path, HTML) of a model's page on a task."""
    page = paths.model_page(result.task, result.adapter.name, result.adapter.revision)
    a, d = result.adapter, result.dataset
    main = result.scores.get(result.main_metric)
    main_text = value_html(main.value, main.ci_low, main.ci_high, entry_format(main)) if main else "–"
    summary = (f"{esc(a.name)} {esc(a.revision)} · {d.n_evaluated} rows of {esc(d.repo)} {esc(d.config)}/"
               f"{esc(d.split)} · {esc(result.main_metric)} {main_text}")
    section, data = _samples_section(result, samples, n, page)
    body = (f"<h1>{esc(label)} <span class='muted'>on</span> "
            f"{link(paths.task_page(result.task), page, esc(result.task))}{badge('reference') if a.reference else ''}"
            f'</h1><details class="about"><summary>{summary}</summary><dl class="meta">{_facts(result, result_file)}'
            f"</dl></details><h2>Samples</h2>{section}<h2>Scores</h2>{_scores_table(result)}")
    crumbs = [("Index", paths.INDEX), (result.task, paths.task_page(result.task)), (label, None)]
    return page, page_html(kind="model", title=f"{label} on {result.task}", page=page, crumbs=crumbs, body=body,
                           data=data or {"ids": [], "metrics": [], "values": {}, "n": n}, meta=meta)
