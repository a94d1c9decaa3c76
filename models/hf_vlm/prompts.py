"""A task's request as one user turn of a chat: the instruction's text with each image where its placeholder stands.

The tasks' templates (benchmark/tasks/templates/*.json) name the images with placeholders (<image>, <imageA>,
<imageB>). A chat-template processor wants a content list of text and image parts, so the instruction is split at
the placeholders and each one becomes an image part, in the order the placeholders appear; the images are handed
to the processor in that same order. A request whose instruction names no image gets its images first, the way
LLaVA's own prompts put <image> before the question.
"""

from __future__ import annotations

import re

PLACEHOLDERS = {"<image>": "image", "<imageA>": "image_a", "<imageB>": "image_b"}
IMAGE_KEYS = ("image", "image_a", "image_b")
_SPLIT = re.compile("(" + "|".join(re.escape(p) for p in PLACEHOLDERS) + ")")


def chat_content(instruction: str, inputs) -> tuple[list[dict], list]:
    """(content parts of one user message, the images in the order of their parts)."""
    content: list[dict] = []
    images, used = [], []
    for piece in _SPLIT.split(instruction):
        key = PLACEHOLDERS.get(piece)
        if key is not None and key in inputs:
            content.append({"type": "image"})
            images.append(inputs[key])
            used.append(key)
        elif piece.strip():
            content.append({"type": "text", "text": piece.strip()})
    missing = [k for k in IMAGE_KEYS if k in inputs and k not in used]
    if missing:
        content = [{"type": "image"} for _ in missing] + content
        images = [inputs[k] for k in missing] + images
    return content, images


def chat_messages(instruction: str, inputs) -> tuple[list[dict], list]:
    content, images = chat_content(instruction, inputs)
    return [{"role": "user", "content": content}], images
