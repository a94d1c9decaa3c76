"""Build leaderboard tables from result files: markdown, CSV, LaTeX, HTML and PNG per leaderboard spec (the
suite's in benchmark/leaderboard/specs/*.yaml, and those of installed plugins). A table only holds results of the
task version, dataset revision and evaluator versions it agrees on; empty cells say why. With --site, also a static
site to browse them (open its index.html; no server, no network): sortable boards with intervals, rankings, a page
per task and model with the samples behind each number, and a page per comparison `unipose-bench compare` wrote
under RESULTS/comparisons/.

    unipose-bench leaderboard --results outputs --out outputs/leaderboards
    unipose-bench leaderboard --results outputs --site outputs/leaderboards/site
"""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser):
    from benchmark.leaderboard.site import SAMPLES_PER_PAGE

    parser.add_argument("--results", type=Path, default=Path("outputs"), help="folder holding results/ (default: "
                                                                             "outputs)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: RESULTS/leaderboards)")
    parser.add_argument("--spec", nargs="*", default=None, help="leaderboard names (default: all)")
    parser.add_argument("--site", type=Path, default=None, metavar="DIR",
                        help="also write the static site into DIR (replaced as a whole; open DIR/index.html)")
    parser.add_argument("--site-samples", type=int, default=SAMPLES_PER_PAGE, metavar="N",
                        help=f"samples drawn per model page: the N worst and N best by each per-sample number "
                             f"(default {SAMPLES_PER_PAGE})")
    parser.add_argument("--dataset-dir", action="append", default=[], metavar="REPO=DIR",
                        help="site: local folder (Hub layout) of a dataset repo, for the samples' inputs and ground "
                             "truth (default: the embedded world the main job built last); repeatable")
    parser.add_argument("--body-models", default=None, help="site: folder of SMPL-family model files (poses of real "
                                                            "datasets are drawn with SMPL-H)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="site: response cache holding the outputs older samples files lack (default: the "
                             "suite's)")


def run(args) -> int:
    from benchmark import workspace
    from benchmark.cli.evaluate import _pairs
    from benchmark.errors import BenchmarkError
    from benchmark.leaderboard.build import build_table
    from benchmark.leaderboard.render import write_all
    from benchmark.leaderboard.spec import load_specs
    from benchmark.registry import Registry
    from benchmark.results import load_results

    if not args.results.is_dir():
        raise BenchmarkError(f"results folder {args.results} does not exist: pass --results DIR, the --output of "
                             "`unipose-bench run` or `evaluate` (it holds results/)")
    from benchmark.writable import check_dir

    # where the tables (and the site) go, checked before any result is read
    check_dir(args.out or args.results / "leaderboards", "the leaderboard folder (--out)")
    if args.site is not None:
        check_dir(args.site, "the site folder (--site)")
    specs = load_specs()
    registry: Registry = Registry("leaderboard")
    for name, spec in specs.items():
        registry.register(name, spec)
    chosen = [registry.get(n) for n in (args.spec or specs)]
    results = load_results(args.results)
    out = args.out or args.results / "leaderboards"
    tables = [build_table(spec, results) for spec in chosen]
    for table in tables:
        paths = write_all(table, out)
        print(f"{table.spec.name}: {', '.join(str(p) for p in paths.values())}")
    if args.site is not None:
        from benchmark.leaderboard.site.writer import write_site
        from benchmark.pipeline import latest_context

        context = latest_context(body_models=args.body_models)
        context.dataset_dirs.update(_pairs(args.dataset_dir, "--dataset-dir"))
        index = write_site(tables, args.results, args.site, context=context,
                           cache_path=args.cache or workspace.cache_path(), samples_per_page=args.site_samples)
        print(f"site: {index.resolve()}")
    return 0
