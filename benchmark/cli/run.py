"""The main job, on the embedded world (no download, no GPU):

1. build the embedded world (cached in $UNIPOSE_BENCH_HOME; rebuilt only when its config or code changes) and check
   its content against the committed fingerprints;
2. load the frozen retrieval evaluators shipped for that world (a world they were not trained on, e.g. another seed,
   gets a quick pair trained for it, with the reason printed) and score them on the test splits;
3. evaluate every runnable adapter on the seven embedded tasks, and the ground truth as a predictions file
   (responses and results cached: a second run only re-reads them);
4. compare the trained model with the strongest trivial baseline (`unipose-bench compare`'s paired tests, with
   fewer resamples: benchmark.pipeline.MAIN_JOB_COMPARISONS) into OUTPUT/comparisons;
5. write every leaderboard (markdown, CSV, LaTeX, HTML, PNG) into OUTPUT/leaderboards, and the static site to
   browse them, the samples behind them and the comparisons into OUTPUT/leaderboards/site, and print where they are.

The work is `benchmark.pipeline.main_job`; worlds come from `unipose_bench.worlds` plugins (`ls worlds`).
"""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser):
    parser.add_argument("--output", type=Path, default=Path("outputs"), help="output folder (default: outputs)")
    parser.add_argument("--world", default="embedded", help="the world to build and score (default: embedded)")
    parser.add_argument("--preset", default=None,
                        help="size of the world (embedded: default, under a minute to build on 2 cores; or small)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the world, templates and metrics")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the CIs")
    parser.add_argument("--models", nargs="+", default=None,
                        help="adapters to run (default: the suite's baselines and references, "
                             "benchmark.pipeline.MAIN_JOB_ADAPTERS)")
    parser.add_argument("--no-ground-truth", action="store_true",
                        help="do not score the ground truth as a predictions file")
    parser.add_argument("--force", action="store_true", help="rebuild and re-evaluate everything")


def run(args) -> int:
    from benchmark import workspace
    from benchmark.pipeline import MAIN_JOB_ADAPTERS, main_job
    from benchmark.writable import check_dir, check_file

    # where the job writes, checked before the world is built (minutes) and the models are scored
    check_dir(args.output, "the output folder (--output)")
    check_file(workspace.cache_path(), "the response cache")
    main_job(args.output, world=args.world, preset=args.preset, seed=args.seed, bootstrap=args.bootstrap,
             models=args.models or MAIN_JOB_ADAPTERS, ground_truth=not args.no_ground_truth, force=args.force)
    return 0
