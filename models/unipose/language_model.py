"""The language model under a UniPose preset: a pretrained one loaded from disk, or a tiny one built from scratch.

UniPose (CVPR'25) puts its pose tokens and projected image features into the token stream of a pretrained causal
LM (LLaVA-1.6-Mistral-7B upstream, `posegpt/models/posegpt_full_mask.py` @14de673). The presets here swap in what
fits a CPU:

* `load_language_model(source)`: a Hugging Face model folder, a `.gguf` file (dequantised by transformers, e.g.
  SmolLM2-135M-Instruct from `make smollm2`), or a LLaVA-family folder, of which only the causal LM part is kept.
* `build_tiny_language_model(texts)`: a small Llama with a byte-level BPE tokenizer trained on the world's captions
  and instructions, for a UniPose that trains in minutes on two cores.

Both return `(model, tokenizer)`: a `PreTrainedModel` with `.generate`, and a fast tokenizer whose chat template
callers use through `tokenizer.apply_chat_template`. Nothing here downloads anything.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import torch

from benchmark import workspace
from benchmark.errors import InputError

# Where `make smollm2` (scripts/fetch_smollm2.sh) puts SmolLM2-135M-Instruct (Q4_1), relative to the suite's home
# ($UNIPOSE_BENCH_HOME, default ~/.cache/unipose-bench). Relative so that a home set after import still applies.
SMOLLM2_GGUF = Path("models") / "smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_FETCH_HINT = "run `make smollm2` (scripts/fetch_smollm2.sh) to fetch SmolLM2-135M-Instruct"

_SOURCE_HINT = ("pass a Hugging Face model folder (config.json, weights, tokenizer), a .gguf file, or a folder "
                f"holding exactly one .gguf; for the SmolLM2 preset {SMOLLM2_FETCH_HINT}")

# LLaVA-family image-text models whose text part is a plain causal LM: `.model.language_model` (the decoder stack)
# plus `.lm_head` on the outer model (transformers 5 layout).
_LLAVA_MODEL_TYPES = ("llava", "llava_next")


def smollm2_path() -> Path:
    """The SmolLM2 GGUF `make smollm2` fetched, or InputError saying how to fetch it."""
    path = workspace.home() / SMOLLM2_GGUF
    if not path.is_file():
        raise InputError("the SmolLM2-135M-Instruct GGUF is not there", file=str(path), hint=SMOLLM2_FETCH_HINT)
    return path


def load_language_model(source: str | Path, *, dtype: torch.dtype = torch.float32):
    """`(model, tokenizer)` from a local model: a Hugging Face folder, a `.gguf` file or a folder with one `.gguf`.

    A GGUF checkpoint is dequantised into its transformers class (llama architecture -> LlamaForCausalLM), so the
    result trains like any other model. From a LLaVA folder (LlavaForConditionalGeneration,
    LlavaNextForConditionalGeneration) the causal LM part is returned and the vision tower and projector dropped.
    The model comes back in eval mode, in `dtype`.
    """
    path = Path(source).expanduser()
    if not path.exists():
        raise InputError("no language model at this path", file=str(path), hint=_SOURCE_HINT)
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise InputError("a language model given as a file must be a .gguf checkpoint", file=str(path),
                             hint=_SOURCE_HINT)
        model, tokenizer = _load_gguf(path, dtype)
    elif (path / "config.json").is_file():
        model, tokenizer = _load_hf_folder(path, dtype)
    else:
        ggufs = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".gguf")
        if not ggufs:
            raise InputError("the folder holds neither a config.json nor a .gguf file", file=str(path),
                             hint=_SOURCE_HINT)
        if len(ggufs) > 1:
            raise InputError(f"the folder holds {len(ggufs)} .gguf files ({', '.join(p.name for p in ggufs)}) and "
                             "it is not clear which to load", file=str(path), hint="pass the .gguf file itself")
        model, tokenizer = _load_gguf(ggufs[0], dtype)
    return model.eval(), tokenizer


def _load_gguf(path: Path, dtype: torch.dtype):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils.import_utils import is_gguf_available

    if not is_gguf_available():
        raise InputError("reading a .gguf checkpoint needs the `gguf` package", file=str(path),
                         hint="pip install -c constraints.txt gguf")
    from transformers import GgufConfig

    kwargs = dict(gguf_file=path.name, local_files_only=True)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path.parent, **kwargs)
        # dequantize=True: plain dense weights that train, even where transformers could keep GGUF blocks packed
        # (it does when the `kernels` package is installed, and such a model is neither trainable nor savable).
        model = AutoModelForCausalLM.from_pretrained(path.parent, dtype=dtype,
                                                     quantization_config=GgufConfig(dequantize=True), **kwargs)
    except (ValueError, KeyError, IndexError, OSError, struct.error) as error:
        # "GGUF model with architecture X is not supported yet", a field transformers needs is missing, or the
        # file is truncated or not a GGUF at all (the reader then fails while unpacking the header)
        raise InputError(f"transformers cannot load this GGUF checkpoint: {error}", file=str(path),
                         hint="use a GGUF of an architecture transformers supports (llama, mistral, qwen2, ...) "
                              "or a Hugging Face model folder") from error
    # The weights are dense now. Dropping the GGUF quantizer makes the model an ordinary one: save_pretrained
    # refuses a model with a GGUF quantizer attached, and PEFT/Trainer treat it as frozen.
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:
        quantizer.remove_quantization_config(model)
    return model, tokenizer


def _load_hf_folder(path: Path, dtype: torch.dtype):
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    config_file = path / "config.json"
    try:
        declared = json.loads(config_file.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"config.json is not readable JSON: {error}", file=str(config_file)) from error
    model_type = declared.get("model_type")
    architectures = ", ".join(declared.get("architectures") or []) or "none stated"
    try:
        config = AutoConfig.from_pretrained(path, local_files_only=True)
    except (ValueError, KeyError) as error:
        hint = ("the original LLaVA repositories use their own layout; use the transformers conversion "
                "(e.g. llava-hf/llava-v1.6-mistral-7b-hf)" if str(model_type).startswith("llava") else _SOURCE_HINT)
        raise InputError(f"transformers does not know model_type {model_type!r} (architectures: "
                         f"{architectures})", file=str(config_file), field="model_type", hint=hint) from error

    if config.model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES and config.model_type not in _LLAVA_MODEL_TYPES:
        raise InputError(f"model_type {config.model_type!r} (architectures: {architectures}) is neither a causal "
                         "language model nor a LLaVA-family model", file=str(config_file), field="model_type",
                         hint=_SOURCE_HINT)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        if config.model_type in _LLAVA_MODEL_TYPES:
            model = _llava_causal_lm(path, dtype)
        else:
            model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, local_files_only=True)
    except (OSError, ValueError) as error:
        raise InputError(f"cannot load the model or tokenizer from this folder: {error}", file=str(path),
                         hint=_SOURCE_HINT) from error
    return model, tokenizer


def _llava_causal_lm(path: Path, dtype: torch.dtype):
    """The text half of a LLaVA-family checkpoint as a `<TextModel>ForCausalLM` sharing its modules.

    In transformers 5 the image-text model keeps the decoder stack at `.model.language_model` and the output head
    at `.lm_head`; the causal-LM class of the text config has the same two parts (`base_model_prefix`, output
    embeddings), so it is built empty on the meta device and given those two modules. Nothing is copied: tied
    embeddings stay tied.
    """
    from transformers import AutoModelForCausalLM, AutoModelForImageTextToText

    full = AutoModelForImageTextToText.from_pretrained(path, dtype=dtype, local_files_only=True)
    with torch.device("meta"):
        causal = AutoModelForCausalLM.from_config(full.config.text_config, dtype=dtype)
    setattr(causal, causal.base_model_prefix, full.model.language_model)
    causal.set_output_embeddings(full.lm_head)
    left_empty = [name for name, t in (*causal.named_parameters(), *causal.named_buffers()) if t.is_meta]
    if left_empty:
        raise InputError(f"the causal LM view of this {full.config.model_type} model misses {left_empty[:3]}",
                         file=str(path), hint="use the model's text-only checkpoint instead")
    return causal


# ---------------------------------------------------------------------------------------------------------------
# The tiny model

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"
# One token per role: a caption can never spell a turn boundary, and the prompt mask is cheap to find.
ROLE_TOKENS = {"system": "<|system|>", "user": "<|user|>", "assistant": "<|assistant|>"}
TINY_SPECIAL_TOKENS = (PAD, UNK, BOS, EOS, *ROLE_TOKENS.values())

# `<s><|user|>text<|assistant|>reply</s>`. The `{% generation %}` block marks what the assistant says, so
# `apply_chat_template(..., return_assistant_tokens_mask=True)` gives the label mask for training.
TINY_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- for message in messages -%}"
    "{%- if message['role'] not in ['system', 'user', 'assistant'] -%}"
    "{{ raise_exception('roles are system, user and assistant, not ' + message['role']) }}"
    "{%- endif -%}"
    "{{ '<|' + message['role'] + '|>' }}"
    "{%- if message['role'] == 'assistant' -%}"
    "{% generation %}{{ message['content'] + eos_token }}{% endgeneration %}"
    "{%- else -%}"
    "{{ message['content'] }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|assistant|>' }}{%- endif -%}"
)


def build_tiny_tokenizer(texts: list[str], *, vocab_size: int = 1024, min_frequency: int = 2):
    """A byte-level BPE tokenizer (GPT-2 style) trained on `texts`, with pad/unk/bos/eos, role tokens and a chat
    template.

    Byte-level: any text encodes and decodes back exactly (case, punctuation, digits), with no unknown tokens. The
    captions' vocabulary is small, so ~1k merges already make most words one token. Training is deterministic:
    the same texts give the same vocabulary and merges.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    texts = [str(t) for t in texts if str(t).strip()]
    if not texts:
        raise InputError("no texts to train the tokenizer on", field="texts",
                         hint="pass the world's captions and instructions")
    if vocab_size < 256 + len(TINY_SPECIAL_TOKENS):
        raise InputError(f"vocab_size {vocab_size} is below the 256 bytes plus {len(TINY_SPECIAL_TOKENS)} special "
                         "tokens a byte-level BPE needs", field="vocab_size")
    backend = Tokenizer(models.BPE(unk_token=UNK))
    # add_prefix_space=False and the GPT-2 split regex: what transformers' GPT2Tokenizer does, so the same
    # vocabulary and merges written to a GGUF ("gpt2" tokenizer model) tokenize the same way when read back.
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                  special_tokens=list(TINY_SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    backend.train_from_iterator(texts, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token=BOS, eos_token=EOS, unk_token=UNK,
                                        pad_token=PAD, additional_special_tokens=list(ROLE_TOKENS.values()))
    tokenizer.chat_template = TINY_CHAT_TEMPLATE
    return tokenizer


def build_tiny_language_model(texts: list[str], *, hidden: int = 192, layers: int = 4, heads: int = 4,
                              intermediate: int | None = None, vocab_size: int = 1024,
                              max_positions: int = 2048, seed: int = 0):
    """`(LlamaForCausalLM, tokenizer)`: a small Llama initialised from `seed` with a tokenizer trained on `texts`.

    The defaults (hidden 192, 4 layers of 4 heads, MLP 512, ~1k vocabulary, tied input/output embeddings, ~2 M
    parameters) keep a UniPose of a few thousand examples trainable in minutes on two CPU cores. The same texts and
    seed give the same vocabulary and the same weights; the global torch RNG is left as it was.
    """
    from transformers import LlamaConfig, LlamaForCausalLM

    if hidden % heads:
        raise InputError(f"hidden size {hidden} is not a multiple of the {heads} heads", field="heads")
    tokenizer = build_tiny_tokenizer(texts, vocab_size=vocab_size)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
        num_key_value_heads=heads, intermediate_size=intermediate or _mlp_width(hidden),
        max_position_embeddings=max_positions, tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
    return model.eval(), tokenizer


def _mlp_width(hidden: int) -> int:
    """Llama's SwiGLU width, 8/3 of the hidden size, rounded up to a multiple of 64."""
    return -(-(8 * hidden // 3) // 64) * 64
