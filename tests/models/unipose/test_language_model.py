"""The language models under UniPose's presets: the tiny from-scratch Llama and its tokenizer, and loading pretrained
ones from a Hugging Face folder, a GGUF file (written here in the real format) or a LLaVA folder."""

import itertools
import json

import numpy as np
import pytest
import torch

from benchmark import workspace
from benchmark.errors import InputError
from models.unipose.language_model import (
    BOS, EOS, ROLE_TOKENS, SMOLLM2_GGUF, build_tiny_language_model, build_tiny_tokenizer, load_language_model,
    smollm2_path,
)

# Resolved at import, before any fixture points UNIPOSE_BENCH_HOME at a temporary home.
REAL_SMOLLM2 = workspace.home() / SMOLLM2_GGUF

SIDES, PARTS = ("left", "right"), ("arm", "elbow", "hand", "knee", "foot", "shoulder", "hip")
STATES = ("is bent", "is straight", "is raised above the head", "points forward", "rests on the floor")
CAPTIONS = [f"The {s} {p} {st}, while the {o} {q} {st2}."
            for (s, p, st), (o, q, st2) in zip(itertools.product(SIDES, PARTS, STATES),
                                               itertools.product(SIDES[::-1], PARTS[::-1], STATES[::-1]))]
INSTRUCTIONS = [f"Move the {s} {p} a little {d}." for s, p, d in
                itertools.product(SIDES, PARTS, ("higher", "lower", "forward", "back"))]
TEXTS = CAPTIONS + INSTRUCTIONS + ["Describe the pose.", "How should the pose change?"]
SMALL = dict(hidden=64, layers=2, heads=2, vocab_size=400)


@pytest.fixture(scope="module")
def tiny():
    return build_tiny_language_model(TEXTS, seed=0, **SMALL)


def logits(model, ids):
    with torch.no_grad():
        return model(input_ids=ids).logits


# --------------------------------------------------------------------------------------------------------------
# The tiny model


def test_tiny_model_is_deterministic_and_leaves_the_global_rng_alone(tiny):
    model, tokenizer = tiny
    state = torch.random.get_rng_state()
    again, tokenizer_again = build_tiny_language_model(TEXTS, seed=0, **SMALL)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert tokenizer_again.get_vocab() == tokenizer.get_vocab()
    merges = [json.loads(t.backend_tokenizer.to_str())["model"]["merges"] for t in (tokenizer, tokenizer_again)]
    assert merges[0] == merges[1] and len(merges[0]) > 50
    first, second = model.state_dict(), again.state_dict()
    assert first.keys() == second.keys()
    assert all(torch.equal(first[k], second[k]) for k in first)
    other, _ = build_tiny_language_model(TEXTS, seed=1, **SMALL)
    assert not torch.equal(other.model.embed_tokens.weight, model.model.embed_tokens.weight)


def test_tiny_model_shape_follows_the_arguments(tiny):
    model, tokenizer = tiny
    config = model.config
    assert type(model).__name__ == "LlamaForCausalLM"
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads) == (64, 2, 2)
    assert config.vocab_size == len(tokenizer) <= 400
    assert model.lm_head.weight is model.model.embed_tokens.weight  # tied
    assert (config.pad_token_id, config.bos_token_id, config.eos_token_id) == (
        tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id)
    assert len({tokenizer.pad_token_id, tokenizer.unk_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id}) == 4


def test_tokenizer_round_trips_captions_in_few_tokens(tiny):
    _, tokenizer = tiny
    for caption in CAPTIONS[:10] + ["An unseen caption: 3 FEET apart, naïve élan!"]:
        ids = tokenizer(caption)["input_ids"]
        assert tokenizer.unk_token_id not in ids
        assert tokenizer.decode(ids) == caption
    # trained on these captions, most words are single tokens (a word is ~1 token, punctuation one more)
    caption = CAPTIONS[0]
    assert len(tokenizer(caption)["input_ids"]) <= len(caption.split()) + 3


def test_tokenizer_keeps_role_and_special_tokens_whole(tiny):
    _, tokenizer = tiny
    for token in (BOS, EOS, *ROLE_TOKENS.values()):
        assert len(tokenizer(token, add_special_tokens=False)["input_ids"]) == 1, token
    with pytest.raises(InputError, match="no texts"):
        build_tiny_tokenizer(["  ", ""])


