"""Performance, measured side by side in one run: each fast path against the reference it replaces, with the ratio,
the largest difference between their outputs (they must agree) and the peak memory of each.

    unipose-bench perf                      # the whole table (markdown on stdout)
    unipose-bench perf --quick              # small sizes: the whole table in a minute or two
    unipose-bench perf --size tiny          # seconds (what the tests run); the figures mean little
    unipose-bench perf --json perf.json --markdown perf.md
    unipose-bench perf --only body --only metrics

Rows: body (forward kinematics vs smplx's lbs), captioning (batch vs per-pose loop), harness (the evaluation
runner's cost per request over bare adapter calls), metrics (vectorised R-precision vs a per-query loop), processes
(one evaluation on 1 vs 2 processes), unipose (parallel vs autoregressive pose decoding).

The long single-topic reports stay reachable:

    unipose-bench perf --report metrics     # (or `unipose-bench perf metrics`; `all` runs every report)
    unipose-bench perf --report captioning  # descriptions / instructions per second on 10k generated poses
    unipose-bench perf --report world       # generating 100k poses; farthest-point sampling vs brute force
    unipose-bench perf --report render      # ms per rendered image; tiled vs untiled ray casting
    unipose-bench perf --report retrieval   # evaluator training seconds per epoch; padded vs packed GRU
    unipose-bench perf --report hub         # Arrow column reads vs datasets' numpy formatter; export throughput
    unipose-bench perf --report mining      # ImageDiff pose-A mining vs a per-pose loop; image crops
    unipose-bench perf --report unipose     # parallel vs autoregressive decoding at batch 1 and 16
    unipose-bench perf --report scoring     # scoring 100k pose predictions: time and traced peak; blocks vs one pass
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmark.errors import InputError
from benchmark.registry import Registry

# every installed package's benchmarks (`unipose_bench.perf` entry points: a module with run_benchmark(seed), and
# perf_table(quick, seed) when it contributes rows to the table; see benchmark.perf_table)
BENCHMARKS: Registry = Registry.from_plugins("benchmark", "unipose_bench.perf")


def add_arguments(parser):
    names = (*BENCHMARKS.names(), "all")
    # no `choices` here: argparse refuses an empty list against them (CPython issue #73484); names are checked in run
    parser.add_argument("which", nargs="*", metavar="REPORT",
                        help=f"long reports to run instead of the table ({', '.join(names)})")
    parser.add_argument("--report", action="append", default=[], choices=names, metavar="NAME",
                        help="run the long report NAME instead of the table (repeatable)")
    parser.add_argument("--quick", dest="size", action="store_const", const="quick", default="full",
                        help="small sizes: the whole table in a minute or two (same as --size quick)")
    parser.add_argument("--size", choices=("tiny", "quick", "full"), default="full",
                        help="problem sizes (default: full; tiny: seconds, what the tests run)")
    parser.add_argument("--only", action="append", default=[], metavar="ENTRY",
                        help="table entries to run (repeatable; default: all)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the table as JSON")
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="also write the table as markdown")
    parser.add_argument("--seed", type=int, default=0)


def table_entries(only=()) -> list:
    """(name, perf_table) of every registered benchmark that contributes table rows, `only` those if given."""
    for name in only:
        BENCHMARKS.get(name)  # an unknown name: did-you-mean error
    entries = []
    for name in BENCHMARKS.names():
        if only and name not in only:
            continue
        table = getattr(BENCHMARKS.get(name), "perf_table", None)
        if table is None:
            if only:
                raise InputError(f"'{name}' is a report only, not a table entry", field="--only",
                                 hint=f"run it with `unipose-bench perf --report {name}`")
            continue
        entries.append((name, table))
    return entries


def _check_output(path: Path | None, option: str) -> None:
    if path is not None and (path.is_dir() or (path.parent.exists() and not path.parent.is_dir())):
        raise InputError(f"cannot write the table to {path}", field=option, hint="give a file path")


def run(args) -> int:
    import os

    reports = [*args.which, *args.report]
    if reports:
        names = BENCHMARKS.names() if "all" in reports else list(dict.fromkeys(reports))
        for name in names:
            BENCHMARKS.get(name)  # an unknown name: one did-you-mean line before anything runs
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (figures move with the load)")
        for name in names:
            print(f"== {name} ==", flush=True)
            BENCHMARKS.get(name).run_benchmark(seed=args.seed)
        return 0

    from benchmark.perf_table import markdown, run_table, to_json
    from benchmark.results import write_text_atomic

    _check_output(args.json, "--json")
    _check_output(args.markdown, "--markdown")
    entries = table_entries(args.only)
    table = run_table(entries, size=args.size, seed=args.seed,
                      progress=lambda name: print(f"measuring {name} ...", file=sys.stderr, flush=True))
    text = markdown(table)
    print(text, end="")
    if args.json:
        write_text_atomic(args.json, to_json(table))
    if args.markdown:
        write_text_atomic(args.markdown, text)
    disagree = [f"{r['entry']} ({r['measured']})" for r in table["rows"] if r["agree"] is False]
    if disagree:
        print(f"unipose-bench perf: the fast and reference outputs differ beyond the tolerance in: "
              f"{'; '.join(disagree)}", file=sys.stderr)
        return 1
    return 0
