"""Every task the suite knows: the seven task ids on the embedded world, and on the datasets built from the real
sources (PoseScript, PoseFix, ImageScript, ImageDiff, 3DPW, Human3.6M).

Dataset repos are logical names: a folder given with `--dataset-dir NAME=DIR` (what `unipose-bench build` or
`publish --to-dir` wrote), or the Hub repo the name was published to, at the revision recorded then
(benchmark/tasks/revisions.json, `publish --as NAME`). Each spec also pins the content fingerprint of its evaluation
split (the published one, or for the embedded world the content its provider commits to).
"""

from __future__ import annotations

import functools

from benchmark.registry import Registry
from benchmark.tasks.revisions import pinned as pinned_revision
from benchmark.tasks.base import Task, TaskContext
from benchmark.tasks.spec import DatasetRef, EvaluatorTaskSpec, TaskSpec

EMBEDDED_REPO = "unipose-bench/embedded-world"
POSESCRIPT_REPO = "unipose-bench/posescript"
POSEFIX_REPO = "unipose-bench/posefix"
IMAGESCRIPT_REPO = "unipose-bench/imagescript"
IMAGEDIFF_REPO = "unipose-bench/imagediff"
POSE_ESTIMATION_REPO = "unipose-bench/pose-estimation"

_CITE_POSESCRIPT = ("Delmas et al., PoseScript: 3D Human Poses from Natural Language, ECCV 2022 (and its TPAMI "
                    "extension)")
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


def with_diagnostics(metrics: tuple[str, ...], joint_protocol: str, *, posecodes: bool = False) -> tuple[str, ...]:
    """A pose task's metrics followed by its diagnostics: the error per joint and per body part under its joint
    protocol, the root orientation error where the ground truth is a pose, and (poses generated from a text or an
    instruction) the posecode agreement with the ground truth."""
    from benchmark.metrics.joint_protocols import POSE_GROUND_TRUTH_PROTOCOLS, PROTOCOL_JOINT_NAMES
    from benchmark.metrics.pose_diagnostics import diagnostic_keys
    from benchmark.metrics.posecode_agreement import posecode_keys

    return (*metrics, *diagnostic_keys(PROTOCOL_JOINT_NAMES[joint_protocol],
                                       root=joint_protocol in POSE_GROUND_TRUTH_PROTOCOLS),
            *(posecode_keys() if posecodes else ()))


def _pin(repo: str, config: str) -> dict:
    """What a spec on `repo`'s `config` pins: the published revision, Hub repo and test-split content fingerprint
    (benchmark/tasks/revisions.json); for the embedded world, the content its provider commits to."""
    from benchmark.worlds import provider_of

    provider = provider_of(repo)
    if provider is not None:  # a world any machine builds: the content its provider commits to
        return {"fingerprint": provider.pinned_fingerprints().get(config, {}).get("test")}
    return pinned_revision(repo, config, "test")


def _dataset(repo: str, config: str) -> DatasetRef:
    return DatasetRef(repo=repo, config=config, split="test", **_pin(repo, config))


