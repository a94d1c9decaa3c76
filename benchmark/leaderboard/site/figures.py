"""Figures drawn as inline SVG (no plotting library in the page, nothing fetched): rankings with confidence
intervals, and the colour of a heat-map cell. The model-vs-model scatter is drawn by the page's script, because its
reader picks the two models and the metric."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from benchmark.leaderboard.render import number_text

KIND_COLOURS = {"measured": "#2f5fae", "reference": "#6b8fd6", "reported": "#9aa0a6"}


@dataclass(frozen=True)
class RankedItem:
    label: str
    kind: str           # "measured", "reference" or "reported"
    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    href: str | None = None


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) covering [low, high]."""
    if not math.isfinite(low) or not math.isfinite(high):
        return []
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks and ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def ranking_svg(items: list[RankedItem], *, lower_is_better: bool, fmt: str = "{:.1f}", unit: str = "",
                width: int = 350) -> str:
    """A dot per row with its confidence interval as a whisker, best at the top; reported (paper) rows hollow and
    grey. Each row links to `href` when given."""
    if not items:
        return ""
    items = sorted(items, key=lambda it: it.value if lower_is_better else -it.value)
    row_h, top, label_w, value_w = 22, 8, 120, 46
    plot_w = width - label_w - value_w - 10
    axis_y = top + row_h * len(items) + 4
    height = axis_y + 30
    lows = [it.ci_low if it.ci_low is not None else it.value for it in items]
    highs = [it.ci_high if it.ci_high is not None else it.value for it in items]
    ticks = nice_ticks(min(lows), max(highs))
    lo, hi = ticks[0], ticks[-1]
    span = (hi - lo) or 1.0

    def x(v: float) -> float:
        return label_w + (v - lo) / span * plot_w

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="ranking" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img">']
    for t in ticks:
        out.append(f'<line x1="{x(t):.1f}" y1="{top}" x2="{x(t):.1f}" y2="{axis_y}" class="grid"/>')
        out.append(f'<text x="{x(t):.1f}" y="{axis_y + 13}" class="tick" text-anchor="middle">'
                   f'{html.escape(number_text("{:g}", t))}</text>')
    caption = (unit + ", " if unit else "") + ("lower is better" if lower_is_better else "higher is better")
    out.append(f'<text x="{label_w + plot_w / 2:.1f}" y="{axis_y + 27}" class="axis-label" '
               f'text-anchor="middle">{html.escape(caption)}</text>')
    for i, it in enumerate(items):
        y = top + row_h * i + row_h / 2
        colour = KIND_COLOURS.get(it.kind, KIND_COLOURS["measured"])
        label = it.label if len(it.label) <= 18 else it.label[:17] + "…"
        tip = f"{it.label}: {number_text(fmt, it.value)}"
        if it.ci_low is not None and it.ci_high is not None:
            tip += f" [{number_text(fmt, it.ci_low)}, {number_text(fmt, it.ci_high)}]"
        row = [f"<title>{html.escape(tip + (' (reported)' if it.kind == 'reported' else ''))}</title>",
               f'<text x="{label_w - 8}" y="{y + 4:.1f}" text-anchor="end" class="row-label {it.kind}">'
               f"{html.escape(label)}</text>"]
        if it.ci_low is not None and it.ci_high is not None:
            row.append(f'<line x1="{x(it.ci_low):.1f}" y1="{y:.1f}" x2="{x(it.ci_high):.1f}" y2="{y:.1f}" '
                       f'stroke="{colour}" stroke-width="2"/>')
            for end in (it.ci_low, it.ci_high):
                row.append(f'<line x1="{x(end):.1f}" y1="{y - 4:.1f}" x2="{x(end):.1f}" y2="{y + 4:.1f}" '
                           f'stroke="{colour}" stroke-width="1.5"/>')
        fill = "#fff" if it.kind == "reported" else colour
        row.append(f'<circle cx="{x(it.value):.1f}" cy="{y:.1f}" r="4.5" fill="{fill}" stroke="{colour}" '
                   'stroke-width="2"/>')
        row.append(f'<text x="{width - 4}" y="{y + 4:.1f}" text-anchor="end" class="value">'
                   f"{html.escape(number_text(fmt, it.value))}</text>")
        body = "".join(row)
        out.append(f'<a href="{html.escape(it.href)}">{body}</a>' if it.href else f"<g>{body}</g>")
    out.append("</svg>")
    return "".join(out)


def heat_style(rank_fraction: float | None) -> str:
    """Inline style of a heat-map cell: 1.0 the best of its column (deep blue), 0.0 the worst (near white)."""
    if rank_fraction is None:
        return ""
    f = max(0.0, min(1.0, rank_fraction))
    # from #f4f7fc to #2f5fae
    r, g, b = (round(a + (z - a) * f) for a, z in ((0xf4, 0x2f), (0xf7, 0x5f), (0xfc, 0xae)))
    return f"background:#{r:02x}{g:02x}{b:02x};color:{'#fff' if f > 0.55 else '#1b2430'}"
