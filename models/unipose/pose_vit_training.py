"""Pre-training of the pose ViT on image -> pose regression.

Upstream UniPose takes its pose ViT from TokenHMR, whose ViT-H was trained (from ViTPose / HMR 2.0) to regress SMPL
from images (TokenHMR (CVPR'24); upstream posegpt/models/posegpt.py::load_hmr_vit_backbone @14de673 loads it from
`cache/tokenhmr_model.ckpt` through vit.py's `build_and_load_vit`, frozen). No such
weights exist for the embedded world, so the tiny preset's ViT is pre-trained here on the world's pose-estimation
training split (rendered images with their poses), then frozen inside the visual processor as upstream freezes
TokenHMR's. Only the pose ViT (and its throw-away regression head) is trained: the tiny CLIP tower stays random and
frozen (no pretrained CLIP is available offline; the paper preset loads the real one).

The head reads the ViT's grid with a small per-token projection (spatial layout kept), flattens it and regresses
22 rotations in 6D (root + 21 body joints; the first two rows of each matrix, Gram-Schmidt back to a rotation), its
output bias starting at the mean training pose. Loss, as TokenHMR / HMR 2.0 supervise SMPL parameters and 3D joints:
MSE of the rotation matrices + MSE of the body model's joints (`benchmark.body` skeleton, metres) + MSE of the joints
with the root rotation removed. The last term supervises the articulation apart from the global orientation: without
it, uncertainty about the orientation pulls the joint-optimal articulation toward a shrunken hedge, and the
PA-MPJPE ends up worse than the mean pose's. Regularisation for a ViT trained from scratch on a few thousand images:
weight decay and a seeded random translation of up to 1/16 of the crop (the 3D pose does not change with the
person's placement; flips, which would need mirrored poses, are not used). AdamW, linear warm-up then cosine decay.

Measured on the default embedded world: see `TINY_PRETRAIN_STEPS`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from benchmark.body import get_body_model, rotations
from benchmark.errors import InputError
from models.unipose.vision import PoseViT, VisionConfig, pose_pixels, seeded

N_JOINTS = 22
# the tiny preset's pre-training length: ~65 s on 2 idle cores for the default world's 1600 renders (seed 0: held-out
# MPJPE 283 mm on val / 301 mm on test against the mean pose's 388 / 408; PA-MPJPE on par with the mean pose's)
TINY_PRETRAIN_STEPS = 400


@dataclass(frozen=True)
class PoseViTTrainReport:
    steps: int
    batch_size: int
    lr: float
    seconds: float
    cpu_seconds: float
    n_train: int
    n_val: int
    first_loss: float
    last_loss: float
    val_mpjpe: float
    val_pa_mpjpe: float
    mean_pose_val_mpjpe: float
    mean_pose_val_pa_mpjpe: float
    protocol: str

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        return (f"pose ViT: {self.steps} steps in {self.seconds:.1f} s (CPU {self.cpu_seconds:.1f} s); held-out "
                f"({self.n_val}) MPJPE {self.val_mpjpe:.1f} mm (mean pose {self.mean_pose_val_mpjpe:.1f}), PA-MPJPE "
                f"{self.val_pa_mpjpe:.1f} mm (mean pose {self.mean_pose_val_pa_mpjpe:.1f})")


class PoseRegressionHead(nn.Module):
    """ViT grid [B, C, H, W] -> 22 rotation matrices [B, 22, 3, 3]: per-token projection to `token_dim`, flatten,
    MLP to 22 x 6D. The last layer starts at zero weight with the mean pose as bias, so training starts from the
    mean pose (HMR's mean-parameter initialisation)."""

    def __init__(self, dim: int, grid: tuple[int, int], mean_pose_6d: torch.Tensor, *, token_dim: int = 4,
                 hidden: int = 128):
        super().__init__()
        self.reduce = nn.Linear(dim, token_dim)
        self.mlp = nn.Sequential(nn.Linear(grid[0] * grid[1] * token_dim, hidden), nn.GELU(),
                                 nn.Linear(hidden, N_JOINTS * 6))
        nn.init.zeros_(self.mlp[-1].weight)
        with torch.no_grad():
            self.mlp[-1].bias.copy_(mean_pose_6d.reshape(-1))

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        tokens = self.reduce(grid.flatten(2).transpose(1, 2))
        sixd = self.mlp(tokens.flatten(1)).reshape(-1, N_JOINTS, 6)
        return rotations.sixd_to_matrix(sixd)


def _mean_rotations(poses: np.ndarray) -> torch.Tensor:
    """Per-joint chordal mean rotation [22, 3, 3] of axis-angle poses [N, 22, 3] (the mean-pose baseline)."""
    from models.baselines.mean_pose import chordal_mean

    return rotations.axis_angle_to_matrix(torch.from_numpy(chordal_mean(poses)).double()).float()


def _check_pairs(images: Sequence, poses, what: str) -> np.ndarray:
    poses = np.asarray(poses, dtype=np.float32)
    if poses.ndim != 3 or poses.shape[1:] != (N_JOINTS, 3):
        raise InputError(f"poses of shape {list(poses.shape)}; expected [N, 22, 3] axis-angle", field=f"{what} poses")
    if len(images) != len(poses):
        raise InputError(f"{len(images)} images but {len(poses)} poses", field=f"{what} images")
    if len(poses) == 0:
        raise InputError("no samples", field=f"{what} images")
    return poses[:, :N_JOINTS]


def _joints(rotmats: torch.Tensor, rest: torch.Tensor, parents: torch.Tensor) -> torch.Tensor:
    from smplx.lbs import batch_rigid_transform

    posed, _ = batch_rigid_transform(rotmats, rest.expand(rotmats.shape[0], -1, -1), parents, dtype=rotmats.dtype)
    return posed


def _unrooted(rotmats: torch.Tensor) -> torch.Tensor:
    """The rotations with the root's replaced by the identity: the body's articulation in its own frame."""
    eye = torch.eye(3, dtype=rotmats.dtype).expand(rotmats.shape[0], 1, 3, 3)
    return torch.cat([eye, rotmats[:, 1:]], dim=1)


def _shifted(pixels: torch.Tensor, shift: int, generator: torch.Generator) -> torch.Tensor:
    """Each image translated by a seeded random offset of up to `shift` pixels per axis (edges replicated): the
    person's placement in a crop varies, the 3D pose does not."""
    b, _, h, w = pixels.shape
    padded = F.pad(pixels, (shift, shift, shift, shift), mode="replicate")
    offsets = torch.randint(0, 2 * shift + 1, (b, 2), generator=generator)
    return torch.stack([padded[i, :, dy:dy + h, dx:dx + w] for i, (dy, dx) in enumerate(offsets.tolist())])


@torch.no_grad()
def predict_poses(pose_vit: PoseViT, head: PoseRegressionHead, pixels: torch.Tensor,
                  batch_size: int = 128) -> np.ndarray:
    """Axis-angle poses [N, 22, 3] regressed from pose-ViT inputs [N, 3, H, W]."""
    was = pose_vit.training, head.training
    pose_vit.eval(), head.eval()
    out = [rotations.matrix_to_axis_angle(head(pose_vit(pixels[i:i + batch_size])).double())
           for i in range(0, len(pixels), batch_size)]
    pose_vit.train(was[0]), head.train(was[1])
    return torch.cat(out).float().numpy()


def pose_errors(pred: np.ndarray, gt: np.ndarray) -> dict[str, float]:
    """Mean MPJPE / PA-MPJPE (mm) under the embedded world's pose-estimation protocol (skeleton-22 joints, global
    orientation included, no alignment)."""
    from benchmark.metrics.joint_protocols import skeleton_22

    errors = skeleton_22().errors(pred, gt)
    return {k: float(v.mean()) for k, v in errors.items()}


def train_pose_vit(images: Sequence, poses, config: VisionConfig, *, steps: int, seed: int,
                   val: tuple[Sequence, np.ndarray] | None = None, batch_size: int = 64, lr: float = 2e-3,
                   weight_decay: float = 0.2, warmup: int = 20, joint_weight: float = 10.0,
                   body_joint_weight: float = 10.0, shift: int | None = None,
                   log: Callable[[str], None] = print) -> tuple[PoseViT, PoseViTTrainReport]:
    """Train a fresh `PoseViT(config)` (seeded by `config.seed` and `seed`) to regress `poses` [N, 22, 3] from PIL
    `images`; returns it (eval mode, head discarded) and a report with the held-out MPJPE / PA-MPJPE beside the
    mean training pose's. Held-out data: `val` = (images, poses), else a seeded 10 % of the given pairs."""
    poses = _check_pairs(images, poses, "training")
    images = list(images)
    rng = np.random.default_rng(seed)
    if val is None:
        order = rng.permutation(len(images))
        n_val = max(1, len(images) // 10)
        val = ([images[i] for i in order[:n_val]], poses[order[:n_val]])
        images, poses = [images[i] for i in order[n_val:]], poses[order[n_val:]]
    val_images, val_poses = list(val[0]), _check_pairs(val[0], val[1], "validation")
    if steps < 1:
        raise InputError("steps must be at least 1", field="steps")
    shift = config.pose_image_size[0] // 16 if shift is None else shift

    started, cpu_started = time.perf_counter(), time.process_time()
    pixels = pose_pixels(images, config)
    val_pixels = pose_pixels(val_images, config)
    target = rotations.axis_angle_to_matrix(torch.tensor(poses, dtype=torch.float64)).float()
    mean_rot = _mean_rotations(poses)

    body = get_body_model("skeleton")
    rest, parents = body.rest_joints, body.parents
    target_joints = _joints(target, rest, parents)
    target_body_joints = _joints(_unrooted(target), rest, parents)

    with seeded(seed):
        pose_vit = PoseViT(config.replace(seed=config.seed + seed))
        head = PoseRegressionHead(config.pose_dim, config.pose_grid, rotations.matrix_to_6d(mean_rot))
    params = list(pose_vit.parameters()) + list(head.parameters())
    decay = [p for p in params if p.ndim >= 2 and p is not pose_vit.pos_embed]
    no_decay = [p for p in params if not (p.ndim >= 2 and p is not pose_vit.pos_embed)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.999))

    def lr_at(step: int) -> float:
        if step < warmup:
            return lr * (step + 1) / warmup
        return lr * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))

    generator = torch.Generator().manual_seed(seed)
    batch_size = min(batch_size, len(pixels))
    pose_vit.train(), head.train()
    losses = []
    order, cursor = torch.randperm(len(pixels), generator=generator), 0
    for step in range(steps):
        if cursor + batch_size > len(order):  # epochs of a seeded permutation, the remainder dropped
            order, cursor = torch.randperm(len(pixels), generator=generator), 0
        idx = order[cursor:cursor + batch_size]
        cursor += batch_size
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        batch = _shifted(pixels[idx], shift, generator) if shift > 0 else pixels[idx]
        pred = head(pose_vit(batch))
        loss = F.mse_loss(pred, target[idx])
        if joint_weight:
            loss = loss + joint_weight * F.mse_loss(_joints(pred, rest, parents), target_joints[idx])
        if body_joint_weight:
            loss = loss + body_joint_weight * F.mse_loss(_joints(_unrooted(pred), rest, parents),
                                                         target_body_joints[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        losses.append(float(loss.detach()))
        if log is not None and (step + 1) % max(1, steps // 5) == 0:
            log(f"pose ViT step {step + 1}/{steps}: loss {np.mean(losses[-20:]):.4f}")

    predicted = predict_poses(pose_vit, head, val_pixels)
    trained = pose_errors(predicted, val_poses)
    mean_aa = rotations.matrix_to_axis_angle(mean_rot.double()).float().numpy()
    floor = pose_errors(np.repeat(mean_aa[None], len(val_poses), axis=0), val_poses)
    from benchmark.metrics.joint_protocols import skeleton_22

    report = PoseViTTrainReport(
        steps=steps, batch_size=batch_size, lr=lr, seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu_started, n_train=len(images),
        n_val=len(val_poses), first_loss=losses[0], last_loss=float(np.mean(losses[-10:])),
        val_mpjpe=trained["MPJPE"], val_pa_mpjpe=trained["PA-MPJPE"], mean_pose_val_mpjpe=floor["MPJPE"],
        mean_pose_val_pa_mpjpe=floor["PA-MPJPE"], protocol=skeleton_22().protocol)
    if log is not None:
        log(report.summary())
    pose_vit.eval()
    return pose_vit, report


def world_pose_estimation_data(hub_dir, split: str) -> tuple[list, np.ndarray]:
    """(images, poses) of a split of the pose_estimation task in a Hub-layout dataset folder (the embedded world)."""
    from models.baselines.training_data import TrainingData

    data = TrainingData(hub_dir, split)
    return list(data.table("pose_estimation")["image"]), data.poses("pose_estimation")


def train_pose_vit_on_world(hub_dir, config: VisionConfig, *, steps: int, seed: int, held_out: str = "val",
                            log: Callable[[str], None] = print, **kwargs) -> tuple[PoseViT, PoseViTTrainReport]:
    """`train_pose_vit` on the world's pose_estimation train split, measured on its `held_out` split."""
    images, poses = world_pose_estimation_data(hub_dir, "train")
    return train_pose_vit(images, poses, config, steps=steps, seed=seed,
                          val=world_pose_estimation_data(hub_dir, held_out), log=log, **kwargs)
