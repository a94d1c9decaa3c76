"""SMPL, SMPL-H and SMPL-X through smplx, from model files the user has downloaded (licensed; never shipped).

Neutral gender, betas = 0, no translation, flat hand mean and no PCA for the hands: the way PoseScript (via
human_body_prior) and UniPose run their body models. Joints are the model's own kinematic joints (`Jtr`): 24 for
SMPL, 52 for SMPL-H, 55 for SMPL-X; smplx's extra vertex joints are dropped.

Accepted folder layouts (DIR is `--body-models` or $UNIPOSE_BENCH_BODY_MODELS):
  DIR/smpl/SMPL_NEUTRAL.pkl               (smpl.is.tue.mpg.de, "SMPL for Python")
  DIR/smplh/SMPLH_NEUTRAL.{pkl,npz}       (smplx layout)
  DIR/smplh/neutral/model.npz             (AMASS "Extended SMPL+H", mano.is.tue.mpg.de; PoseScript's file)
  DIR/smplx/SMPLX_NEUTRAL.{npz,pkl}       (smpl-x.is.tue.mpg.de)
"""

from __future__ import annotations

import copy
import functools
import os
from pathlib import Path

import numpy as np
import torch

from benchmark.body.base import BodyModel
from benchmark.body.joints import SMPL_24, SMPLH_52, JointSet
from benchmark.errors import MissingModelFiles

ENV_VAR = "UNIPOSE_BENCH_BODY_MODELS"

_SOURCES = {
    "smpl": "https://smpl.is.tue.mpg.de (download 'SMPL for Python', rename the neutral model to SMPL_NEUTRAL.pkl)",
    "smplh": "https://mano.is.tue.mpg.de ('Extended SMPL+H model' used by AMASS: smplh/neutral/model.npz)",
    "smplx": "https://smpl-x.is.tue.mpg.de (SMPL-X v1.1 npz: SMPLX_NEUTRAL.npz)",
}
_CANDIDATES = {
    "smpl": ["smpl/SMPL_NEUTRAL.pkl", "smpl/SMPL_NEUTRAL.npz"],
    "smplh": ["smplh/neutral/model.npz", "smplh/SMPLH_NEUTRAL.npz", "smplh/SMPLH_NEUTRAL.pkl"],
    "smplx": ["smplx/SMPLX_NEUTRAL.npz", "smplx/SMPLX_NEUTRAL.pkl"],
}
_N_JOINTS = {"smpl": 24, "smplh": 52, "smplx": 55}


def body_models_dir(model_dir: str | os.PathLike | None = None) -> Path:
    value = model_dir if model_dir is not None else os.environ.get(ENV_VAR)
    if not value:
        raise MissingModelFiles(
            f"no SMPL-family model folder given: pass --body-models DIR or set ${ENV_VAR}. The files are licensed "
            "and cannot be shipped; " + "; ".join(f"{k}: {v}" for k, v in _SOURCES.items()))
    path = Path(value).expanduser()
    if not path.is_dir():
        raise MissingModelFiles(f"body-model folder {path} does not exist (from "
                                f"{'--body-models' if model_dir is not None else '$' + ENV_VAR})")
    return path


def find_model_file(model_type: str, model_dir: str | os.PathLike | None = None) -> Path:
    root = body_models_dir(model_dir)
    for rel in _CANDIDATES[model_type]:
        if (root / rel).is_file():
            return root / rel
    expected = " or ".join(str(root / rel) for rel in _CANDIDATES[model_type])
    raise MissingModelFiles(f"{model_type.upper()} model file not found: expected {expected}. "
                            f"Obtain it from {_SOURCES[model_type]}")


def _npz_struct(path: Path):
    """Read a model npz without unpickling; fill the hand-PCA fields smplx expects but we never use."""
    from smplx.utils import Struct

    with np.load(path, allow_pickle=False) as data:
        fields = {k: data[k] for k in data.files}
    for side in ("l", "r"):
        fields.setdefault(f"hands_components{side}", np.eye(45, dtype=np.float32))
        fields.setdefault(f"hands_mean{side}", np.zeros(45, dtype=np.float32))
    return Struct(**fields)


class SMPLFamilyBody(BodyModel):
    has_mesh = True

    def __init__(self, model_type: str = "smplh", model_dir: str | os.PathLike | None = None):
        import smplx

        if model_type not in _N_JOINTS:
            raise ValueError(f"unknown SMPL-family model '{model_type}' (choose smpl, smplh or smplx)")
        self.model_type = model_type
        self.name = model_type
        self.path = find_model_file(model_type, model_dir)
        kwargs = dict(gender="neutral", use_pca=False, flat_hand_mean=True, create_transl=False)
        cls = {"smpl": smplx.SMPL, "smplh": smplx.SMPLH, "smplx": smplx.SMPLX}[model_type]
        if model_type == "smpl":
            kwargs = dict(gender="neutral", create_transl=False)
        if self.path.suffix == ".npz":
            kwargs["data_struct"] = _npz_struct(self.path)
            if model_type == "smplx":
                # smplx.SMPLX reads its own npz; data_struct is accepted by the SMPL base only.
                kwargs.pop("data_struct")
                kwargs["ext"] = "npz"
        try:
            self._model = cls(model_path=str(self.path), **kwargs).eval()
            self._models: dict[torch.dtype, object] = {}
        except (KeyError, AttributeError, ValueError) as exc:
            raise MissingModelFiles(f"{self.path} is not a valid {model_type.upper()} model file ({exc!r})") from exc
        n = _N_JOINTS[model_type]
        self.joint_set = {"smpl": SMPL_24, "smplh": SMPLH_52}.get(model_type) or JointSet(f"{model_type}-{n}",
                                                                                       tuple(f"j{i}" for i in range(n)))

    def _split(self, poses: torch.Tensor) -> dict:
        b, j = poses.shape[:2]
        zeros = functools.partial(torch.zeros, dtype=poses.dtype)
        body = poses[:, 1:22].reshape(b, 63)
        args = {"global_orient": poses[:, 0], "body_pose": body, "betas": zeros(b, self._model.num_betas)}
        if self.model_type == "smpl":
            # SMPL's two hand joints: identity rotations (zero axis-angle).
            args["body_pose"] = torch.cat([body, zeros(b, 6)], dim=1)
            return args
        hands = poses[:, 22:52].reshape(b, 90) if j == 52 else zeros(b, 90)
        args["left_hand_pose"], args["right_hand_pose"] = hands[:, :45], hands[:, 45:]
        if self.model_type == "smplx":
            args.update(jaw_pose=zeros(b, 3), leye_pose=zeros(b, 3), reye_pose=zeros(b, 3),
                        expression=zeros(b, self._model.num_expression_coeffs))
        return args

    def _model_in(self, dtype: torch.dtype):
        """The smplx model with its buffers in `dtype` (a float64 copy is made once, on first use)."""
        if dtype == torch.float32:
            return self._model
        if dtype not in self._models:
            self._models[dtype] = copy.deepcopy(self._model).to(dtype)
        return self._models[dtype]

    def _forward(self, poses: torch.Tensor):
        return self._model_in(poses.dtype)(**self._split(poses), return_verts=True)

    def _joints(self, poses: torch.Tensor) -> torch.Tensor:
        return self._forward(poses).joints[:, : len(self.joint_set)]

    def _vertices(self, poses: torch.Tensor) -> torch.Tensor:
        return self._forward(poses).vertices

    @property
    def faces(self) -> np.ndarray:
        return np.asarray(self._model.faces, dtype=np.int64)
