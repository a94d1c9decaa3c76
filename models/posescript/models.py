"""PoseScript's two models (naver/posescript @15c8958):

* `CondTextPoser` (generative/model_generative.py): a VPoser-style pose VAE whose prior is given by the text. The
  pose encoder gives q(z | pose), the text encoder p(z | text); training reconstructs the pose from a sample of q
  (joint positions: Laplace NLL, rotation matrices: Gaussian NLL, each with a learnt log-sigma) and pulls q and p
  together with KL(q || p) (+ small KLs of both to N(0, I)). Generation decodes z ~ p(z | text).
* `DescriptionGenerator` (generative_caption/model_generative_caption.py): the retrieval-role pose encoder (a 32-d
  bottleneck, L2-normalised) projected to one memory token of a Transformer text decoder, trained with
  cross-entropy; greedy decoding.

Both take poses as axis-angle [B, J, 3]; 22-joint inputs are padded with zero (flat) hands for a 52-joint model.
"""

from __future__ import annotations

import roma
import torch
from smplx.lbs import batch_rigid_transform
from torch import nn
from torch.distributions import Normal, kl_divergence

from models.posescript.modules import (ModalityInputAdapter, PoseDecoder, PoseEncoder, TextDecoder, TextEncoder,
                                       gaussian_nll, laplace_nll)
from models.posescript.presets import Architecture, Recipe


def fit_joints(poses: torch.Tensor, n_joints: int) -> torch.Tensor:
    """[B, J, 3] -> [B, n_joints, 3]: extra joints dropped, missing ones (hands) zero."""
    if poses.shape[1] >= n_joints:
        return poses[:, :n_joints]
    return torch.cat([poses, poses.new_zeros(poses.shape[0], n_joints - poses.shape[1], 3)], 1)


def to_axis_angle(rotmats: torch.Tensor, n_out: int = 22) -> torch.Tensor:
    return roma.rotmat_to_rotvec(rotmats[:, :n_out])


class PoseTerms:
    """Reconstruction terms on a kinematic tree: joint positions from rotation matrices by forward kinematics
    (the embedded world's skeleton, or an SMPL-family body's rest joints)."""

    def __init__(self, rest_joints: torch.Tensor, parents: torch.Tensor):
        self.rest = rest_joints.float()
        self.parents = parents.long()
        self.n = len(parents)

    @classmethod
    def skeleton(cls) -> "PoseTerms":
        from benchmark.body.skeleton import SkeletonBody

        body = SkeletonBody()
        return cls(body.rest_joints, body.parents)

    def joints(self, rotmats: torch.Tensor) -> torch.Tensor:
        r = rotmats[:, :self.n]
        return batch_rigid_transform(r, self.rest.expand(r.shape[0], -1, -1), self.parents, dtype=r.dtype)[0]

    def nll(self, model, pred_rotmats, gt_rotmats, gt_joints) -> tuple[torch.Tensor, torch.Tensor]:
        """(joints Laplace NLL, rotation Gaussian NLL), summed over coordinates, averaged over the batch."""
        jts = laplace_nll(self.joints(pred_rotmats), gt_joints, model.decsigma_jts).flatten(1).sum(1).mean()
        rot = gaussian_nll(pred_rotmats, gt_rotmats, model.decsigma_rot).flatten(1).sum(1).mean()
        return jts, rot

    def targets(self, poses: torch.Tensor, n_joints: int):
        rotmats = roma.rotvec_to_rotmat(fit_joints(poses, n_joints))
        return rotmats, self.joints(rotmats)


def _std_normal(d: Normal) -> Normal:
    return Normal(torch.zeros_like(d.loc), torch.ones_like(d.scale))


