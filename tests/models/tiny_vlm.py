"""Tiny random vision-language models of the real transformers classes, written with save_pretrained the way a
downloaded snapshot looks (config.json, model.safetensors, tokenizer, processor configuration, chat template), built
offline: the tokenizer is a word-level `tokenizers` model trained on a few sentences.

Their generation_config suppresses every special token, so a greedy answer is always made of words (the harness
refuses empty texts); the ChatPose-style model's also biases its pose token by +50 logits, far above what the
random weights (std 0.02) give any token, so it emits the pose token at once whatever the CPU's rounding.
"""

from __future__ import annotations

import json
from pathlib import Path

SENTENCES = [
    "the person stands upright with both arms raised above the head",
    "move the left arm up and bend the right knee slightly",
    "the body leans forward while the hands rest on the hips",
    "turn the torso to the left and straighten both legs",
]
POSE_TOKEN = "<POSE>"
LLAVA_SPECIAL = ["<unk>", "<pad>", "<s>", "</s>", "<image>"]
QWEN_SPECIAL = ["<unk>", "<pad>", "<s>", "</s>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>",
                "<|video_pad|>"]
# a chat template in the style of LLaVA-1.5's (USER: ... ASSISTANT:), written for these tests
TEMPLATE = ("{% for m in messages %}{{ m['role'] | upper }}: {% if m['content'] is string %}{{ m['content'] }}"
            "{% else %}{% for c in m['content'] %}{% if c['type'] == 'image' %}IMAGE {% else %}{{ c['text'] }} "
            "{% endif %}{% endfor %}{% endif %}\n{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}")
HIDDEN = 32


def tokenizer(special: list[str], image_token: str):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.train_from_iterator(SENTENCES + ["USER: ASSISTANT:"], trainers.WordLevelTrainer(special_tokens=special))
    extra = {"image_token": image_token}
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", bos_token="<s>",
                                   eos_token="</s>", extra_special_tokens=extra)


def _text_config(tok) -> dict:
    return dict(vocab_size=len(tok), hidden_size=HIDDEN, intermediate_size=64, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)


CLIP = dict(hidden_size=HIDDEN, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, image_size=16,
            patch_size=8, projection_dim=HIDDEN)


def _finish(model, processor, folder: Path, tok, special: list[str], bias_token: str | None = None) -> Path:
    from transformers import GenerationConfig

    specials = [tok.convert_tokens_to_ids(t) for t in special if t != bias_token]
    model.generation_config = GenerationConfig(
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
        suppress_tokens=sorted(set(specials)),
        sequence_bias=[[[tok.convert_tokens_to_ids(bias_token)], 50.0]] if bias_token else None)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def _template(image_part: str) -> str:
    return TEMPLATE.replace("IMAGE", image_part)


def build_llava(folder: Path, with_pose_token: bool = False) -> Path:
    import torch
    import transformers as T

    torch.manual_seed(0)
    special = LLAVA_SPECIAL + ([POSE_TOKEN] if with_pose_token else [])  # ChatPose adds its token to LLaVA's
    tok = tokenizer(special, "<image>")
    config = T.LlavaConfig(vision_config=T.CLIPVisionConfig(**CLIP), text_config=T.LlamaConfig(**_text_config(tok)),
                           image_token_index=tok.convert_tokens_to_ids("<image>"),
                           vision_feature_select_strategy="default", vision_feature_layer=-1)
    model = T.LlavaForConditionalGeneration(config).eval()
    images = T.CLIPImageProcessor(size={"shortest_edge": 16}, crop_size={"height": 16, "width": 16})
    processor = T.LlavaProcessor(image_processor=images, tokenizer=tok, patch_size=8,
                                 vision_feature_select_strategy="default", num_additional_image_tokens=1,
                                 chat_template=_template("<image>"))
    return _finish(model, processor, folder, tok, special, POSE_TOKEN if with_pose_token else None)


