"""UniPose's mixed attention as a float additive 4D mask (UniPose (CVPR'25) §3.2; upstream
posegpt/models/posegpt_full_mask.py @14de673, which marks the query positions with the attention-mask value 2).

Text is causal. The query positions of a generated pose attend to each other in both directions and causally to
everything before them; what follows them sees them causally. Input poses stay ordinary causal tokens.

The mask is float (0 where attention is allowed, the dtype's minimum elsewhere) in the model's dtype: transformers
passes a 4D mask through unchanged, and eager attention *adds* it to the scores, so a bool mask would be silently
wrong there (True/False become +1/+0).
"""

from __future__ import annotations

import torch

# values of the 2D attention mask this module reads: 0 padding, 1 ordinary token, 2 a query of a generated pose
PAD, TOKEN, QUERY = 0, 1, 2


def allowed(attention_mask: torch.Tensor, mixed: bool = True, past: torch.Tensor | None = None) -> torch.Tensor:
    """Bool [B, Q, P + Q]: may query position i attend to key j? `attention_mask` [B, Q] marks the new positions
    (PAD / TOKEN / QUERY); `past` [B, P] (0/1) marks the cached ones, which every new position may see.
    Queries are bidirectional among the QUERY positions of their own contiguous run when `mixed`."""
    b, q = attention_mask.shape
    device = attention_mask.device
    causal = torch.ones(q, q, dtype=torch.bool, device=device).tril()
    allow = causal.expand(b, q, q).clone()
    if mixed:
        is_query = attention_mask == QUERY
        # queries of one generated pose form one contiguous run; label runs so two poses never see each other
        starts = is_query & ~torch.nn.functional.pad(is_query, (1, 0))[:, :-1]
        run = torch.cumsum(starts, 1) * is_query
        allow |= (run[:, :, None] == run[:, None, :]) & is_query[:, :, None] & is_query[:, None, :]
    allow &= (attention_mask != PAD)[:, None, :]
    if past is not None:
        allow = torch.cat([(past != 0)[:, None, :].expand(b, q, past.shape[1]), allow], dim=2)
    # a padded row that may see nothing would give NaN softmax; let it see itself (its output is never used)
    idx = torch.arange(q, device=device)
    offset = 0 if past is None else past.shape[1]
    allow[:, idx, idx + offset] |= attention_mask == PAD
    return allow


def additive_mask(attention_mask: torch.Tensor, dtype: torch.dtype, mixed: bool = True,
                  past: torch.Tensor | None = None) -> torch.Tensor:
    """The float additive mask [B, 1, Q, P + Q] of `allowed` in `dtype`, for a transformers model's attention_mask."""
    allow = allowed(attention_mask, mixed=mixed, past=past)
    mask = torch.zeros(allow.shape, dtype=dtype, device=attention_mask.device)
    return mask.masked_fill_(~allow, torch.finfo(dtype).min)[:, None]


def position_ids(attention_mask: torch.Tensor, past_length: torch.Tensor | int = 0) -> torch.Tensor:
    """Positions that skip padding (left-padded batches): the count of real tokens before each position."""
    real = (attention_mask != PAD).long()
    return (torch.cumsum(real, 1) - 1).clamp(min=0) + (past_length if isinstance(past_length, int)
                                                       else past_length[:, None])
