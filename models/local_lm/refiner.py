"""The -R refinement through a local instruction language model: `LocalLMRefiner` (a
datasets_build.real.refine.Refiner), e.g. SmolLM2-135M-Instruct, the language model of UniPose's CPU presets.

    unipose-bench build --source imagescript ... --refiner smollm2              # the GGUF `make smollm2` fetched
    unipose-bench build --source imagescript ... --refiner local_lm:path=DIR    # any HF folder or .gguf

It asks the model what `models.openai_compat.refiner` asks GPT-4-style APIs (the same system and user prompts,
`PROMPT_VERSION`), through the model's own chat template, and decodes greedily (do_sample=False: no temperature, no
sampling, so a text depends only on the weights, the prompt and `max_new_tokens`). The model is loaded with
`models.unipose.language_model.load_language_model` (a GGUF checkpoint is dequantised by transformers), in float32.

The refiner's version names the prompt version, the decoding and a digest of the weight and tokenizer files, so a
different model file never reuses another's texts; it is recorded in every refined row's text_versions and in the
card. Refined texts go to the same SQLite cache as the API refiner's (<suite home>/cache/refined.sqlite), key =
sha256 of the refiner's name and version, the decoding settings and the messages; a text is stored once it was
generated and validated, so a killed build resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from benchmark.errors import InputError
from models.openai_compat.refiner import PROMPT_VERSION, PROMPTS, RefinedTextCache, refine_messages

DEFAULT_MAX_NEW_TOKENS = 160  # a refined description is one paragraph: the API refiner's replies are ~60-120 tokens
# Files whose bytes define the model (weights, tokenizer, configs): what the version's digest covers.
_MODEL_FILE_SUFFIXES = (".gguf", ".safetensors", ".bin", ".json", ".model", ".txt", ".jinja")


def model_digest(path: Path) -> str:
    """sha256 (first 12 hex digits) over the names and bytes of the files that define the model at `path` (a .gguf
    file, or a folder's weight, tokenizer and config files), read in 1 MiB blocks."""
    files = [path] if path.is_file() else sorted(p for p in path.iterdir()
                                                 if p.is_file() and p.suffix.lower() in _MODEL_FILE_SUFFIXES)
    h = hashlib.sha256()
    for file in files:
        h.update(file.name.encode() + b"\0")
        with open(file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:12]


def _plain_prompt(messages: list[dict]) -> str:
    # for a tokenizer without a chat template (a base model): the roles written out, the answer to follow
    return "".join(f"{m['role'].capitalize()}: {m['content']}\n\n" for m in messages) + "Assistant:"


class LocalLMRefiner:
    """Refiner protocol: `name` is the model (its file or folder name), `version` this refiner, its prompt version,
    its decoding and the model files' digest."""

    def __init__(self, path: str | Path, max_new_tokens: int | str = DEFAULT_MAX_NEW_TOKENS,
                 cache_path: str | Path | None = None, name: str | None = None):
        from benchmark.workspace import home

        self.path = Path(path).expanduser()
        if not self.path.exists():
            raise InputError("no language model at this path", file=str(self.path), field="path",
                             hint="pass path= a Hugging Face model folder or a .gguf file (`make smollm2` fetches "
                                  "SmolLM2-135M-Instruct; then --refiner smollm2)")
        try:
            self.max_new_tokens = int(max_new_tokens)
        except ValueError:
            raise InputError(f"max_new_tokens={max_new_tokens!r} is not an integer", field="max_new_tokens") from None
        if self.max_new_tokens < 1:
            raise InputError(f"max_new_tokens={self.max_new_tokens} is not positive", field="max_new_tokens")
        stem = self.path.name[:-len(".gguf")] if self.path.name.lower().endswith(".gguf") else self.path.name
        self.name = name or stem
        self.version = f"local_lm-refine-p{PROMPT_VERSION}-greedy{self.max_new_tokens}-{model_digest(self.path)}"
        self.cache = RefinedTextCache(cache_path or home() / "cache" / "refined.sqlite")
        self.n_cached = self.n_generated = 0

    def __repr__(self) -> str:
        return f"LocalLMRefiner({str(self.path)!r}, version={self.version!r})"

    @cached_property
    def _model(self):
        from models.unipose.language_model import load_language_model

        return load_language_model(self.path)  # (model in eval mode, tokenizer)

    def key(self, texts: Sequence[str], kind: str) -> str:
        blob = json.dumps([self.name, self.version, self.max_new_tokens, refine_messages(texts, kind)],
                          ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def generate(self, messages: list[dict]) -> str:
        """The model's greedy reply to `messages` (special tokens dropped, whitespace stripped)."""
        import torch

        model, tokenizer = self._model
        if getattr(tokenizer, "chat_template", None):
            prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        else:
            prompt = _plain_prompt(messages)
        # the template already wrote the model's begin-of-text token where it wants one
        enc = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        with torch.inference_mode():
            out = model.generate(**enc, do_sample=False, num_beams=1, max_new_tokens=self.max_new_tokens,
                                 pad_token_id=pad, temperature=None, top_p=None, top_k=None)
        return tokenizer.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True).strip()

    def refine(self, texts: Sequence[Sequence[str]], kind: str) -> list[str]:
        if kind not in PROMPTS:
            raise ValueError(f"kind {kind!r}: one of {tuple(PROMPTS)}")
        out = []
        for i, row in enumerate(texts):
            key = self.key(list(row), kind)
            text = self.cache.get(key)
            if text is None:
                text = self.generate(refine_messages(list(row), kind))
                if not text:  # never cached: the build stops here, naming the row
                    raise InputError(f"the language model {self.name} gave an empty {kind} (within "
                                     f"{self.max_new_tokens} new tokens)", row=i, field="texts",
                                     hint="use an instruction-tuned model, or raise max_new_tokens")
                self.cache.put(key, f"{self.name}@{self.version}", text)
                self.n_generated += 1
            else:
                self.n_cached += 1
            out.append(text)
        return out


def smollm2_refiner(path: str | None = None, **options) -> LocalLMRefiner:
    """`--refiner smollm2`: SmolLM2-135M-Instruct from the GGUF `make smollm2` fetched into the suite's home (or
    path=)."""
    from models.unipose.language_model import smollm2_path

    return LocalLMRefiner(path or smollm2_path(), **options)