def build_llava_next(folder: Path) -> Path:
    import torch
    import transformers as T

    torch.manual_seed(1)
    tok = tokenizer(LLAVA_SPECIAL, "<image>")
    pinpoints = [[16, 16], [16, 32], [32, 16], [32, 32]]
    config = T.LlavaNextConfig(vision_config=T.CLIPVisionConfig(**CLIP),
                               text_config=T.LlamaConfig(**_text_config(tok)),
                               image_token_index=tok.convert_tokens_to_ids("<image>"),
                               vision_feature_select_strategy="default", vision_feature_layer=-1,
                               image_grid_pinpoints=pinpoints)
    model = T.LlavaNextForConditionalGeneration(config).eval()
    images = T.LlavaNextImageProcessor(size={"shortest_edge": 16}, crop_size={"height": 16, "width": 16},
                                       image_grid_pinpoints=pinpoints)
    processor = T.LlavaNextProcessor(image_processor=images, tokenizer=tok, patch_size=8,
                                     vision_feature_select_strategy="default", num_additional_image_tokens=1,
                                     chat_template=_template("<image>"))
    return _finish(model, processor, folder, tok, LLAVA_SPECIAL)


def build_qwen2_vl(folder: Path) -> Path:
    import torch
    import transformers as T

    torch.manual_seed(2)
    tok = tokenizer(QWEN_SPECIAL, "<|image_pad|>")
    ids = tok.convert_tokens_to_ids
    text = {**_text_config(tok), "rope_parameters": {"rope_type": "default", "mrope_section": [2, 1, 1],
                                                     "rope_theta": 10000.0}}
    config = T.Qwen2VLConfig(text_config=text,
                             vision_config=dict(depth=1, embed_dim=HIDDEN, hidden_size=HIDDEN, num_heads=4,
                                                patch_size=4, spatial_merge_size=2, temporal_patch_size=2),
                             image_token_id=ids("<|image_pad|>"), video_token_id=ids("<|video_pad|>"),
                             vision_start_token_id=ids("<|vision_start|>"), vision_end_token_id=ids("<|vision_end|>"))
    model = T.Qwen2VLForConditionalGeneration(config).eval()
    images = T.Qwen2VLImageProcessor(min_pixels=16 * 16, max_pixels=16 * 16, patch_size=4, temporal_patch_size=2,
                                     merge_size=2)

    # Qwen2VLProcessor itself wants a video processor (torchvision); the image part is written the same way
    class ImageOnlyQwen2VLProcessor(T.Qwen2VLProcessor):
        def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
            super().__init__(image_processor, tokenizer, chat_template=chat_template, **kwargs)

    processor = ImageOnlyQwen2VLProcessor(image_processor=images, tokenizer=tok,
                                          chat_template=_template("<|vision_start|><|image_pad|><|vision_end|>"))
    _finish(model, processor, folder, tok, QWEN_SPECIAL)
    for name in ("processor_config.json", "tokenizer_config.json"):  # as a real snapshot names its processor
        path = folder / name
        data = json.loads(path.read_text())
        data["processor_class"] = "Qwen2VLProcessor"
        path.write_text(json.dumps(data, indent=2))
    return folder


# ChatPose's pose head in its own naming (yfeng95/PoseGPT model/chatpose.py: model.text_hidden_fcs.0 =
# Linear(h, h), ReLU, Linear(h, 144), Dropout), as a merged checkpoint's state dict holds it
CHATPOSE_KEYS = ("model.text_hidden_fcs.0.0.weight", "model.text_hidden_fcs.0.0.bias",
                 "model.text_hidden_fcs.0.2.weight", "model.text_hidden_fcs.0.2.bias")


def chatpose_head(seed: int = 3, out_dim: int = 144) -> dict:
    import torch

    g = torch.Generator().manual_seed(seed)
    shapes = ((HIDDEN, HIDDEN), (HIDDEN,), (out_dim, HIDDEN), (out_dim,))
    return {k: torch.randn(*shape, generator=g) * 0.5 for k, shape in zip(CHATPOSE_KEYS, shapes)}


def build_chatpose(folder: Path) -> Path:
    from safetensors.torch import save_file

    build_llava(folder, with_pose_token=True)
    save_file(chatpose_head(), folder / "pose_projector.safetensors")
    return folder


BUILDERS = {"llava": build_llava, "llava_next": build_llava_next, "qwen2_vl": build_qwen2_vl,
            "chatpose": build_chatpose}


def build_all(root: Path) -> dict[str, Path]:
    return {name: build(root / name) for name, build in BUILDERS.items()}
