"""Writing a built table as markdown, CSV (tidy, one value per line), LaTeX (booktabs), HTML and PNG bar charts.

Missing cells print as "–" with a footnote giving the reason; reported (paper) rows are marked.
"""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path

from benchmark.results import write_text_atomic
from benchmark.leaderboard.build import Cell, Row, Table

MISSING = "–"
UNSUPPORTED = "n/a"  # cells whose reason starts with it: the adapter does not do the task


def number_text(fmt: str, value: float) -> str:
    """`value` formatted with `fmt` (a spec column's format, e.g. "{:.1f}")."""
    text = fmt.format(value)
    # a value that rounds to zero prints as zero: FID of identical sets comes out as -2e-13, not "-0.000"
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


def _fmt(cell: Cell, fmt: str, with_ci: bool = False) -> str:
    if cell.value is None:
        return MISSING
    text = number_text(fmt, cell.value)
    if with_ci and cell.ci_low is not None and cell.ci_high is not None:
        text += f" [{number_text(fmt, cell.ci_low)}, {number_text(fmt, cell.ci_high)}]"
    return text


def _row_label(row: Row) -> str:
    if row.kind == "reported":
        return f"{row.label} (reported)"
    if row.kind == "reference":
        return f"{row.label} (reference)"
    return row.label


def _grid(table: Table, with_ci: bool = False) -> tuple[list[str], list[list[str]], dict[str, int]]:
    """(header, body rows, footnote numbers by reason) in the spec's layout."""
    spec = table.spec
    notes: dict[str, int] = {}

    def cell_text(cell: Cell, fmt: str) -> str:
        if cell.value is None and cell.reason and cell.reason.startswith(UNSUPPORTED):
            notes.setdefault(f"{UNSUPPORTED}: the model does not do this task", 0)
            return UNSUPPORTED
        text = _fmt(cell, fmt, with_ci)
        if cell.value is None and cell.reason:
            number = notes.setdefault(cell.reason, sum(1 for v in notes.values() if v) + 1)
            text += f" [{number}]" if text == MISSING else ""
        return text

    if spec.layout == "row_groups":
        columns = spec.sections[0].columns
        header = ["Task", "Method"] + [c.label for c in columns]
        body = []
        for section in spec.sections:
            for row in table.rows:
                cells = [row.cells.get((section.title, c.metric), Cell(reason="not evaluated")) for c in columns]
                if row.kind == "reported" and all(c.value is None for c in cells):
                    continue
                if row.kind != "reported" and all(c.value is None for c in cells) and not any(
                        c.reason not in (None, "not evaluated") for c in cells):
                    continue
                body.append([section.title, _row_label(row)] + [cell_text(c, col.format) for c, col in
                                                                 zip(cells, columns)])
        return header, body, notes
    header = ["Method"] + [f"{s.title} {c.label}" for s in spec.sections for c in s.columns]
    body = []
    for row in table.rows:
        body.append([_row_label(row)] + [cell_text(row.cells.get((s.title, c.metric), Cell(reason="not evaluated")),
                                                   c.format) for s in spec.sections for c in s.columns])
    return header, body, notes


def to_markdown(table: Table) -> str:
    header, body, notes = _grid(table, with_ci=False)
    lines = [f"## {table.spec.title}", ""]
    if table.spec.description:
        lines += [table.spec.description.strip(), ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    if notes:
        lines += [""] + [reason if n == 0 else f"[{n}] {reason}" for reason, n in notes.items()]
    lines += _provenance_lines(table)
    if table.notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in table.notes]
    return "\n".join(lines) + "\n"


def _provenance_lines(table: Table) -> list[str]:
    if not table.provenance:
        return []
    lines = ["", "Measured on:"]
    for title, p in table.provenance.items():
        evals = ", ".join(f"{k} {v}" for k, v in p["evaluators"].items()) or "none"
        lines.append(f"- {title}: {p['task']} v{p['task_version']}, {p['dataset']} ({p['config']}, {p['split']}, "
                     f"{p['rows']} rows, revision {p['revision'] or 'local'}, fingerprint {p['fingerprint']}); "
                     f"evaluators: {evals}" + "".join(f"; {k}: {v}" for k, v in p.get("options", {}).items()))
    return lines


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["leaderboard", "version", "section", "task", "row", "kind", "source", "adapter", "revision",
                     "metric", "value", "ci_low", "ci_high", "missing_reason"])
    for row in table.rows:
        for section in table.spec.sections:
            for column in section.columns:
                c = row.cells.get((section.title, column.metric), Cell(reason="not evaluated"))
                writer.writerow([table.spec.name, table.spec.version, section.title, section.task, row.label,
                                 row.kind, row.source, row.adapter, row.revision, column.metric,
                                 "" if c.value is None else c.value, "" if c.ci_low is None else c.ci_low,
                                 "" if c.ci_high is None else c.ci_high, c.reason or ""])
    return out.getvalue()


