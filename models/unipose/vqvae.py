"""UniPose's pose tokenizer (stage 1): a VQ-VAE that turns one body pose into 80 codebook ids and back.

Architecture as upstream (liyiheng23/UniPose posegpt/models/pose_vqvae.py @14de673, whose encoder and decoder are
TokenHMR's tokenization/models/vanilla_pose_vqvae.py, CVPR'24): the 22 joint rotations (root + 21 body joints, 6D:
the first two rows of each rotation matrix) are a length-22 sequence of 6 channels; 1-D convolutions stretch it to
160 positions and a strided convolution brings it down to 80 latent vectors, each quantised to its nearest code of an
EMA codebook (`QuantizeEMAReset`, upstream posegpt/models/components/quantize_cnn.py); the decoder resamples the 80
quantised vectors down to 22 positions and reads one 6D rotation per joint off them.

    encode(poses_aa [B, 22, 3]) -> ids [B, 80]        decode(ids [B, 80]) -> poses_aa [B, 22, 3]

`save(folder)` writes config.json + model.safetensors (codebook and its EMA statistics included); `PoseVQVAE.load`
reads them back. `load_upstream_checkpoint(path)` reads UniPose's released Lightning checkpoint
(`cache/pose_vqvae/best_MPJPE.ckpt`) through the documented key map `upstream_key_map`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from benchmark.body import rotations
from benchmark.errors import InputError

MODEL_TYPE = "unipose-pose-vqvae"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


def latent_length(n_joints: int) -> int:
    """Number of latent vectors the architecture yields for `n_joints` joints: the encoder first resamples the
    joints to the multiple of ten below 2 * n_joints (40 for 22), doubles that twice (160) and halves it once."""
    return ((2 * n_joints) // 10) * 10 * 4 // 2


def decoder_lengths(n_joints: int) -> list[int]:
    """Lengths the decoder resamples to, from the latent length down to the joints: 4 steps evenly spaced between
    n_joints and the latent length, truncated to integers, largest first (65, 51, 36, 22 for 22 joints), as
    upstream's `np.linspace(num_joints, num_tokens, 4, endpoint=False, dtype=int)[::-1]`."""
    n_latents = latent_length(n_joints)
    return [int(n_joints + i * (n_latents - n_joints) / 4) for i in range(3, -1, -1)]


@dataclass(frozen=True)
class VQVAEConfig:
    """Sizes of the tokenizer and the weights of its training loss (UniPose App. Table 1 and upstream
    configs/pose_vqvae.py @14de673: width 512, 256-d codes, 2048 codes, EMA 0.99, lambda 20 / 100 / 100 / 1)."""

    width: int = 512
    code_dim: int = 256
    codebook_size: int = 2048
    n_joints: int = 22
    n_latents: int = 80
    ema_decay: float = 0.99
    lambda_rot: float = 20.0
    lambda_joints: float = 100.0
    lambda_vertices: float = 100.0
    lambda_commit: float = 1.0

    def __post_init__(self):
        for name in ("width", "code_dim", "codebook_size", "n_joints"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(f"must be a positive integer, got {value!r}", field=name)
        if self.n_latents != latent_length(self.n_joints):
            raise InputError(f"the architecture yields {latent_length(self.n_joints)} latents for {self.n_joints} "
                             f"joints, not {self.n_latents}", field="n_latents",
                             hint="leave n_latents at its default; it is fixed by n_joints")
        if not 0.0 <= self.ema_decay < 1.0:
            raise InputError(f"must be in [0, 1), got {self.ema_decay}", field="ema_decay")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict, *, source: str | None = None) -> VQVAEConfig:
        data = {k: v for k, v in data.items() if k != "model_type"}
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"unknown tokenizer config fields {unknown}", file=source,
                             hint=f"known fields: {', '.join(sorted(known))}")
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps({"model_type": MODEL_TYPE, **self.to_dict()}, indent=2)

    @classmethod
    def from_json(cls, text: str, *, source: str | None = None) -> VQVAEConfig:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc})", file=source) from None
        if not isinstance(data, dict):
            raise InputError("expected a JSON object", file=source)
        if data.get("model_type", MODEL_TYPE) != MODEL_TYPE:
            raise InputError(f"model_type is {data['model_type']!r}, not {MODEL_TYPE!r}", file=source,
                             field="model_type", hint="point at a folder written by PoseVQVAE.save")
        return cls.from_dict(data, source=source)


