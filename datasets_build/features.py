"""The explicit `datasets.Features` of the seven tasks: one schema per task, shared by every source.

Conventions
* `id` is a string unique within the task; `source_dataset` / `source_id` say where the row comes from
  ("posescript" / "12345", "embedded-world" / "pose-000123", "3dpw" / "downtown_walking_00/frame_0100/person_0").
* Poses are SMPL-family axis-angle `float32[22, 3]`: root orientation + 21 body joints, heading-normalised as
  PoseScript does (`benchmark.body.frames`) unless the row is an image (then the root is in the camera frame).
* Texts: every row keeps all its texts in `texts`, with one `text_kinds` entry ("human", "automatic", "paraphrase",
  "refined") and one `text_versions` entry (caption pipeline version such as "N2", "pfA", or "human") per text.
* Images: `Image()` (PNG bytes embedded in the parquet), with the camera (OpenCV convention: x right, y down,
  z forward; intrinsics in pixels) and the 2D keypoints of the pose's joints in pixels.
"""

from __future__ import annotations

from datasets import Array2D, Features, Image, List, Value

TASKS = ("pose_to_text", "pose_diff", "image_to_text", "image_diff", "text_to_pose", "pose_estimation", "pose_edit")
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


def features(task: str) -> Features:
    try:
        return FEATURES[task]
    except KeyError:
        raise KeyError(f"unknown task '{task}'; the tasks are {', '.join(TASKS)}") from None
