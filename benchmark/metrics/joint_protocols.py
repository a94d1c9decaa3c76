"""Named joint-error protocols: which joints are scored, from what, and how they are aligned before MPJPE.

Every protocol reports MPJPE and PA-MPJPE in mm; PA-MPJPE always aligns the prediction to the ground truth with a
similarity Procrustes (`pose.procrustes_align`). What differs is the MPJPE alignment and the joints
(facts from liyiheng23/UniPose `posegpt/models/metrics.py` @14de673, 4D-Humans `eval.py` and
`hmr2/configs/datasets_eval.yaml`, TokenHMR `tokenhmr/eval.py`, MetaPose `datasets/utils.py` and `train.py`):

* "smplh-52-jtr": the 52 `Jtr` joints of the neutral SMPL-H model, betas 0, hands flat when not given, global
  orientation included, no alignment (UniPose's text-to-pose and editing metric). Inputs: poses [N, 22|52, 3].
* "skeleton-22": the same on the embedded 22-joint skeleton body (no licensed files needed).
* "hmr2-14": the 14 LSP-style joints of the HMR2 / 4D-Humans protocol for 3DPW and H36M-P2: joints regressed from
  SMPL vertices with `SMPL_to_J19.pkl`, evaluation joints J19[0..12] + J19[18], prediction and ground truth each
  translated so that their pelvis (J19[14]) is at the origin, for 3DPW and H36M-P2 alike: 4D-Humans'
  `hmr2/utils/pose_utils.py` subtracts the pelvis for every dataset (its dataset config's USE_HIPS is never read),
  as UniPose's evaluation does. "hmr2-14-midhip" is the named variant centred on the mid-hip instead.
  Prediction: SMPL poses [N, 22|52, 3] (root in the ground truth's camera frame), J19 joints [N, 19, 3], or joints
  [N, 15, 3] in the ground truth's layout. Ground truth: [N, 15, 3] = the 14 joints in that order + the pelvis.
* "h36m-17": the 17 Human3.6M joints. P1 = MPJPE with the ground truth made root-relative (joint 0 at the origin)
  and the prediction not re-centred; P2 = PA-MPJPE. Both are averaged over the frames of each of the 15 actions,
  then over the actions without weights; the plain frame means and the per-action table come with them.

`protocol.score(pred, gt, actions=None)` scores a whole set; `protocol.accumulator()` streams it in batches, with
exact merging across shards. `protocol.joint_errors(pred, gt)` gives the per-joint errors behind both numbers, in the
order of `protocol.joint_names` (`PROTOCOL_JOINT_NAMES`), for the per-joint and per-body-part diagnostics.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from benchmark.body.joints import H36M_17, SMPL_BODY_JOINT_NAMES, SMPLH_JOINT_NAMES
from benchmark.errors import InputError, MissingModelFiles
from benchmark.metrics.base import Score, Scores, as_float_array, check_same_rows
from benchmark.metrics.pose import ErrorSums, MM_PER_M, per_joint_errors, procrustes_align

METRICS = ("MPJPE", "PA-MPJPE")

# HMR2 / SPIN extra-joint regressor layout (19 joints regressed from the 6890 SMPL vertices).
J19_NAMES = ("right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle", "right_wrist",
             "right_elbow", "right_shoulder", "left_shoulder", "left_elbow", "left_wrist", "neck_lsp",
             "head_top_lsp", "pelvis_mpii", "thorax_mpii", "spine_h36m", "jaw_h36m", "head_h36m")
HMR2_EVAL_J19 = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 18)  # KEYPOINT_LIST [25..37, 43] of the 44-joint layout
HMR2_PELVIS_J19 = 14                                              # PELVIS_IND 39 of the 44-joint layout
HMR2_HIPS_14 = (2, 3)  # right and left hip inside the 14 evaluation joints
HMR2_EVAL_NAMES = tuple(J19_NAMES[i] for i in HMR2_EVAL_J19)
J19_FILENAME = "SMPL_to_J19.pkl"
J19_SOURCE = ("it ships with 4D-Humans' data download (hmr2_data.tar.gz, fetched by `bash fetch_data.sh` in "
              "github.com/shubham-goel/4D-Humans, file data/SMPL_to_J19.pkl)")

H36M_ACTIONS = ("Directions", "Discussion", "Eating", "Greeting", "Phoning", "Posing", "Purchases", "Sitting",
                "SittingDown", "Smoking", "TakingPhoto", "Waiting", "WalkDog", "Walking", "WalkTogether")
# Spellings found in the Human3.6M releases and VideoPose3D files (S1 uses TakingPhoto / WalkingDog, others
# Photo / WalkDog; MetaPose maps Photo to TakingPhoto).
_H36M_ALIASES = {"photo": "TakingPhoto", "walkingdog": "WalkDog"}


def h36m_action(label: str) -> str:
    """The action class of a Human3.6M sequence name: "Walking 1" -> "Walking", "Photo" -> "TakingPhoto"."""
    base = str(label).strip().split(" ")[0]
    key = base.lower()
    if key in _H36M_ALIASES:
        return _H36M_ALIASES[key]
    for name in H36M_ACTIONS:
        if name.lower() == key:
            return name
    raise InputError(f"'{label}' is not a Human3.6M action", field="actions",
                     hint=f"use one of {', '.join(H36M_ACTIONS)} (a sub-action suffix such as ' 1' is fine)")


class JointProtocol(ABC):
    """Turns predictions and ground truths into the joints a protocol scores, aligned as it prescribes."""

    name: str
    description: str
    alignment: str
    requires_actions = False

    @property
    def protocol(self) -> str:
        return f"{self.name}: {self.description}; MPJPE alignment: {self.alignment}; PA-MPJPE: similarity " \
               "Procrustes (prediction -> ground truth, scale, no reflection); mm"

    @abstractmethod
    def prepare(self, pred, gt) -> tuple[np.ndarray, np.ndarray]:
        """(prediction joints, ground-truth joints), float64 [N, J, 3] metres, with the MPJPE alignment applied."""

    @property
    def joint_names(self) -> tuple[str, ...]:
        """The names of the joints `prepare` returns, in order."""
        return PROTOCOL_JOINT_NAMES[self.name]

    def joint_errors(self, pred, gt) -> dict[str, np.ndarray]:
        """Per-joint errors in mm, float64 [N, J] each: "MPJPE" after the protocol's MPJPE alignment, "PA-MPJPE" after
        the similarity Procrustes alignment of the whole skeleton (their means over the joints are the two
        numbers).

        Every step is per sample, so arrays are scored in blocks of JOINT_ERROR_BLOCK rows: the float64 joints and
        the Procrustes intermediates (about ten times the input) exist for one block at a time, and the peak stays
        bounded whatever the number of predictions; the errors are the same as in one pass."""
        n = _n_rows(pred)
        if n is None or n <= JOINT_ERROR_BLOCK or _n_rows(gt) != n:
            return self._block_errors(pred, gt)  # small, lists, or rows that disagree (prepare names them)
        out: dict[str, np.ndarray] = {}
        for start in range(0, n, JOINT_ERROR_BLOCK):
            stop = min(n, start + JOINT_ERROR_BLOCK)
            try:
                part = self._block_errors(pred[start:stop], gt[start:stop])
            except InputError as exc:  # the row of the whole array, not of the block
                if not isinstance(exc.row, (int, np.integer)):
                    raise
                raise InputError(exc.message, file=exc.file, row=int(exc.row) + start, field=exc.field,
                                 hint=exc.hint) from None
            for metric, errors in part.items():
                if metric not in out:
                    out[metric] = np.empty((n, *errors.shape[1:]), dtype=errors.dtype)
                out[metric][start:stop] = errors
        return out

    def _block_errors(self, pred, gt) -> dict[str, np.ndarray]:
        p, g = self.prepare(pred, gt)
        return {"MPJPE": MM_PER_M * per_joint_errors(p, g),
                "PA-MPJPE": MM_PER_M * per_joint_errors(procrustes_align(p, g), g)}

    def errors(self, pred, gt) -> dict[str, np.ndarray]:
        """Per-sample MPJPE and PA-MPJPE in mm, float64 [N] each."""
        return {m: e.mean(axis=1) for m, e in self.joint_errors(pred, gt).items()}

    def accumulator(self) -> PoseErrorAccumulator:
        return PoseErrorAccumulator(self)

    def score(self, pred, gt, actions=None) -> Scores:
        """Score a whole set; frame-mean scores carry `per_sample` for the bootstrap."""
        return self.score_errors(self.errors(pred, gt), actions)

    def score_errors(self, errors: dict[str, np.ndarray], actions=None) -> Scores:
        """`score` from per-sample errors already computed (`errors`, or the joint means of `joint_errors`)."""
        acc = self.accumulator()
        acc.add_errors(errors, actions)
        scores = self.summarise(acc.sums)
        with_samples = tuple(
            Score(s.name, s.value, s.protocol, s.n, details={**s.details, "per_sample": errors[s.details["metric"]]})
            if s.details.get("averaging") == "frames" else s for s in scores.scores)
        return Scores(scores.protocol, with_samples, details=scores.details)

    def summarise(self, sums: ErrorSums) -> Scores:
        """Frame means (and a per-action table when action labels were given)."""
        details = {"per_action": _per_action_table(sums)} if sums.action_counts else {}
        scores = tuple(Score(m, sums.frame_mean(m), self.protocol, sums.count,
                             details={"metric": m, "averaging": "frames"}) for m in METRICS)
        return Scores(self.protocol, scores, details=details)

    def check_actions(self, actions, n: int):
        if actions is None:
            if self.requires_actions:
                raise InputError(f"protocol {self.name} averages per action: pass one action label per sample",
                                 field="actions")
            return None
        labels = np.asarray(actions)
        if labels.ndim != 1 or labels.shape[0] != n:
            raise InputError(f"{labels.size} action labels for {n} samples", field="actions",
                             hint="one action label per sample")
        names, inverse = np.unique(labels.astype(str), return_inverse=True)
        return np.array([self.canonical_action(a) for a in names.tolist()], dtype=object)[inverse]

    def canonical_action(self, label: str) -> str:
        """The action name samples labelled `label` are grouped under."""
        return label


# Rows scored at once by JointProtocol.joint_errors: a multiple of the body models' kinematics batches (512, 256), so
# that the blocks hold whole batches.
JOINT_ERROR_BLOCK = 4096


def _n_rows(x) -> int | None:
    """The number of rows of an array or tensor (None for anything else: scored in one pass)."""
    shape = getattr(x, "shape", None)
    return int(shape[0]) if shape is not None and len(shape) >= 1 else None


def _per_action_table(sums: ErrorSums) -> dict[str, dict[str, float]]:
    means = {m: sums.action_means(m) for m in sums.metric_names}
    return {a: {**{m: means[m][a] for m in sums.metric_names}, "n": c} for a, c in sorted(sums.action_counts.items())}


class PoseErrorAccumulator:
    """Streaming MPJPE / PA-MPJPE of one protocol (torchmetrics-style update / compute / merge).

    The state is exact sums and counts (`ErrorSums`), so shards merged in any order give the same result, bit for
    bit, as one pass over all the samples. `state()` / `from_state()` carry a shard's state across processes.
    """

    def __init__(self, protocol: JointProtocol):
        self.protocol = protocol
        self.sums = ErrorSums(METRICS)

    def update(self, pred, gt, actions=None) -> PoseErrorAccumulator:
        self.add_errors(self.protocol.errors(pred, gt), actions)
        return self

    def add_errors(self, errors: dict[str, np.ndarray], actions=None) -> None:
        n = len(errors["MPJPE"])
        self.sums.add(errors, self.protocol.check_actions(actions, n))

    def merge(self, other: PoseErrorAccumulator) -> PoseErrorAccumulator:
        if other.protocol.name != self.protocol.name:
            raise ValueError(f"cannot merge a {other.protocol.name} accumulator into a {self.protocol.name} one")
        self.sums.merge(other.sums)
        return self

    def compute(self) -> Scores:
        if self.sums.count == 0:
            raise InputError("no samples were added", field="pred")
        return self.protocol.summarise(self.sums)

    def reset(self) -> None:
        self.sums = ErrorSums(METRICS)

    def state(self) -> dict:
        return {"protocol": self.protocol.name, **self.sums.state()}

    @classmethod
    def from_state(cls, protocol: JointProtocol, state: dict) -> PoseErrorAccumulator:
        if state.get("protocol") != protocol.name:
            raise InputError(f"state of protocol {state.get('protocol')!r}, not {protocol.name!r}", field="protocol")
        out = cls(protocol)
        out.sums = ErrorSums.from_state({k: v for k, v in state.items() if k != "protocol"})
        return out


def _joints_in_batches(body_model, poses: np.ndarray, batch_size: int) -> np.ndarray:
    import torch

    # float64 kinematics: an error in millimetres then comes out the same on every CPU (BodyModel.joints)
    return np.concatenate([np.asarray(body_model.joints(poses[i:i + batch_size], dtype=torch.float64))
                           for i in range(0, len(poses), batch_size)], axis=0)


def _check_pose_pair(pred, gt) -> tuple[np.ndarray, np.ndarray]:
    from benchmark.body.validation import check_poses

    p = np.asarray(check_poses(_numpy(pred), field="pred"), dtype=np.float32)
    g = np.asarray(check_poses(_numpy(gt), field="gt"), dtype=np.float32)
    check_same_rows(g, p, field_a="gt", field_b="pred")
    return p, g


def _numpy(x):
    return x.detach().cpu().numpy() if hasattr(x, "detach") else x


class BodyModelJoints(JointProtocol):
    """Joints of a body model run on predicted and ground-truth poses; no alignment."""

    alignment = "none (global orientation included; the pelvis sits at the origin by construction)"

    def __init__(self, name: str, body_model_name: str, description: str, *, model_dir=None, body_model=None,
                 batch_size: int = 512):
        self.name, self.description = name, description
        self.body_model_name, self.model_dir = body_model_name, model_dir
        self._body_model, self.batch_size = body_model, batch_size

    @property
    def body_model(self):
        if self._body_model is None:
            from benchmark.body import get_body_model

            self._body_model = get_body_model(self.body_model_name, self.model_dir)
        return self._body_model

    @property
    def joint_names(self) -> tuple[str, ...]:
        # a protocol built on another body model than the two named ones names the joints its model returns
        return PROTOCOL_JOINT_NAMES.get(self.name) or self.body_model.joint_set.names

    # True when the predictions are joints of the body model's own joint set (a joint lifter such as MetaPose)
    # rather than poses: `with_predicted_joints`
    joints_given = False

    @property
    def pred_is_pose(self) -> bool:
        return not self.joints_given

    def with_predicted_joints(self) -> BodyModelJoints:
        """This protocol for predictions that are joints [N, J, 3] (metres, camera frame, root-relative) of the body
        model's joint set (BODY_MODEL_JOINT_SETS): the ground truth's joints come from its poses as before, the
        predicted joints are scored as given (not re-centred: a predicted root off the origin counts, as in the
        Human3.6M P1 protocol)."""
        import copy

        out = copy.copy(self)
        out.joints_given = True
        out.alignment = ("ground-truth joints from its poses (pelvis at the origin); predicted joints of "
                         f"{BODY_MODEL_JOINT_SETS.get(self.name, 'the body model')} as given, not re-centred")
        return out

    def prepare(self, pred, gt):
        if self.joints_given:
            from benchmark.body.validation import check_poses

            g = np.asarray(check_poses(_numpy(gt), field="gt"), dtype=np.float32)
            p = as_float_array(_numpy(pred), field="pred", ndim=3, last_dim=3).astype(np.float64)
            n_joints = len(self.joint_names)
            if p.shape[1] != n_joints:
                raise InputError(f"shape {list(p.shape)} is not [N, {n_joints}, 3]", field="pred",
                                 hint=f"joints of {BODY_MODEL_JOINT_SETS.get(self.name, self.name)}, metres")
            check_same_rows(g, p, field_a="gt", field_b="pred")
            return p, _joints_in_batches(self.body_model, g, self.batch_size)
        p, g = _check_pose_pair(pred, gt)
        return (_joints_in_batches(self.body_model, p, self.batch_size),
                _joints_in_batches(self.body_model, g, self.batch_size))


def smplh_52_jtr(model_dir=None, body_model=None) -> BodyModelJoints:
    return BodyModelJoints("smplh-52-jtr", "smplh", "the 52 Jtr joints of the neutral SMPL-H model, betas 0, flat "
                           "hands when only 22 joints are given", model_dir=model_dir, body_model=body_model)


def skeleton_22(body_model=None) -> BodyModelJoints:
    return BodyModelJoints("skeleton-22", "skeleton", "the 22 joints of the embedded skeleton body",
                           body_model=body_model)


def load_j19_regressor(path: str | os.PathLike) -> np.ndarray:
    """The HMR2 19-joint regressor [19, V] from `SMPL_to_J19.pkl` (a dense or scipy-sparse matrix), read with the
    restricted unpickler."""
    from benchmark import safe_pickle

    path = Path(path)
    if not path.is_file():
        raise MissingModelFiles(f"HMR2 joint regressor not found: expected {path}; {J19_SOURCE}. Copy it there or "
                                "pass regressor_path=")
    data = safe_pickle.restricted_load(path)
    if hasattr(data, "toarray"):
        data = data.toarray()
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[0] != len(J19_NAMES):
        shape = list(data.shape) if isinstance(data, np.ndarray) else type(data).__name__
        raise InputError(f"expected a [19, V] regressor matrix, got {shape}", file=str(path),
                         hint="SMPL_to_J19.pkl from 4D-Humans holds a 19 x 6890 matrix")
    if not np.isfinite(data).all():
        raise InputError("regressor contains NaN or infinite values", file=str(path))
    return data.astype(np.float64)


class HMR2FourteenJoints(JointProtocol):
    """The HMR2 / 4D-Humans 14-joint protocol (see the module docstring)."""

    name = "hmr2-14"

    def __init__(self, *, model_dir=None, regressor_path=None, use_hips: bool = False, body_model=None,
                 regressor: np.ndarray | None = None, root_rotation: np.ndarray | None = None,
                 batch_size: int = 256):
        self.model_dir, self.regressor_path, self.use_hips = model_dir, regressor_path, bool(use_hips)
        self._body_model, self._regressor = body_model, regressor
        self.root_rotation = None if root_rotation is None else np.asarray(root_rotation, dtype=np.float64)
        self.batch_size = batch_size
        self.description = ("14 LSP-style joints (J19[0..12] + J19[18]) regressed from SMPL vertices with "
                            "SMPL_to_J19.pkl, neutral SMPL, betas 0")
        if self.use_hips:
            self.name = "hmr2-14-midhip"
        self.alignment = ("mid-hip of each skeleton at the origin (variant)" if self.use_hips else
                          "pelvis (J19[14], MPII) of each skeleton at the origin")

    @property
    def regressor(self) -> np.ndarray:
        if self._regressor is None:
            path = self.regressor_path
            if path is None:
                from benchmark.body.smpl import ENV_VAR, body_models_dir

                try:
                    path = body_models_dir(self.model_dir) / J19_FILENAME
                except MissingModelFiles:
                    raise MissingModelFiles(
                        f"the hmr2-14 protocol needs {J19_FILENAME}: pass regressor_path=, or put it in the body-model "
                        f"folder (--body-models DIR or ${ENV_VAR}) as DIR/{J19_FILENAME}; {J19_SOURCE}") from None
            self._regressor = load_j19_regressor(path)
        return self._regressor

    @property
    def body_model(self):
        if self._body_model is None:
            from benchmark.body import get_body_model

            self._body_model = get_body_model("smpl", self.model_dir)
        return self._body_model

    def j19_from_poses(self, poses: np.ndarray) -> np.ndarray:
        """J19 joints [N, 19, 3] (metres) of SMPL poses [N, 22|52, 3] via the SMPL mesh and the regressor."""
        if self.root_rotation is not None:
            from benchmark.body.frames import rotate_root

            poses = rotate_root(poses, self.root_rotation).astype(np.float32)
        regressor = self.regressor
        out = []
        for i in range(0, len(poses), self.batch_size):
            verts = np.asarray(self.body_model.vertices(poses[i:i + self.batch_size]), dtype=np.float64)
            if verts.shape[1] != regressor.shape[1]:
                raise InputError(f"the regressor expects {regressor.shape[1]} vertices, the body model gives "
                                 f"{verts.shape[1]}", field="regressor", hint="use the SMPL model (6890 vertices)")
            out.append(np.einsum("kv,nvc->nkc", regressor, verts))
        return np.concatenate(out, axis=0)

    def _eval_and_pelvis_pred(self, pred) -> tuple[np.ndarray, np.ndarray]:
        arr = _numpy(pred)
        joints = np.asarray(arr).shape[1] if np.ndim(arr) == 3 else None
        if joints in (22, 52):
            from benchmark.body.validation import check_poses

            j19 = self.j19_from_poses(np.asarray(check_poses(arr, field="pred"), dtype=np.float32))
            return j19[:, HMR2_EVAL_J19], j19[:, HMR2_PELVIS_J19]
        if joints == 19:
            j19 = as_float_array(arr, field="pred", ndim=3, last_dim=3).astype(np.float64)
            return j19[:, HMR2_EVAL_J19], j19[:, HMR2_PELVIS_J19]
        if joints == 15:
            j15 = as_float_array(arr, field="pred", ndim=3, last_dim=3).astype(np.float64)
            return j15[:, :14], j15[:, 14]
        raise InputError(f"shape {list(np.shape(arr))} is neither SMPL poses [N, 22|52, 3], J19 joints [N, 19, 3] "
                         "nor [N, 15, 3] joints (14 evaluation joints + pelvis)", field="pred")

    def prepare(self, pred, gt):
        g = as_float_array(_numpy(gt), field="gt", ndim=3, last_dim=3,
                           hint="ground truth [N, 15, 3]: the 14 evaluation joints in HMR2 order + the pelvis, "
                                "metres").astype(np.float64)
        if g.shape[1] != 15:
            raise InputError(f"shape {list(g.shape)} is not [N, 15, 3]", field="gt",
                             hint="the 14 evaluation joints in HMR2 order + the pelvis (J19 index 14)")
        p_eval, p_pelvis = self._eval_and_pelvis_pred(pred)
        check_same_rows(g, p_eval, field_a="gt", field_b="pred")
        g_eval, g_pelvis = g[:, :14], g[:, 14]
        if self.use_hips:
            p_pelvis = p_eval[:, HMR2_HIPS_14].mean(axis=1)
            g_pelvis = g_eval[:, HMR2_HIPS_14].mean(axis=1)
        return p_eval - p_pelvis[:, None], g_eval - g_pelvis[:, None]


class H36MSeventeenJoints(JointProtocol):
    """Human3.6M 17-joint P1 / P2 with per-action averaging (MetaPose / CA-PF evaluation)."""

    name = "h36m-17"
    requires_actions = True
    description = "the 17 Human3.6M joints (camera frame, metres), averaged per action then over the actions"
    alignment = "ground truth root-relative (joint 0 at the origin), prediction not re-centred"

    def canonical_action(self, label: str) -> str:
        return h36m_action(label)

    def prepare(self, pred, gt):
        hint = "Human3.6M joints [N, 17, 3] in metres (camera frame)"
        p = as_float_array(_numpy(pred), field="pred", ndim=3, last_dim=3, hint=hint).astype(np.float64)
        g = as_float_array(_numpy(gt), field="gt", ndim=3, last_dim=3, hint=hint).astype(np.float64)
        for arr, field in ((p, "pred"), (g, "gt")):
            if arr.shape[1] != 17:
                raise InputError(f"shape {list(arr.shape)} is not [N, 17, 3]", field=field, hint=hint)
        check_same_rows(g, p, field_a="gt", field_b="pred")
        return p, g - g[:, :1]

    def summarise(self, sums: ErrorSums) -> Scores:
        table = _per_action_table(sums)
        labels = {"MPJPE": "MPJPE (P1)", "PA-MPJPE": "PA-MPJPE (P2)"}
        scores = []
        for m in METRICS:
            action_means = sums.action_means(m)
            scores.append(Score(labels[m], float(np.mean(list(action_means.values()))), self.protocol, sums.count,
                                details={"metric": m, "averaging": "actions", "n_actions": len(action_means)}))
        for m in METRICS:
            scores.append(Score(f"{labels[m]} frame mean", sums.frame_mean(m), self.protocol, sums.count,
                                details={"metric": m, "averaging": "frames"}))
        missing = [a for a in H36M_ACTIONS if a not in table]
        return Scores(self.protocol, tuple(scores), details={"per_action": table, "missing_actions": missing})


JOINT_PROTOCOLS = ("smplh-52-jtr", "skeleton-22", "hmr2-14", "hmr2-14-midhip", "h36m-17")
# The joints each protocol scores, in the order of its `prepare`; known without loading a body model, so that a task
# spec can name its per-joint result keys.
PROTOCOL_JOINT_NAMES: dict[str, tuple[str, ...]] = {
    "smplh-52-jtr": SMPLH_JOINT_NAMES, "skeleton-22": SMPL_BODY_JOINT_NAMES, "hmr2-14": HMR2_EVAL_NAMES,
    "hmr2-14-midhip": HMR2_EVAL_NAMES, "h36m-17": H36M_17.names}
# The joint set of each body-model protocol's joints: predicted joints of that set are scored by the protocol
# directly (`BodyModelJoints.with_predicted_joints`).
BODY_MODEL_JOINT_SETS = {"skeleton-22": "smpl-body-22", "smplh-52-jtr": "smplh-52"}
# Protocols whose ground truth is an axis-angle pose, so that the root orientation of a predicted pose can be scored.
POSE_GROUND_TRUTH_PROTOCOLS = ("smplh-52-jtr", "skeleton-22")


def get_joint_protocol(name: str, **options) -> JointProtocol:
    """The protocol `name` (one of JOINT_PROTOCOLS); options go to its constructor (model_dir, use_hips, ...)."""
    if name == "smplh-52-jtr":
        return smplh_52_jtr(**options)
    if name == "skeleton-22":
        return skeleton_22(**options)
    if name == "hmr2-14":
        return HMR2FourteenJoints(**options)
    if name == "hmr2-14-midhip":  # a named variant: the mid-hip instead of 4D-Humans' pelvis
        return HMR2FourteenJoints(**{**options, "use_hips": True})
    if name == "h36m-17":
        if options:
            raise TypeError(f"h36m-17 takes no options, got {sorted(options)}")
        return H36MSeventeenJoints()
    raise InputError(f"unknown joint protocol '{name}'", field="protocol",
                     hint=f"choose one of {', '.join(JOINT_PROTOCOLS)}")
