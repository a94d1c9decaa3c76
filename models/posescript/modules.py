"""The building blocks of the PoseScript / PoseFix models, laid out so that a released checkpoint's state dict maps
onto them key for key (naver/posescript @15c8958, src/text2pose/encoders/{pose_encoder_decoder,text_encoders,
text_decoders,modules}.py and human_body_prior's VPoser v2):

* `PoseEncoder.encoder` is VPoser's encoder trunk (flatten, BatchNorm, Linear, LeakyReLU, BatchNorm, Dropout,
  Linear, Linear) at the same Sequential indices, followed by the head of its role: a Normal distribution
  ("generative"), a 32-d bottleneck and an L2-normalised embedding ("retrieval"), or one Linear ("modifier").
* `PoseDecoder.decoder` is VPoser's decoder: Linear, LeakyReLU, Dropout, Linear, LeakyReLU, Linear to 6D per joint,
  then Gram-Schmidt to rotation matrices.
* `TextEncoder`: word embeddings (learnt over the dataset vocabulary; GloVe-initialised upstream) or a frozen
  DistilBERT, a ReLU + Linear projection, sinusoidal positions, a Transformer encoder, masked mean pooling, and the
  role's head; or the ECCV bi-GRU.
* `TextDecoder`: token embeddings, sinusoidal positions, a Transformer decoder cross-attending to the pose tokens,
  a Linear over the vocabulary; greedy decoding with a minimum length.
* `TIRG` (Vo et al., CVPR'19): gated + residual composition of two embeddings.

Modules are batch-first (the weights do not depend on it); the positional tables are recomputed, not stored.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal


class NormalHead(nn.Module):
    """A diagonal Normal from features (VPoser's NormalDistDecoder: softplus scale)."""

    def __init__(self, dim_in: int, latent_d: int):
        super().__init__()
        self.mu = nn.Linear(dim_in, latent_d)
        self.logvar = nn.Linear(dim_in, latent_d)

    def forward(self, x):
        return Normal(self.mu(x), F.softplus(self.logvar(x)))


class L2Norm(nn.Module):
    def forward(self, x):
        return x / x.norm(dim=-1, keepdim=True).clamp_min(1e-8)


class Concat(nn.Module):
    def forward(self, xs):
        return torch.cat(xs, dim=1)


def sixd_to_rotmat(x: torch.Tensor) -> torch.Tensor:
    """[..., 6] -> [..., 3, 3]: the 6 numbers are a 3 x 2 matrix whose columns are orthonormalised (Zhou et al.,
    CVPR'19), in VPoser's layout, so that a released decoder's outputs mean the same rotations here."""
    m = x.reshape(*x.shape[:-1], 3, 2)
    b1 = F.normalize(m[..., 0], dim=-1)
    a2 = m[..., 1]
    b2 = F.normalize(a2 - (b1 * a2).sum(-1, keepdim=True) * b1, dim=-1)
    b3 = torch.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)


class SixD(nn.Module):
    def forward(self, x):
        return sixd_to_rotmat(x.reshape(x.shape[0], -1, 6))


def _trunk(n_joints: int, num_neurons: int) -> list[nn.Module]:
    # VPoser's encoder trunk (indices 0-7 of its encoder_net; index 0 flattens)
    d = n_joints * 3
    return [nn.Flatten(), nn.BatchNorm1d(d), nn.Linear(d, num_neurons), nn.LeakyReLU(), nn.BatchNorm1d(num_neurons),
            nn.Dropout(0.1), nn.Linear(num_neurons, num_neurons), nn.Linear(num_neurons, num_neurons)]


class PoseEncoder(nn.Module):
    ROLES = ("generative", "retrieval", "modifier")

    def __init__(self, n_joints: int, num_neurons: int, latent_d: int, role: str, bottleneck: int = 32):
        super().__init__()
        if role not in self.ROLES:
            raise ValueError(f"unknown pose encoder role {role!r}")
        self.n_joints = n_joints
        head: list[nn.Module]
        if role == "generative":
            head = [NormalHead(num_neurons, latent_d)]
        elif role == "retrieval":
            head = [nn.Linear(num_neurons, bottleneck), nn.ReLU(), nn.Linear(bottleneck, latent_d), L2Norm()]
        else:
            head = [nn.Linear(num_neurons, latent_d)]
        self.encoder = nn.Sequential(*_trunk(n_joints, num_neurons), *head)

    def forward(self, poses):
        """poses [B, J, 3] axis-angle (J >= n_joints: extra joints are dropped)."""
        return self.encoder(poses[:, :self.n_joints])


