"""The retrieval networks: PoseScript's PoseText and PoseFix's PairText, with UniPose's BiGRU text encoder.

Facts from naver/posescript `retrieval/model_retrieval.py`, `retrieval_modifier/model_retrieval_modifier.py`,
`encoders/pose_encoder_decoder.py` and liyiheng23/UniPose `posegpt/models/retrieval.py` @14de673. All embeddings are
float32 [B, latent_dim] with unit L2 norm, so a dot product is a cosine similarity.

Inputs
* poses: SMPL-family axis-angle float32 [B, J, 3] (J = `n_joints`, 22 or 52), flattened joint-major (x, y, z of
  joint 0, then joint 1, ...) as upstream flattens them;
* texts: token ids int64 [B, L] padded on the right, and their lengths int64 [B] (special tokens included).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from benchmark.retrieval.config import ArchitectureConfig


def l2_normalise(x: torch.Tensor) -> torch.Tensor:
    return F.normalize(x, dim=-1)


class PoseFeatures(nn.Module):
    """What the pose side reads [B, d]: the flattened axis-angle rotations, and with `pose_features`
    "axis_angle+joints" also the joint positions of the 22-joint skeleton body relative to the pelvis (metres),
    computed here by forward kinematics (no trainable parameter)."""

    def __init__(self, arch: ArchitectureConfig):
        super().__init__()
        self.with_joints = arch.pose_features == "axis_angle+joints"
        self.dim = arch.n_joints * 3 * (2 if self.with_joints else 1)
        if self.with_joints:
            from benchmark.body.skeleton import SkeletonBody

            body = SkeletonBody()
            self.register_buffer("rest_joints", body.rest_joints.clone(), persistent=False)
            self.register_buffer("parents", body.parents.clone(), persistent=False)

    def forward(self, poses: torch.Tensor) -> torch.Tensor:
        flat = poses.reshape(poses.shape[0], -1)
        if not self.with_joints:
            return flat
        from benchmark.body.kinematics import forward_kinematics

        joints = forward_kinematics(poses.reshape(poses.shape[0], -1, 3), self.rest_joints, self.parents)
        return torch.cat([flat, (joints - joints[:, :1]).reshape(poses.shape[0], -1)], dim=-1)


class PoseEncoder(nn.Module):
    """VPoser encoder trunk (its distribution head removed) + PoseScript's retrieval head -> unit vector."""

    def __init__(self, arch: ArchitectureConfig):
        super().__init__()
        self.features = PoseFeatures(arch)
        d_in, h = self.features.dim, arch.pose_hidden
        self.n_joints = arch.n_joints
        self.trunk = nn.Sequential(
            nn.BatchNorm1d(d_in), nn.Linear(d_in, h), nn.LeakyReLU(), nn.BatchNorm1d(h), nn.Dropout(arch.dropout),
            nn.Linear(h, h), nn.Linear(h, h),
        )
        # The 32-wide bottleneck is PoseScript's: it keeps VPoser's latent size while mapping to the joint space.
        self.head = nn.Sequential(nn.Linear(h, arch.pose_bottleneck), nn.ReLU(),
                                  nn.Linear(arch.pose_bottleneck, arch.latent_dim))

    def forward(self, poses: torch.Tensor) -> torch.Tensor:
        return l2_normalise(self.head(self.trunk(self.features(poses))))


