"""Small synthetic DatasetDicts with the real Features of the seven tasks (tiny PNG images for the image tasks),
for plain task configs and for variant configs (`pose_to_text-H`, `pose_estimation-3dpw` ...)."""

from __future__ import annotations

import io
import zlib

import numpy as np

from benchmark.body.frames import UPRIGHT_ROOT
from benchmark.tasks.schema import TASKS, TEXT_KINDS, features, parse_config

SIZES = {"train": 5, "val": 2, "test": 3}
_WORDS = ("the", "person", "raises", "left", "arm", "bends", "knees", "slightly", "right", "leg", "forward",
          "turn", "your", "torso", "a", "bit")
_VERSIONS = ("N2", "N6", "human", "pfA")
_JOINT_SETS = {"smpl22": 22, "h36m17": 17, "lsp14": 14}


def tiny_png(rng: np.random.Generator, width: int, height: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _pose(rng):
    pose = rng.normal(0.0, 0.3, (22, 3)).astype(np.float32)
    pose[0] = UPRIGHT_ROOT + rng.normal(0.0, 0.1, 3)
    return pose


def _camera(rng):
    k = np.array([[50.0, 0, 4], [0, 50.0, 3], [0, 0, 1]], np.float32)
    return {"K": k, "R": np.eye(3, dtype=np.float32), "t": rng.normal(0, 1, 3).astype(np.float32).tolist()}


def _texts(rng):
    n = int(rng.integers(1, 4))
    texts = [" ".join(rng.choice(_WORDS, int(rng.integers(2, 9)))) + "." for _ in range(n)]
    return texts, [str(k) for k in rng.choice(TEXT_KINDS, n)], [str(v) for v in rng.choice(_VERSIONS, n)]


def make_rows(task: str, split: str, n: int, rng: np.random.Generator, id_prefix: str | None = None,
              text_kind: str | None = None) -> dict[str, list]:
    """Rows of `task`; ids are `<id_prefix or task>-<split>-NNN`; `text_kind` forces every text's kind."""
    cols = list(features(task))
    rows: dict[str, list] = {c: [] for c in cols}
    for i in range(n):
        texts = _texts(rng)
        joint_set = str(rng.choice(list(_JOINT_SETS)))
        value = {
            "id": f"{id_prefix or task}-{split}-{i:03d}", "source_dataset": "embedded-world",
            "source_id": f"pose-{int(rng.integers(10**6)):06d}",
            "source_id_a": f"pose-{int(rng.integers(10**6)):06d}", "source_id_b": f"pose-{int(rng.integers(10**6)):06d}",
            "pose": _pose(rng), "pose_a": _pose(rng), "pose_b": _pose(rng),
            "in_sequence": bool(rng.integers(2)),
            "texts": texts[0], "text_kinds": [text_kind] * len(texts[0]) if text_kind else texts[1],
            "text_versions": texts[2],
            "image": {"bytes": tiny_png(rng, int(rng.integers(4, 9)), int(rng.integers(4, 9))), "path": None},
            "image_a": {"bytes": tiny_png(rng, 6, 5), "path": None},
            "image_b": {"bytes": tiny_png(rng, 5, 6), "path": None},
            "camera": _camera(rng), "camera_a": _camera(rng), "camera_b": _camera(rng),
            "keypoints_2d": rng.uniform(0, 8, (_JOINT_SETS[joint_set], 2)).astype(np.float32),
            "joint_set": joint_set,
            "has_pose": bool(rng.integers(2)),
            "joints_3d": rng.normal(0, 0.5, (_JOINT_SETS[joint_set], 3)).astype(np.float32),
            "action": str(rng.choice(["walking", "sitting", ""])),
        }
        for c in cols:
            rows[c].append(value[c])
    return rows


def make_task_dataset(config: str, seed: int = 0, sizes: dict[str, int] = SIZES, text_kind: str | None = None):
    """A DatasetDict for `config` (a task id or task id + "-" + variant) with its task's Features; rows differ
    between configs (the variant seeds the generator) and ids start with the config name."""
    import datasets

    task, variant = parse_config(config)
    key = [seed, TASKS.index(task)] + ([zlib.crc32(variant.encode())] if variant else [])
    rng = np.random.default_rng(key)
    return datasets.DatasetDict({
        split: datasets.Dataset.from_dict(make_rows(task, split, n, rng, id_prefix=config, text_kind=text_kind),
                                          features=features(task))
        for split, n in sizes.items()
    })


def make_all(seed: int = 0, sizes: dict[str, int] = SIZES):
    return {task: make_task_dataset(task, seed, sizes) for task in TASKS}


# A world of variant configs (and one plain task id next to its variants), in scrambled insertion order: export and
# publish must put them in the order of VARIANT_ORDER.
VARIANT_ORDER = ("pose_to_text", "pose_to_text-A", "pose_to_text-H", "pose_diff-A", "pose_estimation-3dpw",
                 "pose_estimation-h36m", "pose_estimation-h36m17")
_VARIANT_INSERTION = ("pose_estimation-3dpw", "pose_to_text-H", "pose_estimation-h36m17", "pose_to_text",
                      "pose_diff-A", "pose_estimation-h36m", "pose_to_text-A")
VARIANT_SIZES = {"pose_to_text-H": {"train": 4, "test": 2}, "pose_estimation-3dpw": {"test": 3},
                 "pose_estimation-h36m": {"train": 2, "test": 2}, "pose_estimation-h36m17": {"train": 3, "test": 1}}
VARIANT_KINDS = {"pose_to_text-A": "automatic", "pose_to_text-H": "human", "pose_diff-A": "automatic"}


def make_variant_world(seed: int = 0):
    return {c: make_task_dataset(c, seed, VARIANT_SIZES.get(c, SIZES), text_kind=VARIANT_KINDS.get(c))
            for c in _VARIANT_INSERTION}