def all_specs() -> list[TaskSpec]:
    """Every task, one literal spec each (as MTEB declares its tasks); pins are read when the specs are built."""
    return [
    TaskSpec(name="pose_to_text/embedded", task_id="pose_to_text", version=1,
             description="describe a 3D pose in natural language (the embedded procedural pose world)",
             dataset=_dataset(EMBEDDED_REPO, "pose_to_text"), metrics=TEXT_METRICS, main_metric="r_precision@1",
             evaluators=("pose-text",), citation=_CITE_UNIPOSE, license="CC0-1.0"),
    TaskSpec(name="pose_diff/embedded", task_id="pose_diff", version=1,
             description="say how to go from pose A to pose B (the embedded procedural pose world)",
             dataset=_dataset(EMBEDDED_REPO, "pose_diff"), metrics=TEXT_METRICS, main_metric="r_precision@1",
             evaluators=("pair-text",), citation=_CITE_UNIPOSE, license="CC0-1.0"),
    TaskSpec(name="image_to_text/embedded", task_id="image_to_text", version=1,
             description="describe the pose of the person in an image (the embedded procedural pose world)",
             dataset=_dataset(EMBEDDED_REPO, "image_to_text"), metrics=TEXT_METRICS, main_metric="r_precision@1",
             evaluators=("pose-text",), citation=_CITE_UNIPOSE, license="CC0-1.0"),
    TaskSpec(name="image_diff/embedded", task_id="image_diff", version=1,
             description=("say how the person in image A should move to take the pose in image B (the embedded "
                          "procedural pose world)"),
             dataset=_dataset(EMBEDDED_REPO, "image_diff"), metrics=TEXT_METRICS, main_metric="r_precision@1",
             evaluators=("pair-text",), citation=_CITE_UNIPOSE, license="CC0-1.0"),
    TaskSpec(name="text_to_pose/embedded", task_id="text_to_pose", version=1,
             description="generate the 3D pose a description describes (the embedded procedural pose world)",
             dataset=_dataset(EMBEDDED_REPO, "text_to_pose"),
             metrics=with_diagnostics(T2P_METRICS, "skeleton-22", posecodes=True), main_metric="recall_t2p@5",
             evaluators=("pose-text",), joint_protocol="skeleton-22", citation=_CITE_UNIPOSE, license="CC0-1.0"),
    TaskSpec(name="pose_estimation/embedded", task_id="pose_estimation", version=1,
             description="estimate the 3D pose of the person in an image (the embedded procedural pose world)",
             dataset=_dataset(EMBEDDED_REPO, "pose_estimation"),
             metrics=with_diagnostics(EST_METRICS + ("pa_mpjpe_limbs12",), "skeleton-22"),
             main_metric="pa_mpjpe",
             evaluators=(), joint_protocol="skeleton-22", citation=_CITE_UNIPOSE, license="CC0-1.0"),
    TaskSpec(name="pose_edit/embedded", task_id="pose_edit", version=1,
             description="apply an instruction to pose A and output pose B (the embedded procedural pose world)",
             dataset=_dataset(EMBEDDED_REPO, "pose_edit"),
             metrics=with_diagnostics(EDIT_METRICS, "skeleton-22", posecodes=True), main_metric="mpjpe",
             evaluators=("pose-text", "pair-text"), joint_protocol="skeleton-22", citation=_CITE_UNIPOSE,
             license="CC0-1.0"),
    TaskSpec(name="pose_to_text/posescript-h", task_id="pose_to_text", version=1,
             description="describe a 3D pose in natural language (PoseScript-H2 test)",
             dataset=_dataset(POSESCRIPT_REPO, "pose_to_text-H"), metrics=TEXT_METRICS, main_metric="r_precision@1",
             evaluators=("pose-text",), text_references="human", citation=_CITE_POSESCRIPT, license="CC BY-NC-SA 4.0"),
    TaskSpec(name="text_to_pose/posescript-h", task_id="text_to_pose", version=1,
             description=("generate the 3D pose a description describes (PoseScript-H2 test, queried with the human "
                          "caption as PoseScript's retrieval does)"),
             dataset=_dataset(POSESCRIPT_REPO, "text_to_pose-H"),
             metrics=with_diagnostics(T2P_METRICS, "smplh-52-jtr", posecodes=True), main_metric="recall_t2p@5",
             evaluators=("pose-text",), joint_protocol="smplh-52-jtr", text_references="human", query_text="human",
             citation=_CITE_POSESCRIPT, license="CC BY-NC-SA 4.0"),
    TaskSpec(name="text_to_pose/posescript-h-unipose", task_id="text_to_pose", version=1,
             description=("generate the 3D pose a description describes (PoseScript-H2 test, queried with automatic "
                          "caption 0 as UniPose's evaluation does)"),
             dataset=_dataset(POSESCRIPT_REPO, "text_to_pose-H"),
             metrics=with_diagnostics(T2P_METRICS, "smplh-52-jtr", posecodes=True), main_metric="recall_t2p@5",
             evaluators=("pose-text",), joint_protocol="smplh-52-jtr", text_references="human", query_text="automatic",
             citation=_CITE_UNIPOSE, license="CC BY-NC-SA 4.0"),
    TaskSpec(name="pose_diff/posefix-h", task_id="pose_diff", version=1,
             description="say how to go from pose A to pose B (PoseFix-H test)",
             dataset=_dataset(POSEFIX_REPO, "pose_diff-H"), metrics=TEXT_METRICS, main_metric="r_precision@1",
             evaluators=("pair-text",), text_references="human", citation=_CITE_POSEFIX, license="CC BY-NC-SA 4.0"),
    TaskSpec(name="pose_edit/posefix-h", task_id="pose_edit", version=1,
             description="apply an instruction to pose A and output pose B (PoseFix-H test)",
             dataset=_dataset(POSEFIX_REPO, "pose_edit-H"),
             metrics=with_diagnostics(EDIT_METRICS, "smplh-52-jtr", posecodes=True), main_metric="mpjpe",
             evaluators=("pose-text", "pair-text"), joint_protocol="smplh-52-jtr", text_references="human",
             citation=_CITE_POSEFIX, license="CC BY-NC-SA 4.0"),
    TaskSpec(name="image_to_text/imagescript-r", task_id="image_to_text", version=1,
             description="describe the pose of the person in an image (ImageScript-R test (3DPW))",
             dataset=_dataset(IMAGESCRIPT_REPO, "image_to_text-R"), metrics=TEXT_METRICS, main_metric="r_precision@1",
             evaluators=("pose-text",), text_references="refined", citation=_CITE_UNIPOSE),
    TaskSpec(name="image_diff/imagediff-r", task_id="image_diff", version=1,
             description=("say how the person in image A should move to take the pose in image B (ImageDiff-R test "
                          "(3DPW pairs))"),
             dataset=_dataset(IMAGEDIFF_REPO, "image_diff-R"), metrics=TEXT_METRICS, main_metric="r_precision@1",
             evaluators=("pair-text",), text_references="refined", citation=_CITE_UNIPOSE),
    TaskSpec(name="pose_estimation/3dpw", task_id="pose_estimation", version=1,
             description="estimate the 3D pose of the person in an image (3DPW test, HMR2 14 joints)",
             dataset=_dataset(POSE_ESTIMATION_REPO, "pose_estimation-3dpw"),
             metrics=with_diagnostics(EST_METRICS, "hmr2-14"),
             main_metric="pa_mpjpe", evaluators=(), joint_protocol="hmr2-14"),
    # version 2: the pelvis (J19[14]) centring of 4D-Humans replaced the mid-hip of version 1
    TaskSpec(name="pose_estimation/h36m-p2", task_id="pose_estimation", version=2,
             description=("estimate the 3D pose of the person in an image (Human3.6M S9/S11 (HMR2 h36m_val_p2), HMR2 "
                          "14 joints, pelvis-centred)"),
             dataset=_dataset(POSE_ESTIMATION_REPO, "pose_estimation-h36m"),
             metrics=with_diagnostics(EST_METRICS, "hmr2-14"),
             main_metric="pa_mpjpe", evaluators=(), joint_protocol="hmr2-14"),
    TaskSpec(name="pose_estimation/h36m-17", task_id="pose_estimation", version=1,
             description=("estimate the 3D pose of the person in an image (Human3.6M S9/S11, 17 joints, P1/P2 averaged"
                          " per action)"),
             dataset=_dataset(POSE_ESTIMATION_REPO, "pose_estimation-h36m17"),
             metrics=with_diagnostics(EST_METRICS, "h36m-17"),
             main_metric="pa_mpjpe", evaluators=(), joint_protocol="h36m-17"),
    ]