class CondTextPoser(nn.Module):
    def __init__(self, arch: Architecture, vocab_size: int):
        super().__init__()
        self.arch = arch
        self.pose_encoder = PoseEncoder(arch.n_joints, arch.num_neurons, arch.latent_d, "generative")
        self.pose_decoder = PoseDecoder(arch.n_joints, arch.num_neurons, arch.latent_d)
        self.text_encoder = TextEncoder(arch.text_encoder, "generative", vocab_size=vocab_size,
                                        word_dim=arch.word_dim, embed_dim=arch.text_dim or arch.num_neurons,
                                        latent_d=arch.latent_d,
                                        n_layers=arch.text_layers, n_heads=arch.text_heads, ff=arch.text_ff,
                                        dropout=arch.text_dropout, bert_config=arch.bert_config)
        # learnt log-sigmas of the reconstruction likelihoods (v2v is kept for checkpoint compatibility: no mesh here)
        self.decsigma_v2v = nn.Parameter(torch.zeros(1))
        self.decsigma_jts = nn.Parameter(torch.zeros(1))
        self.decsigma_rot = nn.Parameter(torch.zeros(1))

    def losses(self, poses, tokens, lengths, recipe: Recipe, terms: PoseTerms) -> dict[str, torch.Tensor]:
        gt_rot, gt_jts = terms.targets(poses, self.arch.n_joints)
        q_z = self.pose_encoder(fit_joints(poses, self.arch.n_joints))
        t_z = self.text_encoder(tokens, lengths)
        jts, rot = terms.nll(self, self.pose_decoder(q_z.rsample()), gt_rot, gt_jts)
        out = {"jts": jts, "rot": rot,
               "kld": kl_divergence(q_z, t_z).sum(-1).mean(),
               "kld_q0": kl_divergence(q_z, _std_normal(q_z)).sum(-1).mean(),
               "kld_t0": kl_divergence(t_z, _std_normal(t_z)).sum(-1).mean()}
        total = (recipe.w_jts * jts + recipe.w_rot * rot + recipe.w_kld * out["kld"].clamp_min(recipe.kld_epsilon)
                 + recipe.w_kld_prior * (out["kld_q0"] + out["kld_t0"]))
        if recipe.w_text_rec:
            tj, tr = terms.nll(self, self.pose_decoder(t_z.rsample()), gt_rot, gt_jts)
            out.update(jts_text=tj, rot_text=tr)
            total = total + recipe.w_text_rec * (recipe.w_jts * tj + recipe.w_rot * tr)
        out["total"] = total
        return out

    @torch.no_grad()
    def generate(self, tokens, lengths, noise: torch.Tensor | None) -> torch.Tensor:
        """Rotation matrices [B, n, J, 3, 3] decoded from z = mu + sigma * noise (noise [B, n, latent]; None: the
        mean of p(z | text), one pose each)."""
        t_z = self.text_encoder(tokens, lengths)
        z = t_z.loc[:, None] if noise is None else t_z.loc[:, None] + t_z.scale[:, None] * noise
        B, n = z.shape[:2]
        return self.pose_decoder(z.reshape(B * n, -1)).reshape(B, n, self.arch.n_joints, 3, 3)


class DescriptionGenerator(nn.Module):
    def __init__(self, arch: Architecture, vocab_size: int):
        super().__init__()
        self.arch = arch
        self.pose_encoder = PoseEncoder(arch.n_joints, arch.num_neurons, arch.encoder_latent_d, "retrieval")
        self.modalityInputAdapter = ModalityInputAdapter(arch.encoder_latent_d, arch.decoder_d)
        self.text_decoder = TextDecoder(vocab_size, arch.decoder_d, arch.decoder_layers, arch.decoder_heads,
                                        arch.decoder_ff, arch.text_dropout)

    def memory(self, poses):
        return self.modalityInputAdapter(self.pose_encoder(fit_joints(poses, self.arch.n_joints)))

    def losses(self, poses, tokens, lengths, pad_id: int) -> dict[str, torch.Tensor]:
        ce = self.text_decoder.loss(self.memory(poses), tokens, lengths, pad_id)
        return {"cross_entropy": ce, "total": ce}

    @torch.no_grad()
    def generate(self, poses, vocab) -> list[list[int]]:
        return self.text_decoder.generate_greedy(self.memory(poses), bos=vocab.start, eos=vocab.end, pad=vocab.pad,
                                                 min_len=self.arch.min_generated_tokens,
                                                 max_len=self.arch.max_generated_tokens)
