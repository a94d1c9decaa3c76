"""The four text-output tasks: pose_to_text, pose_diff, image_to_text, image_diff.

The model describes a pose (or how to go from pose A to pose B), seen directly or through rendered images.
Scores: R-precision of the generated text against the ground-truth pose (or pair) through the frozen pose-text (or
pair-text) evaluator — PoseScript's protocol as `r_precision@k`, UniPose's grouped one as `r_precision_grouped@k` —,
full-split recall both directions, and BLEU-4 / ROUGE-L / METEOR against all reference texts of the row.
"""

from __future__ import annotations

from benchmark.columns import pose_column
from benchmark.requests import DescribeRequest
from benchmark.response_embeddings import ResponseEmbeddings
from benchmark.tasks.base import Task, TaskScores
from benchmark.tasks.common import load_evaluator, reference_texts
from benchmark.tasks.schema import INPUT_COLUMNS
from benchmark.tasks.scoring import records, retrieval_scores, text_scores
from benchmark.tasks.templates import pick_template

PAIR_TASKS = ("pose_diff", "image_diff")


class DescribeTask(Task):
    def requests(self, ds):
        spec = self.spec
        columns = INPUT_COLUMNS[spec.task_id]
        # image columns as lists: a `datasets` column indexed row by row selects the column again for every row
        data = {c: (pose_column(ds, c) if c.startswith("pose") else list(ds[c])) for c in columns}
        return [DescribeRequest(spec.name, row_id, {c: data[c][i] for c in columns},
                                pick_template(spec.task_id, row_id, self.context.seed, spec.template_set))
                for i, row_id in enumerate(ds["id"])]

    def score(self, ds, responses):
        spec, ctx = self.spec, self.context
        predictions = [r.text for r in responses]
        references = reference_texts(ds, spec.text_references)
        kind = "pair-text" if spec.task_id in PAIR_TASKS else "pose-text"
        evaluator, info = load_evaluator(self.evaluator_dir(kind), kind)
        if kind == "pair-text":
            gallery = evaluator.encode_pairs(pose_column(ds, "pose_a"), pose_column(ds, "pose_b"))
        else:
            gallery = evaluator.encode_poses(pose_column(ds, "pose"))
        query = evaluator.encode_texts(predictions)
        scores, per_item = retrieval_scores(query, gallery, seed=ctx.seed, resamples=ctx.bootstrap_resamples)
        text, text_items = text_scores(predictions, references, seed=ctx.seed, resamples=ctx.bootstrap_resamples)
        scores.update(text)
        per_item.update(text_items)
        ids = list(ds["id"])
        samples = records(ids, per_item, {"prediction": predictions, "references": references})
        return TaskScores(scores, samples, [info], ResponseEmbeddings(tuple(ids), query, gallery, "text"))
