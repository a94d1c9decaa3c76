"""Every task the suite knows: the seven task ids on the embedded world, and on the datasets built from the real
sources (PoseScript, PoseFix, ImageScript, ImageDiff, 3DPW, Human3.6M).

Dataset repos are logical names: a folder given with `--dataset-dir NAME=DIR` (what `unipose-bench build` or
`publish --to-dir` wrote), or the Hub repo of that name at the revision recorded when it was published
(datasets_build/hub/revisions.json).
"""

from __future__ import annotations

from benchmark.registry import Registry
from benchmark.tasks.base import Task, TaskContext
from benchmark.tasks.spec import DatasetRef, TaskSpec

EMBEDDED_REPO = "unipose-bench/embedded-world"
POSESCRIPT_REPO = "unipose-bench/posescript"
POSEFIX_REPO = "unipose-bench/posefix"
IMAGESCRIPT_REPO = "unipose-bench/imagescript"
IMAGEDIFF_REPO = "unipose-bench/imagediff"
POSE_ESTIMATION_REPO = "unipose-bench/pose-estimation"

_CITE_POSESCRIPT = "Delmas et al., PoseScript: 3D Human Poses from Natural Language, ECCV 2022 (and its TPAMI extension)"
_CITE_POSEFIX = "Delmas et al., PoseFix: Correcting 3D Human Poses with Natural Language, ICCV 2023"
_CITE_UNIPOSE = "Li et al., UniPose: A Unified Multimodal Framework for Human Pose Comprehension, Generation and " \
                "Editing, CVPR 2025"

TEXT_METRICS = ("r_precision@1", "r_precision@2", "r_precision@3", "r_precision_grouped@1", "r_precision_grouped@2",
                "r_precision_grouped@3", "multimodality", "recall_p2t@1", "recall_p2t@5", "recall_p2t@10",
                "recall_p2t@20", "recall_t2p@1", "recall_t2p@5", "recall_t2p@10", "recall_t2p@20", "mrecall", "bleu",
                "rouge_l", "meteor")
T2P_METRICS = ("recall_t2p@1", "recall_t2p@5", "recall_t2p@10", "recall_t2p@20", "recall_p2t@1", "recall_p2t@5",
               "recall_p2t@10", "recall_p2t@20", "mrecall", "r_precision@1", "r_precision@2", "r_precision@3",
               "r_precision_grouped@1", "r_precision_grouped@2", "r_precision_grouped@3", "mpjpe", "pa_mpjpe", "fid")
EST_METRICS = ("mpjpe", "pa_mpjpe")
EDIT_METRICS = ("mpjpe", "pa_mpjpe", "fid", "recall_t2p@1", "recall_t2p@5", "recall_t2p@10", "recall_p2t@1",
                "recall_p2t@5", "recall_p2t@10", "mrecall")

_DESCRIPTIONS = {
    "pose_to_text": "describe a 3D pose in natural language",
    "pose_diff": "say how to go from pose A to pose B",
    "image_to_text": "describe the pose of the person in an image",
    "image_diff": "say how the person in image A should move to take the pose in image B",
    "text_to_pose": "generate the 3D pose a description describes",
    "pose_estimation": "estimate the 3D pose of the person in an image",
    "pose_edit": "apply an instruction to pose A and output pose B",
}
_SHAPE = {
    "pose_to_text": (TEXT_METRICS, "r_precision@1", ("pose-text",)),
    "image_to_text": (TEXT_METRICS, "r_precision@1", ("pose-text",)),
    "pose_diff": (TEXT_METRICS, "r_precision@1", ("pair-text",)),
    "image_diff": (TEXT_METRICS, "r_precision@1", ("pair-text",)),
    "text_to_pose": (T2P_METRICS, "recall_t2p@5", ("pose-text",)),
    "pose_estimation": (EST_METRICS, "pa_mpjpe", ()),
    "pose_edit": (EDIT_METRICS, "mpjpe", ("pose-text", "pair-text")),
}
_JOINTS = {"text_to_pose", "pose_estimation", "pose_edit"}


def _spec(task_id: str, dataset_name: str, repo: str, config: str, *, revision=None, joints="skeleton-22",
          references="any", citation="", license="", description="") -> TaskSpec:
    metrics, main, evaluators = _SHAPE[task_id]
    return TaskSpec(
        name=f"{task_id}/{dataset_name}", task_id=task_id, version=1,
        description=f"{_DESCRIPTIONS[task_id]} ({description or dataset_name})",
        dataset=DatasetRef(repo=repo, config=config, split="test", revision=revision), metrics=metrics,
        main_metric=main, evaluators=evaluators, joint_protocol=joints if task_id in _JOINTS else None,
        text_references=references, citation=citation, license=license)


