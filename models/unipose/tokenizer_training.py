"""Training of UniPose's pose tokenizer (stage 1) and its reconstruction metrics.

The recipe is upstream's (liyiheng23/UniPose posegpt/models/pose_vqvae.py, posegpt/models/losses.py,
configs/pose_vqvae.py @14de673; UniPose CVPR'25 §3.2 and App. A):

  * loss = 20 MSE(rotation matrices) + 100 MSE(joints of the body model, first 22) + 100 face-area-weighted vertex
    MSE (only for a body model with a mesh) + 1 commitment;
  * augmentation: the root orientation is turned by a random rotation (Euler z within +-45 deg, x and y within
    +-20 deg, about the world axes: z is up in AMASS and in the embedded world) - input and target alike; and a
    joint-noise curriculum on the encoder input only: Gaussian noise on the 6D rotations of one random body part of
    half the samples, std 0.01 raised every `joint_noise_every` steps (0.01, 0.05, 0.1, 0.1, 0.5, then 0.5: upstream's
    table). Upstream's version of that noise is a no-op (it adds through chained advanced indexing, i.e. into a
    temporary copy); here it really changes the input (`add_joint_noise` returns the noised tensor);
  * AdamW lr 2e-4, betas (0.9, 0.99), weight decay 1e-5, batch 256; upstream's warm-up quirk (for the first 200
    steps lr = base * (step + 1) / 500, so it jumps from 0.4 base to base at step 200) and MultiStepLR x0.1 at 2/3
    and 11/12 of training (epochs 160 and 220 of 240);
  * the checkpoint kept is the one with the best val MPJPE (upstream's best_MPJPE.ckpt).

Everything random draws from generators seeded by `seed`: the model's initialisation, the batch order, the
augmentations and the quantiser's codebook resets.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from benchmark.body import SMPL_BODY_22, get_body_model, rotations
from benchmark.errors import InputError
from benchmark.processes import Processes
from models.unipose.vqvae import PoseVQVAE, VQVAEConfig

# Body parts the joint noise picks from (upstream's TokenHMREncoder.smplx_body_parts for 22 joints).
BODY_PARTS: dict[str, tuple[str, ...]] = {
    "head": ("neck", "head"),
    "left_arm": ("left_collar", "left_shoulder", "left_elbow", "left_wrist"),
    "right_arm": ("right_collar", "right_shoulder", "right_elbow", "right_wrist"),
    "left_leg": ("left_hip", "left_knee", "left_ankle", "left_foot"),
    "right_leg": ("right_hip", "right_knee", "right_ankle", "right_foot"),
}
BODY_PART_JOINTS: tuple[tuple[int, ...], ...] = tuple(
    tuple(SMPL_BODY_22.names.index(n) for n in names) for names in BODY_PARTS.values())


@dataclass(frozen=True)
class TrainingOptions:
    """Optimiser, schedule and augmentation settings (defaults: upstream's)."""

    lr: float = 2e-4
    betas: tuple[float, float] = (0.9, 0.99)
    weight_decay: float = 1e-5
    warmup_steps: int = 200          # upstream: lr * (step + 1) / 500 for step < 200
    warmup_divisor: int = 500
    milestones: tuple[float, ...] = (2 / 3, 11 / 12)   # of the total steps (epochs 160 and 220 of 240)
    gamma: float = 0.1
    root_noise_deg: tuple[float, float, float] = (20.0, 20.0, 45.0)   # max |Euler angle| about x, y, z
    joint_noise_levels: tuple[float, ...] = (0.01, 0.05, 0.1, 0.1, 0.5, 0.5)
    joint_noise_every: int = 5000
    joint_noise_fraction: float = 0.5
    n_evals: int = 10                # val evaluations over the run (the last step always evaluates)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class TokenizerRecipe:
    """How long and in what batches a tokenizer preset trains: `steps` optimiser steps, or when None `epochs`
    passes over the train poses."""

    options: TrainingOptions
    batch_size: int
    steps: int | None = None
    epochs: int | None = None

    def steps_for(self, n_train: int) -> int:
        if self.steps is not None:
            return self.steps
        return max(1, self.epochs * math.ceil(n_train / self.batch_size))


TOKENIZER_RECIPES: dict[str, TokenizerRecipe] = {
    # About 80 s on 2 idle CPU cores (~45 ms a step; 125 s on one core) for the default world's 4192 train poses,
    # reaching ~38 / 24 mm val MPJPE / PA-MPJPE (128 codes). A step of 64 poses costs about a quarter of one of 256
    # (the small convolutions are overhead-bound), so in a fixed time the smaller batch makes four times as many
    # steps, which this short run needs more than gradient precision; the larger lr makes up for the short run.
    # Warm-up quirk and milestones as upstream.
    "tiny": TokenizerRecipe(TrainingOptions(lr=2e-3), batch_size=64, steps=1600),
    # Upstream's: batch 256 for 240 epochs (of upstream's AMASS + MOYO sampling; here of the given train poses).
    "paper": TokenizerRecipe(TrainingOptions(), batch_size=256, epochs=240),
}


def tokenizer_recipe(name: str) -> TokenizerRecipe:
    if name not in TOKENIZER_RECIPES:
        raise InputError(f"unknown tokenizer preset {name!r}", field="preset",
                         hint=f"choose one of {', '.join(TOKENIZER_RECIPES)}")
    return TOKENIZER_RECIPES[name]


# ----------------------------------------------------------------------------------------------------------------
# Data


def world_poses(hub_dir: str | Path, split: str = "train") -> np.ndarray:
    """Every pose of `split` in a Hub-layout world: text_to_pose and pose_to_text poses, pose_a and pose_b of
    pose_diff and pose_edit; exact duplicates removed (first occurrence kept, order stable). float32 [N, 22, 3]."""
    from models.baselines.training_data import TrainingData

    data = TrainingData(hub_dir, split)
    arrays = [data.poses("text_to_pose"), data.poses("pose_to_text")]
    arrays += [data.poses(task, column) for task in ("pose_diff", "pose_edit") for column in ("pose_a", "pose_b")]
    return dedupe_poses(np.concatenate([a[:, :22] for a in arrays]))


def dedupe_poses(poses: np.ndarray) -> np.ndarray:
    flat = np.ascontiguousarray(poses, dtype=np.float32).reshape(len(poses), -1)
    _, first = np.unique(flat, axis=0, return_index=True)
    return np.ascontiguousarray(poses[np.sort(first)], dtype=np.float32)


# ----------------------------------------------------------------------------------------------------------------
# Augmentation


def random_root_rotations(n: int, generator: torch.Generator,
                          max_deg: tuple[float, float, float] = (20.0, 20.0, 45.0)) -> torch.Tensor:
    """[n, 3, 3] rotations Rz(c) Ry(b) Rx(a) with a, b, c uniform in +-max_deg (x, y, z)."""
    bounds = torch.tensor(max_deg, dtype=torch.float64) * math.pi / 180
    angles = (torch.rand(n, 3, generator=generator, dtype=torch.float64) * 2 - 1) * bounds
    return rotations.euler_to_matrix(angles, "xyz").float()  # roma's extrinsic "xyz": Rz @ Ry @ Rx


def perturb_root(rotmats: torch.Tensor, generator: torch.Generator,
                 max_deg: tuple[float, float, float] = (20.0, 20.0, 45.0)) -> torch.Tensor:
    """Rotation matrices [B, J, 3, 3] with the root (joint 0) turned by a random world-frame rotation."""
    noise = random_root_rotations(rotmats.shape[0], generator, max_deg).to(rotmats)
    out = rotmats.clone()
    out[:, 0] = noise @ rotmats[:, 0]
    return out


def joint_noise_std(step: int, levels: tuple[float, ...], every: int) -> float:
    """The curriculum's noise std at `step`: levels[step // every], the last level afterwards."""
    return float(levels[min(step // max(every, 1), len(levels) - 1)])


def add_joint_noise(sixd: torch.Tensor, std: float, generator: torch.Generator, fraction: float = 0.5,
                    parts: tuple[tuple[int, ...], ...] = BODY_PART_JOINTS) -> tuple[torch.Tensor, torch.Tensor]:
    """(noised copy of `sixd` [B, J, 6], mask [B, J] of the joints noised): Gaussian noise of `std` on the joints
    of one random body part (drawn per sample) of round(fraction * B) random samples."""
    b, j = sixd.shape[:2]
    n_noised = int(round(fraction * b))
    samples = torch.randperm(b, generator=generator)[:n_noised]
    part_of = torch.randint(len(parts), (n_noised,), generator=generator)
    part_masks = torch.zeros(len(parts), j, dtype=torch.bool)
    for p, joints in enumerate(parts):
        part_masks[p, list(joints)] = True
    mask = torch.zeros(b, j, dtype=torch.bool)
    mask[samples] = part_masks[part_of]
    noise = torch.randn(sixd.shape, generator=generator, dtype=sixd.dtype) * std
    return sixd + noise.to(sixd.device) * mask[..., None].to(sixd.device), mask


# ----------------------------------------------------------------------------------------------------------------
# Loss


def joints_from_rotmats(body, rotmats: torch.Tensor) -> torch.Tensor:
    """Body-model joints [B, J', 3] of local rotation matrices [B, 22, 3, 3], differentiable. The embedded skeleton
    runs its kinematics on the matrices directly; other body models go through axis-angle."""
    from benchmark.body.skeleton import SkeletonBody

    if isinstance(body, SkeletonBody):
        from smplx.lbs import batch_rigid_transform

        rest = body.rest_joints.to(rotmats).expand(rotmats.shape[0], -1, -1)
        return batch_rigid_transform(rotmats, rest, body.parents, dtype=rotmats.dtype)[0]
    return body.joints(rotations.matrix_to_axis_angle(rotmats))


def vertex_weights(body) -> torch.Tensor:
    """Per-vertex weights [V, 1] of the vertex loss: the sum over a vertex's faces of the face's area on the rest
    mesh, min-max normalised over the faces (upstream losses.py::PoseVQLoss.calculate_vertex_weights)."""
    verts = body.vertices(torch.zeros(1, 22, 3))[0].detach().double()
    faces = torch.as_tensor(np.asarray(body.faces), dtype=torch.long)
    a, b, c = verts[faces[:, 0]], verts[faces[:, 1]], verts[faces[:, 2]]
    area = 0.5 * torch.linalg.cross(b - a, c - a).norm(dim=1)
    span = (area.max() - area.min()).clamp_min(1e-12)
    norm = (area - area.min()) / span
    weights = torch.zeros(verts.shape[0], dtype=torch.float64)
    weights.index_add_(0, faces.reshape(-1), norm.repeat_interleave(3))
    return weights.float()[:, None]


def tokenizer_loss(rotmats_hat: torch.Tensor, commit: torch.Tensor, target: torch.Tensor, body,
                   config: VQVAEConfig, weights: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, float]]:
    """(total loss, its parts) for reconstructed [B, 22, 3, 3] vs target rotation matrices."""
    rot = F.mse_loss(rotmats_hat, target)
    with torch.no_grad():
        target_joints = joints_from_rotmats(body, target)
    joints = F.mse_loss(joints_from_rotmats(body, rotmats_hat)[:, :22], target_joints[:, :22])
    total = config.lambda_rot * rot + config.lambda_joints * joints + config.lambda_commit * commit
    parts = {"rot": float(rot.detach()), "joints": float(joints.detach()), "commit": float(commit.detach())}
    if getattr(body, "has_mesh", False):
        pred_v = body.vertices(rotations.matrix_to_axis_angle(rotmats_hat))
        with torch.no_grad():
            target_v = body.vertices(rotations.matrix_to_axis_angle(target))
        w = weights if weights is not None else torch.ones(pred_v.shape[1], 1)
        vertices = (w.to(pred_v) * (pred_v - target_v) ** 2).mean()
        total = total + config.lambda_vertices * vertices
        parts["vertices"] = float(vertices.detach())
    parts["total"] = float(total.detach())
    return total, parts


# ----------------------------------------------------------------------------------------------------------------
# Schedule


def learning_rate(step: int, total_steps: int, options: TrainingOptions) -> float:
    """lr at optimiser step `step` (0-based): upstream's warm-up override for the first `warmup_steps` steps, then
    the base lr times gamma per milestone passed (MultiStepLR over the fractions `milestones` of the run)."""
    if step < options.warmup_steps:
        return options.lr * min(1.0, (step + 1) / options.warmup_divisor)
    passed = sum(step >= int(round(m * total_steps)) for m in options.milestones)
    return options.lr * options.gamma ** passed


# ----------------------------------------------------------------------------------------------------------------
# Metrics


def reconstruction_metrics(model: PoseVQVAE, poses, body=None, batch_size: int = 512) -> dict[str, float]:
    """MPJPE and PA-MPJPE (mm) of encode -> decode on `poses` [N, 22, 3]: the body model's joints (all of them: 22
    for the embedded skeleton, SMPL-H's 52 Jtr with flat hands as upstream's PoseReconstruction_SMPL_Metric) of the
    input vs the reconstruction, no alignment but the shared pelvis at the origin; PA = similarity Procrustes."""
    from benchmark.metrics.joint_protocols import BodyModelJoints
    from benchmark.metrics.pose import mpjpe_per_sample, pa_mpjpe_per_sample

    body = body or get_body_model("skeleton")
    poses = np.asarray(poses, dtype=np.float32)
    was_training = model.training
    model.eval()
    try:
        recon = np.concatenate([model.decode(model.encode(poses[i:i + batch_size])).cpu().numpy()
                                for i in range(0, len(poses), batch_size)])
    finally:
        model.train(was_training)
    protocol = BodyModelJoints("tokenizer-reconstruction", body.name, "body-model joints", body_model=body)
    pred_joints, gt_joints = protocol.prepare(recon, poses[:, :22])
    return {"mpjpe": float(mpjpe_per_sample(pred_joints, gt_joints).mean()),
            "pa_mpjpe": float(pa_mpjpe_per_sample(pred_joints, gt_joints).mean())}


# ----------------------------------------------------------------------------------------------------------------
# Training


def _check_pose_array(poses, name: str, n_joints: int) -> torch.Tensor:
    arr = np.asarray(poses, dtype=np.float32)
    if arr.ndim != 3 or arr.shape[1] < n_joints or arr.shape[2] != 3 or len(arr) == 0:
        raise InputError(f"expected a non-empty array of axis-angle poses [N, {n_joints}, 3], got {arr.shape}",
                         field=name)
    if not np.isfinite(arr).all():
        raise InputError("non-finite value", field=name, row=int(np.nonzero(~np.isfinite(arr).all(axis=(1, 2)))[0][0]))
    return torch.from_numpy(np.ascontiguousarray(arr[:, :n_joints]))


class _BatchStream:
    """Batches of `batch_size` indices from successive seeded permutations (no sample repeats within one)."""

    def __init__(self, n: int, batch_size: int, generator: torch.Generator):
        self.n, self.batch_size, self.generator = n, batch_size, generator
        self.buffer = torch.empty(0, dtype=torch.long)

    def next(self) -> torch.Tensor:
        while len(self.buffer) < self.batch_size:
            self.buffer = torch.cat([self.buffer, torch.randperm(self.n, generator=self.generator)])
        out, self.buffer = self.buffer[:self.batch_size], self.buffer[self.batch_size:]
        return out


def train_tokenizer(train_poses, val_poses, config: VQVAEConfig, *, steps: int, seed: int, batch_size: int = 256,
                    log=print, body=None, options: TrainingOptions | None = None) -> tuple[PoseVQVAE, dict]:
    """Train a PoseVQVAE for `steps` optimiser steps; return the weights with the best val MPJPE and a report:
    {"evals": [{step, val_mpjpe, val_pa_mpjpe, loss (mean since the last eval), perplexity, lr, time_s}],
     "best": the best eval, "steps", "time_s", "n_train", "n_val", "batch_size", "seed", "config", "options"}."""
    options = options or TrainingOptions()
    if steps < 1:
        raise InputError(f"must be at least 1, got {steps}", field="steps")
    if batch_size < 1:
        raise InputError(f"must be at least 1, got {batch_size}", field="batch_size")
    processes = Processes()
    if batch_size < processes.world:
        raise InputError(f"a batch of {batch_size} cannot be shared by {processes.world} processes",
                         field="batch_size", hint=f"use at least {processes.world}")
    log = log if processes.is_main else (lambda *_: None)
    body = body or get_body_model("skeleton")
    train = _check_pose_array(train_poses, "train_poses", config.n_joints)
    val = _check_pose_array(val_poses, "val_poses", config.n_joints).numpy()
    train_rotmats = rotations.axis_angle_to_matrix(train)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = PoseVQVAE(config)
    # independent streams, so that e.g. a change of batch size does not change the codebook resets' draws
    model.quantizer.generator = torch.Generator().manual_seed(seed * 4 + 1)
    model.quantizer.processes = processes if processes.world > 1 else None
    batches = _BatchStream(len(train), batch_size, torch.Generator().manual_seed(seed * 4 + 2))
    aug = torch.Generator().manual_seed(seed * 4 + 3)
    weights = vertex_weights(body) if getattr(body, "has_mesh", False) else None
    optimiser = torch.optim.AdamW(model.parameters(), lr=options.lr, betas=options.betas,
                                  weight_decay=options.weight_decay)
    eval_every = max(1, math.ceil(steps / max(options.n_evals, 1)))

    evals: list[dict] = []
    best_state, best = None, None
    loss_sum, ppl_sum, n_since = 0.0, 0.0, 0
    start = time.perf_counter()
    model.train()
    for step in range(steps):
        lr = learning_rate(step, steps, options)
        for group in optimiser.param_groups:
            group["lr"] = lr
        # every process draws the whole batch's augmentation (the same draws as one process), then takes its slice
        target = perturb_root(train_rotmats[batches.next()], aug, options.root_noise_deg)
        std = joint_noise_std(step, options.joint_noise_levels, options.joint_noise_every)
        noisy, _ = add_joint_noise(rotations.matrix_to_6d(target), std, aug, options.joint_noise_fraction)
        mine = processes.shard(len(target))
        rotmats_hat, commit, perplexity = model.forward_6d(noisy[mine])
        loss, _ = tokenizer_loss(rotmats_hat, commit, target[mine], body, config, weights)
        # the loss is a mean over the slice: weighted by the slice's share, the summed gradients are the batch's
        loss = loss * ((mine.stop - mine.start) / len(target))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        processes.sum_gradients(model.parameters())
        loss = processes.sum(loss.detach())
        optimiser.step()
        loss_sum, ppl_sum, n_since = loss_sum + float(loss.detach()), ppl_sum + float(perplexity), n_since + 1

        if (step + 1) % eval_every == 0 or step + 1 == steps:
            metrics = reconstruction_metrics(model, val, body)
            record = {"step": step + 1, "val_mpjpe": metrics["mpjpe"], "val_pa_mpjpe": metrics["pa_mpjpe"],
                      "loss": loss_sum / n_since, "perplexity": ppl_sum / n_since, "lr": lr,
                      "time_s": time.perf_counter() - start}
            evals.append(record)
            if best is None or record["val_mpjpe"] < best["val_mpjpe"]:
                best, best_state = record, copy.deepcopy(model.state_dict())
            log(f"step {step + 1}/{steps}: loss {record['loss']:.4f}, perplexity {record['perplexity']:.0f}, "
                f"val MPJPE {record['val_mpjpe']:.1f} mm, PA-MPJPE {record['val_pa_mpjpe']:.1f} mm "
                f"({record['time_s']:.0f} s)")
            loss_sum, ppl_sum, n_since = 0.0, 0.0, 0
            model.train()

    model.load_state_dict(best_state)
    model.eval()
    report = {"evals": evals, "best": best, "steps": steps, "time_s": time.perf_counter() - start,
              "n_train": len(train), "n_val": len(val), "batch_size": batch_size, "seed": seed,
              "body_model": body.name, "config": config.to_dict(), "options": options.to_dict()}
    return model, report
