"""The page of one task: the ranking of its main metric, every score entry of every model (families of entries as
heat maps), and a model-vs-model scatter of the per-sample numbers; each with its CSV."""

from __future__ import annotations

from benchmark.leaderboard.render import number_text
from benchmark.leaderboard.site import paths
from benchmark.leaderboard.site.figures import RankedItem, ranking_svg
from benchmark.leaderboard.site.markup import (SiteMeta, auto_format, badge, esc, figure_with_data, link, page_html,
                                               ranking_data_table)
from benchmark.leaderboard.site.model_pages import ModelSamples, rounded
from benchmark.leaderboard.site.sample_metrics import SampleMetric
from benchmark.leaderboard.site.score_entries import (better_word, csv_text, entry_cell, family_heat_table,
                                                      higher_is_better, model_label, protocol, scores_csv,
                                                      split_keys)
from benchmark.results import TaskResult

ModelKey = tuple[str, str]  # (adapter name, adapter revision)


def _key(result: TaskResult) -> ModelKey:
    return result.adapter.name, result.adapter.revision


def _ranking(results: list[TaskResult], labels: dict, hrefs: dict, page: str, scores_target: str) -> str:
    main = results[0].main_metric
    entries = [r.scores[main] for r in results if main in r.scores]
    higher = higher_is_better(main, entries)
    items = [RankedItem(labels[_key(r)], "reference" if r.adapter.reference else "measured", r.scores[main].value,
                        r.scores[main].ci_low, r.scores[main].ci_high, hrefs[_key(r)])
             for r in results if main in r.scores and r.scores[main].value is not None]
    if not items:
        return ""
    fmt = auto_format(entries[0].unit, max(abs(it.value) for it in items))
    ordered = sorted(items, key=lambda it: -it.value if higher else it.value)
    has_ci = [it.ci_low is not None and it.ci_high is not None for it in ordered]
    data = ranking_data_table([(esc(it.label) + badge(it.kind, short=True), number_text(fmt, it.value),
                                number_text(fmt, it.ci_low) if ci else "", number_text(fmt, it.ci_high) if ci else "")
                               for it, ci in zip(ordered, has_ci)], main)
    figure = ranking_svg(items, lower_is_better=not higher, fmt=fmt, unit=entries[0].unit)
    return "<h2>Ranking</h2>" + figure_with_data(figure, data, link(scores_target, page, "every score (CSV)"),
                                                 f"Ranking by {esc(main)}")


