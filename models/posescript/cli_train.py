"""Train the PoseScript or PoseFix models of a preset on a dataset folder's train splits (default: the newest
embedded world), as the `posescript:preset=...` / `posefix:preset=...` adapters do on first use.

    unipose-bench train-posescript                                   # text_to_pose + pose_to_text, tiny preset
    unipose-bench train-posescript --family posefix                  # pose_edit + pose_diff
    accelerate launch -m benchmark.cli.main train-posescript ...     # the batches shared by several processes

The models are cached in the suite home under models/FAMILY/PRESET-KEY (the key covers the code, the data, the
recipe and the seed), where the adapters find them; the command prints that folder. `--slices N` computes each
batch in N slices (gradient accumulation; a multiple of the processes): N launched processes train the weights one
process trains with `--slices N` (models/posescript/training.py).
"""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser):
    from models.posescript.presets import PRESETS

    parser.add_argument("--family", choices=("posescript", "posefix"), default="posescript")
    parser.add_argument("--preset", choices=tuple(PRESETS), default="tiny")
    parser.add_argument("--train", type=Path, default=None,
                        help="dataset folder in the Hub layout (default: the newest embedded world)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--slices", type=int, default=None,
                        help="slices of each batch (default: one per launched process)")


def run(args) -> int:
    from benchmark.processes import Processes
    from models.posefix.adapter import PoseFixAdapter
    from models.posescript.adapter import PoseScriptAdapter, trained_family
    from models.baselines.training_data import default_train_dir

    tasks = (PoseFixAdapter if args.family == "posefix" else PoseScriptAdapter).TASKS
    folder = trained_family(args.family, tasks, default_train_dir(args.train), args.preset, args.seed,
                            slices=args.slices)
    if Processes().is_main:
        print(f"checkpoint: {folder}")
    return 0