class PoseDecoder(nn.Module):
    def __init__(self, n_joints: int, num_neurons: int, latent_d: int):
        super().__init__()
        self.n_joints = n_joints
        self.decoder = nn.Sequential(nn.Linear(latent_d, num_neurons), nn.LeakyReLU(), nn.Dropout(0.1),
                                     nn.Linear(num_neurons, num_neurons), nn.LeakyReLU(),
                                     nn.Linear(num_neurons, n_joints * 6), SixD())

    def forward(self, z) -> torch.Tensor:
        """Rotation matrices [B, J, 3, 3]."""
        return self.decoder(z)


class PositionalEncoding(nn.Module):
    """Sinusoidal positions (Vaswani et al.), added to batch-first sequences, then dropout."""

    def __init__(self, d_model: int, dropout: float = 0.1, max_len: int = 512):
        super().__init__()
        position = torch.arange(max_len, dtype=torch.float32)[:, None]
        div = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div)
        pe[:, 1::2] = torch.cos(position * div)
        self.register_buffer("pe", pe, persistent=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(x + self.pe[:x.shape[1]])


def padding_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """True where a position is padding, [B, max_len]."""
    return torch.arange(max_len, device=lengths.device)[None] >= lengths[:, None]


class TextEncoder(nn.Module):
    """Token ids [B, T] + lengths [B] -> the role's output: a Normal ("generative"), an embedding ("modifier") or
    an L2-normalised embedding ("retrieval")."""

    KINDS = ("transformer", "bigru", "distilbert")

    def __init__(self, kind: str, role: str, *, vocab_size: int, word_dim: int, embed_dim: int, latent_d: int,
                 n_layers: int = 4, n_heads: int = 4, ff: int = 1024, dropout: float = 0.1,
                 bert_config: dict | None = None):
        super().__init__()
        if kind not in self.KINDS:
            raise ValueError(f"unknown text encoder {kind!r}")
        self.kind, self.role = kind, role
        if role == "generative":
            self.output_layer = NormalHead(embed_dim, latent_d)
        elif role == "retrieval":
            self.output_layer = L2Norm()
        else:
            self.output_layer = nn.Sequential()
        if kind == "bigru":
            # the ECCV model: no dropout, final hidden states of both directions concatenated
            self.embed = nn.Embedding(vocab_size, word_dim)
            self.sent_enc = nn.GRU(word_dim, embed_dim // 2, bidirectional=True, batch_first=True)
            return
        if kind == "distilbert":
            from transformers import DistilBertConfig, DistilBertModel

            self.pretrained_text_encoder = DistilBertModel(DistilBertConfig(**(bert_config or {})))
            self.pretrained_text_encoder.requires_grad_(False)  # frozen upstream
            word_dim = self.pretrained_text_encoder.config.dim
        else:
            self.embed = nn.Embedding(vocab_size, word_dim)
            self.embed_sequential = nn.Sequential(self.embed, nn.Dropout(dropout))
        self.projection = nn.Sequential(nn.ReLU(), nn.Linear(word_dim, embed_dim))
        self.positional_encoding = PositionalEncoding(embed_dim, dropout)
        layer = nn.TransformerEncoderLayer(embed_dim, n_heads, ff, dropout, activation="gelu", batch_first=True)
        self.transformer_encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor):
        if self.kind == "bigru":
            packed = nn.utils.rnn.pack_padded_sequence(self.embed(tokens), lengths.cpu(), batch_first=True,
                                                       enforce_sorted=False)
            _, hidden = self.sent_enc(packed)  # [2, B, H]
            return self.output_layer(hidden.permute(1, 0, 2).reshape(tokens.shape[0], -1))
        pad = padding_mask(lengths, tokens.shape[1])
        if self.kind == "distilbert":
            x = self.pretrained_text_encoder(input_ids=tokens, attention_mask=(~pad).long()).last_hidden_state
        else:
            x = self.embed_sequential(tokens)
        x = self.transformer_encoder(self.positional_encoding(self.projection(x)), src_key_padding_mask=pad)
        keep = (~pad).unsqueeze(-1).to(x.dtype)
        pooled = (x * keep).sum(1) / keep.sum(1).clamp_min(1e-9)
        return self.output_layer(pooled)


class ModalityInputAdapter(nn.Module):
    """An embedding [B, D] or tokens [B, M, D] -> decoder memory [B, M, d]."""

    def __init__(self, dim_in: int, dim_out: int):
        super().__init__()
        self.encoder_hidden_state_adaptor = nn.Linear(dim_in, dim_out)

    def forward(self, z):
        return self.encoder_hidden_state_adaptor(z[:, None] if z.dim() == 2 else z)


class TextDecoder(nn.Module):
    def __init__(self, vocab_size: int, d_model: int, n_layers: int, n_heads: int, ff: int = 1024,
                 dropout: float = 0.1):
        super().__init__()
        self.d_model = d_model
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.positional_encoding = PositionalEncoding(d_model, dropout)
        self.final_layer = nn.Linear(d_model, vocab_size)
        layer = nn.TransformerDecoderLayer(d_model, n_heads, ff, dropout, activation="gelu", batch_first=True)
        self.transformer_decoder = nn.TransformerDecoder(layer, n_layers)
        self.encoder_positional_encoding = PositionalEncoding(d_model, dropout)

    def forward(self, memory: torch.Tensor, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Next-token logits [B, T, V] for the tokens [B, T] (which start with <start>)."""
        if memory.shape[1] > 1:  # several memory tokens are told apart by their position
            memory = self.encoder_positional_encoding(memory)
        T = tokens.shape[1]
        x = self.positional_encoding(self.embedding(tokens) * math.sqrt(self.d_model))
        causal = torch.triu(torch.ones(T, T, dtype=torch.bool, device=tokens.device), 1)
        x = self.transformer_decoder(x, memory, tgt_mask=causal, tgt_key_padding_mask=padding_mask(lengths, T))
        return self.final_layer(x)

    def loss(self, memory, tokens, lengths, pad_id: int) -> torch.Tensor:
        logits = self.forward(memory, tokens, lengths)
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1),
                               ignore_index=pad_id)

    @torch.no_grad()
    def generate_greedy(self, memory, *, bos: int, eos: int, pad: int, min_len: int = 10,
                        max_len: int = 200, no_repeat_ngram: int = 0) -> list[list[int]]:
        """Greedy decoding as upstream's TextDecoder.generate_greedy (naver/posescript,
        encoders/text_decoders.py): <end> is barred until `min_len` tokens (the <start> included), at most `max_len`;
        returns the ids after <start>, up to <end> excluded.

        Plain greedy, which a small, briefly trained decoder turns into loops ("further forward than the left foot
        further forward than ..."), running to the length limit. With `no_repeat_ngram` = n > 0 a token that would
        repeat an n-gram of the text is barred (transformers' NoRepeatNGramLogitsProcessor, the
        `no_repeat_ngram_size` of Hugging Face's generation): the loops stop, the model is unchanged. 0 is upstream's
        plain greedy."""
        from transformers import NoRepeatNGramLogitsProcessor

        barring = NoRepeatNGramLogitsProcessor(no_repeat_ngram) if no_repeat_ngram > 0 else None
        B = memory.shape[0]
        tokens = torch.full((B, 1), bos, dtype=torch.long, device=memory.device)
        done = torch.zeros(B, dtype=torch.bool, device=memory.device)
        for step in range(1, max_len):
            lengths = torch.full((B,), tokens.shape[1], dtype=torch.long, device=memory.device)
            logits = self.forward(memory, tokens, lengths)[:, -1]
            if step < min_len:
                logits[:, eos] = -torch.inf
            if barring is not None:
                logits[:, [pad, bos]] = -torch.inf  # never a word (a <pad> would hide a repeat once dropped)
                logits = barring(tokens, logits)  # (<end> ends the text, so it never repeats an n-gram)
                logits[torch.isinf(logits).all(-1), eos] = 0.0  # everything barred: the text ends here
            nxt = logits.argmax(-1)
            nxt[done] = pad
            tokens = torch.cat([tokens, nxt[:, None]], 1)
            done |= nxt == eos
            if done.all():
                break
        out = []
        for row in tokens[:, 1:].tolist():
            out.append(row[:row.index(eos)] if eos in row else row)
        return [[t for t in r if t != pad] for r in out]


class TIRG(nn.Module):
    """Text Image Residual Gating (Vo et al., CVPR'19), as PoseFix uses it to compose pose A with an instruction
    (or pose B with pose A): sigmoid(gate([x, m])) * x * a0 + residual([x, m]) * a1. The output has x's size."""

    def __init__(self, dims: tuple[int, int], output_dim: int):
        super().__init__()
        d = sum(dims)
        # upstream changed the second coefficient from TIRG's 10.0 to 1.0
        self.a = nn.Parameter(torch.tensor([1.0, 1.0]))
        self.gated_feature_composer = nn.Sequential(Concat(), nn.BatchNorm1d(d), nn.ReLU(), nn.Linear(d, output_dim))
        self.res_info_composer = nn.Sequential(Concat(), nn.BatchNorm1d(d), nn.ReLU(), nn.Linear(d, d), nn.ReLU(),
                                               nn.Linear(d, output_dim))

    def forward(self, main, modifier):
        gate = self.gated_feature_composer((main, modifier))
        residual = self.res_info_composer((main, modifier))
        return torch.sigmoid(gate) * main * self.a[0] + residual * self.a[1]


# ---- the reconstruction likelihoods of the generative models (learnt log-sigma each) ----
def laplace_nll(x, mu, log_sigma):
    return math.log(2.0) + log_sigma + (x - mu).abs() / log_sigma.exp()


def gaussian_nll(x, mu, log_sigma):
    return 0.5 * math.log(2 * math.pi) + log_sigma + 0.5 * ((x - mu) / log_sigma.exp()) ** 2
