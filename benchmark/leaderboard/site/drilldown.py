"""What a drill-down card shows for one sample of a result: the input the model saw, its output and the ground
truth, side by side.

* Input: the request, rebuilt from the task's dataset split exactly as the evaluation built it (same rows, same
  seed, so the same templates): its poses, images and text, and the prompt.
* Output: the samples record's own copy (`prediction` for text, `output_pose` / `output_joints` for poses, written
  by benchmark.evaluation.runner), else the response cache entry of the adapter revision for that request (results
  written before the records held poses).
* Ground truth: the task's target columns (reference texts, the target pose) of the same row.

Poses are drawn as SVG skeletons from joint positions the task's body model computes (the embedded skeleton, or
SMPL-H from the user's files; the skeleton, with a note, when those files are not here), output and ground truth
overlaid from one camera. A card says what it could not show and why (dataset not here, another dataset content,
output not cached).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.errors import BenchmarkError
from benchmark.leaderboard.site import paths
from benchmark.leaderboard.site.sample_metrics import SampleTable
from benchmark.leaderboard.site.skeleton_svg import BODY_VIEWS, CAMERA_VIEWS, Layer, skeleton_svg
from benchmark.results import TaskResult
from benchmark.tasks.schema import TARGET_COLUMNS

IMAGE_COLUMNS = ("image", "image_a", "image_b")
THUMBNAIL_PX = 320  # longest side of the images copied into the site (real datasets' frames are 1-2k pixels)


@dataclass
class Block:
    kind: str   # "text", "texts", "prompt", "image", "svg" or "note"
    label: str
    value: Any  # str; list[str] for "texts"; a site path for "image"; SVG markup for "svg"


@dataclass
class SampleView:
    inputs: list[Block] = field(default_factory=list)
    output: list[Block] = field(default_factory=list)
    truth: list[Block] = field(default_factory=list)


@dataclass
class LoadedSplit:
    task: Any              # benchmark.tasks.base.Task
    ds: Any                # datasets.Dataset of the evaluation split
    index: dict[str, int]  # row id -> row number
    fingerprint: str       # content of the split here


class DatasetRows:
    """The evaluation splits the results were scored on, each loaded once for all the models' pages; a split that
    cannot be loaded, or whose content is not the one a result was scored on, comes back as None with the reason."""

    def __init__(self, context=None):
        from benchmark.tasks.base import TaskContext

        self.context = context or TaskContext()
        self._loaded: dict[tuple, tuple[LoadedSplit | None, str | None]] = {}

    def get(self, result: TaskResult) -> tuple[LoadedSplit | None, str | None]:
        key = (result.task, result.seed, result.dataset.split)
        if key not in self._loaded:
            self._loaded[key] = self._load(result)
        loaded, reason = self._loaded[key]
        if loaded is not None and loaded.fingerprint != result.dataset.fingerprint:
            return None, (f"the {result.dataset.config} split here has content {loaded.fingerprint}, not "
                          f"the {result.dataset.fingerprint} this result was scored on")
        return loaded, reason

    def _load(self, result: TaskResult) -> tuple[LoadedSplit | None, str | None]:
        import dataclasses

        from benchmark.tasks.catalog import get_task, task_registry

        if result.task not in task_registry():
            return None, f"{result.task} is not a model task (no inputs to show)"
        context = dataclasses.replace(self.context, seed=result.seed)  # the seed picks the prompt templates
        task = get_task(result.task, context)
        if task.spec.version != result.task_version:
            return None, (f"{result.task} is at version {task.spec.version} here, the result at "
                          f"{result.task_version}: its requests cannot be rebuilt")
        try:
            ds, fingerprint, _ = task.load(split=result.dataset.split)
        except BenchmarkError as exc:
            return None, f"dataset not available here: {exc}"
        return LoadedSplit(task, ds, {row_id: i for i, row_id in enumerate(ds["id"])}, fingerprint), None


class ImageWriter:
    """Copies input images into the site once (as thumbnails), whichever model's page shows them first."""

    def __init__(self, site_dir: Path):
        self.site_dir = site_dir
        self.written: set[str] = set()

    def write(self, config: str, row_id: str, column: str, data: dict | None) -> str | None:
        target = paths.image_file(config, row_id, column)
        if target in self.written:
            return target
        if not data or not data.get("bytes"):
            return None
        from PIL import Image

        image = Image.open(io.BytesIO(data["bytes"])).convert("RGB")
        image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
        path = self.site_dir / target
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, format="JPEG", quality=85)
        self.written.add(target)
        return target


