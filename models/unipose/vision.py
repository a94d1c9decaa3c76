"""UniPose's visual processor: CLIP features and pose-ViT features of one image, fused and projected to the language
model's width (UniPose (CVPR'25) §3.2; upstream posegpt/models/posegpt_full_mask.py::
prepare_inputs_labels_for_multimodal and posegpt/models/vit.py @14de673).

* CLIP branch: a CLIP vision tower (ViT-L/14-336 in the paper), hidden states of its second-to-last layer without
  the CLS token: a 24 x 24 grid of 1024-d features, frozen (LLaVA's `mm_vision_select_layer=-2`, feature "patch").
* Pose branch: a plain ViT with the layout of TokenHMR's (= HMR 2.0's = ViTPose's) ViT-H backbone (256 x 192 input,
  patch 16, width 1280, depth 32, 16 heads), frozen. Its 16 x 12 grid is zero-padded symmetrically in width to
  16 x 16, then bilinearly resized (corners aligned) to the CLIP grid.
* Fusion: channel concatenation [CLIP | pose] (2304-d in the paper) and LLaVA's `mlp2x_gelu` projector
  (Linear - GELU - Linear) to the language model's hidden size.

Preprocessing is done here with PIL and numpy, identically on every machine (no torchvision, whose presence would
switch transformers to a different CLIP image processor backend):
* pose branch: the HMR transform (upstream `hmr_transform`: resize the short side to 256 bicubic, center crop
  256 x 256, ImageNet mean/std), then the width crop `[..., 32:-32]` upstream applies to get 256 x 192;
* CLIP branch: CLIP's image processor (resize the short side to the tower's size bicubic, center crop, CLIP
  mean/std).

Presets: "tiny" builds a small CLIP-architecture tower from a `transformers.CLIPVisionConfig` with random weights
(no pretrained CLIP exists offline; it stays random and frozen, so only the pose branch carries image information)
and a small pose ViT (`models.unipose.pose_vit_training` pre-trains it on the embedded world's pose-estimation
split, standing in for TokenHMR's image->SMPL pre-training); "paper" loads CLIP ViT-L/14-336 from a local folder
and the ViT-H backbone from TokenHMR's checkpoint (`vision_preset("paper", clip_path=..., pose_vit_checkpoint=...)`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import pickle
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from benchmark.errors import InputError, MissingModelFiles

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# OpenAI CLIP's normalisation (openai/clip-vit-large-patch14-336 preprocessor_config.json)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

CONFIG_FILE = "vision_config.json"
WEIGHTS_FILE = "vision.safetensors"
FORMAT_VERSION = 1


# --------------------------------------------------------------------------------------------------------- config
@dataclass(frozen=True)
class VisionConfig:
    """Everything that defines a visual processor except the language model's width (given at construction).

    CLIP: `clip_path` (a local folder with a transformers CLIP checkpoint) or `clip_config` (CLIPVisionConfig
    arguments for a randomly initialised tower). Pose ViT: input `pose_image_size` (H, W) cut from a
    `pose_resize` x `pose_resize` HMR crop; `pose_vit_checkpoint` optionally names TokenHMR's checkpoint to load.
    """

    name: str
    clip_image_size: int
    clip_path: str | None = None
    clip_config: dict | None = None
    clip_select_layer: int = -2
    pose_resize: int = 256
    pose_image_size: tuple[int, int] = (256, 192)
    pose_patch_size: int = 16
    pose_patch_padding: int = 2  # ViTPose's PatchEmbed padding for ratio 1: 4 + 2 * (1 // 2 - 1)
    pose_dim: int = 1280
    pose_depth: int = 32
    pose_heads: int = 16
    pose_mlp_ratio: float = 4.0
    pose_vit_checkpoint: str | None = None
    freeze_pose_vit: bool = True
    projector_type: str = "mlp2x_gelu"
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "pose_image_size", tuple(int(v) for v in self.pose_image_size))
        if self.clip_path is not None and self.clip_config is not None:
            raise InputError("give either clip_path (pretrained) or clip_config (from scratch), not both",
                             field="clip_path")
        h, w = self.pose_image_size
        if w > h or w > self.pose_resize or h > self.pose_resize:
            raise InputError(f"pose_image_size {self.pose_image_size} must fit in the {self.pose_resize}-pixel HMR "
                             "crop with width <= height", field="pose_image_size",
                             hint="the paper uses pose_resize=256, pose_image_size=(256, 192)")
        if (self.pose_resize - w) % 2:
            raise InputError(f"the width crop {self.pose_resize} -> {w} must remove the same number of columns on "
                             "both sides", field="pose_image_size")
        if self.projector_type != "mlp2x_gelu":
            raise InputError(f"unknown projector_type '{self.projector_type}'", field="projector_type",
                             hint="UniPose uses 'mlp2x_gelu'")
        if self.clip_select_layer >= 0:
            raise InputError("clip_select_layer counts from the end (LLaVA's -2)", field="clip_select_layer")

    @property
    def pose_grid(self) -> tuple[int, int]:
        """The pose ViT's output grid (rows, columns): floor((side + 2 pad - patch) / patch) + 1."""
        p, pad = self.pose_patch_size, self.pose_patch_padding
        return tuple((side + 2 * pad - p) // p + 1 for side in self.pose_image_size)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["pose_image_size"] = list(self.pose_image_size)
        return d

    @classmethod
    def from_dict(cls, data: dict, *, source: str | None = None) -> VisionConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"unknown vision config field(s) {', '.join(unknown)}", file=source,
                             hint=f"known fields: {', '.join(sorted(known))}")
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, *, source: str | None = None) -> VisionConfig:
        return cls.from_dict(json.loads(text), source=source)

    def replace(self, **changes) -> VisionConfig:
        return dataclasses.replace(self, **changes)


