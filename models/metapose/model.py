"""The whole MetaPose model (frozen backbone + keypoint head, lifting network, constant text table), its horizontal
flip and its inference with upstream's flip test (Visual-Pose-Lab/MetaPose @ cfec06c, `datasets/utils.py`: the
flipped input is predicted too, its X negated and left/right swapped back, and the two predictions averaged)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from benchmark.body.joints import JOINT_SETS
from models.metapose.backbone import build_backbone, normalise_images
from models.metapose.network import MetaPoseNet


def mirror_permutation(joint_set: str) -> np.ndarray:
    """joints[perm] is the left/right mirrored body: each left joint takes its right twin's place and back."""
    return JOINT_SETS[joint_set].mirror_permutation


def flip_images(images: torch.Tensor) -> torch.Tensor:
    """Mirror images [B, H, W, 3] (uint8) left to right."""
    return images.flip(2)


def flip_keypoints(kp: torch.Tensor, width: int, perm) -> torch.Tensor:
    """2D keypoints [B, J, 2] of the mirrored image: u -> (width - 1) - u (pixel centres at integers, as upstream's
    `191 - x` for 192-pixel crops), and left/right swapped."""
    out = kp[:, perm].clone()
    out[..., 0] = (width - 1) - out[..., 0]
    return out


def flip_joints(joints: torch.Tensor, perm) -> torch.Tensor:
    """Camera-frame 3D joints [B, J, 3] of the mirrored scene: X -> -X (the image's x axis), left/right swapped."""
    out = joints[:, perm].clone()
    out[..., 0] = -out[..., 0]
    return out


class MetaPose(nn.Module):
    def __init__(self, arch, text: torch.Tensor):
        super().__init__()
        self.arch = arch
        self.joint_set = arch.joint_set
        n_joints = len(JOINT_SETS[arch.joint_set])
        self.backbone = build_backbone(arch, n_joints)
        self.net = MetaPoseNet(arch, n_joints)
        self.register_buffer("text", text.float().clone())  # [1 + actions, J, D]; row 0 is the agnostic one
        self.perm = torch.as_tensor(mirror_permutation(arch.joint_set))

    def features(self, images_uint8: torch.Tensor):
        """(levels, keypoints [B, J, 2]) of the frozen backbone."""
        return self.backbone(normalise_images(images_uint8))

    def lift(self, feats, kp, eps, text_row: int = 0) -> torch.Tensor:
        return self.net(feats, kp, self.text[text_row], eps)

    @torch.no_grad()
    def predict(self, images_uint8: torch.Tensor, eps: torch.Tensor, flip_test: bool = True,
                text_row: int = 0) -> torch.Tensor:
        """[B, J, 3] metres; eps [B, 2 if flip_test else 1, T, J, c] standard-normal draws (one per pass)."""
        self.eval()
        feats, kp = self.features(images_uint8)
        out = self.lift(feats, kp, eps[:, 0], text_row)
        if flip_test:
            feats_f, _ = self.features(flip_images(images_uint8))
            kp_f = flip_keypoints(kp, self.arch.image_width, self.perm)
            out_f = self.lift(feats_f, kp_f, eps[:, 1], text_row)
            out = (out + flip_joints(out_f, self.perm)) / 2
        return out