TASK_CLASSES = {
    "pose_to_text": "benchmark.tasks.describe:DescribeTask",
    "pose_diff": "benchmark.tasks.describe:DescribeTask",
    "image_to_text": "benchmark.tasks.describe:DescribeTask",
    "image_diff": "benchmark.tasks.describe:DescribeTask",
    "text_to_pose": "benchmark.tasks.generate:TextToPoseTask",
    "pose_estimation": "benchmark.tasks.generate:PoseEstimationTask",
    "pose_edit": "benchmark.tasks.generate:PoseEditTask",
}


@functools.cache
def task_registry() -> Registry[TaskSpec]:
    """Every task spec, built once per process (`task_registry.cache_clear()` after recording a new revision)."""
    registry: Registry[TaskSpec] = Registry("task")
    for spec in all_specs():
        registry.register(spec.name, spec, help=spec.description)
    return registry


def get_task(name: str, context: TaskContext | None = None) -> Task:
    import importlib

    spec = task_registry().get(name)
    module, _, attr = TASK_CLASSES[spec.task_id].partition(":")
    return getattr(importlib.import_module(module), attr)(spec, context)


def task_names(repo: str = EMBEDDED_REPO) -> list[str]:
    """The names of the tasks on dataset `repo` (default: the seven embedded-world tasks), in catalog order."""
    registry = task_registry()
    return [name for name in registry.names() if registry.get(name).dataset.repo == repo]


def embedded_task_names() -> list[str]:
    return task_names(EMBEDDED_REPO)


def evaluator_task_specs() -> list[EvaluatorTaskSpec]:
    """The evaluators' own retrieval quality, on the test splits they score (the embedded world's, written by the
    main job) and on the human-annotated PoseScript / PoseFix tests (UniPose appendix Table 4)."""
    def spec(kind, dataset_name, repo, config, text_kind=None, description=""):
        return EvaluatorTaskSpec(name=f"retrieval:{kind}/{dataset_name}", kind=kind, version=1,
                                 description=description or f"the {kind} evaluator on {dataset_name} test",
                                 dataset=DatasetRef(repo=repo, config=config, split="test"), text_kind=text_kind)

    return [spec("pose-text", "embedded", EMBEDDED_REPO, "pose_to_text"),
            spec("pair-text", "embedded", EMBEDDED_REPO, "pose_diff"),
            spec("pose-text", "posescript-h", POSESCRIPT_REPO, "pose_to_text-H", "human"),
            spec("pair-text", "posefix-h", POSEFIX_REPO, "pose_diff-H", "human")]


@functools.cache
def evaluator_task_registry() -> Registry[EvaluatorTaskSpec]:
    registry: Registry[EvaluatorTaskSpec] = Registry("evaluator task")
    for spec in evaluator_task_specs():
        registry.register(spec.name, spec, help=spec.description)
    return registry
