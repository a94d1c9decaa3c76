"""Training MetaPose on a dataset folder's pose_estimation train split (the embedded world's renders).

Two stages, both seeded (the same data, preset and seed give the same weights on a machine):
1. The tiny backbone's own training (models/metapose/backbone.py): integral keypoint regression on the renders'
   `keypoints_2d` (L1 in pixels, AdamW, horizontal flip with p = 0.5 per batch), then frozen in eval mode. Upstream
   takes a COCO-trained HRNet instead; this stage stands in for that pretraining.
2. MetaPose itself as upstream's `train.py` trains it: MPJPE loss (metres, root included), AdamW (lr 1e-3, weight
   decay 0.1) over the lifting network only, the learning rate multiplied by 0.99 after every epoch, and a
   horizontal flip of the whole batch with p = 0.5 (image, 2D keypoints and 3D target, left/right swapped). The 2D
   input is the frozen keypoint head's prediction, not the rendered keypoints: upstream also trains and tests on
   detections (HRNet/CPN), never on ground-truth 2D, and at test time requests carry only the image. The backbone
   is frozen, so its levels are computed once per image and per flip and reused every epoch.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from benchmark.body.joints import JOINT_SETS
from benchmark.columns import fixed_shape_array
from benchmark.errors import InputError
from models.metapose.backbone import normalise_images
from models.metapose.model import MetaPose, flip_images, flip_joints, flip_keypoints

TRAIN_TASK = "pose_estimation"


def load_rows(data, arch, task: str = TRAIN_TASK, joints: bool = True):
    """(images uint8 [N, H, W, 3], keypoints_2d [N, J, 2], root-relative joints [N, J, 3] or None) of `task`'s
    split in `data`."""
    from PIL import Image

    table = data.table(task)
    joint_sets = set(table["joint_set"])
    if joint_sets != {arch.joint_set}:
        raise InputError(f"the {data.split} split of {TRAIN_TASK} has joints of {sorted(joint_sets)}, this preset "
                         f"predicts {arch.joint_set}", file=str(data.root), field="joint_set",
                         hint="train the preset whose joint set the data has")
    size = (arch.image_width, arch.image_height)
    images, scale = [], []
    for im in table["image"]:
        scale.append((size[0] / im.width, size[1] / im.height))
        if im.size != size:
            im = im.resize(size, Image.BILINEAR)
        images.append(np.asarray(im.convert("RGB"), dtype=np.uint8))
    kp = fixed_shape_array(table, "keypoints_2d").astype(np.float32)
    s = np.asarray(scale, dtype=np.float32)[:, None, :]
    kp = (kp + 0.5) * s - 0.5  # pixel centres at integers in both sizes
    if not np.isfinite(kp).all():
        raise InputError(f"keypoints_2d of {task} hold NaN or infinite values", file=str(data.root),
                         field="keypoints_2d")
    images = torch.from_numpy(np.stack(images))
    if not joints:
        return images, torch.from_numpy(kp), None
    j3d = fixed_shape_array(table, "joints_3d").astype(np.float32)
    if not np.isfinite(j3d).all():
        raise InputError(f"joints_3d of {task} hold NaN or infinite values", file=str(data.root), field="joints_3d")
    return images, torch.from_numpy(kp), torch.from_numpy(j3d - j3d[:, :1])


def _batches(n: int, batch: int, gen: torch.Generator):
    order = torch.randperm(n, generator=gen)
    for start in range(0, n, batch):
        yield order[start:start + batch]


def train_backbone(model: MetaPose, images, kp, recipe, gen, log=None) -> dict:
    """The tiny backbone as a 2D keypoint model (backbone.TinyLevels.keypoint_loss), one-cycle learning rate."""
    bb, perm, width = model.backbone, model.perm, model.arch.image_width
    opt = torch.optim.AdamW(bb.parameters(), lr=recipe.backbone_lr, weight_decay=1e-4)
    steps = recipe.backbone_epochs * -(-len(images) // recipe.backbone_batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=recipe.backbone_lr, total_steps=max(steps, 1),
                                                pct_start=0.15)
    bb.train()
    losses = []
    for epoch in range(recipe.backbone_epochs):
        total, count = 0.0, 0
        for idx in _batches(len(images), recipe.backbone_batch, gen):
            x, y = images[idx], kp[idx]
            if torch.rand((), generator=gen) < recipe.flip_p:
                x, y = flip_images(x), flip_keypoints(y, width, perm)
            loss = bb.keypoint_loss(normalise_images(x), y, recipe.backbone_sigma, recipe.backbone_heatmap_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total, count = total + loss.item() * len(idx), count + len(idx)
        losses.append(total / count)
        if log:
            log(f"[metapose] backbone epoch {epoch + 1}/{recipe.backbone_epochs}: keypoint loss {losses[-1]:.2f}")
    bb.eval()
    for p in bb.parameters():
        p.requires_grad_(False)
    return {"backbone_loss_first": losses[0] if losses else None, "backbone_loss_last": losses[-1] if losses else None}


@torch.no_grad()
def frozen_features(model: MetaPose, images, batch: int = 128):
    """Levels (float16, to halve the memory) and keypoints of every image, as the frozen backbone gives them."""
    levels, kps = None, []
    for start in range(0, len(images), batch):
        feats, kp = model.features(images[start:start + batch])
        if levels is None:
            levels = [[] for _ in feats]
        for store, f in zip(levels, feats):
            store.append(f.half())
        kps.append(kp)
    return [torch.cat(s) for s in levels], torch.cat(kps)


def train_metapose(data, preset, *, seed: int, text: torch.Tensor, log=print, epochs: int | None = None):
    """(model in eval mode, report) trained from scratch on `data`'s pose_estimation train split."""
    arch, recipe = preset.arch, preset.recipe
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    images, kp_gt, joints = load_rows(data, arch)
    model = MetaPose(arch, text)
    report = train_backbone(model, images, kp_gt, recipe, gen, log)
    t1 = time.perf_counter()
    feats, kp = frozen_features(model, images)
    feats_f, _ = frozen_features(model, flip_images(images))
    report["train_keypoint_error_px"] = float((kp - kp_gt).norm(dim=-1).mean())
    perm, width = model.perm, arch.image_width
    kp_f = flip_keypoints(kp, width, perm)
    joints_f = flip_joints(joints, perm)
    net = model.net
    net.train()
    opt = torch.optim.AdamW(net.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=recipe.lr_gamma)
    epochs = recipe.epochs if epochs is None else epochs
    noise_shape = net.noise_shape()
    curve = []
    for epoch in range(epochs):
        total, count = 0.0, 0
        for idx in _batches(len(images), recipe.batch_size, gen):
            flip = bool(torch.rand((), generator=gen) < recipe.flip_p)  # the whole batch, as upstream
            f = [lvl[idx].float() for lvl in (feats_f if flip else feats)]
            k, y = (kp_f, joints_f) if flip else (kp, joints)
            eps = torch.randn((len(idx), *noise_shape), generator=gen)
            pred = model.lift(f, k[idx], eps)
            loss = (pred - y[idx]).norm(dim=-1).mean()  # MPJPE, metres
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, count = total + loss.item() * len(idx), count + len(idx)
        sched.step()
        curve.append(total / count)
        if log and ((epoch + 1) % 10 == 0 or epoch + 1 == epochs):
            log(f"[metapose] epoch {epoch + 1}/{epochs}: train MPJPE {1000 * curve[-1]:.1f} mm")
    model.eval()
    report.update({"epochs": epochs, "n_train": len(images), "mpjpe_mm_first": 1000 * curve[0] if curve else None,
                   "mpjpe_mm_last": 1000 * curve[-1] if curve else None,
                   "seconds_backbone": round(t1 - t0, 1), "seconds": round(time.perf_counter() - t0, 1),
                   "joint_set": arch.joint_set, "n_joints": len(JOINT_SETS[arch.joint_set])})
    return model, report