def _revision(repo: str):
    try:
        from datasets_build.hub.revisions import get_revision
    except ImportError:
        return None
    return get_revision(repo)


def all_specs() -> list[TaskSpec]:
    specs = [_spec(t, "embedded", EMBEDDED_REPO, t, license="CC0-1.0", citation=_CITE_UNIPOSE,
                   description="the embedded procedural pose world") for t in _DESCRIPTIONS]
    ps, pf = _revision(POSESCRIPT_REPO), _revision(POSEFIX_REPO)
    specs += [
        _spec("pose_to_text", "posescript-h", POSESCRIPT_REPO, "pose_to_text-H", revision=ps, references="human",
              citation=_CITE_POSESCRIPT, license="CC BY-NC-SA 4.0", description="PoseScript-H2 test"),
        _spec("text_to_pose", "posescript-h", POSESCRIPT_REPO, "text_to_pose-H", revision=ps, references="human",
              joints="smplh-52-jtr", citation=_CITE_POSESCRIPT, license="CC BY-NC-SA 4.0",
              description="PoseScript-H2 test"),
        _spec("pose_diff", "posefix-h", POSEFIX_REPO, "pose_diff-H", revision=pf, references="human",
              citation=_CITE_POSEFIX, license="CC BY-NC-SA 4.0", description="PoseFix-H test"),
        _spec("pose_edit", "posefix-h", POSEFIX_REPO, "pose_edit-H", revision=pf, references="human",
              joints="smplh-52-jtr", citation=_CITE_POSEFIX, license="CC BY-NC-SA 4.0",
              description="PoseFix-H test"),
        _spec("image_to_text", "imagescript-r", IMAGESCRIPT_REPO, "image_to_text-R",
              revision=_revision(IMAGESCRIPT_REPO), references="refined", citation=_CITE_UNIPOSE,
              description="ImageScript-R test (3DPW)"),
        _spec("image_diff", "imagediff-r", IMAGEDIFF_REPO, "image_diff-R", revision=_revision(IMAGEDIFF_REPO),
              references="refined", citation=_CITE_UNIPOSE, description="ImageDiff-R test (3DPW pairs)"),
        _spec("pose_estimation", "3dpw", POSE_ESTIMATION_REPO, "pose_estimation-3dpw",
              revision=_revision(POSE_ESTIMATION_REPO), joints="hmr2-14", description="3DPW test, HMR2 14 joints"),
        _spec("pose_estimation", "h36m-p2", POSE_ESTIMATION_REPO, "pose_estimation-h36m",
              revision=_revision(POSE_ESTIMATION_REPO), joints="hmr2-14",
              description="Human3.6M S9/S11 (HMR2 h36m_val_p2), HMR2 14 joints, hips-mean pelvis"),
        _spec("pose_estimation", "h36m-17", POSE_ESTIMATION_REPO, "pose_estimation-h36m17",
              revision=_revision(POSE_ESTIMATION_REPO), joints="h36m-17",
              description="Human3.6M S9/S11, 17 joints, P1/P2 averaged per action"),
    ]
    return specs


TASK_CLASSES = {
    "pose_to_text": "benchmark.tasks.describe:DescribeTask",
    "pose_diff": "benchmark.tasks.describe:DescribeTask",
    "image_to_text": "benchmark.tasks.describe:DescribeTask",
    "image_diff": "benchmark.tasks.describe:DescribeTask",
    "text_to_pose": "benchmark.tasks.generate:TextToPoseTask",
    "pose_estimation": "benchmark.tasks.generate:PoseEstimationTask",
    "pose_edit": "benchmark.tasks.generate:PoseEditTask",
}


def task_registry() -> Registry[TaskSpec]:
    registry: Registry[TaskSpec] = Registry("task")
    for spec in all_specs():
        registry.register(spec.name, spec, help=spec.description)
    return registry


def get_task(name: str, context: TaskContext | None = None) -> Task:
    import importlib

    spec = task_registry().get(name)
    module, _, attr = TASK_CLASSES[spec.task_id].partition(":")
    return getattr(importlib.import_module(module), attr)(spec, context)


def embedded_task_names() -> list[str]:
    return [s.name for s in all_specs() if s.dataset.repo == EMBEDDED_REPO]
