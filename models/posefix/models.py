"""PoseFix's two models (naver/posescript @15c8958), on the PoseScript modules:

* `PoseBGenerator` (generative_B/model_generative_B.py): pose A and the instruction are encoded (pose: the
  "modifier" head, one Linear to the latent size; text: a 128-d embedding in the paper), composed by TIRG and
  turned into q_f(z | A, text); pose B's own posterior q_z(z | B) comes from the same pose encoder. Training
  reconstructs B from samples of q_z and q_f and pulls them together with KL(q_z || q_f), clamped from below at
  `kld_epsilon` (10 upstream). Editing decodes z ~ q_f.
* `FeedbackGenerator` (generative_modifier/model_generative_modifier.py): both poses through the retrieval-role
  pose encoder, composed by TIRG (B modified by A), one memory token of the Transformer text decoder.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.distributions import kl_divergence

from models.posescript.models import PoseTerms, _std_normal, fit_joints
from models.posescript.modules import (TIRG, ModalityInputAdapter, NormalHead, PoseDecoder, PoseEncoder,
                                       TextDecoder, TextEncoder)
from models.posescript.presets import Architecture, Recipe


class _Composer(nn.Module):
    """Holds the TIRG under `.tirg`, as upstream's CorrectionModule / ComparisonModule (checkpoint keys)."""

    def __init__(self, dims, output_dim):
        super().__init__()
        self.tirg = TIRG(dims, output_dim)

    def forward(self, main, modifier):
        return self.tirg(main, modifier)


class PoseBGenerator(nn.Module):
    def __init__(self, arch: Architecture, vocab_size: int):
        super().__init__()
        self.arch = arch
        d, dt = arch.latent_d, arch.text_latent_d
        self.pose_encoder = PoseEncoder(arch.n_joints, arch.num_neurons, d, "modifier")
        self.pose_decoder = PoseDecoder(arch.n_joints, arch.num_neurons, d)
        self.pose_decoder_distribution_layer = NormalHead(d, d)
        self.text_encoder = TextEncoder(arch.text_encoder, "modifier", vocab_size=vocab_size, word_dim=arch.word_dim,
                                        embed_dim=dt, latent_d=dt, n_layers=arch.text_layers,
                                        n_heads=arch.text_heads, ff=arch.text_ff, dropout=arch.text_dropout,
                                        bert_config=arch.bert_config)
        self.correction_module = _Composer((d, dt), d)
        self.pose_text_fusion_distribution_layer = NormalHead(d, d)
        self.decsigma_v2v = nn.Parameter(torch.zeros(1))
        self.decsigma_jts = nn.Parameter(torch.zeros(1))
        self.decsigma_rot = nn.Parameter(torch.zeros(1))

    def fusion(self, poses_a, tokens, lengths):
        a = self.pose_encoder(fit_joints(poses_a, self.arch.n_joints))
        return self.pose_text_fusion_distribution_layer(self.correction_module(a, self.text_encoder(tokens, lengths)))

    def losses(self, poses_a, poses_b, tokens, lengths, recipe: Recipe, terms: PoseTerms) -> dict[str, torch.Tensor]:
        gt_rot, gt_jts = terms.targets(poses_b, self.arch.n_joints)
        q_z = self.pose_decoder_distribution_layer(self.pose_encoder(fit_joints(poses_b, self.arch.n_joints)))
        q_f = self.fusion(poses_a, tokens, lengths)
        jts, rot = terms.nll(self, self.pose_decoder(q_z.rsample()), gt_rot, gt_jts)
        out = {"jts": jts, "rot": rot, "kld": kl_divergence(q_z, q_f).sum(-1).mean(),
               "kld_q0": kl_divergence(q_z, _std_normal(q_z)).sum(-1).mean()}
        total = (recipe.w_jts * jts + recipe.w_rot * rot + recipe.w_kld * out["kld"].clamp_min(recipe.kld_epsilon)
                 + recipe.w_kld_prior * out["kld_q0"])
        if recipe.w_text_rec:
            fj, fr = terms.nll(self, self.pose_decoder(q_f.rsample()), gt_rot, gt_jts)
            out.update(jts_fusion=fj, rot_fusion=fr)
            total = total + recipe.w_text_rec * (recipe.w_jts * fj + recipe.w_rot * fr)
        out["total"] = total
        return out

    @torch.no_grad()
    def generate(self, poses_a, tokens, lengths, noise: torch.Tensor | None) -> torch.Tensor:
        """Rotation matrices [B, n, J, 3, 3] of pose B from z = mu_f + sigma_f * noise (None: the mean)."""
        q_f = self.fusion(poses_a, tokens, lengths)
        z = q_f.loc[:, None] if noise is None else q_f.loc[:, None] + q_f.scale[:, None] * noise
        B, n = z.shape[:2]
        return self.pose_decoder(z.reshape(B * n, -1)).reshape(B, n, self.arch.n_joints, 3, 3)


class FeedbackGenerator(nn.Module):
    def __init__(self, arch: Architecture, vocab_size: int):
        super().__init__()
        self.arch = arch
        d = arch.encoder_latent_d
        self.pose_encoder = PoseEncoder(arch.n_joints, arch.num_neurons, d, "retrieval")
        self.comparison_module = _Composer((d, d), d)
        self.modalityInputAdapter = ModalityInputAdapter(d, arch.decoder_d)
        self.text_decoder = TextDecoder(vocab_size, arch.decoder_d, arch.decoder_layers, arch.decoder_heads,
                                        arch.decoder_ff, arch.text_dropout)

    def memory(self, poses_a, poses_b):
        n = self.arch.n_joints
        a, b = self.pose_encoder(fit_joints(poses_a, n)), self.pose_encoder(fit_joints(poses_b, n))
        return self.modalityInputAdapter(self.comparison_module(b, a))

    def losses(self, poses_a, poses_b, tokens, lengths, pad_id: int) -> dict[str, torch.Tensor]:
        ce = self.text_decoder.loss(self.memory(poses_a, poses_b), tokens, lengths, pad_id)
        return {"cross_entropy": ce, "total": ce}

    @torch.no_grad()
    def generate(self, poses_a, poses_b, vocab) -> list[list[int]]:
        return self.text_decoder.generate_greedy(self.memory(poses_a, poses_b), bos=vocab.start, eos=vocab.end,
                                                 pad=vocab.pad, min_len=self.arch.min_generated_tokens,
                                                 max_len=self.arch.max_generated_tokens)