class BiGRUTextEncoder(nn.Module):
    """UniPose's TextEncoderBiGRUCo: frozen word embeddings -> MLP -> 1-layer BiGRU -> MLP -> unit vector.

    The text vector concatenates the GRU's last hidden state in each direction, over the true length of each text
    (the forward direction ends on the last token, the backward direction starts there), from a learned initial
    hidden state, as upstream does with a packed sequence. The two directions are two unidirectional GRUs run on
    padded batches: the forward one reads the tokens in order, the backward one reads each text reversed within its
    own length (padding stays at the end), and each state is read at position length - 1. This gives the packed
    result exactly (`encode_packed` is the packed reference; the tests compare them), while PyTorch's packed RNN
    backward allocates and zero-fills a full-size gradient per time step (pytorch/pytorch#149194), a cost quadratic
    in the text length: on this CPU the packed path was 1.03-1.13x slower at 60 tokens and 1.6-6x slower at 150-170
    tokens, depending on batch size and machine load (benchmark.retrieval.perf measures it).
    """

    def __init__(self, arch: ArchitectureConfig, word_embeddings: torch.Tensor):
        super().__init__()
        h = arch.text_hidden
        # Frozen and not saved with the weights: it is the backbone's, identified by the backbone hash in the config.
        self.register_buffer("word_embeddings", word_embeddings, persistent=False)
        d_word = int(word_embeddings.shape[1])
        self.input_mlp = nn.Sequential(nn.Linear(d_word, h), nn.LayerNorm(h), nn.Linear(h, h))
        self.gru_forward = nn.GRU(h, h, num_layers=1, batch_first=True)
        self.gru_backward = nn.GRU(h, h, num_layers=1, batch_first=True)
        self.initial_hidden = nn.Parameter(torch.randn(2, 1, h))  # [direction, 1, h]
        self.output_mlp = nn.Sequential(nn.Linear(2 * h, h), nn.LayerNorm(h), nn.LeakyReLU(0.2),
                                        nn.Linear(h, arch.latent_dim))

    def _tokens(self, token_ids: torch.Tensor) -> torch.Tensor:
        return self.input_mlp(F.embedding(token_ids, self.word_embeddings))

    def _initial(self, direction: int, batch: int) -> torch.Tensor:
        return self.initial_hidden[direction:direction + 1].expand(-1, batch, -1).contiguous()

    def forward(self, token_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self._tokens(token_ids)  # [B, L, h]
        batch, length, h = x.shape
        last = (lengths.to(x.device).clamp(min=1) - 1).long()  # a text of 0 tokens reads its first (pad) token
        rows = torch.arange(batch, device=x.device)
        steps = torch.arange(length, device=x.device).expand(batch, -1)
        # Reverse each text within its length; padded positions map to themselves (they come after, unused).
        reverse = torch.where(steps <= last[:, None], last[:, None] - steps, steps)
        x_reversed = x.gather(1, reverse[..., None].expand(-1, -1, h))
        out_f, _ = self.gru_forward(x, self._initial(0, batch))
        out_b, _ = self.gru_backward(x_reversed, self._initial(1, batch))
        return self._head(out_f[rows, last], out_b[rows, last])

    def encode_packed(self, token_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The same embedding through upstream's packed bidirectional GRU (reference path; slow backward on CPU)."""
        gru = nn.GRU(self.gru_forward.input_size, self.gru_forward.hidden_size, batch_first=True, bidirectional=True)
        with torch.no_grad():
            for name, value in self.gru_forward.named_parameters():
                getattr(gru, name).copy_(value)
            for name, value in self.gru_backward.named_parameters():
                getattr(gru, f"{name}_reverse").copy_(value)
        gru = gru.to(self.initial_hidden.device).train(self.training)
        x = self._tokens(token_ids)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        hidden0 = self.initial_hidden.expand(-1, token_ids.shape[0], -1).contiguous()
        _, last = gru(packed, hidden0)  # [2, B, h], back in the input order
        return self._head(last[0], last[1])

    def _head(self, last_forward: torch.Tensor, last_backward: torch.Tensor) -> torch.Tensor:
        return l2_normalise(self.output_mlp(torch.cat([last_forward, last_backward], dim=-1)))


class PairFusion(nn.Module):
    """PoseFix PairText's fusion of the two pose embeddings: concat -> 3 Linear+LeakyReLU -> unit vector."""

    def __init__(self, arch: ArchitectureConfig):
        super().__init__()
        d = arch.latent_dim
        self.mlp = nn.Sequential(nn.Linear(2 * d, 2 * d), nn.LeakyReLU(), nn.Linear(2 * d, d), nn.LeakyReLU(),
                                 nn.Linear(d, d), nn.LeakyReLU())

    def forward(self, emb_a: torch.Tensor, emb_b: torch.Tensor) -> torch.Tensor:
        return l2_normalise(self.mlp(torch.cat([emb_a, emb_b], dim=-1)))


class PairFeatureEncoder(nn.Module):
    """A pose pair (A, B) -> unit vector, from the pose features of A, B and B - A (`pair_fusion` "features").

    An instruction says how B differs from A, joint by joint ("bend your left knee more"); PoseFix's PairText fuses
    two pose embeddings that each went through a 32-wide bottleneck, where such differences are mostly lost. Here an
    MLP (BatchNorm, Linear, LeakyReLU, BatchNorm, Dropout, Linear, LeakyReLU, Linear) reads the differences directly.
    """

    def __init__(self, arch: ArchitectureConfig):
        super().__init__()
        self.features = PoseFeatures(arch)
        d, h = 3 * self.features.dim, arch.pair_hidden
        self.mlp = nn.Sequential(nn.BatchNorm1d(d), nn.Linear(d, h), nn.LeakyReLU(), nn.BatchNorm1d(h),
                                 nn.Dropout(arch.dropout), nn.Linear(h, h), nn.LeakyReLU(),
                                 nn.Linear(h, arch.latent_dim))

    def forward(self, poses_a: torch.Tensor, poses_b: torch.Tensor) -> torch.Tensor:
        fa, fb = self.features(poses_a), self.features(poses_b)
        return l2_normalise(self.mlp(torch.cat([fa, fb, fb - fa], dim=-1)))


class RetrievalModel(nn.Module):
    def __init__(self, arch: ArchitectureConfig, word_embeddings: torch.Tensor):
        super().__init__()
        self.arch = arch
        if not (arch.kind == "pair-text" and arch.pair_fusion == "features"):
            self.pose_encoder = PoseEncoder(arch)
        self.text_encoder = BiGRUTextEncoder(arch, word_embeddings)
        # The learnable scale of the similarity scores (upstream: initialised at 10, its own parameter group).
        self.temperature = nn.Parameter(torch.tensor(float(arch.temperature_init)))

    def encode_texts(self, token_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.text_encoder(token_ids, lengths)

    def parameter_groups(self) -> list[dict]:
        """Adam parameter groups: the networks, and the temperature on its own."""
        nets = [p for name, p in self.named_parameters() if name != "temperature"]
        return [{"params": nets}, {"params": [self.temperature]}]


class PoseTextModel(RetrievalModel):
    """PoseScript's PoseText: a pose and a text are mapped to one joint space."""

    kind = "pose-text"

    def encode_inputs(self, poses: torch.Tensor) -> torch.Tensor:
        return self.pose_encoder(poses)


class PairTextModel(RetrievalModel):
    """PoseFix's PairText: a pose pair (A, B) and the text that turns A into B are mapped to one joint space."""

    kind = "pair-text"

    def __init__(self, arch: ArchitectureConfig, word_embeddings: torch.Tensor):
        super().__init__(arch, word_embeddings)
        if arch.pair_fusion == "features":
            self.pair_encoder = PairFeatureEncoder(arch)
        else:
            self.fusion = PairFusion(arch)

    def encode_inputs(self, poses_a: torch.Tensor, poses_b: torch.Tensor) -> torch.Tensor:
        if self.arch.pair_fusion == "features":
            return self.pair_encoder(poses_a, poses_b)
        # One shared pose encoder, called on A and on B separately as upstream (in training, BatchNorm then takes
        # the statistics of the A batch and of the B batch apart, not of their union).
        return self.fusion(self.pose_encoder(poses_a), self.pose_encoder(poses_b))


def build_model(arch: ArchitectureConfig, word_embeddings: torch.Tensor) -> RetrievalModel:
    """A freshly initialised model (PyTorch's default initialisation, from the global RNG: seed it, or fork it)."""
    cls = PoseTextModel if arch.kind == "pose-text" else PairTextModel
    return cls(arch, word_embeddings)
