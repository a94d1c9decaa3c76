"""Train UniPose's pose tokenizer (stage 1) on a dataset folder's poses and print its reconstruction table.

    unipose-bench train-tokenizer                                   # tiny preset, newest embedded world, ~1.5 min
    unipose-bench train-tokenizer --preset paper --train DATA --steps 200000 --output runs/tokenizer

Trains on every train pose of the folder (text_to_pose / pose_to_text poses, pose_a / pose_b of pose_diff and
pose_edit, duplicates removed), keeps the weights with the best val MPJPE, and reports MPJPE / PA-MPJPE (mm) of
encode -> decode on the val and test poses, as the paper's appendix tokenizer table (UniPose App. Table 5: 6.2 / 3.7
mm on AMASS, 23.1 / 11.3 mm on MOYO). Writes OUTPUT/pose_vqvae/ (config.json, model.safetensors: the folder
`PoseVQVAE.load` and the `unipose` adapter read) and OUTPUT/report.json (per-eval val figures, times, the table).
"""

from __future__ import annotations

import json
from pathlib import Path

PAPER_ROWS = {"AMASS test (paper)": (6.2, 3.7), "MOYO val (paper)": (23.1, 11.3)}


def add_arguments(parser):
    from models.unipose.tokenizer_training import TOKENIZER_RECIPES

    parser.add_argument("--train", type=Path, default=None,
                        help="dataset folder in the Hub layout (default: the newest embedded world)")
    parser.add_argument("--preset", choices=tuple(TOKENIZER_RECIPES), default="tiny",
                        help="tiny: width 64, 128 x 32 codebook, 1600 steps of 64 (CPU); paper: upstream's sizes "
                             "and recipe (default: tiny)")
    parser.add_argument("--steps", type=int, default=None, help="optimiser steps (default: the preset's)")
    parser.add_argument("--batch-size", type=int, default=None, help="poses per step (default: the preset's)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random draw (default: 0)")
    parser.add_argument("--output", type=Path, default=None,
                        help="folder receiving pose_vqvae/ and report.json (default: outputs/unipose-tokenizer-PRESET)")
    parser.add_argument("--quiet", action="store_true", help="no per-evaluation log lines")


def reconstruction_table(rows: dict[str, tuple[float, float]]) -> str:
    """A markdown table: split -> (MPJPE, PA-MPJPE) in mm."""
    lines = ["| split | MPJPE (mm) | PA-MPJPE (mm) |", "|---|---:|---:|"]
    lines += [f"| {name} | {m:.1f} | {pa:.1f} |" for name, (m, pa) in rows.items()]
    return "\n".join(lines)


def run(args) -> int:
    import time
    from dataclasses import replace

    from benchmark.errors import InputError
    from benchmark.processes import Processes
    from models.unipose.tokenizer_training import reconstruction_metrics, tokenizer_recipe, train_tokenizer, world_poses
    from models.baselines.training_data import default_train_dir
    from models.unipose.vqvae import preset_config

    train_dir = default_train_dir(args.train)
    recipe = tokenizer_recipe(args.preset)
    config = preset_config(args.preset)
    batch_size = args.batch_size or recipe.batch_size
    for name, value in (("--steps", args.steps), ("--batch-size", args.batch_size)):
        if value is not None and value < 1:
            raise InputError(f"must be at least 1, got {value}", field=name)

    # under a launcher every process trains (a slice of each batch); the main one alone prints and writes
    main = Processes().is_main
    print_ = print if main else (lambda *_: None)
    started = time.perf_counter()
    train, val, test = (world_poses(train_dir, split) for split in ("train", "val", "test"))
    steps = args.steps or replace(recipe, batch_size=batch_size).steps_for(len(train))
    print_(f"tokenizer preset {args.preset}: {len(train)} train / {len(val)} val / {len(test)} test poses from "
          f"{train_dir}; {steps} steps of {batch_size}")
    log = (lambda *_: None) if args.quiet else print_
    model, report = train_tokenizer(train, val, config, steps=steps, seed=args.seed, batch_size=batch_size,
                                    log=log, options=recipe.options)
    if not main:
        return 0
    figures = {"val": reconstruction_metrics(model, val), "test": reconstruction_metrics(model, test)}

    output = args.output or Path("outputs") / f"unipose-tokenizer-{args.preset}"
    output.mkdir(parents=True, exist_ok=True)
    model.save(output / "pose_vqvae")
    rows = {f"{split} ({len(poses)} poses)": (figures[split]["mpjpe"], figures[split]["pa_mpjpe"])
            for split, poses in (("val", val), ("test", test))}
    table = reconstruction_table({**rows, **PAPER_ROWS})
    paper = {name: {"mpjpe": m, "pa_mpjpe": pa} for name, (m, pa) in PAPER_ROWS.items()}
    report = {**report, "preset": args.preset, "train_dir": str(train_dir), "n_test": len(test),
              "reconstruction": figures, "paper": paper, "table": table,
              "total_time_s": time.perf_counter() - started}
    tmp = output / "report.json.tmp"
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(output / "report.json")
    print(table)
    print(f"(best val MPJPE at step {report['best']['step']} of {steps}; training {report['time_s']:.0f} s; "
          f"joints of the {report['body_model']} body model; the paper's rows are SMPL-H on AMASS / MOYO)")
    print(f"tokenizer: {output / 'pose_vqvae'}; report: {output / 'report.json'}")
    return 0