VISION_PRESETS: dict[str, VisionConfig] = {
    # 64 px CLIP with 16 px patches -> 4 x 4 = 16 image tokens; pose ViT 64 x 48 with 8 px patches -> 8 x 6 grid
    "tiny": VisionConfig(
        name="tiny", clip_image_size=64,
        clip_config={"image_size": 64, "patch_size": 16, "hidden_size": 64, "intermediate_size": 128,
                     "num_hidden_layers": 3, "num_attention_heads": 4, "projection_dim": 64},
        pose_resize=64, pose_image_size=(64, 48), pose_patch_size=8, pose_dim=64, pose_depth=3, pose_heads=4,
        pose_mlp_ratio=2.0),
    # upstream: CLIP ViT-L/14-336 (24 x 24 x 1024) + TokenHMR ViT-H (16 x 12 x 1280) -> 576 tokens of 2304
    "paper": VisionConfig(name="paper", clip_image_size=336),
}


def vision_preset(name: str, **overrides) -> VisionConfig:
    """A preset, with fields replaced (e.g. `vision_preset("paper", clip_path=DIR, pose_vit_checkpoint=CKPT)`)."""
    if name not in VISION_PRESETS:
        raise InputError(f"unknown vision preset '{name}'", field="preset",
                         hint=f"choose one of {', '.join(VISION_PRESETS)}")
    return VISION_PRESETS[name].replace(**overrides)


