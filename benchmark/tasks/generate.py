"""The three pose-output tasks: text_to_pose, pose_estimation, pose_edit.

* text_to_pose: a pose from a description. Scores (UniPose Table 3): R^T2P / R^P2T top-k, the rank of the
  generated pose among all generated poses for the ground-truth text and back, through the frozen pose-text
  evaluator; R-precision; MPJPE / PA-MPJPE against the ground-truth pose under the task's joint protocol; FID
  between the evaluator's features of ground-truth and generated poses; posecode agreement with the ground truth.
* pose_estimation: a pose (or joints of an accepted joint set) from an image; MPJPE / PA-MPJPE under the dataset's
  protocol (skeleton-22 in the embedded world; HMR2 14 joints for 3DPW and Human3.6M-P2; Human3.6M 17 joints with
  per-action averaging for joint lifters).
* pose_edit: pose B from pose A and an instruction. MPJPE / PA-MPJPE and FID against B (PoseFix: the PoseScript
  pose encoder's features), recall of the instruction against (A, generated B) through the pair-text evaluator, and
  the posecode agreement with B (its details give what returning A unchanged would score).

Each task also reports where its poses go wrong: per-joint and per-body-part errors under its joint protocol and
the root orientation error (`benchmark.metrics.pose_diagnostics`, the keys its spec declares). The first sample of
each response is scored (n_samples = 1 in every shipped spec).
"""

from __future__ import annotations

import hashlib

import numpy as np

from benchmark.columns import pose_column
from benchmark.requests import PoseRequest
from benchmark.response_embeddings import ResponseEmbeddings
from benchmark.tasks.base import Task, TaskScores
from benchmark.tasks.common import load_evaluator, reference_texts
from benchmark.tasks.scoring import (fid_score, pose_error_scores, posecode_scores, recall_scores, records,
                                     retrieval_scores)
from benchmark.tasks.shared_scoring import SHARED_JOINT_SETS, SHARED_JOINTS_KEY, shared_joint_task_scores
from benchmark.tasks.templates import fill, pick_template


