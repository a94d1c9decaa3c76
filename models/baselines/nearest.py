"""Nearest-neighbour baselines: answer with the training item closest to the request.

* pose -> the caption of the nearest training pose, pose pair -> the instruction of the nearest training pair, text
  -> the nearest training pose (all through the suite's frozen retrieval evaluators: cosine of their embeddings);
* pose + instruction -> pose B of the training pair whose (pose A, instruction) is closest (sum of the two cosines);
* image inputs -> the nearest training image by a raw-pixel thumbnail (24 x 24 grey, standardised): a deliberately
  model-free reference for the image tasks.
Several samples are the next neighbours in order.

Caveat for reading its scores: the text and pose neighbours are found with the very evaluators that compute the
retrieval metrics (R-precision, recall), so on those metrics it is an optimistic reference, not a floor.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.tasks.schema import TASKS as ALL_TASKS
from benchmark.requests import PoseResponse, TextResponse
from models.baselines.training_data import TrainingData

THUMB = 24


def thumbnails(images) -> np.ndarray:
    """Unit-norm, zero-mean grey thumbnails [N, THUMB*THUMB] of PIL images."""
    from PIL import Image

    out = np.stack([np.asarray(im.convert("L").resize((THUMB, THUMB), Image.BILINEAR), dtype=np.float32).ravel()
                    for im in images])
    out -= out.mean(1, keepdims=True)
    return out / (np.linalg.norm(out, axis=1, keepdims=True) + 1e-6)


def top(similarity: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n most similar items per row, best first; ties broken by the lower index."""
    order = np.argsort(-similarity, axis=1, kind="stable")
    return order[:, :n]


class NearestNeighbourAdapter(ModelAdapter):
    SUMMARY = "nearest training item through the retrieval evaluators (poses, pairs, texts) or image thumbnails"
    ARGUMENTS = ("train", "pose_text", "pair_text")
    TASKS = ALL_TASKS

    def __init__(self, train: str, pose_text: str, pair_text: str):
        from benchmark.retrieval import load_evaluator

        self.data = TrainingData(train)
        self.pose_text = load_evaluator(pose_text)
        self.pair_text = load_evaluator(pair_text)
        self.meta = AdapterMeta(
            name="nearest_neighbour", revision=f"{self.pose_text.version}+{self.pair_text.version}", tasks=self.TASKS,
            description="nearest training item through the retrieval evaluators (pixel thumbnails for images); "
                        "optimistic on the retrieval metrics, which use the same evaluators",
            license="CC0-1.0", n_parameters=0, training_data=(str(train),),
            args={"train": str(train), "pose_text": str(pose_text), "pair_text": str(pair_text)})

    # training-side embeddings, computed once
    @cached_property
    def _describe_poses(self):
        return self.pose_text.encode_poses(self.data.poses("pose_to_text")), self.data.descriptions

    @cached_property
    def _describe_pairs(self):
        emb = self.pair_text.encode_pairs(self.data.poses("pose_diff", "pose_a"), self.data.poses("pose_diff",
                                                                                                  "pose_b"))
        return emb, self.data.instructions

    @cached_property
    def _image_captions(self):
        rows = self.data.table("image_to_text")
        return thumbnails(rows["image"]), self.data.texts("image_to_text")

    @cached_property
    def _image_pairs(self):
        rows = self.data.table("image_diff")
        return (np.concatenate([thumbnails(rows["image_a"]), thumbnails(rows["image_b"])], 1) / np.sqrt(2),
                self.data.texts("image_diff"))

    @cached_property
    def _text_to_pose(self):
        poses = self.data.poses("text_to_pose")
        return self.pose_text.encode_poses(poses), poses

    @cached_property
    def _image_to_pose(self):
        rows = self.data.table("pose_estimation")
        return thumbnails(rows["image"]), self.data.poses("pose_estimation")

    @cached_property
    def _edit(self):
        texts = self.data.texts("pose_edit")
        return (self.pair_text.encode_texts(texts), self.pose_text.encode_poses(self.data.poses("pose_edit", "pose_a")),
                self.data.poses("pose_edit", "pose_b"))

    def describe(self, requests):
        out: list[TextResponse | None] = [None] * len(requests)
        groups: dict[str, list[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault(",".join(sorted(r.modalities)), []).append(i)
        for key, idx in groups.items():
            rs = [requests[i] for i in idx]
            if key == "pose":
                emb, texts = self._describe_poses
                query = self.pose_text.encode_poses(np.stack([r.inputs["pose"] for r in rs]))
            elif key == "pose_a,pose_b":
                emb, texts = self._describe_pairs
                query = self.pair_text.encode_pairs(np.stack([r.inputs["pose_a"] for r in rs]),
                                                    np.stack([r.inputs["pose_b"] for r in rs]))
            elif key == "image":
                emb, texts = self._image_captions
                query = thumbnails([r.inputs["image"] for r in rs])
            else:
                emb, texts = self._image_pairs
                query = np.concatenate([thumbnails([r.inputs["image_a"] for r in rs]),
                                        thumbnails([r.inputs["image_b"] for r in rs])], 1) / np.sqrt(2)
            best = top(query @ emb.T, 1)[:, 0]
            for i, j in zip(idx, best):
                out[i] = TextResponse(texts[j])
        return out

    def generate_pose(self, requests):
        out: list[PoseResponse | None] = [None] * len(requests)
        groups: dict[str, list[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault(",".join(sorted(r.modalities)), []).append(i)
        for key, idx in groups.items():
            rs = [requests[i] for i in idx]
            n = max(r.n_samples for r in rs)
            if key == "text":
                emb, poses = self._text_to_pose
                sim = self.pose_text.encode_texts([r.inputs["text"] for r in rs]) @ emb.T
            elif key == "image":
                emb, poses = self._image_to_pose
                sim = thumbnails([r.inputs["image"] for r in rs]) @ emb.T
            else:
                text_emb, pose_a_emb, poses = self._edit
                sim = (self.pair_text.encode_texts([r.inputs["text"] for r in rs]) @ text_emb.T
                       + self.pose_text.encode_poses(np.stack([r.inputs["pose"] for r in rs])) @ pose_a_emb.T)
            best = top(sim, n)
            for row, (i, r) in enumerate(zip(idx, rs)):
                out[i] = PoseResponse(poses=np.ascontiguousarray(poses[best[row, :r.n_samples]], dtype=np.float32))
        return out