def body_model_for(spec, context) -> tuple[Any, str | None]:
    """The body model that turns the task's poses into joints: the joint protocol's, else the embedded skeleton
    for a world's dataset and SMPL-H for real data; the skeleton, with a note, when SMPL-H files are missing."""
    from benchmark.body import get_body_model
    from benchmark.worlds import provider_of

    protocols = {"skeleton-22": "skeleton", "smplh-52-jtr": "smplh"}
    name = protocols.get(spec.joint_protocol or "") or ("skeleton" if provider_of(spec.dataset.repo) else "smplh")
    if name == "skeleton":
        return get_body_model("skeleton"), None
    try:
        model = get_body_model(name, getattr(context, "body_models_dir", None))
        model.joints(np.zeros((1, 22, 3), np.float32))  # SMPL-family files load lazily: fail here, not mid-page
        return model, None
    except (BenchmarkError, OSError, ValueError) as exc:
        return get_body_model("skeleton"), (f"poses drawn on the embedded skeleton body: the {name} model files "
                                            f"are not here ({exc}); pass --body-models DIR")


class _PoseBatch:
    """Poses collected for one page, turned into joints by one body-model call."""

    def __init__(self):
        self.poses: list[np.ndarray] = []

    def add(self, pose) -> int:
        self.poses.append(np.asarray(pose, dtype=np.float32)[:22])
        return len(self.poses) - 1

    def joints(self, body_model) -> np.ndarray:
        if not self.poses:
            return np.zeros((0, 22, 3), np.float32)
        return body_model.joints(np.stack(self.poses))


def _cached_outputs(result: TaskResult, requests, cache) -> dict[str, Any]:
    if cache is None or not requests:
        return {}
    found = cache.get_many(result.adapter.name, result.adapter.revision, [r.request_hash for r in requests])
    return {r.row_id: found[r.request_hash] for r in requests if r.request_hash in found}


def _record_output(record: dict):
    """(kind, value) of the output the samples record holds: ("text", str), ("pose", array), ("joints", (array,
    joint set)), or (None, None)."""
    if isinstance(record.get("prediction"), str):
        return "text", record["prediction"]
    if record.get("output_pose") is not None:
        return "pose", np.asarray(record["output_pose"], dtype=np.float32)
    if record.get("output_joints") is not None:
        return "joints", (np.asarray(record["output_joints"], dtype=np.float32), record.get("output_joint_set"))
    return None, None


def _response_output(response):
    if response is None:
        return None, None
    if hasattr(response, "text"):
        return "text", response.text
    if response.poses is not None:
        return "pose", np.asarray(response.poses[0], dtype=np.float32)
    return "joints", (np.asarray(response.joints[0], dtype=np.float32), response.joint_set)


@dataclass
class _Plan:
    """One sample: its request, its output, and the slots of its poses in the page's body-model batch."""

    request: Any
    row: int                # row number in the page's subset of the split
    kind: str | None        # output kind: "text", "pose", "joints" or None (not stored)
    value: Any
    inputs: dict[str, int]  # input column -> pose slot
    truth: dict[str, int]   # target column -> pose slot
    output: int | None      # pose slot of the output


@dataclass
class _Columns:
    """The subset's columns a card shows beside the request: images, targets, reference texts."""

    images: dict[str, list]        # image column -> undecoded {"bytes", "path"} per row
    targets: list[str]             # the task's target columns present here
    joints_3d: list | None         # target joints (pose estimation without an SMPL fit)
    joint_sets: list | None
    references: dict[str, list[str]]


class _Drawer:
    """Skeleton SVGs of the page's poses (joints computed in one batch), in the task's views."""

    def __init__(self, joints: np.ndarray, joint_set, views):
        self.joints, self.parents, self.names, self.views = joints, joint_set.parents, joint_set.names, views

    def layer(self, slot: int, style: str) -> Layer:
        return Layer(self.joints[slot], self.parents, self.names, style)

    def svg(self, *layers: Layer) -> str:
        return skeleton_svg(list(layers), self.views)


