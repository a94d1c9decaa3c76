"""Saving and loading the PoseScript / PoseFix models: this suite's checkpoint folders and upstream's released files.

This suite's folder: `config.json` (task, preset, architecture, vocabulary, training report) and
`model.safetensors`.

Upstream's release (naver/posescript, pretrained_models.md; written by its trainer.py) is one `.pth` file per model:
`{'model': state_dict, 'args': argparse.Namespace}` (plus optimizer state in training checkpoints, ignored). It is
read with `torch.load(weights_only=True)`, with `argparse.Namespace` allowed as a safe global, so nothing in the
file can run code. The Namespace names the class (`args.model`) and its sizes (latentD, num_body_joints,
text_encoder_name, special_text_latentD, decoder_latentD, decoder_nhead, decoder_nlayers, ...); the modules here
carry upstream's names, so the keys map one to one except the positional tables (`*.pe`, recomputed here) and the
reconstruction scale of the vertices, kept as is. The vocabulary is not in the file: upstream pickles it apart
(vocab.py); pass its words, one per line in id order (its `idx2word`), as a text file.
"""

from __future__ import annotations

import argparse
import importlib
import json
from dataclasses import replace
from pathlib import Path

import torch

from benchmark.atomic_files import atomic_folder
from benchmark.errors import InputError
from models.posescript.presets import PRESETS, Architecture
from models.posescript.vocab import Vocabulary

# task -> (module, class, upstream's args.model)
MODELS = {
    "text_to_pose": ("models.posescript.models", "CondTextPoser"),
    "pose_to_text": ("models.posescript.models", "DescriptionGenerator"),
    "pose_edit": ("models.posefix.models", "PoseBGenerator"),
    "pose_diff": ("models.posefix.models", "FeedbackGenerator"),
}
TASK_OF_UPSTREAM_MODEL = {cls: task for task, (_, cls) in MODELS.items()}
WEIGHTS, CONFIG = "model.safetensors", "config.json"


def model_class(task: str):
    module, name = MODELS[task]
    return getattr(importlib.import_module(module), name)


def save_model(folder: Path, task: str, model, vocab: Vocabulary, preset: str, report: dict) -> Path:
    """Write the folder atomically (benchmark.atomic_files.atomic_folder)."""
    from safetensors.torch import save_model as save_tensors

    folder = Path(folder)
    with atomic_folder(folder) as tmp:
        save_tensors(model, str(tmp / WEIGHTS))
        config = {"task": task, "class": MODELS[task][1], "preset": preset, "arch": model.arch.to_dict(),
                  "vocabulary": vocab.words, "report": report}
        (tmp / CONFIG).write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    return folder


def load_model(folder: Path):
    """(model in eval mode, vocabulary, config) of this suite's checkpoint folder."""
    from safetensors.torch import load_model as load_tensors

    folder = Path(folder)
    if not (folder / CONFIG).is_file() or not (folder / WEIGHTS).is_file():
        raise InputError(f"not a PoseScript/PoseFix checkpoint folder (it needs {CONFIG} and {WEIGHTS})",
                         file=str(folder), hint="pass a folder this suite wrote, or an upstream .pth as released=")
    config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
    vocab = Vocabulary(config["vocabulary"])
    model = model_class(config["task"])(Architecture(**config["arch"]), len(vocab))
    load_tensors(model, str(folder / WEIGHTS))
    return model.eval(), vocab, config


# ---- upstream's released checkpoints ----
def read_released(path: str | Path) -> tuple[dict[str, torch.Tensor], argparse.Namespace]:
    path = Path(path)
    if not path.is_file():
        raise InputError("no such checkpoint file", file=str(path),
                         hint="pass the path of a released .pth (e.g. seed1/checkpoint_best.pth)")
    try:
        # allowed for this file only: a process-wide allowlist would let other loaders accept pickled Namespaces
        with torch.serialization.safe_globals([argparse.Namespace]):
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # an unpickling refusal or a corrupt file: say which file and why, once
        raise InputError(f"cannot be read as a weights-only torch checkpoint: {str(e).splitlines()[0]}",
                         file=str(path), hint="upstream's files hold {'model': state_dict, 'args': Namespace}") from None
    if not isinstance(ckpt, dict) or "model" not in ckpt or "args" not in ckpt:
        raise InputError("expected a dict with 'model' (state dict) and 'args' (argparse.Namespace)", file=str(path),
                         hint="this is the layout of upstream's trainer.py checkpoints")
    args = ckpt["args"]
    if isinstance(args, dict):
        args = argparse.Namespace(**args)
    return ckpt["model"], args


