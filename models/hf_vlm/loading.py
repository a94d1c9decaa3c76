"""Loading a vision-language model of the transformers library from a local folder.

The folder is what `save_pretrained` writes (or a snapshot of a Hub repo such as llava-hf/llava-1.5-7b-hf,
llava-hf/llava-v1.6-mistral-7b-hf or Qwen/Qwen2-VL-2B-Instruct): config.json, *.safetensors, the tokenizer, the
processor's configuration and chat template. The model class is picked from config.json's `model_type`, never from
code in the folder (no trust_remote_code). Only safetensors weights are read (`use_safetensors=True`): a folder
with pickled *.bin weights only is refused with a hint to convert it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmark.errors import InputError, MissingModelFiles

# config.json model_type -> the transformers class that runs it (names resolved lazily: importing this module does
# not import transformers)
MODEL_CLASSES = {
    "llava": "LlavaForConditionalGeneration",
    "llava_next": "LlavaNextForConditionalGeneration",
    "qwen2_vl": "Qwen2VLForConditionalGeneration",
}


def read_model_type(folder: Path) -> str:
    config = folder / "config.json"
    if not config.is_file():
        raise MissingModelFiles(f"{folder} has no config.json: point path= at a folder written by save_pretrained "
                                f"(or a downloaded snapshot of a Hub model repo)")
    try:
        model_type = json.loads(config.read_text(encoding="utf-8")).get("model_type")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as err:
        raise InputError(f"not a JSON object ({err})", file=str(config)) from None
    if model_type not in MODEL_CLASSES:
        raise InputError(f"model_type {model_type!r} is not one this adapter runs", file=str(config),
                         field="model_type", hint=f"supported: {', '.join(MODEL_CLASSES)}")
    return model_type


def weights_digest(folder: Path) -> str:
    """A content digest of the folder's weights, config and processor files: the adapter's revision (the response
    cache's key), so other weights never reuse cached answers. Streams the files (real checkpoints are tens of GB)."""
    h = hashlib.sha256()
    names = ("*.safetensors", "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
             "preprocessor_config.json", "processor_config.json", "chat_template.json", "chat_template.jinja")
    paths = sorted({p for pattern in names for p in folder.glob(pattern)})
    for path in paths:
        h.update(path.name.encode() + b"\0")
        with open(path, "rb") as f:
            while chunk := f.read(1 << 24):
                h.update(chunk)
    return h.hexdigest()[:12]


def pick_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def pick_dtype(dtype: str, device: str):
    import torch

    if dtype == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    try:
        return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]
    except KeyError:
        raise InputError(f"dtype {dtype!r} is not one of auto, float32, bfloat16, float16",
                         field="dtype") from None


def _image_only_qwen2_vl_processor(folder: Path):
    """Qwen2-VL's processor without its video part. transformers builds Qwen2VLProcessor with a video processor,
    which needs torchvision; the image tasks never pass videos, so when that part cannot be loaded the same class
    is used with image processor + tokenizer only (ProcessorMixin takes its parts from __init__'s signature)."""
    from transformers import Qwen2VLProcessor

    class ImageOnlyQwen2VLProcessor(Qwen2VLProcessor):
        def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
            super().__init__(image_processor, tokenizer, chat_template=chat_template, **kwargs)

    return ImageOnlyQwen2VLProcessor.from_pretrained(folder, local_files_only=True)


def load_processor(folder: Path, model_type: str):
    from transformers import AutoProcessor
    from transformers.processing_utils import ProcessorMixin

    try:
        try:
            processor = AutoProcessor.from_pretrained(folder, local_files_only=True)
        except (OSError, ValueError, ImportError, AttributeError):
            if model_type != "qwen2_vl":
                raise
            processor = _image_only_qwen2_vl_processor(folder)
    except (OSError, ValueError, ImportError, AttributeError, TypeError) as err:
        raise MissingModelFiles(f"the processor in {folder} does not load ({type(err).__name__}: "
                                f"{str(err).splitlines()[0][:300]}): copy the tokenizer and processor files of the "
                                f"model's repo next to its weights") from None
    if not isinstance(processor, ProcessorMixin) or getattr(processor, "image_processor", None) is None:
        raise MissingModelFiles(f"{folder} has no image processor (preprocessor_config.json or processor_config.json)"
                                f": copy the processor files of the model's repo next to its weights")
    if processor.chat_template is None and getattr(processor.tokenizer, "chat_template", None) is None:
        raise MissingModelFiles(f"{folder} has no chat template (chat_template.jinja / chat_template.json or in "
                                f"tokenizer_config.json): copy it from the model's repo")
    tokenizer = processor.tokenizer
    tokenizer.padding_side = "left"  # batched generation continues every row from its last prompt token
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return processor


@dataclass
class LoadedVLM:
    model: Any
    processor: Any
    model_type: str
    device: str
    digest: str


def load_vlm(path: str | Path, device: str = "auto", dtype: str = "auto", digest: bool = True) -> LoadedVLM:
    """The model (its real transformers class, in eval mode) and processor from `path`."""
    import transformers

    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise MissingModelFiles(f"model folder {folder} does not exist (path=DIR: a folder written by "
                                f"save_pretrained, or a downloaded snapshot of a Hub model repo)")
    model_type = read_model_type(folder)
    if not any(folder.glob("*.safetensors")):
        raise MissingModelFiles(f"{folder} has no *.safetensors weights; pickled *.bin weights are not loaded: "
                                f"convert them once with safetensors (e.g. the Hub's convert space or "
                                f"save_pretrained(..., safe_serialization=True))")
    device = pick_device(device)
    cls = getattr(transformers, MODEL_CLASSES[model_type])
    torch_dtype = pick_dtype(dtype, device)
    try:
        model = cls.from_pretrained(folder, dtype=torch_dtype, use_safetensors=True,
                                    local_files_only=True).to(device).eval()
    except Exception as err:  # corrupt (SafetensorError) or mismatched weights, a bad config value: say which folder
        raise InputError(f"{cls.__name__} does not load from it ({type(err).__name__}: "
                         f"{str(err).splitlines()[0][:300]})", file=str(folder),
                         hint="check that config.json and the *.safetensors files come from the same model") from None
    processor = load_processor(folder, model_type)
    return LoadedVLM(model, processor, model_type, device, weights_digest(folder) if digest else "")