def build_views(result: TaskResult, samples: SampleTable, ids: list[str], rows: DatasetRows, cache,
                images: ImageWriter) -> tuple[dict[str, SampleView], list[str]]:
    """A view per id in `ids`, and the page-level notes on what could not be shown."""
    notes: list[str] = []
    loaded, reason = rows.get(result)
    if loaded is None:
        notes.append(f"Inputs and ground-truth poses are not shown: {reason}.")
        return {i: _record_only_view(samples.records[i]) for i in ids}, notes
    task, spec = loaded.task, loaded.task.spec
    present = [i for i in ids if i in loaded.index]
    if len(present) < len(ids):
        notes.append(f"{len(ids) - len(present)} sample id(s) are not rows of the split here.")
    subset = loaded.ds.select([loaded.index[i] for i in present])
    requests = task.requests(subset)
    need_cache = [r for r in requests if _record_output(samples.records[r.row_id])[0] is None]
    cached = _cached_outputs(result, need_cache, cache)
    if need_cache and len(cached) < len(need_cache):
        notes.append(f"The output of {len(need_cache) - len(cached)} drawn sample(s) is neither in the samples "
                     f"file nor in the response cache of {result.adapter.name} {result.adapter.revision} "
                     "(predictions files are never cached; re-evaluate to store outputs in the samples file).")
    body_model, body_note = body_model_for(spec, rows.context)
    if body_note:
        notes.append(body_note)
    targets = [c for c in TARGET_COLUMNS[spec.task_id] if c in subset.column_names]
    columns = _Columns(
        images={c: subset.cast_column(c, _undecoded_image())[c] for c in IMAGE_COLUMNS if c in subset.column_names},
        targets=targets,
        joints_3d=_plain_column(subset, "joints_3d") if "joints_3d" in targets else None,
        joint_sets=_plain_column(subset, "joint_set") if "joint_set" in subset.column_names else None,
        references=_reference_texts(task, subset, samples, present))
    target_poses = {c: _pose_rows(subset, c) for c in targets if c.startswith("pose")}

    batch = _PoseBatch()
    plans = []
    for k, request in enumerate(requests):
        kind, value = _record_output(samples.records[request.row_id])
        if kind is None:
            kind, value = _response_output(cached.get(request.row_id))
        plans.append(_Plan(
            request, k, kind, value,
            inputs={c: batch.add(request.inputs[c]) for c in ("pose", "pose_a", "pose_b") if c in request.inputs},
            truth={c: batch.add(poses[k]) for c, poses in target_poses.items() if poses[k] is not None},
            output=batch.add(value) if kind == "pose" else None))
    draw = _Drawer(batch.joints(body_model), body_model.joint_set,
                   CAMERA_VIEWS if spec.task_id == "pose_estimation" else BODY_VIEWS)
    views = {plan.request.row_id: SampleView(_input_blocks(plan, draw, columns, spec.dataset.config, images),
                                             _output_blocks(plan, draw), _truth_blocks(plan, draw, columns, spec))
             for plan in plans}
    return views, notes


def _input_blocks(plan: _Plan, draw: _Drawer, columns: _Columns, config: str, images: ImageWriter) -> list[Block]:
    """Poses, images, text, then the prompt."""
    request, blocks = plan.request, []
    if "pose_a" in plan.inputs and "pose_b" in plan.inputs:
        blocks.append(Block("svg", "pose A (dashed) and pose B (colour)", draw.svg(
            draw.layer(plan.inputs["pose_a"], "source"), draw.layer(plan.inputs["pose_b"], "input"))))
    elif "pose" in plan.inputs:
        blocks.append(Block("svg", "pose A (the source)" if "text" in request.inputs else "pose",
                            draw.svg(draw.layer(plan.inputs["pose"], "input"))))
    for column in IMAGE_COLUMNS:
        if column in request.inputs:
            path = images.write(config, request.row_id, column, columns.images[column][plan.row])
            if path:
                blocks.append(Block("image", column.replace("_", " "), path))
    prompt = request.instruction
    if "text" in request.inputs:
        blocks.append(Block("text", "text", request.inputs["text"]))
        # the prompt is the task's template around that text: show the template, not the text twice
        prompt = prompt.replace(request.inputs["text"], "[the text above]")
    blocks.append(Block("prompt", "prompt", prompt))
    return blocks