def _scores_table(results: list[TaskResult], keys: list[str], labels: dict, hrefs: dict, page: str) -> str:
    heads = []
    for i, k in enumerate(keys):
        entries = [r.scores[k] for r in results if k in r.scores]
        higher = higher_is_better(k, entries)
        unit = f" ({esc(entries[0].unit)})" if entries and entries[0].unit else ""
        heads.append(f'<th data-key="scores-c{i + 1}" data-col="{i + 1}" '
                     f'data-better="{"higher" if higher else "lower"}"'
                     f' title="{esc(k)}: {esc(protocol(k, entries))}">{esc(k)}{unit} {"↑" if higher else "↓"}</th>')
    rows = []
    for r in results:
        label, href = labels[_key(r)], hrefs[_key(r)]
        name = f'<a href="{esc(href)}">{esc(label)}</a>' if href else esc(label)
        rows.append(f'<tr class="{"reference" if r.adapter.reference else "measured"}"><td class="label" '
                    f'data-sort="{esc(label.lower())}">{name}{badge("reference") if r.adapter.reference else ""}</td>'
                    + "".join(entry_cell(r.scores.get(k), href) for k in keys) + "</tr>")
    return ('<div class="table-wrap"><table class="data sortable" id="scores"><thead><tr>'
            '<th class="left" data-key="scores-c0" data-col="0" data-type="text">Model</th>' + "".join(heads)
            + f'</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def _sample_values(results: list[TaskResult], samples: dict[ModelKey, ModelSamples], labels: dict, hrefs: dict):
    """(ids, headline metrics, models, values) of the per-sample numbers, for the scatter."""
    ids: dict[str, None] = {}
    metrics: dict[str, SampleMetric] = {}
    for s in samples.values():
        if s.table is not None:
            ids.update(dict.fromkeys(s.table.ids))
            metrics.update({m.key: m for m in s.table.headline})
    id_list = list(ids)
    models, values = [], {}
    for r in results:
        s = samples.get(_key(r))
        if s is None or s.table is None:
            continue
        model_key = f"{r.adapter.name}@{r.adapter.revision}"
        models.append({"key": model_key, "label": labels[_key(r)], "page": hrefs[_key(r)] or "", "drawn": s.drawn,
                       "reference": r.adapter.reference})
        values[model_key] = {m: [rounded(s.table.values.get(i, {}).get(m)) for i in id_list] for m in metrics}
    return id_list, metrics, models, values


def _scatter(results: list[TaskResult], models: list[dict], metrics: dict[str, SampleMetric], page: str,
             samples_target: str) -> str:
    if len(models) < 2 or not metrics:
        return ""
    main = results[0].main_metric
    by_key = {f"{r.adapter.name}@{r.adapter.revision}": r for r in results}

    def rank(model: dict) -> tuple:  # the axes start on the two best models (references, e.g. ground truth, last)
        r = by_key[model["key"]]
        entry = r.scores.get(main)
        value = entry.value if entry is not None else None
        higher = higher_is_better(main, [entry] if entry is not None else [])
        return (r.adapter.reference, value is None, 0.0 if value is None else (-value if higher else value))

    first_two = [m["key"] for m in sorted(models, key=rank)[:2]]

    def options(selected: str) -> str:
        return "".join(f'<option value="{esc(m["key"])}"{" selected" if m["key"] == selected else ""}>'
                       f'{esc(m["label"])}</option>' for m in models)

    metric_options = "".join(f'<option value="{esc(k)}">{esc(k)} {m.arrow}</option>' for k, m in metrics.items())
    return ('<h2>Model vs model, per sample</h2><div class="controls">'
            f'<label>x <select id="scatter-a">{options(first_two[0])}</select></label>'
            f'<label>y <select id="scatter-b">{options(first_two[1])}</select></label>'
            f'<label>metric <select id="scatter-metric">{metric_options}</select></label></div>'
            '<div class="scatter-box"><svg id="scatter" xmlns="http://www.w3.org/2000/svg" role="img"></svg>'
            '<div><p id="scatter-summary" class="legend"></p><p class="legend">'
            '<span style="color:#2f5fae">●</span> x better <span style="color:#e08a1e">●</span> y better '
            '<span style="color:#8a8f98">●</span> equal. '
            "One dot per sample; a dot links to that sample's card when a model page draws it. One scale on both "
            "axes: the dashed diagonal is a tie.</p>"
            f'<p class="csv">{link(samples_target, page, "Every per-sample number of every model (CSV)")}</p>'
            "</div></div>")


def _samples_csv(results: list[TaskResult], samples: dict[ModelKey, ModelSamples]) -> str:
    keys: dict[str, None] = {}
    for s in samples.values():
        if s.table is not None:
            keys.update(dict.fromkeys(m.key for m in s.table.metrics))
    rows = [["adapter", "revision", "id", *keys]]
    for r in results:
        s = samples.get(_key(r))
        if s is None or s.table is None:
            continue
        for i in s.table.ids:
            values = s.table.values[i]
            rows.append([r.adapter.name, r.adapter.revision, i, *("" if values.get(k) is None else values[k]
                                                                   for k in keys)])
    return csv_text(rows)


def task_page(task: str, results: list[TaskResult], samples: dict[ModelKey, ModelSamples],
              model_pages: dict[tuple[str, str, str], str], notes: list[str], meta: SiteMeta) -> tuple[str, str, dict]:
    """(site path, HTML, CSV files {site path: text}) of a task's page."""
    page = paths.task_page(task)
    scores_target = f"data/tasks/{paths.slug(task)}.scores.csv"
    samples_target = f"data/tasks/{paths.slug(task)}.samples.csv"
    labels = {_key(r): model_label(r, results) for r in results}
    hrefs = {_key(r): paths.relative(model_pages[(task, *_key(r))], page) if (task, *_key(r)) in model_pages
             else None for r in results}
    singles, families = split_keys(results)
    ids, metrics, models, values = _sample_values(results, samples, labels, hrefs)
    first, spec = results[0], results[0].task_spec
    d = first.dataset
    evaluators = ", ".join(f"{e.kind} {e.version}" for e in first.evaluators) or "none"
    family_tables = "".join(family_heat_table(prefix, members, results, [labels[_key(r)] for r in results],
                                              f"family-{k}") for k, (prefix, members) in enumerate(families.items()))
    body = (f"<h1>{esc(task)}</h1>"
            f'<p class="lead">{esc(spec.get("description", ""))}'
            + (f" — {esc(spec['citation'])}" if spec.get("citation") else "") + "</p>"
            f'<dl class="meta"><dt>dataset</dt><dd>{esc(d.repo)} ({esc(d.config)}, {esc(d.split)}, {d.n_evaluated} '
            f"rows, revision {esc(d.revision or 'local')}, content {esc(d.fingerprint)})</dd><dt>evaluators</dt>"
            f"<dd>{esc(evaluators)}</dd><dt>task</dt><dd>version {first.task_version}, seed {first.seed}; "
            f"{esc('; '.join(f'{k}: {v}' for k, v in first.options.items()))}</dd></dl>"
            + _ranking(results, labels, hrefs, page, scores_target)
            + "<h2>Every score</h2>"
            '<p class="legend">Every score entry of the results, as the result files hold them; hover a header for '
            "its protocol, a dash for why it is missing. Click a model for its samples.</p>"
            + _scores_table(results, singles, labels, hrefs, page)
            + f'<p class="csv">{link(scores_target, page, "Download every score (CSV)")}</p>'
            + ("<h2>Score families</h2><p class=\"legend\">Entries that break a score down (per joint, per body part, "
               "per posecode kind), one heat map each: darker is better, on one scale per map.</p>" + family_tables
               if family_tables else "")
            + _scatter(results, models, metrics, page, samples_target)
            + ("<h2>Notes</h2><ul class='notes'>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>"
               if notes else ""))
    data = {"ids": ids, "models": models, "values": values,
            "metrics": [{"key": k, "better": better_word(m), "help": m.help} for k, m in metrics.items()]}
    html_text = page_html(kind="task", title=task, page=page, crumbs=[("Index", paths.INDEX), (task, None)],
                          body=body, data=data, meta=meta)
    return page, html_text, {scores_target: scores_csv(task, results), samples_target: _samples_csv(results, samples)}
