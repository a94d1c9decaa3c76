"""The `hf_vlm` adapter on tiny random LLaVA, LLaVA-NeXT and Qwen2-VL models (the real transformers classes, written
with save_pretrained, tests/models/tiny_vlm.py): it answers the small world's image_to_text and image_diff requests
with greedy, bounded, batched generation, builds each prompt from the task's instruction with the images where their
placeholders stand, and refuses bad folders with the file and field named."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from benchmark.adapters import ADAPTERS, UnsupportedRequest, load_adapter, registered_tasks
from benchmark.errors import InputError, MissingModelFiles
from benchmark.requests import DescribeRequest
from models.hf_vlm.prompts import chat_content

KINDS = ("llava", "llava_next", "qwen2_vl")
CLASSES = {"llava": "LlavaForConditionalGeneration", "llava_next": "LlavaNextForConditionalGeneration",
           "qwen2_vl": "Qwen2VLForConditionalGeneration"}


@pytest.fixture(scope="module")
def world_requests(small_world):
    """Three image_to_text and three image_diff requests of the small world, with the tasks' own instructions."""
    from benchmark.pipeline import latest_context
    from benchmark.tasks.catalog import get_task

    context = latest_context(seed=0, bootstrap=200)
    out = []
    for name in ("image_to_text/embedded", "image_diff/embedded"):
        task = get_task(name, context)
        out += task.requests(task.load(limit=3)[0])
    return out


@pytest.fixture(scope="module")
def adapters(tiny_vlms):
    from models.hf_vlm.adapter import HFVLMAdapter

    return {kind: HFVLMAdapter(path=str(tiny_vlms[kind]), max_new_tokens="5", batch_size="2") for kind in KINDS}


def image(seed: int, size=(40, 56)) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))


@pytest.mark.parametrize("kind", KINDS)
def test_each_real_class_answers_the_world_s_image_requests(kind, adapters, world_requests):
    adapter = adapters[kind]
    assert type(adapter.loaded.model).__name__ == CLASSES[kind]
    assert {r.task.split("/")[0] for r in world_requests} == {"image_to_text", "image_diff"}
    answers = adapter.describe(world_requests)
    assert len(answers) == len(world_requests)
    # the tiny models' generation_config suppresses every special token: a greedy answer is exactly
    # max_new_tokens words of the tokenizer's vocabulary
    vocab = set(adapter.loaded.processor.tokenizer.get_vocab())
    for answer in answers:
        words = answer.text.split()
        assert len(words) == 5 and set(words) <= vocab
    # greedy: the same answers again, in any batching
    adapter.batch_size = 3
    try:
        assert [a.text for a in adapter.describe(world_requests[::-1])] == [a.text for a in answers[::-1]]
    finally:
        adapter.batch_size = 2


