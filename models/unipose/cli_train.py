"""Train UniPose's four stages on a dataset folder's train splits (default: the newest embedded world).

    unipose-bench train-unipose --preset tiny                       # about 7 minutes on 2 cores
    unipose-bench train-unipose --preset small --output runs/small  # SmolLM2-135M (`make smollm2`); for a GPU
    unipose-bench train-unipose --preset paper --language-model LLAVA_DIR --train DATA --output runs/paper
    accelerate launch -m benchmark.cli.main train-unipose ...       # several processes / GPUs / machines

Stages (UniPose §3.3): tokenizer, alignment (LoRA, pose-text tasks), projector (image tasks), instruction (all
seven tasks); `--stages` runs some of them, each resuming from the previous stage's folder OUTPUT/<n>-<stage>/.
Score the result with `unipose-bench evaluate --model unipose:checkpoint=OUTPUT/4-instruction`.
"""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser):
    from models.unipose.presets import PRESETS
    from models.unipose.stages import STAGES

    parser.add_argument("--preset", choices=tuple(PRESETS), default="tiny")
    parser.add_argument("--train", type=Path, default=None,
                        help="dataset folder in the Hub layout (default: the newest embedded world)")
    parser.add_argument("--output", type=Path, default=None,
                        help="folder of the stages' checkpoints (default: outputs/unipose-PRESET)")
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES))
    parser.add_argument("--language-model", default=None,
                        help="local path of the base language model (paper preset: llava-v1.6-mistral-7b)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, nargs="+", default=None, metavar="N",
                        help="override the LM stages' optimiser steps: one N for all three, or three (alignment, "
                             "projector, instruction), e.g. a short run to check a preset or a GPU's time budget")


def run(args) -> int:
    from dataclasses import replace

    from benchmark.errors import InputError
    from models.unipose.presets import get_preset
    from models.baselines.training_data import default_train_dir
    from models.unipose.stages import train_unipose

    train = default_train_dir(args.train)
    preset = get_preset(args.preset)
    if args.steps is not None:
        lm_stages = ("alignment", "projector", "instruction")
        if len(args.steps) not in (1, len(lm_stages)) or min(args.steps) < 1:
            raise InputError(f"--steps takes one positive number or three (alignment, projector, instruction), "
                             f"got {' '.join(map(str, args.steps))}", field="--steps")
        steps = args.steps * len(lm_stages) if len(args.steps) == 1 else args.steps
        preset = replace(preset, **{s: replace(getattr(preset, s), steps=n, epochs=None)
                                   for s, n in zip(lm_stages, steps)})
    output = args.output or Path("outputs") / f"unipose-{args.preset}"
    final = train_unipose(train, preset, output, seed=args.seed, stages=tuple(args.stages),
                          language_model=args.language_model)
    from models.unipose.stages import _processes

    if _processes().is_main_process:  # launched: one line, from the process that wrote the checkpoints
        print(f"checkpoint: {final}")
    return 0
