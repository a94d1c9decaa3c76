"""Checks every response against its request before it is cached or scored."""

from __future__ import annotations

import numpy as np

from benchmark.errors import InputError
from benchmark.requests import PoseRequest, PoseResponse, Request, TextResponse


class InvalidResponse(InputError):
    """An adapter answered with something the task cannot score."""


def validate_response(request: Request, response, adapter: str, joint_sets: tuple[str, ...] = ()) -> None:
    where = dict(row=request.row_id, file=f"adapter {adapter}, task {request.task}")
    if request.kind == "describe":
        if not isinstance(response, TextResponse):
            raise InvalidResponse(f"expected a TextResponse, got {type(response).__name__}", field="response",
                                  **where)
        if not isinstance(response.text, str) or not response.text.strip():
            raise InvalidResponse("the text is empty", field="text", **where)
        return
    assert isinstance(request, PoseRequest)
    if not isinstance(response, PoseResponse):
        raise InvalidResponse(f"expected a PoseResponse, got {type(response).__name__}", field="response", **where)
    if response.poses is not None:
        poses = response.poses
        if not isinstance(poses, np.ndarray) or poses.dtype != np.float32:
            raise InvalidResponse(f"poses must be a float32 numpy array, got {getattr(poses, 'dtype', type(poses))}",
                                  field="poses", **where)
        if poses.shape != (request.n_samples, 22, 3):
            raise InvalidResponse(f"poses have shape {list(poses.shape)}, expected [{request.n_samples}, 22, 3] "
                                  "(n_samples x root + 21 body joints x axis-angle)", field="poses", **where)
        if not np.isfinite(poses).all():
            raise InvalidResponse("poses contain NaN or infinite values", field="poses", **where)
        return
    if response.joints is None:
        raise InvalidResponse("neither poses nor joints were returned", field="poses", **where)
    joints = response.joints
    if not joint_sets or response.joint_set not in joint_sets:
        raise InvalidResponse(f"joints of set {response.joint_set!r} cannot be scored by this task "
                              f"(it accepts poses{', or joints of ' + ', '.join(joint_sets) if joint_sets else ''})",
                              field="joint_set", **where)
    if (not isinstance(joints, np.ndarray) or joints.dtype != np.float32 or joints.ndim != 3
            or joints.shape[0] != request.n_samples or joints.shape[2] != 3):
        raise InvalidResponse(f"joints must be float32 [{request.n_samples}, J, 3], got "
                              f"{getattr(joints, 'dtype', '?')} {list(getattr(joints, 'shape', []))}",
                              field="joints", **where)
    if not np.isfinite(joints).all():
        raise InvalidResponse("joints contain NaN or infinite values", field="joints", **where)
