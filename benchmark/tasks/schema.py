"""The seven tasks' vocabulary, defined once for the whole suite: task ids, the request kind each asks of a model,
its input and target columns, and the explicit `datasets.Features` of its rows (one schema per task, shared by every
source). The task specs (catalog), the builders, the dataset cards and the statistics all take them from here.

Conventions
* `id` is a string unique within the task; `source_dataset` / `source_id` say where the row comes from
  ("posescript" / "12345", "embedded-world" / "pose-000123", "3dpw" / "downtown_walking_00/frame_0100/person_0").
* Poses are SMPL-family axis-angle `float32[22, 3]`: root orientation + 21 body joints, heading-normalised as
  PoseScript does (`benchmark.body.frames`) unless the row is an image (then the root is in the camera frame).
* Texts: every row keeps all its texts in `texts`, with one `text_kinds` entry ("human", "automatic", "paraphrase",
  "refined") and one `text_versions` entry (caption pipeline version such as "N2", "pfA", or "human") per text.
* Images: `Image()` (PNG bytes embedded in the parquet), with the camera (OpenCV convention: x right, y down,
  z forward; intrinsics in pixels) and the 2D keypoints of the pose's joints in pixels.

Config names: a published data world has one config per task, or several per task told apart by a variant. A config
name is a task id ("pose_to_text") or a task id, "-" and a variant made of letters, digits and "-"
("pose_to_text-H", "pose_estimation-mpi-inf-3dhp"); task ids hold no "-", so the first "-" ends the task id. Every
config of a task has the task's schema: `features(task_of(config))`. Configs are ordered by the task order of
`TASKS`, then by variant (the plain task id first): `config_sort_key`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from datasets import Array2D, Features, Image, List, Value

from benchmark.errors import InputError
from benchmark.requests import RequestKind

TASKS = ("pose_to_text", "pose_diff", "image_to_text", "image_diff", "text_to_pose", "pose_estimation", "pose_edit")
TaskId = Literal["pose_to_text", "pose_diff", "image_to_text", "image_diff", "text_to_pose", "pose_estimation",
                 "pose_edit"]
# what a model is asked: text out ("describe") or poses out ("generate_pose")
REQUEST_KIND: dict[str, RequestKind] = {
    "pose_to_text": "describe", "pose_diff": "describe", "image_to_text": "describe", "image_diff": "describe",
    "text_to_pose": "generate_pose", "pose_estimation": "generate_pose", "pose_edit": "generate_pose",
}
# the columns a request is built from (text tasks: its inputs, named as the columns), and those it is scored against
INPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "pose_to_text": ("pose",), "pose_diff": ("pose_a", "pose_b"), "image_to_text": ("image",),
    "image_diff": ("image_a", "image_b"), "text_to_pose": ("texts",), "pose_estimation": ("image",),
    "pose_edit": ("pose_a", "texts"),
}
TARGET_COLUMNS: dict[str, tuple[str, ...]] = {
    "pose_to_text": ("texts",), "pose_diff": ("texts",), "image_to_text": ("texts", "pose"),
    "image_diff": ("texts", "pose_a", "pose_b"), "text_to_pose": ("pose",), "pose_estimation": ("pose", "joints_3d"),
    "pose_edit": ("pose_b",),
}
SPLITS = ("train", "val", "test")
TEXT_KINDS = ("human", "automatic", "paraphrase", "refined")

POSE = Array2D(shape=(22, 3), dtype="float32")
JOINTS = Array2D(shape=(None, 3), dtype="float32")
KEYPOINTS_2D = Array2D(shape=(None, 2), dtype="float32")
MATRIX_3X3 = Array2D(shape=(3, 3), dtype="float32")

CAMERA = {
    "K": MATRIX_3X3,              # intrinsics [[fx, 0, cx], [0, fy, cy], [0, 0, 1]], pixels
    "R": MATRIX_3X3,              # world -> camera rotation
    "t": List(Value("float32")),  # world -> camera translation (3), metres
}

_ROW = {"id": Value("string"), "source_dataset": Value("string"), "source_id": Value("string")}
_TEXTS = {"texts": List(Value("string")), "text_kinds": List(Value("string")), "text_versions": List(Value("string"))}
_PAIR = {
    "pose_a": POSE, "pose_b": POSE,
    "source_id_a": Value("string"), "source_id_b": Value("string"),
    "in_sequence": Value("bool"),  # both poses from one motion sequence (PoseFix's in-sequence pairs)
}
_IMAGE = {"image": Image(), "camera": CAMERA, "keypoints_2d": KEYPOINTS_2D, "joint_set": Value("string")}

_POSE_TEXT = Features({**_ROW, "pose": POSE, **_TEXTS})
_POSE_PAIR_TEXT = Features({**_ROW, **_PAIR, **_TEXTS})

FEATURES: dict[str, Features] = {
    "pose_to_text": _POSE_TEXT,
    "text_to_pose": _POSE_TEXT,
    "pose_diff": _POSE_PAIR_TEXT,
    "pose_edit": _POSE_PAIR_TEXT,
    "image_to_text": Features({**_ROW, **_IMAGE, "pose": POSE, **_TEXTS}),
    "image_diff": Features({
        **_ROW, **_PAIR, **_TEXTS,
        "image_a": Image(), "image_b": Image(), "camera_a": CAMERA, "camera_b": CAMERA,
    }),
    # Real pose-estimation sets do not all have SMPL fits (Human3.6M's protocol is 17 keypoints): `has_pose` says
    # whether `pose` holds one (zeros otherwise); `joints_3d` are the ground-truth joints of `joint_set`, camera
    # frame, metres.
    "pose_estimation": Features({
        **_ROW, **_IMAGE, "pose": POSE, "has_pose": Value("bool"), "joints_3d": JOINTS, "action": Value("string"),
    }),
}


_VARIANT = re.compile(r"[A-Za-z0-9-]+")
_CONFIG_RULE = ("a config name is a task id, or a task id + '-' + a variant of letters, digits and '-' "
                "(e.g. pose_to_text-H)")


def parse_config(config: str, *, file: str | None = None) -> tuple[str, str | None]:
    """(task id, variant or None) of a config name: "pose_to_text-H" -> ("pose_to_text", "H"), "pose_edit" ->
    ("pose_edit", None). Raises InputError (field "config", naming `file` when given) when the prefix is not a task
    id, the variant after "-" is empty, or it holds characters other than letters, digits and "-"."""
    if not isinstance(config, str):
        raise InputError(f"config name {config!r} is not a string", file=file, field="config", hint=_CONFIG_RULE)
    task, sep, variant = config.partition("-")
    if task not in TASKS:
        raise InputError(f"config name {config!r} does not start with a task id (unknown task {task!r})", file=file,
                         field="config", hint=f"the tasks are {', '.join(TASKS)}; {_CONFIG_RULE}")
    if not sep:
        return task, None
    if not variant:
        raise InputError(f"config name {config!r} has an empty variant after '-'", file=file, field="config",
                         hint=f"drop the '-' or name the variant; {_CONFIG_RULE}")
    if not _VARIANT.fullmatch(variant):
        raise InputError(f"config name {config!r} has a variant {variant!r} with characters other than letters, "
                         "digits and '-'", file=file, field="config", hint=_CONFIG_RULE)
    return task, variant


def config_name(task: str, variant: str | None = None) -> str:
    """The config name of `task`'s `variant` ("pose_to_text", "H" -> "pose_to_text-H"); no variant: the task id.
    Raises InputError for an unknown task or a malformed variant (see `parse_config`)."""
    name = task if variant is None else f"{task}-{variant}"
    parse_config(name)
    return name


def task_of(config: str) -> str:
    """The task id of a config name ("pose_to_text-A" -> "pose_to_text", "pose_edit" -> "pose_edit"), validated as
    `parse_config` does."""
    return parse_config(config)[0]


def variant_of(config: str) -> str | None:
    """The variant of a config name ("pose_estimation-mpi-inf-3dhp" -> "mpi-inf-3dhp"), None for a plain task id."""
    return parse_config(config)[1]


def config_sort_key(config: str) -> tuple[int, str]:
    """Sort key of the publishing order: the task's position in TASKS, then the variant (the plain task id first)."""
    task, variant = parse_config(config)
    return TASKS.index(task), variant or ""


def sorted_configs(configs: Iterable[str]) -> list[str]:
    """`configs` in publishing order (`config_sort_key`); every name is validated."""
    return sorted(configs, key=config_sort_key)


def features(task: str) -> Features:
    """The schema of `task` (a task id; the schema of a config is `features(task_of(config))`)."""
    try:
        return FEATURES[task]
    except KeyError:
        raise KeyError(f"unknown task '{task}'; the tasks are {', '.join(TASKS)}") from None
