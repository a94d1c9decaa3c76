"""A static leaderboard site: open index.html from the folder (file://, no server, no network).

    unipose-bench leaderboard --results outputs --site outputs/leaderboards/site

The index lists the boards and shows each task's main metric per model; a board page has its table (sortable,
with 95 % intervals, the papers' numbers marked, missing cells with their reason) and a ranking per section; a task
page has every score entry of every model and a model-vs-model scatter of the per-sample values; a model page has
its scores and the samples drill-down: every sample's numbers in a table, and cards with the input, the output and
the ground truth (poses drawn from one camera) for the N worst and N best samples by each per-sample number
(N = 5 by default: `--site-samples N`); a comparison page has the paired tests of two models that `unipose-bench
compare` wrote under RESULTS/comparisons/. Every figure has its numbers beside it and a CSV link.

Modules: writer (the folder; `write_site` is the entry point), board_pages (index and boards, from
benchmark.leaderboard.build's tables), task_pages and model_pages (from result files), comparison_pages (from
comparison files), score_entries (score entries as cells, charts and CSV), drilldown (inputs, outputs and ground
truth of samples), sample_metrics (per-sample numbers, families of keys, which samples are drawn), skeleton_svg and
figures (SVG drawings), markup (page shell and HTML pieces), paths (where pages live); templates/ and assets/ ship as
package data.
"""

# kept out of writer.py so that the CLI's argument parser reads it without importing the site's modules
SAMPLES_PER_PAGE = 5