@contextlib.contextmanager
def seeded(seed: int):
    """Run module construction on the global RNG seeded with `seed`, leaving the caller's RNG state untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


# --------------------------------------------------------------------------------------------------- pose ViT
class PatchEmbed(nn.Module):
    def __init__(self, patch_size: int, padding: int, dim: int):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch_size, stride=patch_size, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        # softmax(q k^T / sqrt(head_dim)) v, as ViTPose's explicit attention computes it
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PoseViT(nn.Module):
    """A plain pre-norm ViT whose parameter names are those of TokenHMR's / HMR 2.0's / ViTPose's backbone
    (`patch_embed.proj`, `pos_embed`, `blocks.N.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}`, `last_norm`), so
    `load_tokenhmr_backbone` reads their checkpoints as they are. Returns the feature grid [B, dim, rows, cols].

    As in the upstream backbone, `pos_embed` has one extra leading row (a class-token slot of the ImageNet
    pre-training) that is added to every patch; there is no class token. Drop-path is a training regulariser that
    does not change inference, and is left out."""

    def __init__(self, config: VisionConfig):
        super().__init__()
        self.image_size = config.pose_image_size
        self.grid = config.pose_grid
        dim = config.pose_dim
        if dim % config.pose_heads:
            raise InputError(f"pose_dim {dim} is not divisible by pose_heads {config.pose_heads}", field="pose_heads")
        with seeded(config.seed):
            self.patch_embed = PatchEmbed(config.pose_patch_size, config.pose_patch_padding, dim)
            self.pos_embed = nn.Parameter(torch.zeros(1, self.grid[0] * self.grid[1] + 1, dim))
            self.blocks = nn.ModuleList(Block(dim, config.pose_heads, config.pose_mlp_ratio)
                                        for _ in range(config.pose_depth))
            self.last_norm = nn.LayerNorm(dim, eps=1e-6)
            # ViTPose's init: truncated normal (std 0.02) linear weights and position embedding, zero biases
            nn.init.trunc_normal_(self.pos_embed, std=0.02)
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.trunc_normal_(m.weight, std=0.02)
                    nn.init.zeros_(m.bias)

    @property
    def dim(self) -> int:
        return self.pos_embed.shape[-1]

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        if tuple(pixels.shape[-2:]) != self.image_size:
            raise InputError(f"pose ViT input is {tuple(pixels.shape[-2:])} pixels, expected {self.image_size}",
                             field="pose_pixel_values", hint="use VisualProcessor.preprocess or pose_pixels")
        grid = self.patch_embed(pixels)
        b, c, h, w = grid.shape
        x = grid.flatten(2).transpose(1, 2)
        x = x + self.pos_embed[:, 1:] + self.pos_embed[:, :1]
        for block in self.blocks:
            x = block(x)
        x = self.last_norm(x)
        return x.transpose(1, 2).reshape(b, c, h, w)


def _opaque_global(name: str):
    """A stand-in for a class a checkpoint names but we never need (e.g. the yacs CfgNode of Lightning's
    `hyper_parameters`): it unpickles into an empty OrderedDict, which the weights-only unpickler can fill."""
    return type(name.rsplit(".", 1)[-1], (), {"__new__": lambda cls, *args, **kwargs: OrderedDict()})


def load_weights_only(path: str | Path):
    """`torch.load(path, weights_only=True)`; objects of other classes the file holds (Lightning checkpoints keep
    their training config) load as inert empty dicts instead of refusing the file or running its code."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
        if not names:
            raise
        with torch.serialization.safe_globals([(_opaque_global(n), n) for n in names]):
            return torch.load(path, map_location="cpu", weights_only=True)


def tokenhmr_backbone_state(checkpoint, *, source: str) -> dict[str, torch.Tensor]:
    """The backbone's tensors of a TokenHMR / HMR 2.0 checkpoint (a Lightning dict with `state_dict`, or a bare
    state dict): keys containing `backbone.`, with everything up to and including it stripped (upstream keeps the
    keys containing "backbone" and strips "backbone.")."""
    state = checkpoint.get("state_dict", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise InputError("not a state dict or a checkpoint with a 'state_dict' entry", file=source)
    return {k.partition("backbone.")[2]: v for k, v in state.items()
            if "backbone." in k and isinstance(v, torch.Tensor)}


def load_tokenhmr_backbone(pose_vit: PoseViT, ckpt_path: str | Path) -> PoseViT:
    """Load TokenHMR's ViT backbone (upstream `cache/tokenhmr_model.ckpt`) into `pose_vit`, in place; every
    parameter must be present with its shape, and no backbone tensor may be left over."""
    path = Path(ckpt_path)
    if not path.is_file():
        raise MissingModelFiles(f"TokenHMR checkpoint {path} does not exist (UniPose's release ships it as "
                                "cache/tokenhmr_model.ckpt; pass its path as pose_vit_checkpoint)")
    state = tokenhmr_backbone_state(load_weights_only(path), source=str(path))
    own = pose_vit.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing backbone key(s): {', '.join(missing[:8])}"
                         + (" ..." if len(missing) > 8 else ""))
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected backbone key(s): {', '.join(unexpected[:8])}"
                         + (" ..." if len(unexpected) > 8 else ""))
        raise InputError("; ".join(parts), file=str(path), field="state_dict",
                         hint="expected 'backbone.'-prefixed ViT keys (patch_embed.proj, pos_embed, blocks.N..., "
                              "last_norm) of the depth/width in the vision config")
    wrong = [f"{k}: {tuple(state[k].shape)} vs {tuple(v.shape)}" for k, v in own.items() if state[k].shape != v.shape]
    if wrong:
        raise InputError(f"backbone tensor shapes differ from the vision config's: {'; '.join(wrong[:5])}",
                         file=str(path), field="state_dict", hint="check pose_dim / pose_depth / pose_image_size")
    pose_vit.load_state_dict(state)
    return pose_vit


