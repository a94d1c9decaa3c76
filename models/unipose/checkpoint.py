"""UniPose checkpoints on disk, in the layout of the release (HF `L-yiheng/UniPose` + `cache/pose_vqvae`), so one
loader reads ours and theirs:

    CKPT/
      unipose.json                    what the folder holds (preset, attention, codebook, language model source)
      tokenizer files                 the language model's tokenizer with the pose tokens (PoseVocabulary)
      adapter_config.json             the LoRA adapter (peft)
      adapter_model.safetensors       (the release's may be adapter_model.bin)
      non_lora_trainables.safetensors embeddings, output head, projector under LLaVA's names (the release has
                                      non_lora_trainables.bin: read with weights_only=True)
      pose_vqvae/                     the pose tokenizer (models.unipose.vqvae); or best_MPJPE.ckpt (the release's)
      vision/                         the visual processor's towers (models.unipose.vision)
      base_model/                     the language model itself when it was built here (tiny preset)

A released checkpoint has no unipose.json: `load_unipose(folder, language_model=..., vqvae=...)` names the base
model and the tokenizer checkpoint instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from benchmark.errors import InputError, MissingModelFiles

CONFIG_FILE = "unipose.json"
NON_LORA = "non_lora_trainables"
# LLaVA's names of the trainables outside LoRA (llava/train/train.py saves them under the peft model's prefix)
_PREFIX = "base_model.model."
_PROJECTOR = "model.mm_projector."


def non_lora_state(model) -> dict[str, torch.Tensor]:
    """Embeddings, output head and projector under LLaVA's names (shared tensors once)."""
    lm = _base_lm(model.lm)
    out = {_PREFIX + "model.embed_tokens.weight": lm.get_input_embeddings().weight}
    head = lm.get_output_embeddings().weight
    if head.data_ptr() != lm.get_input_embeddings().weight.data_ptr():
        out[_PREFIX + "lm_head.weight"] = head
    if model.visual is not None:
        for k, v in model.visual.projector.state_dict().items():
            out[_PREFIX + _PROJECTOR + k] = v
    return {k: v.detach().contiguous().cpu() for k, v in out.items()}


def _base_lm(lm):
    return lm.get_base_model() if hasattr(lm, "get_base_model") else lm


def read_non_lora(folder: Path) -> dict[str, torch.Tensor]:
    """Our safetensors file or the release's .bin, keys normalised as LLaVA's loader does (prefix stripped)."""
    st, bin_ = folder / f"{NON_LORA}.safetensors", folder / f"{NON_LORA}.bin"
    if st.is_file():
        from safetensors.torch import load_file

        state = load_file(st)
    elif bin_.is_file():
        try:
            state = torch.load(bin_, map_location="cpu", weights_only=True)
        except Exception as e:  # a pickle with code, or a damaged file
            first_line = str(e).strip().splitlines()[0] if str(e).strip() else ""
            raise InputError(f"cannot read it safely ({type(e).__name__}: {first_line})", file=str(bin_),
                             hint="it must be a plain state dict of tensors (torch.load weights_only=True)") from None
    else:
        raise MissingModelFiles(f"{folder} has neither {NON_LORA}.safetensors nor {NON_LORA}.bin (the embeddings, "
                                "output head and projector of a UniPose checkpoint)")
    return {(k[len(_PREFIX):] if k.startswith(_PREFIX) else k): v for k, v in state.items()}


def apply_non_lora(model, state: dict[str, torch.Tensor], source: str) -> None:
    lm = _base_lm(model.lm)
    known = {"model.embed_tokens.weight": lm.get_input_embeddings().weight,
             "lm_head.weight": lm.get_output_embeddings().weight}
    if model.visual is not None:
        known.update({_PROJECTOR + k: v for k, v in model.visual.projector.state_dict(keep_vars=True).items()})
    unexpected = sorted(set(state) - set(known))
    if unexpected:
        raise InputError(f"unexpected tensors {unexpected[:5]}", file=source,
                         hint="a UniPose non-LoRA file holds the embeddings, output head and projector only")
    if "model.embed_tokens.weight" not in state:
        raise InputError("no model.embed_tokens.weight", file=source, hint="the file is not a UniPose checkpoint")
    with torch.no_grad():
        for k, v in state.items():
            if known[k].shape != v.shape:
                raise InputError(f"{k} has shape {list(v.shape)}, the model {list(known[k].shape)}", file=source,
                                 hint="the checkpoint was trained with another base model or vocabulary")
            known[k].copy_(v.to(known[k].dtype))


