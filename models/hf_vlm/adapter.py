"""The `hf_vlm` adapter: a LLaVA, LLaVA-NeXT or Qwen2-VL model of the transformers library on the image text tasks.

    unipose-bench evaluate --model hf_vlm:path=/models/llava-1.5-7b-hf,max_new_tokens=128 --tasks image_to_text/...

image_to_text gets one image, image_diff two (A then B). Each request is one user turn built from the task's own
instruction, its image placeholders replaced by the images (models.hf_vlm.prompts), rendered with the processor's
chat template and a generation prompt. Decoding is greedy (do_sample=False, one beam) whatever the model's
generation_config says, so the answers are deterministic; max_new_tokens bounds them. The revision is a digest of
the weights, configuration and processor files plus the decoding settings, so changed weights or settings never
reuse cached answers. The pose tasks need pose inputs or outputs these models do not have: `meta.tasks` refuses
them before anything is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from benchmark.adapters import AdapterMeta, ModelAdapter, UnsupportedRequest
from benchmark.errors import InputError
from benchmark.requests import TextResponse
from models.hf_vlm.loading import LoadedVLM, load_vlm
from models.hf_vlm.prompts import IMAGE_KEYS, chat_messages

PROMPT_FORMAT = "1"  # bump when the prompt layout changes: it is part of the revision (the cache key)


def positive_int(value, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}", field=name)
    return number


def encode(loaded: LoadedVLM, requests: Sequence):
    """One padded batch of processor inputs (on the model's device) for `requests`."""
    processor = loaded.processor
    texts, images = [], []
    for r in requests:
        messages, row_images = chat_messages(r.instruction, r.inputs)
        texts.append(processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False))
        images += row_images
    inputs = processor(text=texts, images=images or None, return_tensors="pt", padding=True)
    return inputs.to(loaded.device)


def in_batches(requests: Sequence, batch_size: int, answer: Callable[[Sequence], list]) -> list:
    """`answer` over batches of requests of similar prompt length (less padding); results in the requests' order."""
    order = sorted(range(len(requests)), key=lambda i: (sum(k in requests[i].inputs for k in IMAGE_KEYS),
                                                        len(requests[i].instruction)))
    out: list = [None] * len(requests)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        for i, value in zip(idx, answer([requests[i] for i in idx])):
            out[i] = value
    return out


def greedy_settings(loaded: LoadedVLM, max_new_tokens: int) -> dict:
    tokenizer = loaded.processor.tokenizer
    return {"do_sample": False, "num_beams": 1, "max_new_tokens": max_new_tokens,
            "pad_token_id": tokenizer.pad_token_id}


class HFVLMAdapter(ModelAdapter):
    SUMMARY = "a LLaVA / LLaVA-NeXT / Qwen2-VL model of transformers from a local folder, on the image text tasks"
    TASKS = ("image_to_text", "image_diff")
    ARGUMENTS = ("path", "max_new_tokens", "batch_size", "device", "dtype", "revision", "name")

    def __init__(self, path: str = "", max_new_tokens: int | str = 128, batch_size: int | str = 4,
                 device: str = "auto", dtype: str = "auto", revision: str = "", name: str = "hf_vlm"):
        if not path:
            raise InputError("hf_vlm needs path=DIR, a folder with the model's config.json, *.safetensors weights "
                             "and processor files", field="hf_vlm arguments")
        self.max_new_tokens = positive_int(max_new_tokens, "max_new_tokens")
        self.batch_size = positive_int(batch_size, "batch_size")
        self.loaded = load_vlm(path, device=device, dtype=dtype, digest=not revision)
        model = self.loaded.model
        dtype_name = str(model.dtype).removeprefix("torch.")
        self.meta = AdapterMeta(
            name=name, tasks=self.TASKS,
            revision=revision or f"{self.loaded.digest}-{dtype_name}-n{self.max_new_tokens}-p{PROMPT_FORMAT}",
            description=f"{type(model).__name__} from {path} (greedy, at most {self.max_new_tokens} new tokens)",
            n_parameters=sum(p.numel() for p in model.parameters()),
            args={"path": str(path), "model_type": self.loaded.model_type, "max_new_tokens": self.max_new_tokens,
                  "dtype": dtype_name, "decoding": "greedy"})

    def _answer(self, requests) -> list[TextResponse]:
        import torch

        inputs = encode(self.loaded, requests)
        with torch.inference_mode():
            out = self.loaded.model.generate(**inputs, **greedy_settings(self.loaded, self.max_new_tokens))
        new = out[:, inputs["input_ids"].shape[1]:]
        texts = self.loaded.processor.batch_decode(new, skip_special_tokens=True)
        return [TextResponse(t.strip()) for t in texts]

    def describe(self, requests):
        for r in requests:
            if not any(k in r.inputs for k in IMAGE_KEYS) or set(r.inputs) - set(IMAGE_KEYS):
                raise UnsupportedRequest(f"hf_vlm answers image requests only, not {sorted(r.inputs)} ({r.task})")
        return in_batches(requests, self.batch_size, self._answer)