def sample_seed(seed: int, row_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{row_id}".encode()).digest()[:4], "big")


def first_samples(responses) -> np.ndarray:
    return np.stack([r.poses[0] for r in responses]).astype(np.float32)


class _PoseTask(Task):
    def joint_protocol(self):
        from benchmark.metrics.joint_protocols import get_joint_protocol

        name = self.spec.joint_protocol
        if name in ("smplh-52-jtr", "hmr2-14", "hmr2-14-midhip"):
            return get_joint_protocol(name, model_dir=self.context.body_models_dir)
        return get_joint_protocol(name)

    def pose_errors(self, protocol, pred, gt, actions=None):
        """MPJPE, PA-MPJPE and the diagnostics the spec declares, with their per-sample values."""
        ctx = self.context
        return pose_error_scores(protocol, pred, gt, seed=ctx.seed, resamples=ctx.bootstrap_resamples,
                                 actions=actions, declared=self.spec.metrics)

    def posecodes(self, protocol, generated, truth, source=None):
        """Posecode agreement, with the joints of the protocol's body model (the embedded skeleton, or SMPL-H)."""
        from benchmark.metrics.joint_protocols import BodyModelJoints

        ctx = self.context
        body = protocol.body_model if isinstance(protocol, BodyModelJoints) else None
        return posecode_scores(generated, truth, seed=ctx.seed, resamples=ctx.bootstrap_resamples, body_model=body,
                               source=source)

    def _request(self, row_id: str, inputs: dict, caption: str | None = None) -> PoseRequest:
        spec, ctx = self.spec, self.context
        template = pick_template(spec.task_id, row_id, ctx.seed, spec.template_set)
        return PoseRequest(spec.name, row_id, inputs, fill(template, caption), n_samples=spec.n_samples,
                           seed=sample_seed(ctx.seed, row_id))


class TextToPoseTask(_PoseTask):
    def query_texts(self, ds) -> list[str]:
        """The description each row is generated from: its first text of the spec's `query_text` kind (PoseScript's
        retrieval evaluates H2 on the human caption, index 0; UniPose's evaluation uses automatic caption 0), else
        its first reference text."""
        return [texts[0] for texts in reference_texts(ds, self.spec.query_text or self.spec.text_references)]

    def requests(self, ds):
        return [self._request(row_id, {"text": text}, text) for row_id, text in zip(ds["id"], self.query_texts(ds))]

    def score(self, ds, responses):
        ctx = self.context
        generated, truth = first_samples(responses), pose_column(ds, "pose")
        texts = self.query_texts(ds)
        evaluator, info = load_evaluator(self.evaluator_dir("pose-text"), "pose-text")
        gen_emb, text_emb = evaluator.encode_poses(generated), evaluator.encode_texts(texts)
        scores, per_item = recall_scores(gen_emb, text_emb, ks=(1, 5, 10, 20), seed=ctx.seed,
                                         resamples=ctx.bootstrap_resamples)
        rp, rp_items = retrieval_scores(text_emb, gen_emb, seed=ctx.seed, resamples=ctx.bootstrap_resamples,
                                        recall_ks=())
        scores.update({k: v for k, v in rp.items() if k.startswith("r_precision")})
        per_item["r_precision_mean_rank"] = rp_items.get("r_precision_mean_rank", np.full(len(texts), np.nan))
        protocol = self.joint_protocol()
        for part_scores, part_items in (self.pose_errors(protocol, generated, truth),
                                        self.posecodes(protocol, generated, truth)):
            scores.update(part_scores)
            per_item.update(part_items)
        scores["fid"] = fid_score(evaluator.encode_poses(truth), gen_emb)
        ids = list(ds["id"])
        return TaskScores(scores, records(ids, per_item, {"text": texts}), [info],
                          ResponseEmbeddings(tuple(ids), text_emb, gen_emb, "pose"))


class PoseEstimationTask(_PoseTask):
    @property
    def accepted_joint_sets(self) -> tuple[str, ...]:
        if self.spec.joint_protocol == "h36m-17":
            return ("h36m-17",)
        from benchmark.metrics.joint_protocols import BODY_MODEL_JOINT_SETS

        # joints of the protocol's own body model (a joint lifter), scored by the protocol (shared_scoring)
        own = (BODY_MODEL_JOINT_SETS[self.spec.joint_protocol],) if self.spec.joint_protocol in \
            BODY_MODEL_JOINT_SETS and SHARED_JOINTS_KEY in self.spec.metrics else ()
        # joints of another skeleton, scored on the limb joints both skeletons share (shared_scoring)
        return own + (SHARED_JOINT_SETS if SHARED_JOINTS_KEY in self.spec.metrics else ())

    def requests(self, ds):
        return [self._request(row_id, {"image": image}) for row_id, image in zip(ds["id"], ds["image"])]

    def score(self, ds, responses):
        protocol = self.joint_protocol()
        if self.spec.joint_protocol in ("hmr2-14", "hmr2-14-midhip", "h36m-17"):
            truth = pose_column(ds, "joints_3d")
        else:
            truth = pose_column(ds, "pose")
        if responses and responses[0].poses is None:
            pred = np.stack([r.joints[0] for r in responses]).astype(np.float32)
        else:
            pred = first_samples(responses)
        if SHARED_JOINTS_KEY in self.spec.metrics:
            scores, per_item = shared_joint_task_scores(self, protocol, responses, pred, truth)
            return TaskScores(scores, records(list(ds["id"]), per_item), [])
        actions = list(ds["action"]) if protocol.requires_actions else None
        scores, per_item = self.pose_errors(protocol, pred, truth, actions)
        return TaskScores(scores, records(list(ds["id"]), per_item), [])


class PoseEditTask(_PoseTask):
    def instructions(self, ds) -> list[str]:
        return [texts[0] for texts in reference_texts(ds, self.spec.text_references)]

    def requests(self, ds):
        poses_a = pose_column(ds, "pose_a")
        return [self._request(row_id, {"pose": pose_a, "text": text}, text)
                for row_id, pose_a, text in zip(ds["id"], poses_a, self.instructions(ds))]

    def score(self, ds, responses):
        ctx = self.context
        generated, pose_a, pose_b = first_samples(responses), pose_column(ds, "pose_a"), pose_column(ds, "pose_b")
        protocol = self.joint_protocol()
        scores, per_item = self.pose_errors(protocol, generated, pose_b)
        posecode, posecode_items = self.posecodes(protocol, generated, pose_b, source=pose_a)
        scores.update(posecode)
        per_item.update(posecode_items)
        pose_eval, pose_info = load_evaluator(self.evaluator_dir("pose-text"), "pose-text")
        scores["fid"] = fid_score(pose_eval.encode_poses(pose_b), pose_eval.encode_poses(generated))
        pair_eval, pair_info = load_evaluator(self.evaluator_dir("pair-text"), "pair-text")
        texts = self.instructions(ds)
        pair_emb, text_emb = pair_eval.encode_pairs(pose_a, generated), pair_eval.encode_texts(texts)
        rec, rec_items = recall_scores(pair_emb, text_emb, ks=(1, 5, 10), seed=ctx.seed,
                                       resamples=ctx.bootstrap_resamples)
        scores.update(rec)
        per_item.update(rec_items)
        ids = list(ds["id"])
        return TaskScores(scores, records(ids, per_item, {"instruction": texts}), [pose_info, pair_info],
                          ResponseEmbeddings(tuple(ids), text_emb, pair_emb, "pose"))
