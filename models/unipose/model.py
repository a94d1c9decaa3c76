"""UniPose: a causal language model that reads and writes pose tokens and reads images (UniPose (CVPR'25) §3).

* Poses in: the frozen pose tokenizer (`models.unipose.vqvae`) turns each into 80 codes, written as pose tokens.
* Images in: the visual processor (`models.unipose.vision`) projects CLIP + pose-ViT features into image slots.
* Text out: greedy decoding with the KV cache; optionally repeated n-grams barred and a minimum length (transformers'
  logits processors).
* Poses out (mixed attention, the paper's design): after the begin-pose marker, the 80 query tokens go through the
  model in ONE forward pass over the cache, bidirectional among themselves; each query's logits, restricted to the
  pose-id rows, give its code; the tokenizer's decoder turns the codes into a pose. The causal variant (Table 7's
  ablation) decodes the 80 codes one token at a time, as a plain language model would.

The language model is any transformers causal LM (optionally wrapped by peft); it only ever receives
`inputs_embeds`, a float additive 4D attention mask (`models.unipose.attention`) and explicit position ids.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from models.unipose.attention import PAD, QUERY, TOKEN, additive_mask, position_ids
from models.unipose.sequences import IGNORE, IMAGE_SLOT, Encoded, Example, SequenceBuilder, collate
from models.unipose.vocab import PoseVocabulary


class UniPose(nn.Module):
    def __init__(self, lm, tokenizer, vqvae, vocab: PoseVocabulary, visual=None, *, mixed: bool = True,
                 max_answer_tokens: int | None = None):
        super().__init__()
        self.lm, self.tokenizer, self.vqvae, self.visual = lm, tokenizer, vqvae, visual
        self.vocab, self.mixed = vocab, mixed
        self.builder = SequenceBuilder(tokenizer, vocab, visual.n_tokens if visual is not None else 0, mixed=mixed,
                                       max_answer_tokens=max_answer_tokens)
        if tokenizer.pad_token_id is None:
            raise ValueError("the tokenizer needs a pad token (UniPose pads with unk: set tokenizer.pad_token)")

    # ---- inputs ----
    @property
    def dtype(self) -> torch.dtype:
        return self.lm.get_input_embeddings().weight.dtype

    @property
    def device(self) -> torch.device:
        return self.lm.get_input_embeddings().weight.device

    @torch.no_grad()
    def pose_codes(self, poses: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """The tokenizer's codes [N, 80] of axis-angle poses [N, 22, 3]."""
        poses = torch.as_tensor(np.asarray(poses, dtype=np.float32))
        out = [self.vqvae.encode(poses[i:i + batch_size]).cpu() for i in range(0, len(poses), batch_size)]
        return torch.cat(out).numpy() if out else np.zeros((0, self.vocab.n_queries), dtype=np.int64)

    @torch.no_grad()
    def decode_codes(self, codes: torch.Tensor) -> np.ndarray:
        poses = self.vqvae.decode(codes.cpu())
        return np.asarray(poses.detach().cpu() if isinstance(poses, torch.Tensor) else poses, dtype=np.float32)

    def tower_features(self, images: list) -> torch.Tensor:
        """The frozen towers' fused features [N, n_tokens, clip_dim + pose_dim] of PIL images (before projection)."""
        if self.visual is None:
            raise ValueError("this UniPose checkpoint has no visual processor; it cannot read images")
        pixels = self.visual.preprocess(images)
        with torch.no_grad():
            clip = self.visual.clip_features(pixels["clip_pixel_values"].to(self.device))
            pose = self.visual.pose_features(pixels["pose_pixel_values"].to(self.device))
        return torch.cat([clip, pose.to(clip.dtype)], dim=-1)

    def image_features(self, images: list) -> torch.Tensor | None:
        """Projected features [N, n_tokens, hidden] of PIL images or of `tower_features` tensors."""
        if not images:
            return None
        fused = torch.stack(images) if isinstance(images[0], torch.Tensor) else self.tower_features(images)
        projector = self.visual.projector
        # training passes the towers' features cached on the CPU (models.unipose.stages): they follow the projector
        # to its device (a GPU once accelerate has prepared the model)
        weight = projector[0].weight
        return projector(fused.to(weight.device, weight.dtype)).to(self.dtype)

    def embed(self, ids: torch.Tensor, images: list, image_features: torch.Tensor | None = None) -> torch.Tensor:
        """Token embeddings with the image slots replaced by projected image features (in slot order)."""
        embeds = self.lm.get_input_embeddings()(ids.clamp(min=0).to(self.device))
        slots = ids == IMAGE_SLOT
        if slots.any():
            features = image_features if image_features is not None else self.image_features(images)
            embeds = embeds.masked_scatter(slots.to(self.device)[..., None],
                                           features.reshape(-1, embeds.shape[-1]).to(embeds.dtype))
        return embeds

    def _forward(self, embeds, kinds, past=None, past_kinds=None, **lm_kwargs):
        mask = additive_mask(kinds.to(self.device), self.dtype, mixed=self.mixed,
                             past=None if past_kinds is None else past_kinds.to(self.device))
        start = 0 if past_kinds is None else (past_kinds != PAD).sum(1).to(self.device)
        return self.lm(inputs_embeds=embeds, attention_mask=mask, position_ids=position_ids(kinds.to(self.device),
                                                                                             start),
                       past_key_values=past, use_cache=past is not None or past_kinds is not None, **lm_kwargs)

    # ---- training ----
    def loss(self, batch: dict, image_features: torch.Tensor | None = None) -> tuple[torch.Tensor, int]:
        """Summed cross-entropy over the batch's targets / their count, and the count."""
        embeds = self.embed(batch["ids"], batch["images"], image_features)
        targets = batch["targets"].to(self.device)
        keep = targets != IGNORE
        # the output head at the target positions only (a boolean logits_to_keep: transformers gives their logits
        # flattened, [n, vocabulary], in the order of targets[keep]): about a third of the positions of a batch,
        # and the head is a large share of a small LM's step (the tiny preset's stages: ~12 % faster)
        logits = self._forward(embeds, batch["kinds"], logits_to_keep=keep).logits
        n = int(keep.sum())
        loss = nn.functional.cross_entropy(logits.float(), targets[keep], reduction="sum")
        return loss / max(n, 1), n

    def encode_examples(self, examples: Sequence[Example]) -> list[Encoded]:
        return [self.builder.training(e) for e in examples]

    # ---- inference ----
    def _prefill(self, examples: Sequence[Example], extra: list[int]):
        seqs = [self.builder.prompt(e) for e in examples]
        for s in seqs:
            s.ids += extra
            s.kinds += [TOKEN] * len(extra)
            s.targets += [IGNORE] * len(extra)
        batch = collate(seqs, self.tokenizer.pad_token_id, left=True)
        from transformers import DynamicCache

        cache = DynamicCache()
        embeds = self.embed(batch["ids"], batch["images"])
        out = self._forward(embeds, batch["kinds"], past=cache)
        return out, batch["kinds"]

    def _step(self, token_ids: torch.Tensor, kinds: torch.Tensor, past, past_kinds):
        embeds = self.lm.get_input_embeddings()(token_ids.to(self.device))
        return self._forward(embeds, kinds, past=past, past_kinds=past_kinds)

    def _text_argmax(self, logits: torch.Tensor) -> torch.Tensor:
        """Greedy choice among text tokens: the added pose, query and image tokens are never text (they were added
        in one contiguous block, from the first code to the last query), nor are the tokenizer's special tokens but
        end-of-sequence (role markers, padding: decoded without them, an answer of those would be empty)."""
        logits = logits.clone()
        logits[..., self.vocab.first_code:self.vocab.first_query + self.vocab.n_queries] = float("-inf")
        special = sorted(set(self.tokenizer.all_special_ids) - {self.tokenizer.eos_token_id})
        logits[..., [i for i in special if i < logits.shape[-1]]] = float("-inf")
        return logits.argmax(-1)

    def describe(self, examples: Sequence[Example], max_new_tokens: int = 128, *, no_repeat_ngram: int = 0,
                 min_new_tokens: int = 1) -> list[str]:
        """Greedy text for each prompt (stops at end-of-sequence); the arguments as `text_token_ids`."""
        eos = self.tokenizer.eos_token_id
        rows = self.text_token_ids(examples, max_new_tokens, no_repeat_ngram=no_repeat_ngram,
                                   min_new_tokens=min_new_tokens)
        return [self.tokenizer.decode(row[:row.index(eos)] if eos in row else row, skip_special_tokens=True).strip()
                for row in rows]

    @torch.no_grad()
    def text_token_ids(self, examples: Sequence[Example], max_new_tokens: int = 128, *, no_repeat_ngram: int = 0,
                       min_new_tokens: int = 1) -> list[list[int]]:
        """The greedy answer's token ids for each prompt, end-of-sequence included when reached. `no_repeat_ngram`
        > 0 bars any token that would repeat an n-gram of the answer so far; end-of-sequence is barred before
        `min_new_tokens` tokens (at least one: an empty description is no answer). Both are transformers' own
        logits processors, given the answer's tokens only (the prompt's pose and image tokens are not text whose
        n-grams the answer should avoid)."""
        from transformers import LogitsProcessorList, MinNewTokensLengthLogitsProcessor, NoRepeatNGramLogitsProcessor

        if not examples:
            return []
        eos = self.tokenizer.eos_token_id
        processors = LogitsProcessorList([MinNewTokensLengthLogitsProcessor(0, max(1, min_new_tokens), eos)])
        if no_repeat_ngram > 0:
            processors.append(NoRepeatNGramLogitsProcessor(no_repeat_ngram))
        out, kinds = self._prefill(examples, [])
        past = out.past_key_values
        answer = torch.zeros((len(examples), 0), dtype=torch.long)  # on the CPU, where the processors run
        done = torch.zeros(len(examples), dtype=torch.bool)
        logits = out.logits[:, -1]
        for step in range(max_new_tokens):
            token = torch.where(done, eos, self._text_argmax(processors(answer, logits.float().cpu())))
            answer = torch.cat([answer, token[:, None]], 1)
            done |= token == eos
            if bool(done.all()) or step == max_new_tokens - 1:
                break
            step_kinds = torch.full((len(examples), 1), TOKEN)
            out = self._step(token[:, None], step_kinds, past, kinds)
            kinds = torch.cat([kinds, step_kinds], 1)
            past = out.past_key_values
            logits = out.logits[:, -1]
        return [row[:row.index(eos) + 1] if eos in row else row for row in answer.tolist()]

    @torch.no_grad()
    def generate_codes(self, examples: Sequence[Example], parallel: bool | None = None) -> torch.Tensor:
        """Codes [B, 80] of the pose each prompt asks for. Decoding starts at the begin-pose marker (the answer of
        every pose task begins with it, so it is appended rather than left to the model's first greedy step).
        `parallel` (default: the model's attention) decodes the 80 queries in one pass; otherwise one code per
        step, feeding each argmax back as a token."""
        parallel = self.mixed if parallel is None else parallel
        out, kinds = self._prefill(examples, [self.vocab.begin])
        n = self.vocab.n_queries
        if parallel:
            queries = torch.tensor(list(self.vocab.query_ids)).expand(len(examples), n)
            q = self._step(queries, torch.full((len(examples), n), QUERY), out.past_key_values, kinds)
            return self.vocab.codes_from_logits(q.logits).cpu()
        past, codes = out.past_key_values, []
        code = self.vocab.codes_from_logits(out.logits[:, -1])
        for i in range(n):
            codes.append(code)
            if i == n - 1:
                break
            step_kinds = torch.full((len(examples), 1), TOKEN)
            out = self._step((code + self.vocab.first_code)[:, None], step_kinds, past, kinds)
            kinds = torch.cat([kinds, step_kinds], 1)
            past = out.past_key_values
            code = self.vocab.codes_from_logits(out.logits[:, -1])
        return torch.stack(codes, 1).cpu()

    def generate_poses(self, examples: Sequence[Example], parallel: bool | None = None) -> np.ndarray:
        """Axis-angle poses [B, 22, 3]."""
        if not examples:
            return np.zeros((0, 22, 3), dtype=np.float32)
        return self.decode_codes(self.generate_codes(examples, parallel=parallel))
