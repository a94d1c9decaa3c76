"""Instruction templates: data files written for the suite (templates/<task_id>.json), at least 30 instruction-
tuning variants and one pre-training template per task. The task picks each request's template from the seed and
the row id, so every model receives exactly the same prompts, whatever the order or batching of the rows."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

TEMPLATE_DIR = Path(__file__).parent / "templates"


@lru_cache(maxsize=None)
def load_templates(task_id: str) -> dict:
    path = TEMPLATE_DIR / f"{task_id}.json"
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    for template in [data["pretrain"], *data["finetune"]]:
        missing = [p for p in data["placeholders"] if p not in template]
        if missing:
            raise ValueError(f"{path}: template {template!r} lacks {missing}")
    return data


def pick_template(task_id: str, row_id: str, seed: int, template_set: str = "finetune") -> str:
    data = load_templates(task_id)
    if template_set == "pretrain":
        return data["pretrain"]
    digest = hashlib.sha256(f"{seed}:{task_id}:{row_id}".encode()).digest()
    return data["finetune"][int.from_bytes(digest[:8], "big") % len(data["finetune"])]


def fill(template: str, caption: str | None = None) -> str:
    """Insert the text input; modality placeholders (<pose>, <image>, ...) stay for the adapter to replace."""
    return template.replace("<caption>", caption) if caption is not None else template