def pad_and_resize_grid(grid: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Upstream's fitting of the pose grid [B, C, H, W] (W <= H) to the CLIP grid: zero-pad the width to H, the
    extra columns split evenly between left and right (16 x 12 -> 2 + 2 -> 16 x 16; an odd remainder goes right),
    then bilinear resize with aligned corners to `size`."""
    h, w = grid.shape[-2:]
    if w > h:
        raise InputError(f"pose grid {h} x {w} is wider than tall", field="pose grid")
    left = (h - w) // 2
    padded = F.pad(grid, (left, h - w - left), mode="constant", value=0.0)
    return F.interpolate(padded, size=tuple(size), mode="bilinear", align_corners=True)


# ------------------------------------------------------------------------------------------------- preprocessing
def _rgb(image):
    from PIL import Image

    if not isinstance(image, Image.Image):
        raise InputError(f"expected a PIL image, got {type(image).__name__}", field="images")
    return image.convert("RGB") if image.mode != "RGB" else image


def _resize_short_side(image, short: int):
    """Bicubic resize of the short side to `short`, the long side scaled and truncated (torchvision's `Resize(n)`
    and CLIP's `shortest_edge` both compute int(short * long / short_side))."""
    from PIL import Image

    w, h = image.size
    if w <= h:
        size = (short, int(short * h / w))
    else:
        size = (int(short * w / h), short)
    return image if size == image.size else image.resize(size, Image.BICUBIC)


def _normalised(array_uint8: np.ndarray, mean, std) -> torch.Tensor:
    x = torch.from_numpy(np.ascontiguousarray(array_uint8, dtype=np.float32) / np.float32(255.0))
    x = x.permute(2, 0, 1)
    mean = torch.tensor(mean, dtype=torch.float32)[:, None, None]
    std = torch.tensor(std, dtype=torch.float32)[:, None, None]
    return (x - mean) / std


def pose_pixels(images: Sequence, config: VisionConfig) -> torch.Tensor:
    """The pose ViT's input [B, 3, H, W]: upstream's HMR transform (short side to `pose_resize` bicubic, center crop
    `pose_resize`^2 with torchvision's rounding, ImageNet normalisation), then the centred width crop to
    `pose_image_size` (upstream `hmr_images[..., 32:-32]`)."""
    side = config.pose_resize
    h, w = config.pose_image_size
    cut = (side - w) // 2
    out = []
    for image in images:
        im = _resize_short_side(_rgb(image), side)
        iw, ih = im.size
        top, left = int(round((ih - side) / 2.0)), int(round((iw - side) / 2.0))
        arr = np.asarray(im.crop((left, top, left + side, top + side)))
        # the HMR crop is square; its rows are all kept when H == side (the paper), centred otherwise
        row = (side - h) // 2
        out.append(_normalised(arr[row:row + h, cut:cut + w], IMAGENET_MEAN, IMAGENET_STD))
    return torch.stack(out)


def clip_pixels(images: Sequence, size: int) -> torch.Tensor:
    """CLIP's input [B, 3, size, size]: CLIP's image processor steps (short side to `size` bicubic, center crop
    with floor offsets, rescale 1/255, CLIP mean/std)."""
    out = []
    for image in images:
        im = _resize_short_side(_rgb(image), size)
        iw, ih = im.size
        top, left = (ih - size) // 2, (iw - size) // 2
        arr = np.asarray(im.crop((left, top, left + size, top + size)))
        out.append(_normalised(arr, CLIP_MEAN, CLIP_STD))
    return torch.stack(out)


# ------------------------------------------------------------------------------------------------------ towers
def build_clip_tower(config: VisionConfig):
    """A transformers `CLIPVisionModel`: pretrained from `config.clip_path`, or randomly initialised (seeded) from
    `config.clip_config`."""
    from transformers import CLIPVisionConfig, CLIPVisionModel

    if config.clip_path is not None:
        path = Path(config.clip_path).expanduser()
        if not (path / "config.json").is_file():
            raise MissingModelFiles(f"CLIP folder {path} has no config.json (download "
                                    "openai/clip-vit-large-patch14-336 to a local folder and pass it as clip_path)")
        tower = CLIPVisionModel.from_pretrained(str(path))
    elif config.clip_config is not None:
        with seeded(config.seed + 1):
            tower = CLIPVisionModel(CLIPVisionConfig(**config.clip_config))
    else:
        raise MissingModelFiles(f"vision preset '{config.name}' needs a CLIP tower: pass clip_path=DIR (a local copy "
                                "of openai/clip-vit-large-patch14-336)")
    if tower.config.image_size != config.clip_image_size:
        raise InputError(f"the CLIP tower takes {tower.config.image_size} px images but the config says "
                         f"{config.clip_image_size}", field="clip_image_size")
    return tower


def clip_features(tower, pixels: torch.Tensor, select_layer: int = -2) -> torch.Tensor:
    """Hidden states of layer `select_layer` without the CLS token, [B, grid^2, dim] (LLaVA's feature 'patch')."""
    out = tower(pixel_values=pixels.to(tower.dtype), output_hidden_states=True)
    return out.hidden_states[select_layer][:, 1:]


def mlp2x_gelu(in_dim: int, out_dim: int) -> nn.Sequential:
    """LLaVA's `mlp2x_gelu` projector; a Sequential so its keys (`0.*`, `2.*`) match LLaVA/UniPose checkpoints."""
    return nn.Sequential(nn.Linear(in_dim, out_dim), nn.GELU(), nn.Linear(out_dim, out_dim))


# -------------------------------------------------------------------------------------------- visual processor
class VisualProcessor(nn.Module):
    """Images -> `n_tokens` embeddings of the language model's width (see the module docstring).

    The CLIP tower is always frozen; the pose ViT is frozen unless `config.freeze_pose_vit` is False; the projector
    is what UniPose trains. `pose_vit` may be passed (e.g. fresh from `train_pose_vit`), else it is built from the
    config and loaded from `config.pose_vit_checkpoint` when that is set."""

    def __init__(self, config: VisionConfig, lm_hidden_size: int, *, pose_vit: PoseViT | None = None,
                 clip_tower=None):
        super().__init__()
        self.config = config
        self.lm_hidden_size = int(lm_hidden_size)
        self.clip = clip_tower if clip_tower is not None else build_clip_tower(config)
        if pose_vit is None:
            pose_vit = PoseViT(config)
            if config.pose_vit_checkpoint is not None:
                load_tokenhmr_backbone(pose_vit, config.pose_vit_checkpoint)
        if pose_vit.image_size != config.pose_image_size or pose_vit.dim != config.pose_dim:
            raise InputError("the pose ViT given does not match the vision config", field="pose_vit")
        self.pose_vit = pose_vit
        clip_grid = config.clip_image_size // self.clip.config.patch_size
        self.clip_grid = (clip_grid, clip_grid)
        with seeded(config.seed + 2):
            self.projector = mlp2x_gelu(self.clip.config.hidden_size + config.pose_dim, self.lm_hidden_size)
        self.clip.requires_grad_(False)
        if config.freeze_pose_vit:
            self.pose_vit.requires_grad_(False)
        self.train(False)

    @property
    def n_tokens(self) -> int:
        return self.clip_grid[0] * self.clip_grid[1]

    def train(self, mode: bool = True):
        """Frozen towers stay in eval mode whatever the processor's mode."""
        super().train(mode)
        self.clip.train(False)
        if self.config.freeze_pose_vit:
            self.pose_vit.train(False)
        return self

    def preprocess(self, images: Sequence) -> dict[str, torch.Tensor]:
        """Both branches' inputs for a list of PIL images (deterministic)."""
        images = list(images)
        return {"clip_pixel_values": clip_pixels(images, self.config.clip_image_size),
                "pose_pixel_values": pose_pixels(images, self.config)}

    def clip_features(self, clip_pixel_values: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():  # frozen, as LLaVA's vision tower
            return clip_features(self.clip, clip_pixel_values, self.config.clip_select_layer)

    def pose_features(self, pose_pixel_values: torch.Tensor) -> torch.Tensor:
        """The pose grid fitted to the CLIP grid, as tokens [B, clip_grid^2, pose_dim]."""
        trainable = any(p.requires_grad for p in self.pose_vit.parameters())
        with torch.set_grad_enabled(trainable and torch.is_grad_enabled()):
            grid = self.pose_vit(pose_pixel_values.to(self.pose_vit.pos_embed.dtype))
        return pad_and_resize_grid(grid, self.clip_grid).flatten(2).transpose(1, 2)

    def forward(self, pixels: dict[str, torch.Tensor]) -> torch.Tensor:
        missing = {"clip_pixel_values", "pose_pixel_values"} - set(pixels)
        if missing:
            raise InputError(f"pixel dict lacks {', '.join(sorted(missing))}", field="pixels",
                             hint="build it with VisualProcessor.preprocess(images)")
        device = self.projector[0].weight.device
        clip = self.clip_features(pixels["clip_pixel_values"].to(device))
        pose = self.pose_features(pixels["pose_pixel_values"].to(device))
        fused = torch.cat([clip, pose.to(clip.dtype)], dim=-1)
        return self.projector(fused.to(self.projector[0].weight.dtype))

    # ------------------------------------------------------------------------------------------ save / load
    def _saved_parts(self) -> list[str]:
        """What `save` writes: the projector always; the CLIP tower and pose ViT unless they come from files the
        config names (the paper's 300M-parameter CLIP and TokenHMR ViT-H are recorded by path, not copied). A pose
        ViT that may have been trained further (not frozen) is always written."""
        parts = ["projector"]
        if self.config.clip_path is None:
            parts.append("clip")
        if self.config.pose_vit_checkpoint is None or not self.config.freeze_pose_vit:
            parts.append("pose_vit")
        return parts

    def save(self, folder: str | Path) -> Path:
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        parts = self._saved_parts()
        tensors = {f"{part}.{k}": v.detach().cpu().contiguous()
                   for part in parts for k, v in getattr(self, part).state_dict().items()}
        meta = {"format_version": FORMAT_VERSION, "config": self.config.to_dict(),
                "lm_hidden_size": self.lm_hidden_size, "saved_parts": parts}
        tmp_weights = folder / (WEIGHTS_FILE + ".tmp")
        save_file(tensors, str(tmp_weights), metadata={"format_version": str(FORMAT_VERSION)})
        tmp_weights.replace(folder / WEIGHTS_FILE)
        tmp_config = folder / (CONFIG_FILE + ".tmp")
        tmp_config.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        tmp_config.replace(folder / CONFIG_FILE)
        return folder

    @classmethod
    def load(cls, folder: str | Path, *, map_location: str | torch.device = "cpu") -> VisualProcessor:
        from safetensors.torch import load_file

        folder = Path(folder)
        config_file, weights_file = folder / CONFIG_FILE, folder / WEIGHTS_FILE
        for f in (config_file, weights_file):
            if not f.is_file():
                raise InputError("missing", file=str(f), hint="a folder written by VisualProcessor.save")
        meta = json.loads(config_file.read_text(encoding="utf-8"))
        if meta.get("format_version") != FORMAT_VERSION:
            raise InputError(f"format version {meta.get('format_version')} is not {FORMAT_VERSION}",
                             file=str(config_file), field="format_version")
        config = VisionConfig.from_dict(meta["config"], source=str(config_file))
        parts = meta["saved_parts"]
        # what was saved is loaded from the file, so the checkpoint the config names is not read twice
        pose_vit = PoseViT(config) if "pose_vit" in parts else None
        processor = cls(config, meta["lm_hidden_size"], pose_vit=pose_vit)
        tensors = load_file(str(weights_file), device=str(map_location))
        for part in parts:
            prefix = part + "."
            state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            try:
                getattr(processor, part).load_state_dict(state, strict=True)
            except RuntimeError as exc:
                raise InputError(f"weights of '{part}' do not fit the config: {exc}", file=str(weights_file)) from exc
        return processor.to(map_location)
