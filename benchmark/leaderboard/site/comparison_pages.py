"""The pages of the comparisons that `unipose-bench compare A B` wrote under RESULTS/comparisons/
(benchmark.evaluation.compare): one page per comparison, with a table per task of every metric both results have
(A, B, the difference A - B, its interval, the p-value and the test), the headline metrics first and the diagnostics
(body parts, posecode kinds, joints) folded per group, significant differences marked; the comparison's JSON and a
CSV of its rows beside it; and the index's list of them. A comparison file that cannot be read is listed with the
reason, never fatal."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from benchmark.leaderboard.render import number_text
from benchmark.leaderboard.site import paths
from benchmark.leaderboard.site.board_pages import Footnotes, ModelPages
from benchmark.leaderboard.site.markup import SiteMeta, esc, link, page_html, sort_value
from benchmark.leaderboard.site.score_entries import csv_text

_ROW_KEYS = ("metric", "a", "b", "difference", "ci_low", "ci_high", "p_value", "test")
# the diagnostics' groups (benchmark.metrics.specs), folded in this order after the headline rows; others after them
_GROUP_ORDER = ("body parts", "posecodes", "joints")


@dataclass
class Comparison:
    """One RESULTS/comparisons/NAME.json: its content, or why it cannot be shown."""

    name: str
    path: Path
    text: str = ""
    data: dict | None = None
    error: str | None = None

    @property
    def page(self) -> str:
        return paths.comparison_page(self.name)

    @property
    def title(self) -> str:
        return f"{self.data['a']['adapter']} vs {self.data['b']['adapter']}" if self.data else self.name


def _check(data) -> None:
    """A ValueError naming what a comparison file lacks."""
    from benchmark.evaluation.compare import SCHEMA_VERSION

    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if not isinstance(data.get("schema_version"), int) or data["schema_version"] > SCHEMA_VERSION:
        raise ValueError(f"schema version {data.get('schema_version')!r}: this site reads version {SCHEMA_VERSION} "
                         "or older (upgrade unipose-bench)")
    for side in ("a", "b"):
        if not isinstance(data.get(side), dict) or not {"adapter", "revision"} <= set(data[side]):
            raise ValueError(f"'{side}' names no adapter and revision")
    if not isinstance(data.get("tasks"), list):
        raise ValueError("no 'tasks' list")
    for i, task in enumerate(data["tasks"]):
        if not isinstance(task, dict) or not isinstance(task.get("task"), str) or not isinstance(
                task.get("comparisons"), list):
            raise ValueError(f"tasks[{i}] has no 'task' name or 'comparisons' list")
        for j, row in enumerate(task["comparisons"]):
            missing = [k for k in _ROW_KEYS if not isinstance(row, dict) or k not in row]
            if missing:
                raise ValueError(f"tasks[{i}].comparisons[{j}] lacks {', '.join(missing)}")
            if not all(isinstance(row[k], (int, float)) for k in _ROW_KEYS if k not in ("metric", "test")):
                raise ValueError(f"tasks[{i}].comparisons[{j}] ({row['metric']}) has a value that is not a number")


def read_comparisons(results_dir: str | Path) -> list[Comparison]:
    """Every RESULTS_DIR/comparisons/*.json, sorted by name; unreadable ones carry their error."""
    out = []
    for path in sorted((Path(results_dir) / "comparisons").glob("*.json")):
        item = Comparison(path.stem, path)
        try:
            item.text = path.read_text(encoding="utf-8")
            data = json.loads(item.text)
            _check(data)
            item.data = data
        except (OSError, UnicodeDecodeError) as exc:
            item.error = f"cannot be read ({exc})"
        except json.JSONDecodeError as exc:
            item.error = f"not JSON ({exc.msg}, line {exc.lineno})"
        except ValueError as exc:
            item.error = f"not a comparison written by unipose-bench compare: {exc}"
        out.append(item)
    return out


def _format(unit: str, values) -> str:
    """One decimal for % and mm (as the boards), more for a small difference; else by magnitude."""
    finite = [abs(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    magnitude = max(finite, default=0.0)
    if unit in ("%", "mm"):
        return "{:.1f}" if magnitude >= 10 else "{:.2f}" if magnitude >= 0.1 or magnitude == 0 else "{:.3f}"
    return "{:.3f}" if magnitude < 1 else "{:.2f}" if magnitude < 100 else "{:.1f}"


def p_text(p: float) -> str:
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def _test_name(test: str) -> str:
    return "paired permutation" if "permutation" in test else "paired bootstrap" if "bootstrap" in test else test


def _significant(row: dict) -> str | None:
    """"a" or "b" when the difference is significant and favours that model."""
    favours = row.get("favours")
    return favours.lower() if row.get("significant") and favours in ("A", "B") else None


def _row_html(row: dict, names: dict[str, str], alpha: float, tests: Footnotes) -> str:
    higher = row.get("higher_is_better")
    arrow = "" if higher is None else " ↑" if higher else " ↓"
    unit = f' <span class="muted small">{esc(row["unit"])}</span>' if row.get("unit") else ""
    fmt = "{:.1f}" if row.get("unit") in ("%", "mm") else _format("", (row["a"], row["b"]))
    dfmt = _format(row.get("unit", ""), (row["difference"], row["ci_low"], row["ci_high"]))
    side = _significant(row)
    mark = (f' <span class="sig {side}" title="p &lt; {alpha:g}: the difference favours {esc(names[side])}">'
            f"{side.upper()} better</span>" if side else "")
    test = row["test"]
    row_class = f"significant sig-{side}" if side else "not-significant"
    return (f'<tr class="{row_class}" data-metric="{esc(row["metric"])}">'
            f'<td class="left metric" data-sort="{esc(row["metric"].lower())}" title="{esc(row["metric"])}">'
            f'{esc(row["metric"])}{arrow}{unit}</td>'
            f'<td data-sort="{sort_value(row["a"])}">{esc(number_text(fmt, row["a"]))}</td>'
            f'<td data-sort="{sort_value(row["b"])}">{esc(number_text(fmt, row["b"]))}</td>'
            f'<td class="diff" data-sort="{sort_value(row["difference"])}">'
            f'<span class="num">{esc(number_text(dfmt, row["difference"]))}</span>{mark}</td>'
            f'<td class="ci">[{esc(number_text(dfmt, row["ci_low"]))}, {esc(number_text(dfmt, row["ci_high"]))}]</td>'
            f'<td class="p" data-sort="{sort_value(row["p_value"])}">{esc(p_text(row["p_value"]))}</td>'
            f'<td class="left test" data-sort="{esc(_test_name(test))}" title="{esc(test)}">'
            f"{esc(_test_name(test))}{tests.mark(test)}</td></tr>")


def _table(rows: list[dict], table_id: str, names: dict[str, str], heads: dict[str, str], level: str, alpha: float,
           tests: Footnotes) -> str:
    columns = [("Metric", "text", ""), (heads["a"], "num", ""), (heads["b"], "num", ""), ("A − B", "num", ""),
               (f"{level} interval", None, ""), ("p", "num", "lower"), ("Test", "text", "")]
    th = []
    for i, (label, kind, better) in enumerate(columns):
        cls = ' class="left"' if kind == "text" else ""
        if kind is None:
            th.append(f'<th title="the interval of A − B">{label}</th>')
            continue
        attrs = ' data-type="text"' if kind == "text" else ""
        attrs += f' data-better="{better}"' if better else ""
        th.append(f'<th{cls} data-key="{table_id}-c{i}" data-col="{i}"{attrs}>{label}</th>')
    body = "".join(_row_html(r, names, alpha, tests) for r in rows)
    return (f'<div class="table-wrap"><table class="data sortable comparison" id="{table_id}"><thead><tr>'
            f'{"".join(th)}</tr></thead><tbody>{body}</tbody></table></div>')


def _tally(rows: list[dict]) -> str:
    a = sum(_significant(r) == "a" for r in rows)
    b = sum(_significant(r) == "b" for r in rows)
    return f"A better on {a}, B better on {b}, no significant difference on {len(rows) - a - b}"


def _groups(rows: list[dict]) -> tuple[list[dict], list[tuple[str, list[dict]]]]:
    """(headline rows, [(group, rows)] of the diagnostics), in the comparison's order within each."""
    headline = [r for r in rows if not r.get("group")]
    groups: dict[str, list[dict]] = {}
    for r in rows:
        if r.get("group"):
            groups.setdefault(r["group"], []).append(r)
    order = sorted(groups, key=lambda g: (_GROUP_ORDER.index(g) if g in _GROUP_ORDER else len(_GROUP_ORDER), g))
    return headline, [(g, groups[g]) for g in order]


def _stale(task: dict, data: dict, current: dict[tuple[str, str, str], str]) -> list[str]:
    """Why this task's comparison may no longer describe the results the site shows."""
    out = []
    fingerprint = task.get("dataset_fingerprint")
    for side in ("a", "b"):
        adapter, revision = data[side]["adapter"], data[side]["revision"]
        now = current.get((task["task"], adapter, revision))
        if now is None:
            out.append(f"the results the site was built from hold no result of {adapter} ({revision}) on this task")
        elif fingerprint and now != fingerprint:
            out.append(f"{adapter}'s result is now on other data (content {now}; compared on {fingerprint}): "
                       "run the comparison again")
    return out


def _task_section(k: int, task: dict, data: dict, page: str, names: dict[str, str], heads: dict[str, str],
                  task_pages: set[str], current: dict, tests: Footnotes, data_links: str) -> str:
    level = f"{100 * data.get('confidence', 0.95):g} %"
    alpha = 1 - data.get("confidence", 0.95)
    name = task["task"]
    title = link(paths.task_page(name), page, esc(name)) if name in task_pages else esc(name)
    headline, groups = _groups(task["comparisons"])
    out = [f'<h2 id="task-{k}">{title} <span class="muted small">{esc(task.get("n_rows", "?"))} rows</span></h2>']
    for note in _stale(task, data, current):
        out.append(f'<p class="note-box">Out of date? {esc(note)}.</p>')
    if headline:
        out.append(f'<p class="legend">Headline metrics: {_tally(headline)}.</p>'
                   + _table(headline, f"cmp{k}", names, heads, level, alpha, tests))
    elif not groups:
        out.append('<p class="muted">No metric of this task could be compared (see below).</p>')
    for g, (group, rows) in enumerate(groups):
        out.append(f'<details class="about diagnostics" data-group="{esc(group)}"><summary>{esc(group)} '
                   f'<span class="ci">({len(rows)} rows: {_tally(rows)})</span></summary>'
                   + _table(rows, f"cmp{k}-g{g}", names, heads, level, alpha, tests) + "</details>")
    by_reason: dict[str, list[str]] = {}
    for key, reason in (task.get("not_compared") or {}).items():
        by_reason.setdefault(str(reason), []).append(key)
    notes = [f"<li>Not compared: {esc(', '.join(keys))} ({esc(reason)})</li>" for reason, keys in by_reason.items()]
    notes += [f"<li>{esc(n)}</li>" for n in task.get("notes") or ()]
    if notes:
        out.append("<ul class='notes'>" + "".join(notes) + "</ul>")
    out.append(f'<p class="csv">{data_links}</p>')
    return "".join(out)


def comparison_csv(data: dict) -> str:
    """One line per task and metric (compared or not, with the reason)."""
    rows = [["task", "metric", "group", "unit", "higher_is_better", "a", "b", "difference", "ci_low", "ci_high",
             "p_value", "significant", "favours", "test", "not_compared_reason"]]
    for task in data["tasks"]:
        for r in task["comparisons"]:
            rows.append([task["task"], r["metric"], r.get("group", ""), r.get("unit", ""),
                         r.get("higher_is_better", ""), r["a"], r["b"], r["difference"], r["ci_low"], r["ci_high"],
                         r["p_value"], r.get("significant", ""), r.get("favours", ""), r["test"], ""])
        for key, reason in (task.get("not_compared") or {}).items():
            rows.append([task["task"], key, "", "", "", "", "", "", "", "", "", "", "", "", reason])
    for name, reason in (data.get("skipped_tasks") or {}).items():
        rows.append([name, "", "", "", "", "", "", "", "", "", "", "", "", "", reason])
    return csv_text(rows)


def data_targets(item: Comparison) -> tuple[str, str]:
    """(JSON, CSV) site paths of a comparison's data."""
    base = f"data/comparisons/{paths.slug(item.name)}"
    return f"{base}.json", f"{base}.csv"


def comparison_page(item: Comparison, model_pages: ModelPages, task_pages: set[str],
                    current: dict[tuple[str, str, str], str], meta: SiteMeta) -> tuple[str, str, dict[str, str]]:
    """(site path, HTML, data files {site path: text}) of a comparison's page. `current` holds the dataset content
    (fingerprint) of each result the site shows, by (task, adapter, revision), to flag a comparison of other data."""
    data, page = item.data, item.page
    json_target, csv_target = data_targets(item)
    a, b = data["a"], data["b"]
    names = {"a": a["adapter"], "b": b["adapter"]}
    data_links = (f"This comparison's data: {link(json_target, page, 'JSON')} (as <code>unipose-bench compare</code> "
                  f"wrote it) · {link(csv_target, page, 'CSV')} (one line per task and metric)")
    tests = Footnotes({})
    sections = []
    for k, task in enumerate(data["tasks"]):
        heads = {}
        for side in ("a", "b"):
            target = model_pages.get((task["task"], data[side]["adapter"], data[side]["revision"]))
            label = f"{side.upper()}: {esc(names[side])}"
            heads[side] = link(target, page, label, title="this model's samples on this task") if target else label
        sections.append(_task_section(k, task, data, page, names, heads, task_pages, current, tests, data_links))
    for name, reason in (data.get("skipped_tasks") or {}).items():
        sections.append(f"<h2>{esc(name)}</h2><p class='note-box'>Not compared: {esc(reason)}</p>")
    confidence = data.get("confidence", 0.95)
    level = f"{100 * confidence:g} %"
    contents = "".join(f'<a class="chip" href="#task-{k}">{esc(t["task"])}</a>' for k, t in enumerate(data["tasks"]))
    body = (f"<h1>{esc(names['a'])} vs {esc(names['b'])}</h1>"
            f'<p class="lead">Is A better than B? Paired tests on the rows both were scored on: per task and metric, '
            f"the difference A − B with its {level} interval and a two-sided p-value (per metric, not corrected for "
            "the number of metrics). Means of per-row values and the posecode agreement get a paired bootstrap over "
            "rows; the retrieval metrics, computed over the whole split, a paired permutation test that swaps the "
            "two models' responses on random rows and recomputes them. Headline metrics first; the diagnostics "
            "(body parts, posecode kinds, joints) are folded below each table.</p>"
            f'<dl class="meta"><dt>A</dt><dd>{esc(a["adapter"])} (revision {esc(a["revision"])})</dd>'
            f'<dt>B</dt><dd>{esc(b["adapter"])} (revision {esc(b["revision"])})</dd>'
            f"<dt>resamples</dt><dd>{esc(data.get('bootstrap_resamples', '?'))} bootstrap resamples, "
            f"{esc(data.get('permutations', '?'))} permutations, seed {esc(data.get('seed', '?'))}</dd>"
            f"<dt>file</dt><dd>{esc(item.path)}</dd></dl>"
            f'<p class="legend"><span><span class="sig a">A better</span> <span class="sig b">B better</span> '
            f"p &lt; {1 - confidence:g} and the difference favours that model (↑ higher is better, ↓ lower)</span>"
            "<span>click a header to sort</span></p>"
            f'<p class="csv">{data_links}</p><div class="chips">{contents}</div>'
            + "".join(sections)
            + ("<h2>Tests</h2>" + tests.html() if tests.numbers else ""))
    crumbs = [("Index", paths.INDEX), ("Comparisons", f"{paths.INDEX}#comparisons"), (item.title, None)]
    html_text = page_html(kind="comparison", title=f"{item.title} (paired tests)", page=page, crumbs=crumbs,
                          body=body, data={"comparison": item.name, "a": names["a"], "b": names["b"]}, meta=meta)
    return page, html_text, {json_target: item.text, csv_target: comparison_csv(data)}


def index_section(items: list[Comparison], page: str = paths.INDEX) -> str:
    """The index's list of comparisons (and of the files it could not read)."""
    if not items:
        return ""
    rows, broken = [], []
    for item in items:
        if item.data is None:
            broken.append(f"<li><code>{esc(item.path.name)}</code>: {esc(item.error)}</li>")
            continue
        headline = [r for t in item.data["tasks"] for r in t["comparisons"] if not r.get("group")]
        a = sum(_significant(r) == "a" for r in headline)
        b = sum(_significant(r) == "b" for r in headline)
        tasks = ", ".join(t["task"].split("/")[0] for t in item.data["tasks"]) or "none"
        rows.append(f'<tr><td class="left">{link(item.page, page, esc(item.title))}</td>'
                    f'<td class="left">{esc(tasks)}</td><td>{a}</td><td>{b}</td><td>{len(headline) - a - b}</td></tr>')
    table = ('<div class="table-wrap"><table class="data" id="comparisons-table"><thead><tr>'
             '<th class="left">A vs B</th><th class="left">Tasks</th><th>A better</th><th>B better</th>'
             f'<th>no significant difference</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
             if rows else "")
    return ('<h2 id="comparisons">Comparisons</h2><p class="legend">Paired tests of two models on the same rows '
            "(<code>unipose-bench compare A B</code>, read from <code>RESULTS/comparisons/</code>): counts of "
            "headline metrics whose difference is significant. Open one for every metric, its interval and p-value."
            "</p>" + table + ("<ul class='notes'>" + "".join(broken) + "</ul>" if broken else ""))