def save_unipose(model, folder: Path, info: dict) -> Path:
    """Write `model` (a UniPose whose lm is a peft model) to `folder`, atomically (a temporary sibling renamed)."""
    import shutil

    from safetensors.torch import save_file

    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    # peft: adapter_config.json + adapter_model.safetensors, with the resized embedding layers (peft's own choice
    # when embeddings were resized; said here so that it does not warn)
    model.lm.save_pretrained(tmp, save_embedding_layers=True)
    save_file(non_lora_state(model), tmp / f"{NON_LORA}.safetensors")
    model.tokenizer.save_pretrained(tmp)
    model.vqvae.save(tmp / "pose_vqvae")
    if model.visual is not None:
        model.visual.save(tmp / "vision")
    (tmp / CONFIG_FILE).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    return folder


def read_info(folder: Path) -> dict:
    path = Path(folder) / CONFIG_FILE
    if not path.is_file():
        raise MissingModelFiles(f"{folder} is not a UniPose checkpoint of this suite (no {CONFIG_FILE}); for the "
                                "released weights pass language_model=... and vqvae=... (see models/unipose/README.md)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON ({e})", file=str(path)) from None


def load_unipose(folder: str | Path, *, language_model: str | Path | None = None, vqvae: str | Path | None = None,
                 merge: bool = True):
    """A UniPose from a checkpoint folder, ready for inference (LoRA merged unless `merge=False`).

    Our checkpoints name everything in unipose.json. A released checkpoint (adapter, non_lora_trainables.bin,
    tokenizer) needs `language_model` (the base model folder) and `vqvae` (best_MPJPE.ckpt or our tokenizer folder).
    """
    from peft import PeftModel
    from transformers import AutoTokenizer

    from models.unipose.language_model import load_language_model
    from models.unipose.model import UniPose
    from models.unipose.vocab import PoseVocabulary
    from models.unipose.vqvae import PoseVQVAE, load_upstream_checkpoint

    folder = Path(folder)
    if not folder.is_dir():
        raise MissingModelFiles(f"no UniPose checkpoint folder at {folder}")
    released = not (folder / CONFIG_FILE).is_file()
    info = {} if released else read_info(folder)
    if not (folder / "adapter_config.json").is_file():
        raise MissingModelFiles(f"{folder} has no adapter_config.json (the LoRA adapter of a UniPose checkpoint)")
    base_source = language_model or (folder / "base_model" if info.get("language_model") == "base_model"
                                     else info.get("language_model"))
    if base_source is None:
        raise InputError("which base language model?", file=str(folder),
                         hint="pass language_model=PATH (the released UniPose needs llava-v1.6-mistral-7b)")
    lm, _ = load_language_model(base_source)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.unk_token  # upstream pads with unk
    vq_source = Path(vqvae) if vqvae is not None else folder / "pose_vqvae"
    if vq_source.is_file():
        tok_model = load_upstream_checkpoint(vq_source)
    elif vq_source.is_dir():
        tok_model = PoseVQVAE.load(vq_source)
    else:
        raise MissingModelFiles(f"no pose tokenizer at {vq_source} (a pose_vqvae/ folder, or upstream's "
                                "best_MPJPE.ckpt passed as vqvae=...)")
    tok_model.eval().requires_grad_(False)
    codebook = tok_model.config.codebook_size
    vocab = PoseVocabulary.of(tokenizer, codebook, info.get("n_queries", 80), where=str(folder))
    lm.resize_token_embeddings(len(tokenizer), mean_resizing=False)  # the rows are then read from the checkpoint
    visual = None
    if (folder / "vision").is_dir():
        from models.unipose.vision import VisualProcessor

        visual = VisualProcessor.load(folder / "vision").eval().requires_grad_(False)
    lm = PeftModel.from_pretrained(lm, folder, is_trainable=False)
    model = UniPose(lm, tokenizer, tok_model, vocab, visual, mixed=info.get("attention", "mixed") == "mixed",
                    max_answer_tokens=info.get("max_answer_tokens"))
    apply_non_lora(model, read_non_lora(folder), source=str(folder))
    if merge:
        model.lm = model.lm.merge_and_unload()
    model.info = info
    return model.eval()
