"""Build datasets: the embedded world (default), or the task datasets from your own copies of the real sources.

    unipose-bench build                        # the embedded world, cached in $UNIPOSE_BENCH_HOME
    unipose-bench build --preset small         # a small world (tests, quick looks)
    unipose-bench build --record-fingerprints  # maintainers: commit the content of an intended world change
    unipose-bench build --source posescript --posescript-dir DIR --amass-dir DIR --out data/posescript

The embedded world goes to the suite's workspace (printed at the end), with the retrieval evaluators that score it
(the shipped ones for the default world; a quick pair is trained once for any other); `--out DIR` also copies it in
the Hub layout. Real-source builds need --out and write the Hub layout (parquet shards + dataset card +
statistics), ready for `unipose-bench publish --from DIR`.
"""

from __future__ import annotations

import sys
from pathlib import Path


def add_arguments(parser):
    parser.add_argument("--preset", default="default", choices=("default", "small"),
                        help="embedded world size (default: under a minute on 2 cores)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the embedded world (default: the preset's)")
    parser.add_argument("--force", action="store_true", help="rebuild even if an identical build exists")
    parser.add_argument("--out", type=Path, default=None, help="output folder (Hub layout)")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    parser.add_argument("--record-fingerprints", action="store_true",
                        help="(maintainers, after an intended change of the world) record this build's content "
                             "fingerprints in datasets_build/world/fingerprints.json, and for the default preset its "
                             "statistics in datasets_build/world/stats/; the tests then check every build against "
                             "them")
    from datasets_build.real.cli import add_source_arguments

    real = parser.add_argument_group("building from real sources")
    real.add_argument("--source", default=None,
                      choices=("posescript", "posefix", "pose-estimation", "imagescript", "imagediff"),
                      help="build from your copy of this source instead of the embedded world")
    add_source_arguments(parser, with_source=False)


def run(args) -> int:
    command = " ".join(["unipose-bench", *sys.argv[1:]])
    if args.source is None:
        from datasets_build.hub.publish import copy_layout
        from datasets_build.world.build import PRESETS
        from datasets_build.world.ensure import ensure_world

        config = PRESETS[args.preset]
        if args.seed is not None:
            config = config.model_copy(update={"seed": args.seed})
        world = ensure_world(config, force=args.force, command=command)
        if args.record_fingerprints:
            from datasets_build.world.ensure import record_fingerprints

            # the committed statistics are those of the default world (seed 0) only
            preset = args.preset if config == PRESETS[args.preset] else None  # not another seed's world
            for path in record_fingerprints(world, config, with_stats=config == PRESETS["default"], preset=preset):
                print(f"recorded: {path}")
        if args.out is not None:
            copy_layout(world.hub_dir, args.out, overwrite=args.overwrite)
        if not args.record_fingerprints:  # (recording new fingerprints is followed by freeze-evaluators)
            # the evaluators that score this world (the shipped ones, or a quick pair trained for another world), so
            # that `unipose-bench evaluate` finds them
            from datasets_build.world.evaluators import provide_evaluators

            for provided in provide_evaluators(world).values():
                print(f"{provided.kind} evaluator: {'shipped' if provided.shipped else 'trained here'}, "
                      f"{provided.path}")
        rows = ", ".join(f"{task} {sum(s.values())}" for task, s in world.info["rows"].items())
        print(f"embedded world {world.build_id}{' (cached)' if world.cached else ''}, content fingerprint "
              f"{world.fingerprint}: {rows}")
        print(f"datasets (Hub layout): {args.out or world.hub_dir}")
        print(f"previews: {world.hub_dir.parent / 'previews'}")
        return 0

    from benchmark import __version__
    from benchmark.errors import InputError
    from datasets_build.hub.card import CardMetadata, package_versions
    from datasets_build.hub.export import export_to_dir
    from datasets_build.hub.stats import describe, write_stats
    from datasets_build.real.cli import build_from_sources

    if args.out is None:
        raise InputError("a real-source build needs --out DIR", field="--out")
    if args.seed is None:
        args.seed = 0
    datasets_by_config, info = build_from_sources(args)
    stats = describe(datasets_by_config, seed=args.seed)
    metadata = CardMetadata(pretty_name=f"unipose-bench {args.source}", command=command, suite_version=__version__,
                            summary=f"Task datasets built by unipose-bench from the {args.source} release.", seed=args.seed,
                            package_versions=package_versions(), body_model="smplh", **info.card_fields())
    export_to_dir(datasets_by_config, args.out, metadata, stats=stats, overwrite=args.overwrite)
    write_stats(stats, args.out.parent / f"{args.out.name}-stats")
    print(info.summary())
    print(f"datasets (Hub layout): {args.out}")
    return 0
