"""Batch-based classification losses of PoseScript/PoseFix retrieval training (naver/posescript `loss.py`).

With text embeddings T [B, D] and input (pose or pair) embeddings P [B, D], both unit-norm, and the learnable
temperature tau, the scores are S = (T @ P^T) * tau. Item i's text and input are each other's positive; the other
items of the batch are the negatives.
* BBC(S) = cross-entropy of each row of S with the diagonal as target (text -> input classification);
* symBBC = (BBC(S) + BBC(S^T)) / 2, the symmetric version the released models use.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def similarity_scores(text_emb: torch.Tensor, input_emb: torch.Tensor, temperature: torch.Tensor) -> torch.Tensor:
    """S [B, B] = (T @ P^T) * tau; row = text, column = input."""
    return (text_emb @ input_emb.T) * temperature


def bbc(scores: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of each row of `scores` [B, B] against the diagonal."""
    return F.cross_entropy(scores, torch.arange(scores.shape[0], device=scores.device))


def symmetric_bbc(text_emb: torch.Tensor, input_emb: torch.Tensor, temperature: torch.Tensor) -> torch.Tensor:
    """symBBC: the mean of BBC over texts -> inputs and inputs -> texts."""
    scores = similarity_scores(text_emb, input_emb, temperature)
    return 0.5 * (bbc(scores) + bbc(scores.T))
