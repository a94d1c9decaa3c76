"""The -R refinement through a local instruction language model (`--refiner local_lm:path=...` / `--refiner smollm2`):
a tiny random Llama saved to a folder stands in for SmolLM2 (seconds); one slow test runs the real GGUF when
`make smollm2` has fetched it."""

from __future__ import annotations

import pytest
import torch

from benchmark import workspace
from benchmark.errors import InputError
from datasets_build.real.refine import named_refiner, refiner_version
from models.local_lm.refiner import LocalLMRefiner

USER_HOME = workspace.home()  # read at import, before the fixture below points the suite at a temporary home
ROWS = [["the left arm is raised above the head", "the left hand is high", "left arm up"],
        ["the knees are bent", "both legs are bent at the knee", "knees flexed"]]


@pytest.fixture(autouse=True)
def home(monkeypatch, tmp_path):
    monkeypatch.setenv("UNIPOSE_BENCH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _save_tiny(folder, seed: int):
    """A random 2-layer Llama with the tiny chat tokenizer. Untied embeddings: with tied ones a random model
    repeats its last input token, here a role token of the chat template, which decodes to nothing."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from models.unipose.language_model import build_tiny_tokenizer

    texts = [t for row in ROWS for t in row] * 4 + ["Rewrite these descriptions of a human body pose."] * 4
    tokenizer = build_tiny_tokenizer(texts, vocab_size=300)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                         num_key_value_heads=2, intermediate_size=128, max_position_embeddings=1024,
                         tie_word_embeddings=False, pad_token_id=tokenizer.pad_token_id,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return model, tokenizer


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny_lm")
    model, tokenizer = _save_tiny(folder, seed=0)
    return folder, model, tokenizer


def _greedy_by_hand(model, tokenizer, messages, n: int) -> str:
    """Argmax decoding written out: the next token is always the most likely one under the full-prefix logits."""
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
    new = []
    with torch.inference_mode():
        for _ in range(n):
            nxt = int(model(input_ids=ids).logits[0, -1].argmax())
            if nxt == tokenizer.eos_token_id:
                break
            new.append(nxt)
            ids = torch.cat([ids, torch.tensor([[nxt]])], dim=1)
    return tokenizer.decode(new, skip_special_tokens=True).strip()


def test_local_refiner_decodes_greedily_with_the_paper_prompt_and_caches(tiny_lm, home):
    from models.openai_compat.refiner import refine_messages

    folder, model, tokenizer = tiny_lm
    refiner = named_refiner(f"local_lm:path={folder},max_new_tokens=6")
    assert isinstance(refiner, LocalLMRefiner) and refiner.name == folder.name
    assert refiner.version.startswith("local_lm-refine-p1-greedy6-")
    seen = []
    generate = refiner.generate
    refiner.generate = lambda messages: seen.append(messages) or generate(messages)
    texts = refiner.refine(ROWS, "description")
    # the API refiner's prompt (models.openai_compat.refiner), one request per row, every automatic text listed
    assert seen == [refine_messages(row, "description") for row in ROWS]
    assert "descriptions of the same human body pose" in seen[0][1]["content"] and "3. left arm up" in \
        seen[0][1]["content"]
    expected = [_greedy_by_hand(model, tokenizer, refine_messages(row, "description"), 6) for row in ROWS]
    assert texts == expected and all(texts)
    assert refiner.n_generated == 2 and refiner.cache.count() == 2
    # asked again: from the cache, the model untouched; another kind is another prompt, so generated
    assert refiner.refine(ROWS, "description") == texts and len(seen) == 2 and refiner.n_cached == 2
    refiner.refine(ROWS[:1], "instruction")
    assert len(seen) == 3 and "from pose A to pose B" in seen[2][1]["content"]
    # a fresh refiner on the same files finds the cached texts (same version); other weights are another version
    again = named_refiner(f"local_lm:path={folder},max_new_tokens=6")
    assert again.version == refiner.version and again.refine(ROWS, "description") == texts and again.n_cached == 2


def test_other_weights_or_settings_are_another_version(tiny_lm, tmp_path):
    folder, _, _ = tiny_lm
    other = tmp_path / "other"
    _save_tiny(other, seed=1)
    base = LocalLMRefiner(folder, max_new_tokens=6)
    assert LocalLMRefiner(other, max_new_tokens=6).version != base.version
    assert LocalLMRefiner(folder, max_new_tokens=7).version != base.version
    with pytest.raises(InputError, match="no language model"):
        named_refiner(f"local_lm:path={tmp_path / 'missing'}")
    with pytest.raises(InputError, match="max_new_tokens"):
        named_refiner(f"local_lm:path={folder},max_new_tokens=zero")
    with pytest.raises(InputError, match="unexpected keyword"):
        named_refiner(f"local_lm:path={folder},temperature=0.7")
    assert named_refiner("openai_compat:base_url=http://127.0.0.1:1,model=m") is None  # not a registered refiner


def test_smollm2_refiner_says_how_to_fetch_the_model(home):
    with pytest.raises(InputError, match="make smollm2") as info:
        named_refiner("smollm2")
    assert "SmolLM2-135M-Instruct" in str(info.value)


def test_imagescript_r_built_through_the_local_lm_and_rebuilt_from_the_cache(tiny_lm, tmp_path, home, monkeypatch):
    from datasets_build.real.cli import build_from_sources
    from tests.real.helpers import write_sources
    from tests.real.test_cli import parse

    folder, _, _ = tiny_lm
    sources = write_sources(tmp_path / "sources")
    spec = f"local_lm:path={folder},max_new_tokens=6"
    argv = ("--source", "imagescript", "--3dpw-dir", sources.threedpw, "--unipose-npz-dir", sources.unipose,
            "--unipose-image-dir", sources.unipose_images, "--imagescript-sizes", "h36m=3,mpi-inf-3dhp=2",
            "--test-size", 3, "--refined-train-size", 2, "--image-size", 32, "--refiner", spec)
    datasets, info = build_from_sources(parse(*argv, "--work-dir", tmp_path / "w1"), progress=False)
    version = refiner_version(named_refiner(spec))
    r = datasets["image_to_text-R"]
    assert len(r["train"]) == 2 and len(r["test"]) == 3
    for split in ("train", "test"):
        for row in r[split]:
            assert row["text_kinds"][0] == "refined" and row["texts"][0].strip()
            assert row["text_versions"][0] == version and set(row["text_kinds"][1:]) == {"automatic"}
    assert folder.name in info.text_versions[version]  # the card's text versions name the model
    # a second build asks the model nothing: every refined text comes from the cache
    monkeypatch.setattr(LocalLMRefiner, "generate", lambda self, messages: pytest.fail("the model was asked"))
    again, _ = build_from_sources(parse(*argv, "--work-dir", tmp_path / "w2"), progress=False)
    assert again["image_to_text-R"]["test"]["texts"] == r["test"]["texts"]
    assert (home / "cache" / "refined.sqlite").is_file()


@pytest.mark.slow
def test_smollm2_gguf_refines_a_description(tmp_path):
    """SmolLM2-135M-Instruct itself, when `make smollm2` fetched it into the suite's home (the user's
    $UNIPOSE_BENCH_HOME at collection time): 5 min with OMP_NUM_THREADS=1 on 2 cores shared with other jobs (load
    12), most of it the model loaded twice and 2 x 80 greedy tokens."""
    from models.unipose.language_model import SMOLLM2_GGUF

    gguf = USER_HOME / SMOLLM2_GGUF
    if not gguf.is_file():
        pytest.skip(f"the SmolLM2 GGUF is not at {gguf}: run `make smollm2` first")
    refiner = named_refiner(f"smollm2:path={gguf},max_new_tokens=80")
    (text,) = refiner.refine(ROWS[:1], "description")
    assert len(text.split()) >= 4 and "arm" in text.lower(), text
    fresh = LocalLMRefiner(gguf, max_new_tokens=80, cache_path=tmp_path / "other.sqlite")
    assert fresh.refine(ROWS[:1], "description") == [text]  # greedy: the same text without the cache
