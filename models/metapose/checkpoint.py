"""MetaPose checkpoints of this suite, and the cache of trained presets.

A checkpoint is a folder: `config.json` (preset, architecture, text variant and its prompts' source, training
report) and `model.safetensors` (the frozen backbone, the lifting network and the constant text table). Trained
presets are cached under the suite's home, `models/metapose/<preset>-<key>`, where the key hashes the code that
decides the weights, the train split's files, the preset and the seed: a change of any retrains.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import torch

from benchmark import workspace
from benchmark.body.joints import JOINT_SETS
from benchmark.atomic_files import atomic_folder
from benchmark.errors import InputError
from models.metapose.presets import Architecture

WEIGHTS, CONFIG = "model.safetensors", "config.json"
_CODE = ("backbone.py", "network.py", "model.py", "training.py", "text.py", "presets.py")


def save_checkpoint(folder: Path, model, preset: str, text_variant: str, text_encoder: str, report: dict) -> Path:
    """Write the folder atomically (benchmark.atomic_files.atomic_folder)."""
    from safetensors.torch import save_model

    folder = Path(folder)
    with atomic_folder(folder) as tmp:
        save_model(model, str(tmp / WEIGHTS))
        config = {"model": "metapose", "preset": preset, "arch": model.arch.to_dict(),
                  "text_variant": text_variant, "text_encoder": text_encoder, "text_rows": int(model.text.shape[0]),
                  "text_dim": int(model.text.shape[2]), "report": report}
        (tmp / CONFIG).write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    return folder


def load_checkpoint(folder: str | Path):
    """(model in eval mode, config) of a folder `save_checkpoint` wrote."""
    from safetensors.torch import load_model

    from models.metapose.model import MetaPose

    folder = Path(folder)
    if not (folder / CONFIG).is_file() or not (folder / WEIGHTS).is_file():
        raise InputError(f"not a MetaPose checkpoint folder (it needs {CONFIG} and {WEIGHTS})", file=str(folder),
                         field="checkpoint", hint="pass a folder this suite wrote (preset=tiny trains one)")
    try:
        config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
        arch = Architecture.from_dict(config["arch"])
        n_joints = len(JOINT_SETS[arch.joint_set])
        text = torch.zeros(int(config["text_rows"]), n_joints, int(config["text_dim"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"damaged MetaPose config ({type(exc).__name__}: {exc})", file=str(folder / CONFIG),
                         field="arch", hint="train the preset again, or pass another checkpoint") from None
    model = MetaPose(arch, text)
    try:
        load_model(model, str(folder / WEIGHTS))
    except (RuntimeError, OSError) as exc:
        raise InputError(f"the weights do not fit the config ({str(exc).splitlines()[0]})",
                         file=str(folder / WEIGHTS), field="weights",
                         hint="the config and the weights must come from the same training run") from None
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval(), config


def training_key(data, preset, seed: int, text_variant: str, text_encoder: str) -> str:
    """Code + data + recipe + seed (+ text source): a change of any retrains."""
    from models.baselines.training_data import training_key as key

    here = Path(__file__).resolve().parent
    return key((here / c for c in _CODE), data.files(["pose_estimation"]), preset.to_dict(), seed, text_variant,
               text_encoder)


def trained_checkpoint(train: str | Path, preset_name: str, seed: int, clip: str | None = None,
                       log=print) -> Path:
    """The folder of the preset trained on `train` (trained once, then cached in the suite's home)."""
    from benchmark.processes import Processes
    from models.baselines.training_data import TrainingData
    from models.metapose.presets import get_preset
    from models.metapose.text import text_table
    from models.metapose.training import train_metapose

    preset = get_preset(preset_name)
    if preset.recipe.epochs == 0:
        raise InputError(f"the {preset_name} preset is not trained by this suite", field="preset",
                         hint="use preset=tiny, or checkpoint=DIR")
    data = TrainingData(train)
    encoder = "minilm" if clip is None else f"clip:{clip}"
    key = training_key(data, preset, seed, "agnostic", encoder)
    output = workspace.home() / "models" / "metapose" / f"{preset_name}-{key}"
    # under a launcher (every process of a launched evaluation builds the adapter) the main process alone trains
    # and writes; the others wait for its folder (the training is not shared between processes)
    processes = Processes()
    done = (output / CONFIG).is_file()
    processes.wait()
    if done:
        return output
    if not processes.is_main:
        processes.wait()
        return output
    if log:
        log(f"[metapose] training the {preset_name} preset on {data.root} (cached in {output})")
    # only the action-agnostic row: the requests of the harness carry no action label (models/metapose/text.py)
    text = text_table(JOINT_SETS[preset.arch.joint_set].names, (), clip)
    if text.shape[-1] != preset.arch.text_dim:  # CLIP ViT-B/32: 512, ViT-L/14: 768
        preset = replace(preset, arch=replace(preset.arch, text_dim=int(text.shape[-1])))
    model, report = train_metapose(data, preset, seed=seed, text=text, log=log)
    if log:
        log(f"[metapose] trained in {report['seconds']} s (backbone {report['seconds_backbone']} s), train MPJPE "
            f"{report['mpjpe_mm_first']:.0f} -> {report['mpjpe_mm_last']:.0f} mm")
    folder = save_checkpoint(output, model, preset_name, "agnostic", encoder, {**report, "train": str(data.root)})
    processes.wait()
    return folder
