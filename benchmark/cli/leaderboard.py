"""Build leaderboard tables from result files: markdown, CSV, LaTeX, HTML and PNG per leaderboard spec (the
suite's in benchmark/leaderboard/specs/*.yaml, and those of installed plugins). A table only holds results of the
task version, dataset revision and evaluator versions it agrees on; empty cells say why.

    unipose-bench leaderboard --results outputs --out outputs/leaderboards
"""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser):
    parser.add_argument("--results", type=Path, default=Path("outputs"), help="folder holding results/ (default: "
                                                                             "outputs)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: RESULTS/leaderboards)")
    parser.add_argument("--spec", nargs="*", default=None, help="leaderboard names (default: all)")


def run(args) -> int:
    from benchmark.results import load_results
    from benchmark.leaderboard.build import build_table
    from benchmark.leaderboard.render import write_all
    from benchmark.leaderboard.spec import load_specs
    from benchmark.registry import Registry

    specs = load_specs()
    registry: Registry = Registry("leaderboard")
    for name, spec in specs.items():
        registry.register(name, spec)
    chosen = [registry.get(n) for n in (args.spec or specs)]
    results = load_results(args.results)
    out = args.out or args.results / "leaderboards"
    for spec in chosen:
        paths = write_all(build_table(spec, results), out)
        print(f"{spec.name}: {', '.join(str(p) for p in paths.values())}")
    return 0
