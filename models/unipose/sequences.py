"""From a task's instruction and inputs to UniPose's token sequences, and the per-position training targets.

A prompt is the task's instruction inside the language model's chat template (upstream uses LLaVA's
`mistral_instruct` conversation; we use the tokenizer's own chat template, which for Mistral-Instruct is the same
[INST] wrapping). Its modality placeholders are replaced by tokens: an input pose by begin, its 80 codes, end; an
image by `<im_start>`, `n` image slots, `<im_end>` (the slots' embeddings are the visual processor's projected
features, as upstream splices LLaVA's IMAGE_TOKEN_INDEX -200).

An answer is text then end-of-sequence, or a pose then end-of-sequence. Targets (UniPose posegpt_full_mask.py
@14de673): text is next-token (shifted) cross-entropy; with mixed attention a generated pose is written as begin,
the 80 query tokens, end, and each query position predicts its own code (unshifted); nothing predicts the end marker
(decoding appends it). With causal attention (the Table 7 ablation) the pose is ordinary text: begin, codes, end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from benchmark.errors import InputError
from models.unipose.attention import PAD, QUERY, TOKEN
from models.unipose.vocab import PoseVocabulary

IMAGE_SLOT = -200  # upstream's IMAGE_TOKEN_INDEX: a position whose embedding is an image feature
IGNORE = -100

# a template's placeholder -> the request input it stands for
PLACEHOLDERS = {"<pose>": "pose", "<poseA>": "pose_a", "<poseB>": "pose_b", "<image>": "image",
                "<imageA>": "image_a", "<imageB>": "image_b"}
_SPLIT = re.compile("(" + "|".join(re.escape(p) for p in sorted(PLACEHOLDERS, key=len, reverse=True)) + ")")


@dataclass
class Example:
    """One prompt and, for training, its answer (a text or a pose's codes)."""

    instruction: str
    inputs: dict[str, Any]  # "pose*" -> codes [80] (already tokenized), "image*" -> PIL image
    answer_text: str | None = None
    answer_codes: np.ndarray | None = None
    output_pose: bool = False  # the answer is (or, at inference, must be) a pose


@dataclass
class Encoded:
    ids: list[int]
    kinds: list[int]  # attention kind per position: TOKEN or QUERY
    targets: list[int]  # the target of the logits at each position, or IGNORE
    images: list[Any] = field(default_factory=list)
    prompt_length: int = 0


class SequenceBuilder:
    def __init__(self, tokenizer, vocab: PoseVocabulary, n_image_tokens: int, mixed: bool = True,
                 max_answer_tokens: int | None = None):
        self.tokenizer, self.vocab, self.n_image_tokens, self.mixed = tokenizer, vocab, n_image_tokens, mixed
        self.max_answer_tokens = max_answer_tokens
        self._template_cache: dict[str, str] = {}

    def _chat(self, instruction: str) -> str:
        if instruction not in self._template_cache:
            if getattr(self.tokenizer, "chat_template", None):
                text = self.tokenizer.apply_chat_template([{"role": "user", "content": instruction}], tokenize=False,
                                                          add_generation_prompt=True)
            else:  # a base model without a chat template: a plain instruction format
                text = f"{self.tokenizer.bos_token or ''}USER: {instruction}\nASSISTANT: "
            self._template_cache[instruction] = text
        return self._template_cache[instruction]

    def prompt(self, example: Example) -> Encoded:
        out = Encoded([], [], [])
        used = set()
        for piece in _SPLIT.split(self._chat(example.instruction)):
            if not piece:
                continue
            key = PLACEHOLDERS.get(piece)
            if key is None:
                ids = self.tokenizer(piece, add_special_tokens=False)["input_ids"]
            elif key not in example.inputs:
                raise InputError(f"the instruction has {piece} but the request has no input '{key}'",
                                 field="instruction", hint="the task's template and its inputs disagree")
            elif key.startswith("pose"):
                ids = self.vocab.pose_token_ids(example.inputs[key])
            else:
                ids = [self.vocab.im_start, *[IMAGE_SLOT] * self.n_image_tokens, self.vocab.im_end]
                out.images.append(example.inputs[key])
            used.add(key)
            out.ids += ids
        missing = set(example.inputs) - used
        if missing:
            raise InputError(f"the instruction {example.instruction!r} has no placeholder for input(s) "
                             f"{sorted(missing)}", field="instruction")
        out.kinds = [TOKEN] * len(out.ids)
        out.targets = [IGNORE] * len(out.ids)
        out.prompt_length = len(out.ids)
        return out

    def training(self, example: Example) -> Encoded:
        """The prompt followed by the answer, with its targets."""
        seq = self.prompt(example)
        eos = self.tokenizer.eos_token_id
        if example.answer_codes is not None:
            codes = [int(c) for c in example.answer_codes]
            if self.mixed:
                # logits at position t predict: begin (from the last prompt token), each query its own code
                # (unshifted), and eos (from the end marker); nothing predicts the first query or the end marker
                start = len(seq.ids)
                seq.ids += self.vocab.query_block() + [eos]
                seq.kinds += [TOKEN] + [QUERY] * len(codes) + [TOKEN, TOKEN]
                seq.targets += [IGNORE] * (len(codes) + 3)
                seq.targets[start - 1] = self.vocab.begin
                for i, c in enumerate(codes):
                    seq.targets[start + 1 + i] = self.vocab.first_code + c
                seq.targets[start + 1 + len(codes)] = eos
                return seq
            answer = self.vocab.pose_token_ids(codes) + [eos]
        elif example.answer_text is not None:
            answer = self.tokenizer(example.answer_text, add_special_tokens=False)["input_ids"]
            if self.max_answer_tokens is not None:
                answer = answer[:self.max_answer_tokens]
            answer = answer + [eos]
        else:
            raise ValueError("a training example needs an answer")
        start = len(seq.ids)
        seq.ids += answer
        seq.kinds += [TOKEN] * len(answer)
        seq.targets += [IGNORE] * len(answer)
        for i, token in enumerate(answer):
            seq.targets[start - 1 + i] = token
        return seq


def collate(sequences: list[Encoded], pad_id: int, left: bool = False) -> dict[str, torch.Tensor | list]:
    """Pad to a batch: ids [B, T], kinds [B, T] (PAD where padded), targets [B, T]; images in slot order."""
    length = max(len(s.ids) for s in sequences)
    ids = torch.full((len(sequences), length), pad_id, dtype=torch.long)
    kinds = torch.full((len(sequences), length), PAD, dtype=torch.long)
    targets = torch.full((len(sequences), length), IGNORE, dtype=torch.long)
    for i, s in enumerate(sequences):
        sl = slice(length - len(s.ids), length) if left else slice(0, len(s.ids))
        ids[i, sl] = torch.tensor(s.ids)
        kinds[i, sl] = torch.tensor(s.kinds)
        targets[i, sl] = torch.tensor(s.targets)
    return {"ids": ids, "kinds": kinds, "targets": targets, "images": [im for s in sequences for im in s.images]}
