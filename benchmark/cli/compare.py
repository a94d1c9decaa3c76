"""Is model A better than model B? Paired tests on the rows both were scored on, from their result files.

    unipose-bench compare nearest_neighbour random --tasks text_to_pose/embedded pose_edit/embedded
    unipose-bench compare unipose-tiny mean_pose --results outputs --out comparison.json

A and B are adapters with results under RESULTS/results (`NAME`, or `NAME/REVISION` when there are several). Per
task, every score both have gets the difference A - B, its 95 % interval and a two-sided p-value: a paired bootstrap
over rows for the metrics that are means of per-row values (MPJPE and the other pose errors, METEOR, ROUGE-L) or
functions of per-row counts (posecode agreement), and a paired permutation test for the retrieval metrics, which
are computed over the whole split (each resample swaps the two models' responses on random rows and recomputes the
metric from the evaluator embeddings kept beside the records). Seeded. Prints a markdown table and writes it with
the full JSON (every metric, per joint and per posecode kind included) to RESULTS/comparisons/A-vs-B.{json,md};
the leaderboard site (`unipose-bench leaderboard --site`) shows every comparison there.
"""

from __future__ import annotations

import math
from pathlib import Path


def add_arguments(parser):
    parser.add_argument("a", metavar="A", help="adapter NAME[/REVISION] (model A)")
    parser.add_argument("b", metavar="B", help="adapter NAME[/REVISION] (model B)")
    parser.add_argument("--tasks", nargs="+", default=None,
                        help="task names, or 'embedded' (default: every task both adapters have results of)")
    parser.add_argument("--results", default="outputs", help="folder holding results/ (default: outputs)")
    parser.add_argument("--out", default=None,
                        help="JSON file to write (default: RESULTS/comparisons/A-vs-B.json; the table beside it, .md)")
    parser.add_argument("--resamples", type=int, default=10000, help="bootstrap resamples (default 10000)")
    parser.add_argument("--permutations", type=int, default=1000, help="permutations of the retrieval tests "
                                                                        "(default 1000)")
    parser.add_argument("--confidence", type=float, default=0.95, help="interval level (default 0.95)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the resamples and permutations (default 0)")
    parser.add_argument("--all-rows", action="store_true",
                        help="print every metric (per joint and per posecode kind too), not only the headline ones")


def _tasks(names):
    if names is None:
        return None
    from benchmark.tasks.catalog import embedded_task_names, task_registry

    registry, out = task_registry(), []
    for name in names:
        if name == "embedded":
            out += embedded_task_names()
        else:
            registry.get(name)  # did-you-mean on a typo
            out.append(name)
    return list(dict.fromkeys(out))


def run(args) -> int:
    from benchmark.errors import InputError
    from benchmark.evaluation.compare import compare_results, comparison_path, write_comparison

    if not 0 < args.confidence < 1:
        raise InputError(f"{args.confidence} is not in (0, 1)", field="--confidence")
    # the smallest p each test can give is 1 / (resamples + 1) and 2 / (permutations + 1): below these counts no
    # difference could ever be significant at the interval's level
    alpha = 1 - args.confidence
    least = {"--resamples": math.ceil(1 / alpha - 1 - 1e-9), "--permutations": math.ceil(2 / alpha - 1 - 1e-9)}
    for option, given in (("--resamples", args.resamples), ("--permutations", args.permutations)):
        if given < least[option]:
            raise InputError(f"{given} is too few: with {given} the smallest p-value is above {alpha:g}, so no "
                             f"difference could be significant", field=option,
                             hint=f"use at least {least[option]} (the defaults are 10000 and 1000)")
    comparison = compare_results(args.results, args.a, args.b, _tasks(args.tasks), seed=args.seed,
                                 n_resamples=args.resamples, n_permutations=args.permutations,
                                 confidence=args.confidence)
    out = Path(args.out) if args.out else comparison_path(args.results, args.a, args.b)
    table = write_comparison(comparison, out, all_rows=args.all_rows)
    print(table)
    print(f"wrote {out} and {out.with_suffix('.md')}")
    return 0