@pytest.mark.parametrize("kind", KINDS)
def test_a_padded_batch_gives_each_row_its_own_next_token_scores(kind, adapters, world_requests):
    """Left padding and the attention mask: a row's last-position logits in a mixed batch (one and two images,
    different lengths) equal those of the row alone."""
    import torch

    from models.hf_vlm.adapter import encode

    loaded = adapters[kind].loaded
    batch = [world_requests[0], world_requests[-1]]
    with torch.inference_mode():
        together = loaded.model(**encode(loaded, batch)).logits[:, -1]
        alone = [loaded.model(**encode(loaded, [r])).logits[0, -1] for r in batch]
    for row, single in zip(together, alone):
        torch.testing.assert_close(row, single, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("kind", KINDS)
def test_the_prompt_is_the_chat_template_over_the_instruction_with_images_in_placeholder_order(kind, adapters):
    from models.hf_vlm.adapter import encode

    loaded = adapters[kind].loaded
    a, b = image(1), image(2, size=(56, 40))
    request = DescribeRequest(task="image_diff/x", row_id="r", inputs={"image_a": a, "image_b": b},
                              instruction="<imageB> is the target and <imageA> the start.")
    tokenizer = loaded.processor.tokenizer
    inputs = encode(loaded, [request])
    ids = inputs["input_ids"][0].tolist()
    config = loaded.model.config
    image_id = getattr(config, "image_token_id", None) or config.image_token_index
    words = [t for t in tokenizer.convert_ids_to_tokens(ids) if t not in tokenizer.all_special_tokens]
    assert words[0] == "USER:" and words[-1] == "ASSISTANT:"  # the tiny models' chat template
    assert "the" in words and ids.count(image_id) > 0
    # image B comes first: its pixels are the first image's; swapping the instruction swaps them
    alone_b = loaded.processor.image_processor(images=[b], return_tensors="pt")["pixel_values"]
    n = alone_b.shape[0]
    np.testing.assert_array_equal(inputs["pixel_values"][:n].numpy(), alone_b.numpy())


def test_the_instruction_is_split_at_its_placeholders():
    a, b = image(1), image(2)
    content, images = chat_content("Compare <imageA> and <imageB>, then <imageA>?", {"image_a": a, "image_b": b})
    assert [c["type"] for c in content] == ["text", "image", "text", "image", "text", "image", "text"]
    assert [c.get("text") for c in content if c["type"] == "text"] == ["Compare", "and", ", then", "?"]
    assert images == [a, b, a]
    # an instruction naming no image gets its images first (LLaVA's <image>\n<question> layout)
    content, images = chat_content("Describe the pose.", {"image": a})
    assert content == [{"type": "image"}, {"type": "text", "text": "Describe the pose."}] and images == [a]


def test_registered_with_its_tasks_and_refuses_pose_requests(adapters):
    assert "hf_vlm" in ADAPTERS.names()
    assert registered_tasks("hf_vlm") == ("image_to_text", "image_diff")
    adapter = adapters["llava"]
    assert not adapter.meta.supports("pose_to_text") and not adapter.meta.supports("text_to_pose")
    pose = DescribeRequest(task="pose_to_text/x", row_id="p", inputs={"pose": np.zeros((22, 3), np.float32)},
                           instruction="Describe <pose>.")
    with pytest.raises(UnsupportedRequest, match="image requests only"):
        adapter.describe([pose])


def test_the_revision_follows_the_weights_and_the_decoding_settings(tiny_vlms, adapters, tmp_path):
    from safetensors.torch import load_file, save_file

    from models.hf_vlm.adapter import HFVLMAdapter

    base = adapters["llava"].meta
    assert base.revision.endswith("-float32-n5-p1") and base.args["model_type"] == "llava"
    assert HFVLMAdapter(path=str(tiny_vlms["llava"]), max_new_tokens="7").meta.revision.split("-")[0] == \
        base.revision.split("-")[0]
    changed = shutil.copytree(tiny_vlms["llava"], tmp_path / "changed")
    weights = load_file(changed / "model.safetensors")
    name = sorted(weights)[0]
    weights[name] = weights[name] + 1
    save_file(weights, changed / "model.safetensors", metadata={"format": "pt"})
    other = HFVLMAdapter(path=str(changed), max_new_tokens="5")
    assert other.meta.revision != base.revision and other.meta.revision.endswith("-float32-n5-p1")
    assert HFVLMAdapter(path=str(changed), revision="mine").meta.revision == "mine"


def test_bad_folders_and_arguments_are_refused_with_what_to_fix(tiny_vlms, tmp_path):
    with pytest.raises(InputError, match="path=DIR"):
        load_adapter("hf_vlm")
    with pytest.raises(MissingModelFiles, match="does not exist"):
        load_adapter(f"hf_vlm:path={tmp_path / 'nowhere'}")
    with pytest.raises(InputError, match="max_new_tokens must be a positive integer"):
        load_adapter(f"hf_vlm:path={tiny_vlms['llava']},max_new_tokens=0")
    folder = shutil.copytree(tiny_vlms["llava"], tmp_path / "other")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "model_type": "blip"}))
    with pytest.raises(InputError, match="model_type 'blip'") as err:
        load_adapter(f"hf_vlm:path={folder}")
    assert err.value.file == str(folder / "config.json") and err.value.field == "model_type"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(InputError, match="dtype 'half'"):
        load_adapter(f"hf_vlm:path={folder},dtype=half")
    weights = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(weights[:len(weights) // 2])  # a truncated download
    with pytest.raises(InputError, match="LlavaForConditionalGeneration does not load") as err:
        load_adapter(f"hf_vlm:path={folder}")
    assert err.value.file == str(folder)
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")  # pickled weights are never read
    with pytest.raises(MissingModelFiles, match="no \\*.safetensors"):
        load_adapter(f"hf_vlm:path={folder}")


def test_in_the_harness_contract(scored):
    rows = {task for (name, task) in scored if name == "hf_vlm"}
    assert rows == {"image_to_text", "image_diff"}
    result = scored[("hf_vlm", "image_to_text")]
    assert result.adapter.revision.endswith("-n8-p1") and result.scores["bleu"].value >= 0