def _target_slot(plan: _Plan) -> int | None:
    return next((plan.truth[c] for c in ("pose_b", "pose") if c in plan.truth), None)


def _truth_blocks(plan: _Plan, draw: _Drawer, columns: _Columns, spec) -> list[Block]:
    """Target poses (a pair overlaid as an input pair is; joints when there is no pose), then reference texts."""
    blocks, target = [], _target_slot(plan)
    if "pose_a" in plan.truth and "pose_b" in plan.truth and spec.task_id != "pose_edit":
        blocks.append(Block("svg", "pose A (dashed) and pose B", draw.svg(
            draw.layer(plan.truth["pose_a"], "source"), draw.layer(plan.truth["pose_b"], "input"))))
    elif target is not None:
        blocks.append(Block("svg", "target pose", draw.svg(draw.layer(target, "input"))))
    elif columns.joints_3d is not None:
        points = np.asarray(columns.joints_3d[plan.row], dtype=np.float32)
        points = points - points.mean(0)  # camera-frame joints: centred, as a body model's are at the pelvis
        joint_set = f" ({columns.joint_sets[plan.row]})" if columns.joint_sets else ""
        blocks.append(Block("svg", f"target joints{joint_set}", draw.svg(Layer(points, None, None, "input"))))
    references = columns.references.get(plan.request.row_id)
    if "texts" in columns.targets and references:
        blocks.append(Block("texts", "reference texts", references))
    return blocks


def _output_blocks(plan: _Plan, draw: _Drawer) -> list[Block]:
    """The model's text, or its pose over the target pose."""
    if plan.kind == "text":
        return [Block("text", "model output", plan.value)]
    if plan.kind == "pose":
        target = _target_slot(plan)
        under = [draw.layer(target, "truth")] if target is not None else []
        return [Block("svg", "output (colour) over the target (grey)" if under else "output",
                      draw.svg(*under, draw.layer(plan.output, "output")))]
    if plan.kind == "joints":
        points, joint_set = plan.value
        return [Block("svg", f"output joints ({joint_set})",
                      draw.svg(Layer(points - points.mean(0), None, None, "output")))]
    return [Block("note", "model output", "not stored (see the note above)")]


def _undecoded_image():
    from datasets import Image

    return Image(decode=False)


def _plain_column(subset, column: str) -> list:
    # one column alone: reading a row would decode its images too
    return subset.select_columns([column])[column]


def _pose_rows(subset, column: str) -> list[np.ndarray | None]:
    """The pose column's rows; None where a pose-estimation row has no SMPL fit (zeros in `pose`, has_pose
    False)."""
    from benchmark.columns import pose_column

    poses = list(pose_column(subset, column))
    if column == "pose" and "has_pose" in subset.column_names:
        return [p if has else None for p, has in zip(poses, _plain_column(subset, "has_pose"))]
    return poses


def _reference_texts(task, subset, samples: SampleTable, ids: list[str]) -> dict[str, list[str]]:
    """Reference texts per id: the record's (what was scored), else the task's choice of the row's texts."""
    out = {i: samples.records[i]["references"] for i in ids if isinstance(samples.records[i].get("references"), list)}
    if len(out) < len(ids) and "texts" in subset.column_names:
        from benchmark.tasks.common import reference_texts

        try:
            texts = reference_texts(subset, task.spec.text_references)
        except BenchmarkError:
            texts = [list(t) for t in subset["texts"]]
        out = {**dict(zip(ids, texts)), **out}
    return out


def _record_only_view(record: dict) -> SampleView:
    """Without the dataset: the record's own texts (its input text, the model's text, the references)."""
    view = SampleView()
    for key, value in record.items():
        if key == "prediction" and isinstance(value, str):
            view.output.append(Block("text", "model output", value))
        elif key == "references" and isinstance(value, list):
            view.truth.append(Block("texts", "reference texts", [str(v) for v in value]))
        elif isinstance(value, str) and key != "id" and not key.startswith("output_"):
            view.inputs.append(Block("text", key.replace("_", " "), value))
    if not view.output:
        view.output.append(Block("note", "model output", "not shown without the dataset"))
    return view
