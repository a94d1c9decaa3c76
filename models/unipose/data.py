"""UniPose's training examples from a dataset folder's train split (the embedded world or a real-source build).

Each row of a task becomes one example: the task's instruction template (the single pre-training template in
stages 2-3, one of the instruction-tuning variants drawn per row in stage 4, as upstream's
scripts/instructions/{pretrain,finetune}_instructions.py), the row's inputs (poses as the frozen tokenizer's codes,
images as PIL images), and one of the row's texts (drawn per row, seeded) as the text input or answer. Requests at
evaluation time are built the same way by the task (`benchmark.tasks`), so training and scoring prompts share one
format.
"""

from __future__ import annotations

import numpy as np

from benchmark.tasks.schema import INPUT_COLUMNS, REQUEST_KIND
from benchmark.tasks.templates import fill, load_templates, pick_template
from models.baselines.training_data import TrainingData
from models.unipose.sequences import Example

# request input key of each input column (pose_edit's pose A is the request's "pose"; texts become "text")
_INPUT_KEY = {"pose_edit": {"pose_a": "pose"}}


def _pose_columns(task_id: str) -> tuple[tuple[str, str], ...]:
    """(column, request input key) of the task's pose inputs."""
    rename = _INPUT_KEY.get(task_id, {})
    return tuple((c, rename.get(c, c)) for c in INPUT_COLUMNS[task_id] if c.startswith("pose"))


def task_examples(data: TrainingData, task_id: str, codes_of, *, template_set: str, seed: int,
                  limit: int | None = None) -> list[Example]:
    """Examples of task `task_id` from `data`; `codes_of(poses [N, 22, 3]) -> codes [N, 80]` is the tokenizer."""
    rows = data.table(task_id)
    n = len(rows) if limit is None else min(limit, len(rows))
    rng = np.random.default_rng([seed, list(REQUEST_KIND).index(task_id)])
    order = np.sort(rng.permutation(len(rows))[:n]) if n < len(rows) else np.arange(n)
    rows = rows.select(order)
    # columns as lists: indexing a `datasets` column row by row selects the column again for every row
    ids = list(rows["id"])
    columns = INPUT_COLUMNS[task_id]
    inputs: dict[str, list] = {}
    for column, key in _pose_columns(task_id):
        inputs[key] = list(codes_of(data.poses(task_id, column)[order]))
    for column in columns:
        if column.startswith("image"):
            inputs[column] = list(rows[column])
    output_pose = REQUEST_KIND[task_id] == "generate_pose"
    target_codes = None
    if output_pose:
        target_column = "pose_b" if task_id == "pose_edit" else "pose"
        target_codes = codes_of(data.poses(task_id, target_column)[order])
    texts = list(rows["texts"]) if "texts" in rows.column_names else None
    out = []
    for i, row_id in enumerate(ids):
        text = None
        if texts is not None:
            choices = texts[i]
            text = str(choices[int(rng.integers(len(choices)))])
        template = pick_template(task_id, row_id, seed, template_set)
        text_input = "texts" in columns
        instruction = fill(template, text if text_input else None)
        out.append(Example(instruction=instruction, inputs={k: v[i] for k, v in inputs.items()},
                           answer_text=None if (output_pose or text_input) else text,
                           answer_codes=None if target_codes is None else target_codes[i],
                           output_pose=output_pose))
    return out


def stage_examples(data: TrainingData, tasks: tuple[str, ...], codes_of, *, template_set: str, seed: int,
                   limit_per_task: int | None = None) -> list[Example]:
    """The examples of several tasks, interleaved in a seeded order."""
    for task_id in tasks:
        load_templates(task_id)  # fails early on a broken template file
    examples = [e for t in tasks for e in task_examples(data, t, codes_of, template_set=template_set, seed=seed,
                                                        limit=limit_per_task)]
    order = np.random.default_rng(seed).permutation(len(examples))
    return [examples[i] for i in order]
