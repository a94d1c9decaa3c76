"""Greedy decoding with repeated n-grams barred, for the text generators at scoring time.

Upstream decodes plain greedy (naver/posescript, encoders/text_decoders.py: generate_greedy), which a small,
briefly trained decoder turns into loops ("further forward than the left foot further forward than ..."), running
to the length limit. Barring any token that would repeat an n-gram already generated (the `no_repeat_ngram_size`
of Hugging Face's generation) stops the loops without changing the model. n = 0 is upstream's plain greedy.
"""

from __future__ import annotations

import torch


def banned_tokens(seq: list[int], n: int) -> set[int]:
    """Tokens that would complete an n-gram already in `seq`."""
    if n <= 0 or len(seq) < n:
        return set()
    prefix = tuple(seq[len(seq) - n + 1:]) if n > 1 else ()
    return {seq[i + n - 1] for i in range(len(seq) - n + 1) if tuple(seq[i:i + n - 1]) == prefix}


@torch.no_grad()
def greedy(decoder, memory, *, bos: int, eos: int, pad: int, min_len: int, max_len: int,
           no_repeat_ngram: int = 0) -> list[list[int]]:
    """Token ids after <start>, up to <end> excluded; <end> barred before `min_len` tokens (upstream's rule)."""
    if no_repeat_ngram <= 0:
        return decoder.generate_greedy(memory, bos=bos, eos=eos, pad=pad, min_len=min_len, max_len=max_len)
    B = memory.shape[0]
    tokens = torch.full((B, 1), bos, dtype=torch.long, device=memory.device)
    done = torch.zeros(B, dtype=torch.bool, device=memory.device)
    for step in range(1, max_len):
        lengths = torch.full((B,), tokens.shape[1], dtype=torch.long, device=memory.device)
        logits = decoder(memory, tokens, lengths)[:, -1]
        if step < min_len:
            logits[:, eos] = -torch.inf
        logits[:, [pad, bos]] = -torch.inf  # never a word (a <pad> would hide a repeat once dropped)
        rows = tokens.tolist()
        for b in range(B):
            for t in banned_tokens(rows[b], no_repeat_ngram):
                if t != eos:
                    logits[b, t] = -torch.inf
            if torch.isinf(logits[b]).all():  # everything barred: the text ends here
                logits[b, eos] = 0.0
        nxt = logits.argmax(-1)
        nxt[done] = pad
        tokens = torch.cat([tokens, nxt[:, None]], 1)
        done |= nxt == eos
        if done.all():
            break
    out = []
    for row in tokens[:, 1:].tolist():
        row = row[:row.index(eos)] if eos in row else row
        out.append([t for t in row if t != pad])
    return out
