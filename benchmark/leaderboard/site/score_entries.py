"""Score entries of result files as the pages show them: every key a result holds (no list of metrics here, so an
entry a task adds later appears without a change to the site), its direction and protocol, a table cell with its
interval, families of keys ("mpjpe_joint@pelvis" ... ) drawn as one chart or heat map, and the CSV beside them."""

from __future__ import annotations

import csv
import io

from benchmark.leaderboard.render import number_text
from benchmark.leaderboard.site.figures import RankedItem, heat_style, ranking_svg
from benchmark.leaderboard.site.markup import auto_format, esc, sort_value, value_html
from benchmark.leaderboard.site.sample_metrics import SampleMetric, metric_families
from benchmark.metrics.specs import METRIC_SPECS
from benchmark.results import ScoreEntry, TaskResult


def model_label(result: TaskResult, results: list[TaskResult]) -> str:
    """The adapter's name, with its revision when the task has results of two revisions of it."""
    same = [r for r in results if r.adapter.name == result.adapter.name]
    return result.adapter.name if len(same) < 2 else f"{result.adapter.name} @{result.adapter.revision[:10]}"


def score_keys(results: list[TaskResult]) -> list[str]:
    """Every score key of the results: the task's declared order first, then keys only some results have."""
    keys: dict[str, None] = {}
    for r in results:
        keys.update(dict.fromkeys(r.task_spec.get("metrics", ())))
    for r in results:
        keys.update(dict.fromkeys(r.scores))
    return [k for k in keys if any(k in r.scores for r in results)]


def split_keys(results: list[TaskResult]) -> tuple[list[str], dict[str, list[str]]]:
    """(single keys, families) of the results' score keys (sample_metrics.metric_families)."""
    return metric_families(score_keys(results))


def higher_is_better(key: str, entries: list[ScoreEntry]) -> bool:
    if key in METRIC_SPECS:
        return METRIC_SPECS.get(key).higher_is_better
    return entries[0].higher_is_better if entries else True


def protocol(key: str, entries: list[ScoreEntry]) -> str:
    return next((e.protocol for e in entries if e.protocol), "") or (
        METRIC_SPECS.get(key).protocol if key in METRIC_SPECS else "")


def better_word(metric: SampleMetric) -> str | None:
    return None if metric.higher_is_better is None else "higher" if metric.higher_is_better else "lower"


def entry_format(entry: ScoreEntry) -> str:
    return auto_format(entry.unit, entry.value if entry.value is not None else 0.0)


def entry_cell(entry: ScoreEntry | None, href: str | None = None, style: str = "") -> str:
    """A <td>: the value and its interval (linked to `href`), or a dash whose title says why it is missing."""
    style_attr = f' style="{style}"' if style else ""
    if entry is None:
        return '<td data-sort="" title="not in this result"><span class="missing">–</span></td>'
    if entry.value is None:
        reason = entry.details.get("reason") or "not computed"
        return f'<td data-sort="" title="{esc(reason)}"><span class="missing">–</span></td>'
    text = value_html(entry.value, entry.ci_low, entry.ci_high, entry_format(entry))
    if href:
        text = f'<a href="{esc(href)}">{text}</a>'
    return f'<td class="cell-link" data-sort="{sort_value(entry.value)}"{style_attr}>{text}</td>'


def family_label(prefix: str, members: list[str]) -> str:
    return f"{prefix}@… ({len(members)})"


def family_chart(result: TaskResult, members: list[str]) -> str:
    """A family's entries of one result as a ranking (best first), e.g. which joints a model gets most wrong."""
    present = [k for k in members if k in result.scores and result.scores[k].value is not None]
    if not present:
        return '<p class="muted small">no values</p>'
    entries = [result.scores[k] for k in present]
    items = [RankedItem(k.split("@", 1)[1], "measured", e.value, e.ci_low, e.ci_high) for k, e in zip(present, entries)]
    return ranking_svg(items, lower_is_better=not higher_is_better(members[0], entries),
                       fmt=entry_format(entries[0]), unit=entries[0].unit)


def family_heat_table(prefix: str, members: list[str], results: list[TaskResult], labels: list[str],
                      table_id: str) -> str:
    """Models x members of a family, coloured on one scale over the whole table (darker: better), sortable."""
    entries = [r.scores[k] for r in results for k in members if k in r.scores and r.scores[k].value is not None]
    if not entries:
        return ""
    higher = higher_is_better(members[0], entries)
    values = sorted(e.value for e in entries)
    low, high = values[0], values[-1]

    def style(entry: ScoreEntry | None) -> str:
        if entry is None or entry.value is None or high == low:
            return ""
        fraction = (entry.value - low) / (high - low)
        return heat_style(fraction if higher else 1 - fraction)

    heads = "".join(f'<th data-key="{table_id}-c{i + 1}" data-col="{i + 1}" data-better='
                    f'"{"higher" if higher else "lower"}" title="{esc(k)}">{esc(k.split("@", 1)[1])}</th>'
                    for i, k in enumerate(members))
    rows = "".join(
        f'<tr><td class="label" data-sort="{esc(label.lower())}">{esc(label)}</td>'
        + "".join(entry_cell(r.scores.get(k), style=style(r.scores.get(k))) for k in members) + "</tr>"
        for r, label in zip(results, labels))
    return (f'<h3>{esc(prefix)} <span class="muted small">({len(members)} entries, '
            f'{"higher" if higher else "lower"} is better; {esc(protocol(members[0], entries))})</span></h3>'
            f'<div class="table-wrap"><table class="data sortable heat" id="{table_id}"><thead><tr>'
            f'<th class="left" data-key="{table_id}-c0" data-col="0" data-type="text">Model</th>{heads}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")


def csv_text(rows: list[list]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def scores_csv(task: str, results: list[TaskResult]) -> str:
    """Every score entry of every result, one per line."""
    rows = [["task", "adapter", "revision", "reference", "metric", "value", "ci_low", "ci_high", "unit",
             "higher_is_better", "n", "missing_reason"]]
    for r in results:
        for k in score_keys([r]):
            e = r.scores[k]
            rows.append([task, r.adapter.name, r.adapter.revision, r.adapter.reference, k,
                         "" if e.value is None else e.value, "" if e.ci_low is None else e.ci_low,
                         "" if e.ci_high is None else e.ci_high, e.unit, e.higher_is_better, e.n,
                         e.details.get("reason", "") if e.value is None else ""])
    return csv_text(rows)


def compact_number(value: float) -> str:
    return number_text(auto_format("", value), value)
