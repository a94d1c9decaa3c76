"""Performance benchmarks: each measures a fast path (and, where it has one, the reference implementation it
replaces) side by side in one run and prints the figures and ratios. Never part of the tests.

    unipose-bench perf metrics       # R-precision over 10k queries: vectorised vs per-query loop
    unipose-bench perf scoring       # scoring 100k pose predictions: time and traced peak; blocked vs one pass
    unipose-bench perf captioning    # descriptions / instructions per second on 10k generated poses
    unipose-bench perf world         # generating 100k poses; farthest-point sampling vs brute force
    unipose-bench perf render        # ms per rendered image; tiled vs untiled ray casting
    unipose-bench perf retrieval     # evaluator training seconds per epoch; padded vs packed GRU
    unipose-bench perf hub           # Arrow column reads vs datasets' numpy formatter; export throughput
    unipose-bench perf mining        # ImageDiff pose-A mining vs a per-pose loop; image crops
"""

from __future__ import annotations

from benchmark.registry import Registry

# every installed package's benchmarks (`unipose_bench.perf` entry points: a module with run_benchmark(seed))
BENCHMARKS: Registry = Registry.from_plugins("benchmark", "unipose_bench.perf")


def add_arguments(parser):
    parser.add_argument("which", nargs="+", choices=(*BENCHMARKS.names(), "all"), help="benchmarks to run")
    parser.add_argument("--seed", type=int, default=0)


def run(args) -> int:
    import os

    names = BENCHMARKS.names() if "all" in args.which else args.which
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (figures move with the load)")
    for name in names:
        print(f"== {name} ==", flush=True)
        BENCHMARKS.get(name).run_benchmark(seed=args.seed)
    return 0