def test_chat_template_puts_user_text_and_generation_prompt(tiny):
    _, tokenizer = tiny
    user = "Describe the pose."
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": user}], tokenize=False,
                                           add_generation_prompt=True)
    assert prompt == f"{BOS}{ROLE_TOKENS['user']}{user}{ROLE_TOKENS['assistant']}"
    without = tokenizer.apply_chat_template([{"role": "user", "content": user}], tokenize=False)
    assert user in without and not without.endswith(ROLE_TOKENS["assistant"])
    # the assistant mask marks exactly the reply and its end token: the labels of a training example
    reply = CAPTIONS[3]
    out = tokenizer.apply_chat_template([{"role": "user", "content": user}, {"role": "assistant", "content": reply}],
                                        return_dict=True, return_assistant_tokens_mask=True)
    ids, mask = np.array(out["input_ids"]), np.array(out["assistant_masks"], dtype=bool)
    prompt_ids = tokenizer.apply_chat_template([{"role": "user", "content": user}], add_generation_prompt=True,
                                               return_dict=True)["input_ids"]
    assert list(ids[: len(prompt_ids)]) == list(prompt_ids) and not mask[: len(prompt_ids)].any()
    assert mask[len(prompt_ids):].all() and ids[-1] == tokenizer.eos_token_id
    assert tokenizer.decode(ids[mask][:-1]) == reply
    with pytest.raises(Exception, match="roles are"):
        tokenizer.apply_chat_template([{"role": "tool", "content": "x"}], tokenize=False)


def test_save_and_load_round_trip(tiny, tmp_path):
    model, tokenizer = tiny
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    loaded, loaded_tokenizer = load_language_model(tmp_path)
    ids = torch.tensor([tokenizer(CAPTIONS[5])["input_ids"]])
    assert torch.equal(logits(loaded, ids), logits(model, ids))
    assert loaded_tokenizer(CAPTIONS[5])["input_ids"] == ids[0].tolist()
    assert loaded_tokenizer.chat_template == tokenizer.chat_template
    assert loaded_tokenizer.special_tokens_map == tokenizer.special_tokens_map
    half, _ = load_language_model(tmp_path, dtype=torch.bfloat16)
    assert half.dtype == torch.bfloat16 and not half.training


# --------------------------------------------------------------------------------------------------------------
# GGUF