VQVAE_PRESETS: dict[str, VQVAEConfig] = {
    # Trains on the embedded world's ~4k train poses within about a minute and a half on 2 CPU cores
    # (models/unipose/tokenizer_training.py, TOKENIZER_RECIPES["tiny"]); a width of 64 costs little more per pose than
    # 32 on CPU (the convolutions are overhead-bound). 128 codes, not upstream's 2048: the language model has to learn
    # each of the 80 codes from the world's few thousand examples. The tiny UniPose (all four stages, Intel Xeon),
    # 512 -> 128 codes, seed 0 / seed 1: tokenizer val MPJPE / PA-MPJPE 34.1 / 20.8 -> 38.0 / 24.3 mm; pose
    # estimation PA-MPJPE 177.5 -> 166.2 / 178.4 -> 165.0 mm (the mean pose: 143.8), MPJPE 419.9 -> 399.7 / 446.2 ->
    # 457.0 (the mean pose: 407.9; the global orientation is a coin toss either way); Text-to-Pose R^T2P@5 7.7 ->
    # 12.0 / 12.0 -> 11.7 %, MPJPE 269.8 -> 263.9 / 246.2 -> 251.0 mm; pose editing PA-MPJPE 121.2 -> 114.5 / 114.9
    # -> 113.7 mm; the text columns within their seed-to-seed noise (Pose-to-Text R-P@1 8.7 -> 9.0 / 9.3 -> 5.7 %);
    # all four stages take 390 s instead of 450 in the main job. 64 codes (seed 0; 40.3 / 26.4 mm) scored worse on
    # pose-to-text (R-P@1 5.3 %) and pose editing (227.4 mm).
    "tiny": VQVAEConfig(width=64, code_dim=32, codebook_size=128),
    # The released UniPose tokenizer (upstream configs/pose_vqvae.py @14de673).
    "paper": VQVAEConfig(),
}


def preset_config(name: str) -> VQVAEConfig:
    if name not in VQVAE_PRESETS:
        raise InputError(f"unknown tokenizer preset {name!r}", field="preset",
                         hint=f"choose one of {', '.join(VQVAE_PRESETS)}")
    return VQVAE_PRESETS[name]


# ----------------------------------------------------------------------------------------------------------------
# Building blocks


