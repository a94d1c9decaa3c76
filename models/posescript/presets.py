"""Sizes and training recipes of the four PoseScript / PoseFix models.

* `paper`: upstream's released configuration (naver/posescript @15c8958, pretrained_models.md and the training
  scripts of generative/, generative_caption/, generative_B/, generative_modifier/): 52 SMPL-H joints, VPoser trunk
  of 512, latent 32, frozen DistilBERT + 4-layer Transformer text encoder (PoseFix: text latent 128), text decoders
  of 512 with 4 layers and 8 heads over the dataset vocabulary; loss weights v2v 4 / joints 2 / rotations 2, KL 0.1
  (KL to N(0, I) 0.001 each), Adam lr 1e-5, weight decay 1e-4, batch 128. It needs the released weights (the
  checkpoint loader) or a local DistilBERT to train; its run is not what this suite trains here.
* `tiny`: the same architectures, narrower, with learnt word embeddings in place of DistilBERT, over the 22 body
  joints of the embedded world; trained by the main job on the world's train splits in about a minute each on
  2 CPU cores. Loss weights and learning rates are tuned for a few thousand steps from scratch (see RECIPES).
* `smoke`: the tiny architectures, smaller, a few steps: plumbing for tests, not a model to score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from benchmark.errors import InputError


@dataclass(frozen=True)
class Architecture:
    n_joints: int = 22
    num_neurons: int = 512  # the VPoser trunk width
    latent_d: int = 32
    text_encoder: str = "transformer"  # "transformer" (learnt words), "distilbert", "bigru" (ECCV)
    word_dim: int = 300
    text_dim: int | None = None  # PoseScript's generator's text encoder width; None: num_neurons (upstream)
    text_layers: int = 4
    text_heads: int = 4
    text_ff: int = 1024
    text_dropout: float = 0.1  # the text Transformers' dropout (torch's default, which upstream keeps)
    text_latent_d: int = 128  # PoseFix's editing model: the instruction's embedding size
    decoder_d: int = 512
    decoder_layers: int = 4
    decoder_heads: int = 8
    decoder_ff: int = 1024
    encoder_latent_d: int = 32  # the text generators' pose embedding
    max_text_tokens: int = 128  # texts longer than this are cut when encoded
    max_generated_tokens: int = 200
    min_generated_tokens: int = 10
    bert_config: dict | None = None  # DistilBERT's config when not distilbert-base-uncased's (tests)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Recipe:
    steps: int
    batch_size: int
    lr: float
    weight_decay: float = 1e-4
    # generative models: reconstruction weights on joints and rotation matrices (there are no vertices in the
    # embedded world's body model) and the KL terms
    w_jts: float = 2.0
    w_rot: float = 2.0
    w_kld: float = 0.1
    w_kld_prior: float = 0.001  # KL of each distribution to N(0, I)
    kld_epsilon: float = 0.0  # the KL is clamped from below (PoseFix's editing model: 10)
    # also reconstruct from the text-side distribution (PoseScript: the text prior; PoseFix: the fusion); upstream
    # PoseScript trains the text side through the KL alone
    w_text_rec: float = 0.0


@dataclass(frozen=True)
class Preset:
    name: str
    arch: Architecture
    text_to_pose: Recipe
    pose_to_text: Recipe
    pose_edit: Recipe
    pose_diff: Recipe

    def to_dict(self) -> dict:
        return asdict(self)


_PAPER_ARCH = Architecture(n_joints=52, num_neurons=512, latent_d=32, text_encoder="distilbert", word_dim=768,
                           text_layers=4, text_heads=4, text_ff=1024, text_latent_d=128, decoder_d=512,
                           decoder_layers=4, decoder_heads=8, decoder_ff=1024, encoder_latent_d=32,
                           max_text_tokens=512)
# No dropout in the text Transformers: torch draws dropout masks slowly on a CPU (it was about 30 % of a step of
# each model, 350 s of the main job's 2-core run for the four), and a few hundred steps from scratch underfit rather
# than overfit. Measured on the embedded world (seed 0, Intel Xeon, 2 cores), rates 0.1 -> 0: training 90 -> 44 s
# (text-to-pose), 90 -> 38 s (pose-to-text), 94 -> 30 s (pose editing), 74 -> 35 s (pose-diff); on the test
# splits pose-to-text R-P@1 / BLEU-4 4.0 / 31.9 -> 5.3 / 33.5, text-to-pose R@5 / MPJPE 5.0 / 245.9 -> 6.0 / 245.1,
# pose-diff R-P@1 / BLEU-4 6.4 / 30.3 -> 7.2 / 27.5, pose editing MPJPE / PA-MPJPE 162.9 / 102.1 -> 163.2 / 109.4.
_TINY_ARCH = Architecture(n_joints=22, num_neurons=256, latent_d=32, text_encoder="transformer", word_dim=64,
                          text_dim=128, text_layers=1, text_heads=4, text_ff=256, text_dropout=0.0, text_latent_d=64,
                          decoder_d=96, decoder_layers=2, decoder_heads=4, decoder_ff=192, encoder_latent_d=32,
                          max_text_tokens=96, max_generated_tokens=96)

PRESETS: dict[str, Preset] = {
    "paper": Preset(
        "paper", _PAPER_ARCH,
        text_to_pose=Recipe(steps=0, batch_size=128, lr=1e-5),
        pose_to_text=Recipe(steps=0, batch_size=128, lr=1e-4),
        pose_edit=Recipe(steps=0, batch_size=128, lr=1e-5, kld_epsilon=10.0, w_text_rec=1.0),
        pose_diff=Recipe(steps=0, batch_size=128, lr=1e-4)),
    "tiny": Preset(
        "tiny", _TINY_ARCH,
        # 800 steps for the pose generators: at 400 the text prior decodes close to the mean pose (MPJPE 262 mm on
        # the embedded test split against the mean pose's 268; 240 at 800)
        text_to_pose=Recipe(steps=800, batch_size=32, lr=1e-3, w_kld=1.0, w_text_rec=1.0),
        pose_to_text=Recipe(steps=400, batch_size=32, lr=1e-3),
        pose_edit=Recipe(steps=800, batch_size=32, lr=1e-3, w_kld=1.0, w_text_rec=1.0),
        pose_diff=Recipe(steps=400, batch_size=32, lr=1e-3)),
    "smoke": Preset(
        "smoke", replace(_TINY_ARCH, num_neurons=32, word_dim=16, text_dim=16, text_layers=1, text_ff=32, text_latent_d=16,
                         decoder_d=32, decoder_layers=1, decoder_ff=32, encoder_latent_d=8, latent_d=8,
                         max_text_tokens=32, max_generated_tokens=16, min_generated_tokens=2),
        text_to_pose=Recipe(steps=6, batch_size=8, lr=1e-3, w_text_rec=1.0),
        pose_to_text=Recipe(steps=6, batch_size=8, lr=1e-3),
        pose_edit=Recipe(steps=6, batch_size=8, lr=1e-3, w_text_rec=1.0),
        pose_diff=Recipe(steps=6, batch_size=8, lr=1e-3)),
}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise InputError(f"unknown PoseScript/PoseFix preset '{name}'", field="preset",
                         hint=f"choose one of {', '.join(PRESETS)}")
    return PRESETS[name]