def _latex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                 ("^", r"\^{}"), ("$", r"\$"), ("–", "--"), ("→", r"$\rightarrow$"), ("†", r"$^\dagger$")):
        text = text.replace(a, b)
    return text


def to_latex(table: Table) -> str:
    header, body, notes = _grid(table)
    lines = [r"\begin{table}[t]", r"\centering", r"\small",
             r"\begin{tabular}{" + "l" * (2 if table.spec.layout == "row_groups" else 1)
             + "r" * (len(header) - (2 if table.spec.layout == "row_groups" else 1)) + "}", r"\toprule",
             " & ".join(_latex_escape(h) for h in header) + r" \\", r"\midrule"]
    lines += [" & ".join(_latex_escape(c) for c in r) + r" \\" for r in body]
    lines += [r"\bottomrule", r"\end{tabular}", r"\caption{" + _latex_escape(table.spec.title)
              + "".join(f" {'' if n == 0 else f'[{n}] '}{_latex_escape(r)}." for r, n in notes.items()) + "}",
              r"\end{table}"]
    return "\n".join(lines) + "\n"


def to_html(table: Table) -> str:
    header, body, notes = _grid(table, with_ci=True)
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
             f"<title>{html.escape(table.spec.title)}</title>",
             "<style>body{font-family:sans-serif;margin:2em} table{border-collapse:collapse} "
             "td,th{padding:4px 10px;border-bottom:1px solid #ccc;text-align:right} td:first-child,th:first-child"
             "{text-align:left} tr.reported{color:#777;font-style:italic} tr.reference{background:#f3f7ff}</style>",
             "</head><body>", f"<h2>{html.escape(table.spec.title)}</h2>"]
    if table.spec.description:
        parts.append(f"<p>{html.escape(table.spec.description)}</p>")
    parts.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
    kinds = [r.kind for r in table.rows]
    labels = {_row_label(r): r.kind for r in table.rows}
    for r in body:
        label = r[1] if table.spec.layout == "row_groups" else r[0]
        parts.append(f"<tr class='{labels.get(label, kinds[0] if kinds else '')}'>"
                     + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>")
    parts.append("</table>")
    if notes:
        parts.append("<p>" + "<br>".join(html.escape(r if n == 0 else f"[{n}] {r}") for r, n in notes.items())
                     + "</p>")
    extra = _provenance_lines(table) + (["Notes:"] + [f"- {n}" for n in table.notes] if table.notes else [])
    if extra:
        parts.append("<pre>" + html.escape("\n".join(extra)) + "</pre>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def to_png(table: Table, path: Path) -> Path | None:
    """One bar chart per section: each row's value of the section's first metric, CI as error bars; reported rows
    hatched. Returns None when there is nothing to plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sections = [s for s in table.spec.sections
                if any(r.cells.get((s.title, s.columns[0].metric), Cell()).value is not None for r in table.rows)]
    if not sections:
        return None
    fig, axes = plt.subplots(1, len(sections), figsize=(4.2 * len(sections), 0.45 * len(table.rows) + 1.6),
                             squeeze=False)
    for ax, section in zip(axes[0], sections):
        column = section.columns[0]
        rows = [r for r in table.rows if r.cells.get((section.title, column.metric), Cell()).value is not None]
        values = [r.cells[(section.title, column.metric)].value for r in rows]
        errs = [[max(0.0, v - (c.ci_low if c.ci_low is not None else v)) for v, c in
                 zip(values, [r.cells[(section.title, column.metric)] for r in rows])],
                [max(0.0, (c.ci_high if c.ci_high is not None else v) - v) for v, c in
                 zip(values, [r.cells[(section.title, column.metric)] for r in rows])]]
        colours = ["#bbbbbb" if r.kind == "reported" else "#6a8fd0" if r.kind == "reference" else "#2f5fae"
                   for r in rows]
        bars = ax.barh(range(len(rows)), values, xerr=errs, color=colours, capsize=2)
        for bar, r in zip(bars, rows):
            if r.kind == "reported":
                bar.set_hatch("//")
        ax.set_yticks(range(len(rows)), [_row_label(r) for r in rows], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(f"{section.title}\n{column.label}" + (" (lower is better)" if column.lower_is_better else ""),
                     fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path


def write_all(table: Table, out_dir: str | Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    name = table.spec.name
    paths = {
        "md": write_text_atomic(out_dir / f"{name}.md", to_markdown(table)),
        "csv": write_text_atomic(out_dir / f"{name}.csv", to_csv(table)),
        "tex": write_text_atomic(out_dir / f"{name}.tex", to_latex(table)),
        "html": write_text_atomic(out_dir / f"{name}.html", to_html(table)),
    }
    png = to_png(table, out_dir / f"{name}.png")
    if png is not None:
        paths["png"] = png
    return paths
