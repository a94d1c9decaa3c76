"""The closed set of request kinds a model adapter answers, and their responses.

Two kinds cover the seven tasks:
* `DescribeRequest` -> `TextResponse`: inputs {pose} | {pose_a, pose_b} | {image} | {image_a, image_b}
  (pose_to_text, pose_diff, image_to_text, image_diff).
* `PoseRequest` -> `PoseResponse`: inputs {text} | {image} | {pose, text} (text_to_pose, pose_estimation,
  pose_edit), with `n_samples` poses per request drawn with `seed`.

Inputs are validated when a request is made (poses float32 [22, 3] finite, images RGB, texts non-empty), so an
adapter never sees malformed data. `request_hash` is a content hash (kind, inputs, instruction, n_samples, seed;
not the task name or row id), so identical requests share one cached response.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, ClassVar, Literal

import numpy as np

from benchmark.errors import InputError

RequestKind = Literal["describe", "generate_pose"]
REQUEST_KINDS: tuple[RequestKind, ...] = ("describe", "generate_pose")

_POSE_KEYS = {"pose", "pose_a", "pose_b"}
_IMAGE_KEYS = {"image", "image_a", "image_b"}


def _check_input(key: str, value, where: str):
    if key in _POSE_KEYS:
        arr = np.asarray(value)
        if arr.shape != (22, 3) or arr.dtype != np.float32:
            raise InputError(f"input '{key}' must be float32 [22, 3] axis-angle, got {arr.dtype} {list(arr.shape)}",
                             row=where, field=key)
        if not np.isfinite(arr).all():
            raise InputError(f"input '{key}' contains NaN or infinite values", row=where, field=key)
        arr = arr.copy()
        arr.flags.writeable = False
        return arr
    if key in _IMAGE_KEYS:
        from PIL import Image

        if not isinstance(value, Image.Image):
            raise InputError(f"input '{key}' must be a PIL image, got {type(value).__name__}", row=where, field=key)
        return value.convert("RGB") if value.mode != "RGB" else value
    if key == "text":
        if not isinstance(value, str) or not value.strip():
            raise InputError("input 'text' must be a non-empty string", row=where, field=key)
        return value
    raise InputError(f"unknown input '{key}'", row=where, field=key)


def _hash_value(h, key: str, value):
    h.update(key.encode() + b"\0")
    if key in _POSE_KEYS:
        h.update(np.ascontiguousarray(value, dtype=np.float32).tobytes())
    elif key in _IMAGE_KEYS:
        arr = np.asarray(value)
        h.update(str(arr.shape).encode() + arr.tobytes())
    else:
        h.update(value.encode("utf-8"))
    h.update(b"\0")


@dataclass(frozen=True, eq=False)
class Request:
    """A request for one row of a task's split. `instruction` is the task's filled-in template."""

    task: str
    row_id: str
    inputs: Mapping[str, Any]
    instruction: str

    kind: ClassVar[RequestKind]
    allowed_inputs: ClassVar[tuple[frozenset[str], ...]]

    def __post_init__(self):
        keys = frozenset(self.inputs)
        if keys not in self.allowed_inputs:
            allowed = " | ".join("{" + ", ".join(sorted(a)) + "}" for a in self.allowed_inputs)
            raise InputError(f"{type(self).__name__} inputs {sorted(keys)} are not one of {allowed}",
                             row=self.row_id, field="inputs")
        checked = {k: _check_input(k, v, self.row_id) for k, v in self.inputs.items()}
        object.__setattr__(self, "inputs", MappingProxyType(checked))

    def __reduce__(self):
        # pickled to other processes of a launched run (benchmark.evaluation.distributed): a MappingProxyType does
        # not pickle, so the request is rebuilt (and its inputs checked again) from a plain dict
        return _rebuild, (type(self), self._fields())

    def _fields(self) -> dict:
        return {"task": self.task, "row_id": self.row_id, "inputs": dict(self.inputs), "instruction": self.instruction}

    @property
    def modalities(self) -> frozenset[str]:
        return frozenset(self.inputs)

    def _hash_extra(self, h):
        pass

    @cached_property
    def request_hash(self) -> str:
        h = hashlib.sha256(self.kind.encode() + b"\0" + self.instruction.encode("utf-8") + b"\0")
        for key in sorted(self.inputs):
            _hash_value(h, key, self.inputs[key])
        self._hash_extra(h)
        return h.hexdigest()


@dataclass(frozen=True, eq=False)
class DescribeRequest(Request):
    kind: ClassVar[RequestKind] = "describe"
    allowed_inputs: ClassVar = (frozenset({"pose"}), frozenset({"pose_a", "pose_b"}), frozenset({"image"}),
                                frozenset({"image_a", "image_b"}))


@dataclass(frozen=True, eq=False)
class PoseRequest(Request):
    n_samples: int = 1
    seed: int = 0

    kind: ClassVar[RequestKind] = "generate_pose"
    allowed_inputs: ClassVar = (frozenset({"text"}), frozenset({"image"}), frozenset({"pose", "text"}))

    def __post_init__(self):
        super().__post_init__()
        if not isinstance(self.n_samples, int) or self.n_samples < 1:
            raise InputError(f"n_samples must be a positive integer, got {self.n_samples!r}", row=self.row_id,
                             field="n_samples")

    def _hash_extra(self, h):
        h.update(f"n={self.n_samples};seed={self.seed}".encode())

    def _fields(self) -> dict:
        return {**super()._fields(), "n_samples": self.n_samples, "seed": self.seed}


def _rebuild(cls, fields: dict) -> Request:
    return cls(**fields)


@dataclass(frozen=True)
class TextResponse:
    text: str


@dataclass(frozen=True)
class PoseResponse:
    """Poses float32 [n_samples, 22, 3] axis-angle; or, for models that only output joints, `joints`
    float32 [n_samples, J, 3] in metres with their `joint_set` named (e.g. "h36m-17")."""

    poses: np.ndarray | None = None
    joints: np.ndarray | None = None
    joint_set: str | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)


Response = TextResponse | PoseResponse


def response_to_bytes(response: Response) -> bytes:
    """Serialise a response for the cache (npz for arrays, utf-8 for text; no pickling)."""
    if isinstance(response, TextResponse):
        return b"T" + response.text.encode("utf-8")
    buf = io.BytesIO()
    arrays = {k: v for k, v in (("poses", response.poses), ("joints", response.joints)) if v is not None}
    if response.joint_set is not None:
        arrays["joint_set"] = np.array(response.joint_set)
    if response.extras:  # flags a task counts (e.g. a fallback answer), kept as JSON text: no pickling
        arrays["extras"] = np.array(json.dumps(dict(response.extras), sort_keys=True, default=str))
    np.savez(buf, **arrays)
    return b"P" + buf.getvalue()


def response_from_bytes(data: bytes) -> Response:
    tag, body = data[:1], data[1:]
    if tag == b"T":
        return TextResponse(body.decode("utf-8"))
    if tag == b"P":
        with np.load(io.BytesIO(body), allow_pickle=False) as z:
            return PoseResponse(poses=z["poses"] if "poses" in z.files else None,
                                joints=z["joints"] if "joints" in z.files else None,
                                joint_set=str(z["joint_set"]) if "joint_set" in z.files else None,
                                extras=json.loads(str(z["extras"])) if "extras" in z.files else {})
    raise ValueError(f"unknown cached response tag {tag!r}")
