"""The `metapose` adapter: MetaPose (Visual-Pose-Lab/MetaPose @ cfec06c) answers pose_estimation with 3D joints.

    metapose:preset=tiny            train the tiny preset on the world's pose_estimation train split first (cached
                                    under the suite's home), as the main job does
    metapose:checkpoint=DIR         a folder this suite wrote (models/metapose/checkpoint.py)
    metapose:preset=tiny,clip=DIR   the text features from a local transformers CLIP folder instead of MiniLM

What it reads: the request's image, and nothing else. MetaPose lifts 2D keypoints with image context, and a
pose_estimation request carries only the image (no 2D keypoints, no camera, no action label), so the 2D keypoints
come from the model's own frozen backbone: its keypoint head (models/metapose/backbone.py), run on the image resized
to the preset's input size (the tiny preset: 128 x 128, the size of the embedded renders). No ground truth that the
protocol does not give to models (the rows' `keypoints_2d`, `camera`, `joints_3d`, `action`) is read at test time.

What it answers: root-relative camera-frame joints in metres of the preset's joint set (`PoseResponse.joints`, with
`joint_set`): the tiny preset predicts the 22 joints of the embedded skeleton (`smpl-body-22`), which
pose_estimation/embedded scores with its skeleton-22 protocol (MPJPE with the pelvis of the ground truth at the
origin, PA-MPJPE), as it scores the poses of the other rows; the paper preset is declared with the 17 Human3.6M
joints (`h36m-17`, the pose_estimation/h36m-17 protocol).

Text branch: the action-agnostic variant (one sentence per joint) is the one scored, because requests carry no
action label; upstream's action-conditioned variant (one sentence per action and joint, fed the ground-truth action
at test time) is declared in the metadata and not selectable through the harness.

Randomness: upstream draws the Transformation Alignment's Gaussian noise on every forward pass, evaluation included;
here each request's draws come from a generator seeded by (seed, request), so an answer does not depend on batching.
Flip test (upstream's default): the mirrored image is predicted too and the two answers averaged (`flip_test=0`
turns it off).
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.errors import InputError
from benchmark.requests import PoseResponse
from models.baselines.seeding import request_rng

CITATION = ("MetaPose (Visual-Pose-Lab/MetaPose); built on Zhao et al., A Single 2D Pose with Context is Worth "
            "Hundreds for 3D Human Pose Estimation, NeurIPS 2023")
TEXT_VARIANTS = {
    "action-agnostic": "one sentence per joint, no action (scored: requests carry no action label)",
    "action-conditioned": "one sentence per (action, joint), fed the ground-truth action at test time as upstream "
                          "(not selectable through the harness: requests carry no action label)",
}


def _int(value, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InputError(f"{field} must be an integer, got {value!r}", field=field) from None


class MetaPoseAdapter(ModelAdapter):
    SUMMARY = "MetaPose: keypoint-guided deformable image features + text, lifted to 3D joints (pose_estimation)"
    ARGUMENTS = ("train", "preset", "seed", "checkpoint", "clip", "flip_test", "batch_size")
    TASKS = ("pose_estimation",)

    def __init__(self, train: str | None = None, preset: str = "tiny", seed: str = "0", checkpoint: str | None = None,
                 clip: str | None = None, flip_test: str = "1", batch_size: str = "32"):
        from models.metapose.checkpoint import load_checkpoint, trained_checkpoint
        from models.metapose.presets import get_preset

        self.seed, self.batch_size = _int(seed, "seed"), _int(batch_size, "batch_size")
        if str(flip_test) not in ("0", "1", "True", "False", "true", "false"):
            raise InputError(f"flip_test must be 0 or 1, got {flip_test!r}", field="flip_test")
        self.flip_test = str(flip_test) in ("1", "True", "true")
        if checkpoint is None:
            get_preset(preset)  # an unknown preset is named before anything is loaded
            if train is None:
                raise InputError("metapose needs checkpoint=DIR or train=DIR to train the preset on",
                                 field="metapose arguments")
            checkpoint = str(trained_checkpoint(train, preset, self.seed, clip))
        self.model, self.config = load_checkpoint(checkpoint)
        self.arch = self.model.arch
        self.joint_set = self.arch.joint_set
        n_params = sum(p.numel() for p in self.model.net.parameters())
        name = f"metapose-{self.config['preset']}"
        self.meta = AdapterMeta(
            name=name, revision=self._revision(), tasks=self.TASKS,
            description=(f"MetaPose ({self.config['preset']} preset): frozen {self.arch.backbone} backbone whose "
                         "keypoint head gives the 2D keypoints, keypoint-guided deformable sampling, action-agnostic "
                         f"per-joint text features ({self.config['text_encoder']}), transformation alignment, level "
                         f"and joint transformers; joints of {self.joint_set}"
                         f"{'; flip test' if self.flip_test else ''}"),
            license="Apache-2.0", n_parameters=n_params,
            training_data=(str(self.config.get("report", {}).get("train", "")),),
            citation=CITATION,
            args={"checkpoint": str(checkpoint), "preset": self.config["preset"], "seed": self.seed,
                  "flip_test": self.flip_test, "inputs": "image only (2D keypoints from its own keypoint head)",
                  "joint_set": self.joint_set, "text_variant": "action-agnostic", "text_variants": TEXT_VARIANTS,
                  **({"train": str(train)} if train else {}), **({"clip": str(clip)} if clip else {})})

    def _revision(self) -> str:
        h = hashlib.sha256()
        for key, value in sorted(self.model.state_dict().items()):
            h.update(key.encode() + np.ascontiguousarray(value.detach().float().numpy()).tobytes())
        return f"{h.hexdigest()[:12]}-flip{int(self.flip_test)}"

    def _image(self, image) -> np.ndarray:
        from PIL import Image

        size = (self.arch.image_width, self.arch.image_height)
        if image.size != size:
            image = image.resize(size, Image.BILINEAR)
        return np.asarray(image.convert("RGB"), dtype=np.uint8)

    def _noise(self, r) -> np.ndarray:
        """[n_samples, passes, T, J, c] standard-normal draws of this request (its seed and content)."""
        passes = 2 if self.flip_test else 1
        shape = (r.n_samples, passes, *self.model.net.noise_shape())
        return request_rng(self.seed * 1_000_003 + r.seed, r.request_hash).standard_normal(shape).astype(np.float32)

    def generate_pose(self, requests):
        requests = list(requests)
        items = []  # (request index, image, noise of one sample)
        for i, r in enumerate(requests):
            image, noise = self._image(r.inputs["image"]), self._noise(r)
            items += [(i, image, noise[s]) for s in range(r.n_samples)]
        joints = []
        for start in range(0, len(items), self.batch_size):
            chunk = items[start:start + self.batch_size]
            images = torch.from_numpy(np.stack([c[1] for c in chunk]))
            eps = torch.from_numpy(np.stack([c[2] for c in chunk]))
            joints.append(self.model.predict(images, eps, flip_test=self.flip_test).numpy())
        joints = np.concatenate(joints).astype(np.float32) if joints else np.zeros((0, 0, 3), np.float32)
        out, k = [], 0
        for r in requests:
            out.append(PoseResponse(joints=np.ascontiguousarray(joints[k:k + r.n_samples]), joint_set=self.joint_set))
            k += r.n_samples
        return out