def write_gguf(model, tokenizer, path, qtype=None):
    """The tiny Llama and its byte-level BPE as a llama.cpp GGUF file, written the way llama.cpp's
    convert_hf_to_gguf.py writes a Llama: llama.* hyperparameters, tokenizer.ggml.* (model "gpt2", tokens in the
    byte alphabet, token types, merges, special ids, chat template), tensors under GGUF names with attn_q/attn_k
    rows permuted for llama.cpp's RoPE layout, no output.weight when the head is tied. `qtype` quantises the 2-D
    weights (e.g. Q8_0); norms stay F32 as llama.cpp keeps them."""
    import gguf

    config = model.config
    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_name("tiny pose captioner")
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_rope_freq_base(config.rope_parameters["rope_theta"])
    writer.add_rope_dimension_count(config.hidden_size // config.num_attention_heads)
    writer.add_vocab_size(config.vocab_size)

    tokens = [token for token, _ in sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])]
    special = set(tokenizer.all_special_tokens)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    writer.add_token_types([gguf.TokenType.CONTROL if t in special else gguf.TokenType.NORMAL for t in tokens])
    merges = json.loads(tokenizer.backend_tokenizer.to_str())["model"]["merges"]
    writer.add_token_merges([m if isinstance(m, str) else " ".join(m) for m in merges])
    writer.add_bos_token_id(tokenizer.bos_token_id)
    writer.add_eos_token_id(tokenizer.eos_token_id)
    writer.add_unk_token_id(tokenizer.unk_token_id)
    writer.add_pad_token_id(tokenizer.pad_token_id)
    writer.add_chat_template(tokenizer.chat_template)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, config.num_hidden_layers)
    written = {}
    for name, tensor in model.state_dict().items():
        if name == "lm_head.weight" and config.tie_word_embeddings:
            continue
        data = tensor.detach().float().numpy()
        heads = {"q_proj": config.num_attention_heads, "k_proj": config.num_key_value_heads}
        for proj, n_head in heads.items():
            if name.endswith(f"{proj}.weight"):
                data = data.reshape(n_head, 2, data.shape[0] // n_head // 2, data.shape[1]).swapaxes(1, 2)
                data = data.reshape(tensor.shape)
        gguf_name = names.get_name(name, try_suffixes=(".weight",))
        if qtype is not None and data.ndim == 2:
            packed = gguf.quants.quantize(data, qtype)
            writer.add_tensor(gguf_name, packed, raw_dtype=qtype)
            written[name] = gguf.quants.dequantize(packed, qtype)
        else:
            writer.add_tensor(gguf_name, np.ascontiguousarray(data))
            written[name] = data
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return written


def test_gguf_f32_loads_to_the_same_model_and_tokenizer(tiny, tmp_path):
    model, tokenizer = tiny
    path = tmp_path / "tiny.gguf"
    write_gguf(model, tokenizer, path)
    loaded, loaded_tokenizer = load_language_model(path)
    assert type(loaded).__name__ == "LlamaForCausalLM" and not loaded.training
    caption = CAPTIONS[7]
    ids = loaded_tokenizer(caption, return_tensors="pt")["input_ids"]
    assert ids[0].tolist() == tokenizer(caption)["input_ids"]
    assert loaded_tokenizer.decode(ids[0]) == caption
    torch.testing.assert_close(logits(loaded, ids), logits(model, ids), rtol=0, atol=1e-5)
    messages = [{"role": "user", "content": "Describe the pose."}]
    assert (loaded_tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
            == tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False))
    assert loaded_tokenizer.eos_token == EOS and loaded_tokenizer.pad_token_id == tokenizer.pad_token_id

    # a folder holding the one .gguf loads the same; the result saves and reloads as a plain model
    again, _ = load_language_model(tmp_path)
    assert torch.equal(logits(again, ids), logits(loaded, ids))
    loaded.save_pretrained(tmp_path / "saved")
    loaded_tokenizer.save_pretrained(tmp_path / "saved")
    resaved, _ = load_language_model(tmp_path / "saved")
    assert torch.equal(logits(resaved, ids), logits(loaded, ids))
    assert "quantization_config" not in json.loads((tmp_path / "saved" / "config.json").read_text())


def test_gguf_q8_0_is_dequantised_to_what_was_written(tiny, tmp_path):
    import gguf

    model, tokenizer = tiny
    written = write_gguf(model, tokenizer, tmp_path / "tiny-q8.gguf", qtype=gguf.GGMLQuantizationType.Q8_0)
    loaded, _ = load_language_model(tmp_path / "tiny-q8.gguf")
    # the dense weights are gguf's own dequantisation of the blocks (a layer without a RoPE permutation)
    name = "model.layers.1.mlp.down_proj.weight"
    assert torch.equal(loaded.state_dict()[name], torch.from_numpy(written[name]))
    assert not torch.equal(loaded.state_dict()[name], model.state_dict()[name])  # it really was quantised
    assert all(p.dtype == torch.float32 and p.requires_grad for p in loaded.parameters())
    ids = torch.tensor([tokenizer(CAPTIONS[2])["input_ids"]])
    original, dequantised = logits(model, ids), logits(loaded, ids)
    assert (dequantised - original).abs().max() < 0.05 * original.abs().max()
    assert (dequantised.argmax(-1) == original.argmax(-1)).float().mean() > 0.9


# --------------------------------------------------------------------------------------------------------------
# LLaVA folders: the causal LM part


