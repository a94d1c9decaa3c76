"""HTML pieces shared by the site's pages: the page shell (templates/page.html, filled with string.Template),
escaping, links, badges, numbers with their confidence intervals, and the JSON a page's script reads.

Data is embedded in each page as JSON (file:// pages may not fetch files), in a <script type="application/json">
element whose text never contains "</" (so it cannot end the element early)."""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from string import Template

from benchmark.leaderboard.render import number_text
from benchmark.leaderboard.site import paths

TEMPLATE_FILE = Path(__file__).resolve().with_name("templates") / "page.html"
KIND_BADGES = {"reference": ("reference", "a labelled reference (e.g. the ground truth submitted as predictions), "
                                          "not a model"),
               "reported": ("paper", "a number reported in a paper, not measured here (other evaluators)")}


@dataclass(frozen=True)
class SiteMeta:
    version: str
    generated: str  # when the site was written (UTC, minutes)
    results: str    # the results folder it was built from


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def link(target: str, page: str, text: str, cls: str = "", title: str = "") -> str:
    attrs = f' class="{cls}"' if cls else ""
    attrs += f' title="{esc(title)}"' if title else ""
    return f'<a href="{esc(paths.relative(target, page))}"{attrs}>{text}</a>'


def badge(kind: str, title: str = "", short: bool = False) -> str:
    """The mark of a reference or reported row ("ref" / "paper" when `short`, for the narrow tables beside
    figures)."""
    if kind not in KIND_BADGES:
        return ""
    text, default_title = KIND_BADGES[kind]
    text = "ref" if short and kind == "reference" else text
    return f'<span class="badge {kind}" title="{esc(title or default_title)}">{text}</span>'


def auto_format(unit: str, value: float) -> str:
    """A format for a score without a board column's own: one decimal for % and mm, none for whole numbers (ranks,
    counts), more for small numbers."""
    if unit in ("%", "mm") or not math.isfinite(value):
        return "{:.1f}"
    if float(value).is_integer():
        return "{:.0f}"
    magnitude = abs(value)
    return "{:.3f}" if magnitude < 1 else "{:.2f}" if magnitude < 100 else "{:.1f}"


def column_format(values: list[float]) -> str:
    """One format for a column of numbers: none for whole numbers (ranks), else by the largest magnitude."""
    if all(float(v).is_integer() for v in values):
        return "{:.0f}"
    return auto_format("", max((abs(v) for v in values), default=0.0))


def value_html(value: float | None, ci_low: float | None, ci_high: float | None, fmt: str) -> str:
    if value is None:
        return '<span class="missing">–</span>'
    text = f'<span class="num">{esc(number_text(fmt, value))}</span>'
    if ci_low is not None and ci_high is not None:
        text += f' <span class="ci" title="95 % confidence interval">[{esc(number_text(fmt, ci_low))}, ' \
                f'{esc(number_text(fmt, ci_high))}]</span>'
    return text


def sort_value(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else repr(float(value))


def json_script(data) -> str:
    """`data` as JSON safe inside a <script> element: every <, > and & escaped (JSON's \\u003c ...), so no string in
    it (a "</script>", a "<!--<script" that would switch the HTML parser's script state) can end or hide the script.

    >>> json_script({"id": "<!--<script>"})
    '{"id":"\\\\u003c!--\\\\u003cscript\\\\u003e"}'
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def crumbs_html(crumbs: list[tuple[str, str | None]], page: str) -> str:
    parts = [link(target, page, esc(label)) if target else f"<span>{esc(label)}</span>" for label, target in crumbs]
    return ' <span class="sep">›</span> '.join(parts)


def page_html(*, kind: str, title: str, page: str, crumbs: list[tuple[str, str | None]], body: str, data: dict,
              meta: SiteMeta) -> str:
    template = Template(TEMPLATE_FILE.read_text(encoding="utf-8"))
    root = paths.relative(".", page)
    return template.substitute(
        version=esc(meta.version), title=esc(title), root="" if root == "." else root + "/", kind=esc(kind),
        crumbs=crumbs_html(crumbs, page), body=body, generated=esc(meta.generated), results=esc(meta.results),
        data=json_script({"kind": kind, **data}))


def figure_with_data(figure: str, data_table: str, csv_link: str, caption: str) -> str:
    """A figure with its numbers beside it and a link to the CSV it was drawn from."""
    return (f'<figure class="with-data"><figcaption>{caption}</figcaption><div class="plot">{figure}</div>'
            f'<div class="figure-data">{data_table}<p class="csv">{csv_link}</p></div></figure>')


def ranking_data_table(rows: list[tuple[str, str, str, str]], value_label: str) -> str:
    """The numbers of a ranking figure: (label HTML, value, CI low, CI high) per row, best first."""
    body = "".join(f"<tr><td class='left'>{label}</td><td>{esc(value)}</td><td class='ci'>"
                   + (f"[{esc(low)}, {esc(high)}]" if low != "" else "") + "</td></tr>"
                   for label, value, low, high in rows)
    return (f'<table class="data"><thead><tr><th class="left">Model</th><th>{esc(value_label)}</th>'
            f"<th>95 % CI</th></tr></thead><tbody>{body}</tbody></table>")
