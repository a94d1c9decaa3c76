"""MetaPose's lifting network (upstream `models/pose_net.py`, `PoseNet`, of Visual-Pose-Lab/MetaPose @ cfec06c),
re-implemented in plain PyTorch from its description; sizes come from `presets.Architecture`.

Inputs per sample: the frozen backbone's L feature maps, the 2D keypoints in two forms (normalised full-frame
coordinates for the coordinate embedding, grid_sample coordinates for the reference points) and the per-joint text
features. Output: [B, J, 3] root-relative camera-frame joints in metres (the root is predicted, not forced to 0).

Pieces, in order:
1. Embeddings: `points_emb` (Linear(2 -> c) + a joint table), `text_emb` (Linear(text_dim -> c) + a joint table) and
   the level tokens: each level bilinearly sampled at the keypoint (`F.grid_sample`, align_corners=True, zero
   padding), a per-level Linear(C_l -> c), plus a level x joint table. Tables are initialised N(0, 0.02).
2. Spatial-driven enhancement (`SpatialEnhance`): deformable sampling around the fixed keypoint, guided by the
   coordinate embedding; pre-norm residual + MLP. Output x_p = [level tokens ; points_emb], 5 x J tokens of c.
3. Semantic-driven enhancement (`SemanticEnhance`): guided by the text embedding, with the reference point moved by
   a tanh step per layer (per level, not detached), a re-sampling of each level at the moved point, a learned query
   table, then deformable sampling around the moved point. Output x_t = [level tokens ; text_emb].
4. Transformation alignment (`TransformationAlignment`): per-level fusion Linear(2c -> c) of x_p and x_t, plus a
   cross-attention whose keys/values are a "Gaussian prompt" g = mean + exp(logvar / 2) * eps with (mean, logvar)
   from Linear(c -> 2) of x_p and eps ~ N(0, I). Upstream draws eps on every forward pass, evaluation included; here
   eps is an argument, drawn from a seeded generator by the caller (training: the run's generator; the adapter:
   per request), so that answers are reproducible.
5. Lifting head (as CA-PF's): blocks across the 5 tokens of each joint (dim c), then blocks across the joints
   (dim 5c), LayerNorm, Linear(5c -> 3).

`DeformableSampling` is the shared deformable block: per query token, H heads x P points; attention weights
Linear(c -> H*P) softmaxed over each head's points (zero-initialised: uniform at start); offsets tanh(Linear(c ->
H*P*2)) in normalised grid coordinates, weights zero-initialised and biases on a ring (head h in direction 2*pi*h/H,
point k at radius 0.01*(k+1), as Deformable-DETR); each level token samples only its own level; a per-level
Linear(C_l -> c/H) shared by the heads; weighted sum over points, heads concatenated (no output projection).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

N_TOKENS_EXTRA = 1  # the coordinate (or text) embedding appended to the level tokens


class DropPath(nn.Module):
    """Stochastic depth per sample (Huang et al. 2016), as timm's DropPath."""

    def __init__(self, p: float = 0.0):
        super().__init__()
        self.p = float(p)

    def forward(self, x):
        if self.p == 0.0 or not self.training:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer block (LayerNorm eps 1e-6 as upstream's lifting blocks, qkv bias on)."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, drop_path: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = nn.MultiheadAttention(dim, heads, bias=True, batch_first=True)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.drop_path = DropPath(drop_path)

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.drop_path(self.attn(h, h, h, need_weights=False)[0])
        return x + self.drop_path(self.mlp(self.norm2(x)))


def sample_levels(feats: list[torch.Tensor], points: torch.Tensor) -> list[torch.Tensor]:
    """Bilinear samples of each level at grid points: feats[l] [B, C_l, H_l, W_l]; points [B, L, N, 2] (per level) in
    grid_sample coordinates (x, y) in [-1, 1]. Returns per level [B, N, C_l]. align_corners=True and zero padding,
    as upstream."""
    out = []
    for lvl, feat in enumerate(feats):
        grid = points[:, lvl].unsqueeze(1)  # [B, 1, N, 2]
        sampled = F.grid_sample(feat, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
        out.append(sampled[:, :, 0].transpose(1, 2))  # [B, N, C_l]
    return out


class DeformableSampling(nn.Module):
    def __init__(self, dim: int, level_channels: tuple[int, ...], heads: int, points: int):
        super().__init__()
        self.heads, self.points, self.n_levels = heads, points, len(level_channels)
        self.head_dim = dim // heads
        self.attention = nn.Linear(dim, heads * points)
        self.offsets = nn.Linear(dim, heads * points * 2)
        self.values = nn.ModuleList([nn.Linear(c, self.head_dim) for c in level_channels])
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.zeros_(self.attention.weight)
        nn.init.zeros_(self.attention.bias)
        nn.init.zeros_(self.offsets.weight)
        with torch.no_grad():
            angles = torch.arange(self.heads, dtype=torch.float32) * (2 * math.pi / self.heads)
            ring = torch.stack([angles.cos(), angles.sin()], -1)  # [H, 2]
            radius = 0.01 * torch.arange(1, self.points + 1, dtype=torch.float32)  # [P]
            self.offsets.bias.copy_((ring[:, None, :] * radius[None, :, None]).reshape(-1))

    def sampling_locations(self, query: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        """[B, L, J, H, P, 2] = ref + tanh(offsets(query)); query [B, L, J, c], ref [B, L, J, 2]."""
        B, L, J, _ = query.shape
        off = torch.tanh(self.offsets(query)).view(B, L, J, self.heads, self.points, 2)
        return ref[:, :, :, None, None, :] + off

    def forward(self, query: torch.Tensor, ref: torch.Tensor, feats: list[torch.Tensor]) -> torch.Tensor:
        B, L, J, _ = query.shape
        weights = self.attention(query).view(B, L, J, self.heads, self.points).softmax(-1)
        loc = self.sampling_locations(query, ref).reshape(B, L, J * self.heads * self.points, 2)
        out = []
        for lvl, sampled in enumerate(sample_levels(feats, loc)):
            v = self.values[lvl](sampled).view(B, J, self.heads, self.points, self.head_dim)
            out.append((v * weights[:, lvl, ..., None]).sum(3).reshape(B, J, self.heads * self.head_dim))
        return torch.stack(out, 1)  # [B, L, J, c]


class SpatialEnhance(nn.Module):
    def __init__(self, dim, level_channels, heads, points, mlp_ratio, drop_path):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.deform = DeformableSampling(dim, level_channels, heads, points)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))  # upstream: hidden 256 for c = 128
        self.drop_path = DropPath(drop_path)

    def forward(self, x, points_emb, ref, feats):
        x = x + self.drop_path(self.deform(self.norm1(x + points_emb[:, None]), ref, feats))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class SemanticEnhance(nn.Module):
    def __init__(self, dim, level_channels, n_joints, heads, points, mlp_ratio, drop_path):
        super().__init__()
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.step = nn.Linear(dim, 2)
        nn.init.zeros_(self.step.weight)
        with torch.no_grad():
            self.step.bias.copy_(torch.tensor([0.01, 0.0]))
        self.resample = nn.ModuleList([nn.Linear(c, dim) for c in level_channels])
        self.query_embed = nn.Embedding(len(level_channels) * n_joints, dim)
        self.deform = DeformableSampling(dim, level_channels, heads, points)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.drop_path = DropPath(drop_path)

    def forward(self, x, text_emb, ref, feats):
        B, L, J, c = x.shape
        h = self.norm1(x + text_emb[:, None])
        ref = ref + torch.tanh(self.step(h))  # per level, carried to the next layer without detaching
        sampled = sample_levels(feats, ref)
        h = self.norm2(h + torch.stack([self.resample[lvl](s) for lvl, s in enumerate(sampled)], 1))
        h = h + self.query_embed.weight.view(1, L, J, c)
        x = x + self.drop_path(self.deform(h, ref, feats))
        return x + self.drop_path(self.mlp(self.norm3(x))), ref


class TransformationAlignment(nn.Module):
    def __init__(self, dim: int, n_tokens: int, heads: int):
        super().__init__()
        self.dim, self.heads = dim, heads
        self.dist_proj = nn.Linear(dim, 2)
        self.fusion = nn.ModuleList([nn.Linear(2 * dim, dim) for _ in range(n_tokens)])
        self.norm_q, self.norm_kv = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.q, self.kv = nn.Linear(dim, dim), nn.Linear(dim, 2 * dim)

    def forward(self, x_p, x_t, eps):
        """x_p, x_t [B, T, J, c]; eps [B, T, J, c] standard normal. Returns [B, T, J, c]."""
        B, T, J, c = x_p.shape
        mean, logvar = self.dist_proj(x_p).split(1, dim=-1)
        g = mean + torch.exp(0.5 * logvar) * eps
        x = torch.stack([f(torch.cat([x_p[:, t], x_t[:, t]], -1)) for t, f in enumerate(self.fusion)], 1)
        x = x.reshape(B, T * J, c)
        hd = c // self.heads
        q = self.q(self.norm_q(x)).view(B, T * J, self.heads, hd).transpose(1, 2)
        k, v = self.kv(self.norm_kv(g.reshape(B, T * J, c))).view(B, T * J, 2, self.heads, hd).unbind(2)
        # softmax(q k^T / sqrt(hd)) v over all T x J tokens, fused: the explicit product and softmax over the 110
        # tokens of the tiny preset were 40% of a training step on CPU
        out = F.scaled_dot_product_attention(q, k.transpose(1, 2), v.transpose(1, 2))
        return (x + out.transpose(1, 2).reshape(B, T * J, c)).view(B, T, J, c)


def normalise_screen(kp: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """VideoPose3D's normalize_screen_coordinates: x / w * 2 - 1, y / w * 2 - h / w (upstream datasets/utils.py)."""
    return torch.stack([kp[..., 0] / width * 2 - 1, kp[..., 1] / width * 2 - height / width], -1)


def grid_coordinates(kp: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """Crop pixels -> grid_sample coordinates as upstream's MetaPose.forward writes it (x / (W/2) - 1, y / (H/2) - 1;
    for a 192 x 256 crop x / 96 - 1 and y / 128 - 1), half a pixel off the exact align_corners=True mapping."""
    return torch.stack([kp[..., 0] / (width / 2) - 1, kp[..., 1] / (height / 2) - 1], -1)


class MetaPoseNet(nn.Module):
    def __init__(self, arch, n_joints: int):
        super().__init__()
        self.arch, self.n_joints = arch, n_joints
        c, L, J = arch.embed_dim, arch.n_levels, n_joints
        T = L + N_TOKENS_EXTRA
        self.n_tokens = T
        chans = tuple(arch.level_channels)
        self.points_proj = nn.Linear(2, c)
        self.text_proj = nn.Linear(arch.text_dim, c)
        self.level_proj = nn.ModuleList([nn.Linear(ch, c) for ch in chans])
        self.spatial_pos = nn.Parameter(torch.zeros(1, J, c))
        self.text_pos = nn.Parameter(torch.zeros(1, J, c))
        self.level_pos = nn.Parameter(torch.zeros(1, L, J, c))
        n_enh = max(arch.spatial_depth, arch.semantic_depth, 1)
        dpr = torch.linspace(*arch.drop_path, n_enh).tolist()
        self.spatial = nn.ModuleList([SpatialEnhance(c, chans, arch.deform_heads, arch.deform_points,
                                                     arch.mlp_ratio, dpr[i]) for i in range(arch.spatial_depth)])
        self.semantic = nn.ModuleList([SemanticEnhance(c, chans, J, arch.deform_heads, arch.deform_points,
                                                       arch.mlp_ratio, dpr[i]) for i in range(arch.semantic_depth)])
        self.align = TransformationAlignment(c, T, arch.align_heads)
        self.scale_pos = nn.Parameter(torch.zeros(1, T, c))
        self.joint_pos = nn.Parameter(torch.zeros(1, J, c * T))
        dl = torch.linspace(*arch.drop_path, max(arch.level_depth, 1)).tolist()
        dj = torch.linspace(*arch.drop_path, max(arch.joint_depth, 1)).tolist()
        self.level_blocks = nn.ModuleList([Block(c, arch.level_heads, arch.mlp_ratio, dl[i])
                                           for i in range(arch.level_depth)])
        self.joint_blocks = nn.ModuleList([Block(c * T, arch.joint_heads, arch.mlp_ratio, dj[i])
                                           for i in range(arch.joint_depth)])
        self.head_norm = nn.LayerNorm(c * T, eps=1e-6)
        self.head = nn.Linear(c * T, 3)
        for p in (self.spatial_pos, self.text_pos, self.level_pos, self.scale_pos, self.joint_pos):
            nn.init.normal_(p, std=0.02)

    def noise_shape(self) -> tuple[int, int, int]:
        return self.n_tokens, self.n_joints, self.arch.embed_dim

    def forward(self, feats: list[torch.Tensor], kp_pixels: torch.Tensor, text: torch.Tensor,
                eps: torch.Tensor) -> torch.Tensor:
        """feats: the backbone's levels; kp_pixels [B, J, 2] pixel (u, v) in the network's input image; text
        [B, J, text_dim] (or [J, text_dim], shared); eps [B, 5, J, c]. Returns [B, J, 3] metres."""
        arch = self.arch
        B, J = kp_pixels.shape[:2]
        L, c = arch.n_levels, arch.embed_dim
        if text.dim() == 2:
            text = text.expand(B, *text.shape)
        points_emb = self.points_proj(normalise_screen(kp_pixels, arch.image_width, arch.image_height)) \
            + self.spatial_pos
        text_emb = self.text_proj(text) + self.text_pos
        ref = grid_coordinates(kp_pixels, arch.image_width, arch.image_height)[:, None].expand(B, L, J, 2)
        sampled = sample_levels(feats, ref)
        x0 = torch.stack([self.level_proj[lvl](s) for lvl, s in enumerate(sampled)], 1) + self.level_pos
        x = x0
        for layer in self.spatial:
            x = layer(x, points_emb, ref, feats)
        x_p = torch.cat([x, points_emb[:, None]], 1)
        x, ref_t = x0, ref
        for layer in self.semantic:
            x, ref_t = layer(x, text_emb, ref_t, feats)
        x_t = torch.cat([x, text_emb[:, None]], 1)
        x = self.align(x_p, x_t, eps)  # [B, T, J, c]
        T = x.shape[1]
        x = x.permute(0, 2, 1, 3).reshape(B * J, T, c) + self.scale_pos
        for blk in self.level_blocks:
            x = blk(x)
        x = x.reshape(B, J, T * c) + self.joint_pos
        for blk in self.joint_blocks:
            x = blk(x)
        return self.head(self.head_norm(x))