@pytest.mark.parametrize("kind", ["llava", "llava_next"])
def test_llava_folder_gives_its_language_model(tiny, tmp_path, kind):
    from transformers import (CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration,
                              LlavaNextConfig, LlavaNextForConditionalGeneration)

    _, tokenizer = tiny
    text = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                       num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=False)
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                              image_size=28, patch_size=14)
    config_class, model_class = {"llava": (LlavaConfig, LlavaForConditionalGeneration),
                                 "llava_next": (LlavaNextConfig, LlavaNextForConditionalGeneration)}[kind]
    config = config_class(vision_config=vision, text_config=text, image_token_index=len(tokenizer) - 1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        full = model_class(config).eval()
    full.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    causal, loaded_tokenizer = load_language_model(tmp_path)
    assert type(causal).__name__ == "LlamaForCausalLM"
    assert not any("vision" in name or "projector" in name for name, _ in causal.named_parameters())
    ids = torch.tensor([tokenizer(CAPTIONS[1])["input_ids"]])
    torch.testing.assert_close(logits(causal, ids), logits(full, ids), rtol=0, atol=1e-6)
    assert causal.generate(ids, max_new_tokens=2, do_sample=False).shape == (1, ids.shape[1] + 2)
    assert loaded_tokenizer(CAPTIONS[1])["input_ids"] == ids[0].tolist()


# --------------------------------------------------------------------------------------------------------------
# Errors


def test_errors_name_the_path_and_the_fix(tiny, tmp_path, monkeypatch):
    missing = tmp_path / "nowhere"
    with pytest.raises(InputError, match="no language model") as error:
        load_language_model(missing)
    assert str(missing) in str(error.value) and "make smollm2" in str(error.value)

    monkeypatch.setenv("UNIPOSE_BENCH_HOME", str(tmp_path / "home"))
    with pytest.raises(InputError, match="make smollm2") as error:
        smollm2_path()
    assert str(tmp_path / "home" / SMOLLM2_GGUF) in str(error.value)

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="neither a config.json nor a .gguf"):
        load_language_model(empty)

    model, tokenizer = tiny
    two = tmp_path / "two"
    two.mkdir()
    write_gguf(model, tokenizer, two / "a.gguf")
    (two / "b.gguf").write_bytes((two / "a.gguf").read_bytes())
    with pytest.raises(InputError, match=r"2 \.gguf files \(a.gguf, b.gguf\)"):
        load_language_model(two)

    no_weights = tmp_path / "no_weights"
    model.config.save_pretrained(no_weights)
    tokenizer.save_pretrained(no_weights)
    with pytest.raises(InputError, match="cannot load the model or tokenizer") as error:
        load_language_model(no_weights)
    assert str(no_weights) in str(error.value)

    not_gguf = tmp_path / "weights.bin"
    not_gguf.write_bytes(b"\0" * 8)
    with pytest.raises(InputError, match="must be a .gguf"):
        load_language_model(not_gguf)

    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF but not really")
    with pytest.raises(InputError, match="cannot load this GGUF") as error:
        load_language_model(broken)
    assert str(broken) in str(error.value)


@pytest.mark.parametrize("model_type, architecture, message", [
    ("vit", "ViTModel", "neither a causal language model nor a LLaVA"),
    ("llava_mistral", "LlavaMistralForCausalLM", "llava-hf"),  # the original LLaVA layout UniPose upstream uses
])
def test_unsupported_architectures_are_named(tmp_path, model_type, architecture, message):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": model_type, "architectures": [architecture]}))
    with pytest.raises(InputError, match=message) as error:
        load_language_model(tmp_path)
    assert model_type in str(error.value) and str(tmp_path) in str(error.value)


# --------------------------------------------------------------------------------------------------------------
# The real SmolLM2-135M-Instruct


@pytest.mark.slow
@pytest.mark.skipif(not REAL_SMOLLM2.is_file(), reason=f"{REAL_SMOLLM2} is not there (run `make smollm2`)")
def test_real_smollm2_loads_and_answers():
    model, tokenizer = load_language_model(REAL_SMOLLM2)
    assert type(model).__name__ == "LlamaForCausalLM"
    assert sum(p.numel() for p in model.parameters()) == 134_515_008
    messages = [{"role": "user", "content": "Describe a person standing with both arms raised."}]
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=True,
                                           return_tensors="pt")
    assert tokenizer.decode(prompt["input_ids"][0]).endswith("<|im_start|>assistant\n")
    with torch.no_grad():
        out = model.generate(**prompt, max_new_tokens=12, do_sample=False)
    reply = tokenizer.decode(out[0, prompt["input_ids"].shape[1]:], skip_special_tokens=True)
    assert reply.strip()
