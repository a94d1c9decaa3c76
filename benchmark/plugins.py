"""Plugins: what other packages add to the suite, found through their packaging metadata (entry points).

The core (`benchmark`) never imports the packages built on it: not this repo's `datasets_build` and `models`, not a
third party's. Those declare what they add in their `pyproject.toml`,

    [project.entry-points."unipose_bench.adapters"]
    my_model = "my_package.adapter:MyAdapter"

and the core's registries read the declarations of every installed distribution (`importlib.metadata`), importing a
target only when it is used. The groups and what their targets are:

    unipose_bench.adapters      "module:Class", a `benchmark.adapters.ModelAdapter` subclass
    unipose_bench.commands      "module" with add_arguments(parser) and run(args); its docstring is the help
    unipose_bench.worlds        "module:object", a `benchmark.worlds.WorldProvider`
    unipose_bench.leaderboards  "package" whose *.yaml files are leaderboard specs
    unipose_bench.perf          "module" with run_benchmark(seed), and perf_table(size, seed) for a row of the
                                `unipose-bench perf` table (benchmark.perf_table)
    unipose_bench.refiners      "module:factory" taking key=value strings, returning a text refiner for the -R
                                datasets (datasets_build.real.refine.Refiner)

This repo declares its own adapters, commands, world and benchmarks the same way (see pyproject.toml), so a third
party's plugin is found exactly as the suite's are.
"""

from __future__ import annotations

from importlib.metadata import distributions

from benchmark.errors import BenchmarkError

GROUPS = ("unipose_bench.adapters", "unipose_bench.commands", "unipose_bench.worlds", "unipose_bench.leaderboards",
          "unipose_bench.perf", "unipose_bench.refiners")


def declared(group: str) -> dict[str, str]:
    """name -> target ("module" or "module:attr") of every entry point of `group` in the installed distributions,
    sorted by name. Two distributions declaring one name is an error naming both (neither may shadow the other)."""
    if group not in GROUPS:
        raise ValueError(f"unknown plugin group {group!r} (known: {', '.join(GROUPS)})")
    # Every distribution on the path, not importlib's de-duplicated view: that keeps only the first copy of a name,
    # which may be a stale `*.egg-info` left in the working directory that declares nothing.
    found: dict[str, tuple[str, str]] = {}
    for dist in distributions():
        dist_name = dist.metadata["Name"] or "?"
        for ep in dist.entry_points.select(group=group):
            if ep.name not in found:
                found[ep.name] = (ep.value, dist_name)
            elif found[ep.name][1] != dist_name:
                raise BenchmarkError(f"{group} '{ep.name}' is declared by both {found[ep.name][1]} "
                                     f"({found[ep.name][0]}) and {dist_name} ({ep.value}); uninstall or rename one")
    return {name: found[name][0] for name in sorted(found)}
