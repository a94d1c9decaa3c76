"""Train the retrieval evaluators the suite ships for the default embedded world, once, and freeze them.

    unipose-bench freeze-evaluators                 # about an hour on 2 cores (55-70 min measured)

Builds (or reuses) the default embedded world, checks it against the committed fingerprints, trains the pose-text
and pair-text evaluators with the "frozen" recipe on its train splits (with extra automatic caption draws), selects
each on its val split, and writes them to datasets_build/world/evaluators/<kind>/ (model.safetensors, config.json
with the world fingerprint they are pinned to, version.txt, training_log.json, SHA256SUMS). Commit the result: the
main job then scores with these and never trains. Run it only when the world's content changes (a new committed
fingerprint); another run on another CPU gives an equally good but different evaluator, with another version.
"""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser):
    from datasets_build.world.evaluators import SHIPPED_DIR

    parser.add_argument("--output", type=Path, default=SHIPPED_DIR,
                        help=f"folder that receives <kind>/ (default: the shipped folder, {SHIPPED_DIR})")
    parser.add_argument("--seed", type=int, default=0, help="training seed (default: 0)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or per-epoch log lines")


def run(args) -> int:
    import logging

    from benchmark.errors import InputError
    from datasets_build.world.build import PRESETS
    from datasets_build.world.ensure import committed_fingerprints, ensure_world
    from datasets_build.world.evaluators import freeze_evaluators, summary

    if not args.quiet:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = PRESETS["default"]
    world = ensure_world(config, command="unipose-bench freeze-evaluators", progress=not args.quiet,
                         log=(lambda *_: None) if args.quiet else print)
    committed = committed_fingerprints(config)
    if committed is None or committed["fingerprint"] != world.fingerprint:
        raise InputError(f"the default world built here ({world.fingerprint}) is not the committed one "
                         f"({committed['fingerprint'] if committed else 'none'}): shipped evaluators must be "
                         "pinned to the committed world", file="datasets_build/world/fingerprints.json",
                         hint="record the new fingerprints first (`unipose-bench build --record-fingerprints`), "
                              "if the world's change is intended")
    for kind, folder in freeze_evaluators(world, output=args.output, seed=args.seed,
                                          progress=not args.quiet).items():
        info = summary(folder)
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        print(f"{kind}: {info['version']} ({size:.1f} MB), weights sha256 {info['weights_sha256'][:16]}..., "
              f"val mRecall {info['val']['mRecall']:.1f}, pinned to world {info['world_fingerprint']}: {folder}")
    return 0