def released_architecture(args: argparse.Namespace, state: dict[str, torch.Tensor]) -> tuple[str, Architecture,
                                                                                            int]:
    """(task, architecture, vocabulary size) of a released checkpoint."""
    model = getattr(args, "model", None)
    if model not in TASK_OF_UPSTREAM_MODEL:
        raise InputError(f"args.model is {model!r}; this loader reads {', '.join(TASK_OF_UPSTREAM_MODEL)}",
                         field="args.model", hint="retrieval models (PoseText, PairText) are evaluators, not baselines")
    task = TASK_OF_UPSTREAM_MODEL[model]
    arch = PRESETS["paper"].arch
    latent = getattr(args, "latentD", None) or arch.latent_d
    changes: dict = {"n_joints": getattr(args, "num_body_joints", None) or 52}
    if task in ("text_to_pose", "pose_edit"):
        name = getattr(args, "text_encoder_name", "distilbertUncased")
        kind = name.split("_")[0]
        encoders = {"distilbertUncased": "distilbert", "glovebigru": "bigru", "glovetransf": "transformer"}
        if kind not in encoders:
            raise InputError(f"text encoder {name!r} is not supported", field="args.text_encoder_name",
                             hint=f"supported: {', '.join(encoders)}")
        topping = getattr(args, "transformer_topping", None)
        if kind != "glovebigru" and topping not in (None, "avgp"):
            raise InputError(f"transformer topping {topping!r} is not supported (only 'avgp')",
                             field="args.transformer_topping")
        changes.update(latent_d=latent, text_encoder=encoders[kind])
        if kind.startswith("glove"):
            changes["word_dim"] = int(state["text_encoder.embed.weight"].shape[1])
        if task == "pose_edit":
            changes["text_latent_d"] = getattr(args, "special_text_latentD", None) or latent
        vocab_key = "text_encoder.embed.weight"
    else:
        changes.update(encoder_latent_d=latent, decoder_d=getattr(args, "decoder_latentD", 768),
                       decoder_heads=getattr(args, "decoder_nhead", 4), decoder_layers=getattr(args, "decoder_nlayers", 4))
        vocab_key = "text_decoder.embedding.weight"
    num_neurons = state.get("pose_encoder.encoder.2.weight")
    if num_neurons is not None:
        changes["num_neurons"] = int(num_neurons.shape[0])
    # depths and feed-forward widths are constructor defaults upstream (not in args): read them off the weights
    for prefix, layers, ff in (("text_encoder.transformer_encoder.layers.", "text_layers", "text_ff"),
                               ("text_decoder.transformer_decoder.layers.", "decoder_layers", "decoder_ff")):
        found = {int(k[len(prefix):].split(".")[0]) for k in state if k.startswith(prefix)}
        if found:
            changes[layers] = max(found) + 1
            changes[ff] = int(state[f"{prefix}0.linear1.weight"].shape[0])
    vocab_size = int(state[vocab_key].shape[0]) if vocab_key in state else 0
    return task, replace(arch, **changes), vocab_size


def load_released(path: str | Path, vocabulary: str | Path | None = None, bert_config: dict | None = None):
    """(model in eval mode, vocabulary or None, info) from an upstream checkpoint file. `vocabulary`: the word list
    (needed by the text decoders and the GloVe text encoders). `bert_config`: DistilBERT's config when not the
    distilbert-base-uncased default (tests)."""
    state, args = read_released(path)
    task, arch, vocab_size = released_architecture(args, state)
    vocab = None
    if vocabulary is not None:
        vocab = read_word_list(vocabulary)
        if vocab_size and len(vocab) != vocab_size:
            raise InputError(f"the vocabulary has {len(vocab)} words, the checkpoint {vocab_size}", file=str(vocabulary),
                             hint="pass the vocabulary the model was trained with")
    elif task in ("pose_to_text", "pose_diff") or arch.text_encoder != "distilbert":
        raise InputError(f"a released {MODELS[task][1]} needs its vocabulary", field="vocabulary",
                         hint="export upstream's vocab idx2word as a text file, one word per line")
    if arch.text_encoder == "distilbert" and bert_config is not None:
        arch = replace(arch, bert_config=dict(bert_config))
    model = model_class(task)(arch, vocab_size or 1)
    mapped = {k: v for k, v in state.items() if not k.endswith(".pe")}
    result = model.load_state_dict(mapped, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith(".pe")]
    if missing or result.unexpected_keys:
        raise InputError(f"the state dict does not fit {MODELS[task][1]}: missing {missing[:5]}, unexpected "
                         f"{result.unexpected_keys[:5]}", file=str(path),
                         hint="is it a checkpoint of naver/posescript's main branch?")
    info = {"task": task, "class": MODELS[task][1], "preset": "released", "arch": arch.to_dict(),
            "args": {k: v for k, v in vars(args).items() if isinstance(v, (str, int, float, bool, type(None)))}}
    return model.eval(), vocab, info


def read_word_list(path: str | Path) -> Vocabulary:
    path = Path(path)
    if not path.is_file():
        raise InputError("no such vocabulary file", file=str(path))
    words = path.read_text(encoding="utf-8").splitlines()
    try:
        return Vocabulary(words)
    except ValueError as e:
        raise InputError(str(e), file=str(path), hint="one word per line, in id order, starting with "
                         "<pad>, <start>, <end>, <unk>") from None