class ResidualConvBlock(nn.Module):
    """x + conv1x1(relu(conv3_dilated(relu(x)))): upstream's ResConv1DBlock with ReLU and no normalisation."""

    def __init__(self, width: int, dilation: int):
        super().__init__()
        self.conv1 = nn.Conv1d(width, width, 3, padding=dilation, dilation=dilation)
        self.conv2 = nn.Conv1d(width, width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


class ResidualStack(nn.Module):
    """Two residual blocks with dilations 3 then 1. Upstream's Resnet1D builds dilations growth**depth = (1, 3)
    and its `reverse_dilation` argument defaults to True, so both the encoder's stack (which does not pass it) and
    the decoder's (which passes True) run dilation 3 first (posegpt/models/components/resnet.py @14de673)."""

    def __init__(self, width: int, depth: int = 2, growth: int = 3):
        super().__init__()
        self.blocks = nn.ModuleList(ResidualConvBlock(width, growth ** d) for d in reversed(range(depth)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return x


def _resample(x: torch.Tensor, length: int) -> torch.Tensor:
    """Nearest-neighbour resampling of [B, C, T] to `length` positions (upstream's nn.Upsample(size))."""
    return F.interpolate(x, size=length, mode="nearest")


class PoseEncoder(nn.Module):
    """[B, 6, J] joint rotations -> [B, code_dim, n_latents] latent vectors."""

    def __init__(self, config: VQVAEConfig):
        super().__init__()
        w = config.width
        self.first_length = ((2 * config.n_joints) // 10) * 10  # 40: a multiple of ten, as upstream
        self.lift = nn.Conv1d(6, w, 3, padding=1)
        self.widen = nn.Conv1d(w, w, 3, padding=1)                    # after resampling 22 -> 40
        self.upsample = nn.ModuleList(nn.Conv1d(w, w, 3, padding=1) for _ in range(2))  # 40 -> 80 -> 160
        self.downsample = nn.Conv1d(w, w, 4, stride=2, padding=1)     # 160 -> 80
        self.resnet = ResidualStack(w)
        self.project = nn.Conv1d(w, config.code_dim, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.lift(x))
        x = F.relu(self.widen(_resample(x, self.first_length)))
        for conv in self.upsample:
            x = F.relu(conv(F.interpolate(x, scale_factor=2, mode="nearest")))
        x = self.resnet(self.downsample(x))
        return self.project(x)


class PoseDecoder(nn.Module):
    """[B, code_dim, n_latents] quantised vectors -> [B, 6, J] joint rotations (6D)."""

    def __init__(self, config: VQVAEConfig):
        super().__init__()
        w = config.width
        self.lengths = decoder_lengths(config.n_joints)
        self.lift = nn.Conv1d(config.code_dim, w, 3, padding=1)
        self.resample = nn.ModuleList(nn.Conv1d(w, w, 3, padding=1) for _ in self.lengths)
        self.resnet = ResidualStack(w)
        self.post = nn.Conv1d(w, w, 3, padding=1)
        self.project = nn.Conv1d(w, 6, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.lift(x))
        for length, conv in zip(self.lengths, self.resample):
            x = F.relu(conv(_resample(x, length)))
        x = self.post(self.resnet(x))
        return self.project(x)


class QuantizeEMAReset(nn.Module):
    """Nearest-code quantiser whose codebook follows exponential moving averages of the latents assigned to each
    code, with dead codes reset to latents of the current batch (Jukebox / T2M-GPT style; upstream
    posegpt/models/components/quantize_cnn.py @14de673).

    Training-mode forward, per batch of latents x [N, D]:
      * the first batch initialises the codebook with K of its latents (code_sum = codebook, code_count = 1);
      * each latent takes its nearest code (squared Euclidean distance);
      * code_sum <- mu code_sum + (1 - mu) sum of the latents assigned to each code,
        code_count <- mu code_count + (1 - mu) number of them;
      * a code with code_count >= 1 becomes code_sum / code_count; the others (dead codes) are reset to latents
        drawn from this batch with `self.generator` (fresh codes keep their decayed statistics, as upstream);
      * commitment loss mse(x, sg(x_q)); x_q passes gradients straight through to x.
    Eval-mode forward only quantises. The codebook and its statistics are buffers, so they are saved and loaded.

    Draws: K distinct latents when the batch has at least K, else latents drawn with replacement plus Gaussian
    noise of std 0.01 / sqrt(D) so repeated draws differ (upstream tiles the batch with that noise).
    """

    def __init__(self, codebook_size: int, code_dim: int, decay: float = 0.99,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.codebook_size, self.code_dim, self.decay = codebook_size, code_dim, decay
        self.generator = generator
        # set while training under a launcher (benchmark.processes.Processes): each process holds a
        # slice of the batch, and the codebook follows the statistics of the whole batch
        self.processes = None
        self.register_buffer("codebook", torch.zeros(codebook_size, code_dim))
        self.register_buffer("code_sum", torch.zeros(codebook_size, code_dim))
        self.register_buffer("code_count", torch.zeros(codebook_size))
        self.register_buffer("initialised", torch.zeros((), dtype=torch.bool))

    def random_latents(self, x: torch.Tensor, k: int) -> torch.Tensor:
        n = x.shape[0]
        if n >= k:
            return x[torch.randperm(n, generator=self.generator, device="cpu")[:k].to(x.device)]
        idx = torch.randint(n, (k,), generator=self.generator, device="cpu").to(x.device)
        noise = torch.randn(k, x.shape[1], generator=self.generator, device="cpu").to(x)
        return x[idx] + noise * (0.01 / math.sqrt(x.shape[1]))

    def _whole(self, x: torch.Tensor) -> torch.Tensor:
        """This batch's rows from every process, in batch order (x itself in one process)."""
        return x if self.processes is None else self.processes.concat(x)

    def _summed(self, t: torch.Tensor) -> torch.Tensor:
        return t if self.processes is None else self.processes.sum(t)

    @torch.no_grad()
    def init_codebook(self, x: torch.Tensor) -> None:
        self.codebook.copy_(self.random_latents(x, self.codebook_size))
        self.code_sum.copy_(self.codebook)
        self.code_count.fill_(1.0)
        self.initialised.fill_(True)

    def nearest(self, x: torch.Tensor) -> torch.Tensor:
        """Index of the nearest code of each latent [N, D] -> [N]."""
        distance = (x.pow(2).sum(1, keepdim=True) - 2 * x @ self.codebook.t()
                    + self.codebook.pow(2).sum(1)[None, :])
        return distance.argmin(dim=1)

    def dequantize(self, ids: torch.Tensor) -> torch.Tensor:
        return F.embedding(ids, self.codebook)

    @staticmethod
    def perplexity(ids: torch.Tensor, codebook_size: int) -> torch.Tensor:
        """exp(entropy) of the batch's code usage: the number of codes it uses, weighted by use."""
        counts = torch.bincount(ids, minlength=codebook_size).to(torch.float32)
        prob = counts / counts.sum()
        return torch.exp(-(prob * torch.log(prob + 1e-7)).sum())

    @torch.no_grad()
    def update_codebook(self, x: torch.Tensor, ids: torch.Tensor) -> None:
        onehot = F.one_hot(ids, self.codebook_size).to(x.dtype)      # [N, K]
        batch_sum = self._summed(onehot.t() @ x)                      # [K, D]
        batch_count = self._summed(onehot.sum(0))                     # [K]
        self.code_sum.mul_(self.decay).add_(batch_sum, alpha=1 - self.decay)
        self.code_count.mul_(self.decay).add_(batch_count, alpha=1 - self.decay)
        alive = (self.code_count >= 1.0)[:, None]
        updated = self.code_sum / self.code_count.clamp_min(1e-12)[:, None]
        if bool(alive.all()):
            self.codebook.copy_(updated)
        else:
            # (code_count is the same in every process: all of them take this branch, and draw the same latents)
            self.codebook.copy_(torch.where(alive, updated, self.random_latents(self._whole(x),
                                                                                self.codebook_size)))

    def forward(self, latents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """latents [B, D, T] -> (quantised [B, D, T] with straight-through gradients, commit loss, perplexity)."""
        b, d, t = latents.shape
        x = latents.permute(0, 2, 1).reshape(b * t, d)
        if self.training and not bool(self.initialised):
            self.init_codebook(self._whole(x.detach()))
        ids = self.nearest(x.detach())
        x_q = self.dequantize(ids)  # the codes before this batch's update, as upstream
        if self.training:
            self.update_codebook(x.detach(), ids)
        commit = F.mse_loss(x, x_q.detach())
        x_q = x + (x_q - x).detach()
        return (x_q.reshape(b, t, d).permute(0, 2, 1).contiguous(), commit,
                self.perplexity(self._whole(ids) if self.training else ids, self.codebook_size))


# ----------------------------------------------------------------------------------------------------------------
# The tokenizer


def _check_poses(poses, n_joints: int) -> torch.Tensor:
    """float32 [B, n_joints, 3]; SMPL-H poses [B, 52, 3] lose their hands, which the tokenizer does not model."""
    t = torch.as_tensor(poses, dtype=torch.float32) if not isinstance(poses, torch.Tensor) else poses.float()
    if t.ndim != 3 or t.shape[1] not in (n_joints, 52) or t.shape[2] != 3:
        raise InputError(f"expected axis-angle poses [B, {n_joints}, 3], got shape {tuple(t.shape)}", field="poses",
                         hint="root orientation + 21 body joints per pose, float32 (SMPL-H hands are dropped)")
    t = t[:, :n_joints]
    if not bool(torch.isfinite(t).all()):
        row = int((~torch.isfinite(t)).flatten(1).any(1).nonzero()[0])
        raise InputError("non-finite value", field="poses", row=row)
    return t


class PoseVQVAE(nn.Module):
    def __init__(self, config: VQVAEConfig | None = None, generator: torch.Generator | None = None):
        super().__init__()
        self.config = config or VQVAEConfig()
        self.encoder = PoseEncoder(self.config)
        self.quantizer = QuantizeEMAReset(self.config.codebook_size, self.config.code_dim, self.config.ema_decay,
                                          generator=generator)
        self.decoder = PoseDecoder(self.config)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """He (fan-in) initialisation of the weights. PyTorch's default Conv1d init shrinks the signal about
        threefold per layer, so through this 12-convolution stack the untrained model's latents barely depend on its
        input (batch std ~0.003 against values ~0.06): every latent lands on the same few codes and training takes
        hundreds of steps just to get out of that collapse. Layers feeding a ReLU get its sqrt(2) gain, the output
        projections and the residual branches' last layers unit gain. Biases keep PyTorch's default: zero biases
        would decode the untrained model's all-zero codebook to all-zero 6D vectors, which are no rotation.
        (Loaded weights replace all of this.)"""
        linear = {self.encoder.project, self.decoder.project, self.decoder.post, self.encoder.downsample}
        linear |= {block.conv2 for stack in (self.encoder.resnet, self.decoder.resnet) for block in stack.blocks}
        for module in self.modules():
            if isinstance(module, nn.Conv1d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="linear" if module in linear else "relu")

    # -- tensors in, tensors out (training) --

    def poses_to_6d(self, poses_aa: torch.Tensor) -> torch.Tensor:
        """[B, J, 3] axis-angle -> [B, J, 6] (first two rows of each rotation matrix, as pytorch3d)."""
        return rotations.matrix_to_6d(rotations.axis_angle_to_matrix(poses_aa))

    def encode_latents(self, sixd: torch.Tensor) -> torch.Tensor:
        """[B, J, 6] -> continuous latents [B, code_dim, n_latents]."""
        return self.encoder(sixd.permute(0, 2, 1))

    def decode_latents(self, latents: torch.Tensor) -> torch.Tensor:
        """[B, code_dim, n_latents] -> rotation matrices [B, J, 3, 3]."""
        return rotations.sixd_to_matrix(self.decoder(latents).permute(0, 2, 1))

    def forward_6d(self, sixd: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Reconstruct from 6D input [B, J, 6] (the training loop adds its input noise there)."""
        quantised, commit, perplexity = self.quantizer(self.encode_latents(sixd))
        return self.decode_latents(quantised), commit, perplexity

    def forward(self, poses_aa: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(reconstructed rotation matrices [B, 22, 3, 3], commitment loss, codebook perplexity of the batch).
        In training mode this also updates the codebook (EMA, dead-code reset)."""
        return self.forward_6d(self.poses_to_6d(_check_poses(poses_aa, self.config.n_joints)))

    # -- the tokenizer API --

    @torch.no_grad()
    def encode(self, poses_aa) -> torch.Tensor:
        """Axis-angle poses [B, 22, 3] -> code ids, LongTensor [B, 80]."""
        poses = _check_poses(poses_aa, self.config.n_joints).to(self.codebook_device)
        latents = self.encode_latents(self.poses_to_6d(poses))
        b, d, t = latents.shape
        return self.quantizer.nearest(latents.permute(0, 2, 1).reshape(b * t, d)).reshape(b, t)

    def _check_ids(self, ids) -> torch.Tensor:
        ids = torch.as_tensor(ids)
        if ids.ndim != 2 or ids.shape[1] != self.config.n_latents or ids.dtype.is_floating_point:
            raise InputError(f"expected integer code ids [B, {self.config.n_latents}], got {tuple(ids.shape)} "
                             f"{ids.dtype}", field="ids")
        bad = (ids < 0) | (ids >= self.config.codebook_size)
        if bool(bad.any()):
            row = int(bad.any(1).nonzero()[0])
            raise InputError(f"code id out of range [0, {self.config.codebook_size})", field="ids", row=row)
        return ids.long().to(self.codebook_device)

    @torch.no_grad()
    def decode_rotmats(self, ids) -> torch.Tensor:
        """Code ids [B, 80] -> rotation matrices float32 [B, 22, 3, 3]."""
        quantised = self.quantizer.dequantize(self._check_ids(ids)).permute(0, 2, 1)
        return self.decode_latents(quantised).float()

    @torch.no_grad()
    def decode(self, ids) -> torch.Tensor:
        """Code ids [B, 80] -> axis-angle poses float32 [B, 22, 3]."""
        return rotations.matrix_to_axis_angle(self.decode_rotmats(ids)).float()

    @property
    def codebook_device(self) -> torch.device:
        return self.quantizer.codebook.device

    # -- files --

    def save(self, folder: str | Path) -> Path:
        """config.json + model.safetensors (all parameters and the codebook buffers) into `folder`."""
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}
        tmp = folder / (WEIGHTS_FILE + ".tmp")
        save_file(state, str(tmp), metadata={"model_type": MODEL_TYPE})
        tmp.replace(folder / WEIGHTS_FILE)
        (folder / CONFIG_FILE).write_text(self.config.to_json() + "\n")
        return folder

    @classmethod
    def load(cls, folder: str | Path, map_location: str | torch.device = "cpu") -> PoseVQVAE:
        from safetensors.torch import load_file

        folder = Path(folder)
        config_path, weights_path = folder / CONFIG_FILE, folder / WEIGHTS_FILE
        for path in (config_path, weights_path):
            if not path.is_file():
                raise InputError("missing", file=str(path),
                                 hint="point at a folder written by PoseVQVAE.save (config.json + model.safetensors)")
        config = VQVAEConfig.from_json(config_path.read_text(), source=str(config_path))
        model = cls(config)
        state = load_file(str(weights_path), device=str(map_location))
        _load_strict(model, state, source=str(weights_path))
        return model.eval()


def _load_strict(model: nn.Module, state: dict[str, torch.Tensor], *, source: str,
                 hint: str = "the file does not match this tokenizer's config") -> None:
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = sorted(k for k in set(expected) & set(state) if tuple(expected[k].shape) != tuple(state[k].shape))
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing keys {_few(missing)}")
        if unexpected:
            parts.append(f"unexpected keys {_few(unexpected)}")
        if wrong:
            parts.append("shape mismatch " + ", ".join(f"{k}: file {tuple(state[k].shape)} vs model "
                                                       f"{tuple(expected[k].shape)}" for k in wrong[:5]))
        raise InputError("; ".join(parts), file=source, hint=hint)
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()})


def _few(keys: list[str], n: int = 8) -> str:
    shown = ", ".join(keys[:n])
    return f"[{shown}{', ... (%d more)' % (len(keys) - n) if len(keys) > n else ''}]"


# ----------------------------------------------------------------------------------------------------------------
# UniPose's released checkpoint


# Keys of UniPose's Lightning module (posegpt/models/pose_vqvae.py @14de673) that are not the tokenizer: its
# SMPL-H body model's buffers and the loss / metric modules' running sums. They are dropped on load.
UPSTREAM_IGNORED_PREFIXES = ("body_model.", "loss.", "metric.", "metrics.")


def upstream_key_map(config: VQVAEConfig | None = None) -> dict[str, str]:
    """Our parameter/buffer prefix -> the upstream one. Upstream keeps the layers in nn.Sequential containers
    (`encoder.encoder.N`, `decoder.decoder.N`, with the ReLU and Upsample layers taking indices too):

        encoder: 0 conv 6->W | 1 relu | 2 resample to 40 | 3 conv | 4 relu | 5 x2 | 6 conv | 7 relu | 8 x2 | 9 conv
                 | 10 relu | 11 conv k4 s2 | 12 Resnet1D (model.0, model.1) | 13 conv W->D
        decoder: 0 conv D->W | 1 relu | then per length 65, 51, 36, 22: resample, conv, relu (convs at 3, 6, 9, 12)
                 | 14 Resnet1D | 15 conv | 16 conv W->6
        quantizer.codebook (upstream's only quantizer buffer; its EMA statistics are plain attributes, not saved)
    """
    config = config or VQVAEConfig()
    m = {"encoder.lift": "encoder.encoder.0", "encoder.widen": "encoder.encoder.3",
         "encoder.upsample.0": "encoder.encoder.6", "encoder.upsample.1": "encoder.encoder.9",
         "encoder.downsample": "encoder.encoder.11", "encoder.project": "encoder.encoder.13",
         "decoder.lift": "decoder.decoder.0", "quantizer.codebook": "quantizer.codebook"}
    for i in range(2):
        for conv in ("conv1", "conv2"):
            m[f"encoder.resnet.blocks.{i}.{conv}"] = f"encoder.encoder.12.model.{i}.{conv}"
    n = len(decoder_lengths(config.n_joints))
    for i in range(n):
        m[f"decoder.resample.{i}"] = f"decoder.decoder.{3 + 3 * i}"
    after = 2 + 3 * n  # 14 for 22 joints
    for i in range(2):
        for conv in ("conv1", "conv2"):
            m[f"decoder.resnet.blocks.{i}.{conv}"] = f"decoder.decoder.{after}.model.{i}.{conv}"
    m["decoder.post"] = f"decoder.decoder.{after + 1}"
    m["decoder.project"] = f"decoder.decoder.{after + 2}"
    return m


def _read_upstream_state(path: Path) -> dict[str, torch.Tensor]:
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise InputError("no such file", file=str(path),
                         hint="UniPose's tokenizer is cache/pose_vqvae/best_MPJPE.ckpt of its release") from None
    except Exception as exc:  # noqa: BLE001 - unpickling refused or corrupt file: say which and how to proceed
        raise InputError(f"cannot read as a weights-only torch checkpoint ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''})", file=str(path),
                         hint="it must hold tensors only (a Lightning checkpoint's 'state_dict', or a plain state "
                              "dict); ask its author for a weights-only copy") from None
    state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError("expected a Lightning checkpoint (a dict with 'state_dict') or a state dict of tensors",
                         file=str(path))
    return state


def load_upstream_checkpoint(path: str | Path, config: VQVAEConfig | None = None) -> PoseVQVAE:
    """A PoseVQVAE with the weights of UniPose's released tokenizer (`best_MPJPE.ckpt`, a Lightning checkpoint
    whose "state_dict" holds `encoder.encoder.N...`, `quantizer.codebook`, `decoder.decoder.N...`, possibly under a
    wrapper prefix such as "vqvae."). Sizes default to the ones the file's tensors have (width from the first
    convolution, codebook size and code dim from the codebook); everything else from `config` (default: paper).
    Upstream saves no EMA statistics: they restart from the codebook (code_sum = codebook, code_count = 1), the state
    upstream's own first batch would give, so the model can be fine-tuned as well as used."""
    path = Path(path)
    raw = _read_upstream_state(path)
    codebook_keys = [k for k in raw if k.endswith("quantizer.codebook")]
    if len(codebook_keys) != 1:
        raise InputError(f"found {len(codebook_keys)} keys ending in 'quantizer.codebook' (expected one) among "
                         f"{len(raw)} keys {_few(sorted(raw))}", file=str(path),
                         hint="is this UniPose's pose_vqvae checkpoint (best_MPJPE.ckpt)?")
    prefix = codebook_keys[0][: -len("quantizer.codebook")]
    state = {k[len(prefix):]: v for k, v in raw.items() if k.startswith(prefix)}
    state = {k: v for k, v in state.items() if not k.startswith(UPSTREAM_IGNORED_PREFIXES)}

    base = config or VQVAE_PRESETS["paper"]
    sizes = {}
    if "encoder.encoder.0.weight" in state:
        sizes["width"] = int(state["encoder.encoder.0.weight"].shape[0])
    codebook = state["quantizer.codebook"]
    if codebook.ndim == 2:
        sizes["codebook_size"], sizes["code_dim"] = int(codebook.shape[0]), int(codebook.shape[1])
    config = dataclasses.replace(base, **sizes)
    model = PoseVQVAE(config)

    ours_to_theirs = upstream_key_map(config)
    ours = {}
    for ours_name in model.state_dict():
        if ours_name in ("quantizer.code_sum", "quantizer.code_count", "quantizer.initialised"):
            continue
        prefix_ours = next((p for p in ours_to_theirs if ours_name == p or ours_name.startswith(p + ".")), None)
        theirs = ours_to_theirs[prefix_ours] + ours_name[len(prefix_ours):] if prefix_ours else ours_name
        if theirs in state:
            ours[ours_name] = state.pop(theirs)
        else:
            ours[f"<missing>{theirs}"] = None
    missing = sorted(k[len("<missing>"):] for k, v in ours.items() if v is None)
    if missing or state:
        parts = []
        if missing:
            parts.append(f"missing keys {_few(missing)}")
        if state:
            parts.append(f"unexpected keys {_few(sorted(prefix + k for k in state))}")
        raise InputError("; ".join(parts) + f" (key map: models.unipose.vqvae.upstream_key_map, prefix {prefix!r})",
                         file=str(path), hint="expected UniPose's TokenHMR-style tokenizer: 22 joints, Conv1d "
                                              "encoder/decoder in nn.Sequential, QuantizeEMAReset codebook")
    cb = ours["quantizer.codebook"]
    ours["quantizer.code_sum"] = cb.clone()
    ours["quantizer.code_count"] = torch.ones(cb.shape[0])
    ours["quantizer.initialised"] = torch.ones((), dtype=torch.bool)
    _load_strict(model, ours, source=str(path))
    return model.eval()
