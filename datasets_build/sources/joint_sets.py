"""Joint orders of the image datasets' annotations (names only; positions come from the files).

Sources of the orders:
* `H36M_17` (`benchmark.body.joints`, where the h36m-17 joint protocol names its joints): the 17 Human3.6M joints
  used by VideoPose3D, CA-PF and MetaPose (MetaPose `train.py`), taken from the 32 mocap joints with
  `H36M_32_TO_17` (H36M-Toolbox `generate_labels*.py`; index 16 and 13 sit at the same place, the thorax).
* `MPII_16`: the MPII Human Pose joint ids 0..15 (the dataset's README / `annopoints.point.id`).
* `COCO_17`: the `keypoints` list of the person category of COCO's person_keypoints JSON.
* `OPENPOSE_COCO_18`: 3DPW's `poses2d` (OpenPose COCO-18 order; 3DPW README, "Coco-Format").
* `HMR2_44`: 25 OpenPose BODY_25 joints + the 19 `SMPL_to_J19` extra joints of SPIN / HMR 2.0
  (4D-Humans `hmr2/models/smpl_wrapper.py`, `hmr2/configs/datasets_eval.yaml`); `HMR2_EVAL_15` are its evaluation
  joints [25..37, 43] + pelvis 39.
* `MPI_INF_3DHP_28`: the 28 joints of the training `annot.mat` files, and `MPI_INF_3DHP_17` the 17 "relevant" joints
  of the test set (`mpii_get_joint_set.m` of the dataset; 1-based subset [8 6 15 16 17 10 11 12 24 25 26 19 20 21 5
  4 7]).
"""

from __future__ import annotations

from benchmark.body.joints import H36M_17, JointSet

H36M_32_TO_17 = (0, 1, 2, 3, 6, 7, 8, 12, 16, 14, 15, 17, 18, 19, 25, 26, 27)

MPII_16 = JointSet("mpii-16", (
    "right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle", "pelvis", "thorax",
    "upper_neck", "head_top", "right_wrist", "right_elbow", "right_shoulder", "left_shoulder", "left_elbow",
    "left_wrist",
))

COCO_17 = JointSet("coco-17", (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle",
))

OPENPOSE_COCO_18 = JointSet("openpose-coco-18", (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow", "left_wrist",
    "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "right_eye", "left_eye",
    "right_ear", "left_ear",
))

_BODY_25 = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow", "left_wrist",
    "mid_hip", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "right_eye",
    "left_eye", "right_ear", "left_ear", "left_big_toe", "left_small_toe", "left_heel", "right_big_toe",
    "right_small_toe", "right_heel",
)
_J19 = (
    "right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle", "right_wrist", "right_elbow",
    "right_shoulder", "left_shoulder", "left_elbow", "left_wrist", "neck_lsp", "head_top_lsp", "pelvis_mpii",
    "thorax_mpii", "spine_h36m", "jaw_h36m", "head_h36m",
)
HMR2_44 = JointSet("hmr2-44", tuple(f"openpose_{n}" for n in _BODY_25) + _J19)
HMR2_EVAL_KEYPOINTS = tuple(range(25, 38)) + (43,)  # KEYPOINT_LIST of 4D-Humans / TokenHMR / UniPose
HMR2_PELVIS = 39
HMR2_EVAL_15 = HMR2_44.subset([HMR2_44.names[i] for i in HMR2_EVAL_KEYPOINTS + (HMR2_PELVIS,)], "hmr2-eval-15")

MPI_INF_3DHP_28 = JointSet("mpi-inf-3dhp-28", (
    "spine3", "spine4", "spine2", "spine", "pelvis", "neck", "head", "head_top", "left_clavicle", "left_shoulder",
    "left_elbow", "left_wrist", "left_hand", "right_clavicle", "right_shoulder", "right_elbow", "right_wrist",
    "right_hand", "left_hip", "left_knee", "left_ankle", "left_foot", "left_toe", "right_hip", "right_knee",
    "right_ankle", "right_foot", "right_toe",
))
MPI_INF_3DHP_17 = MPI_INF_3DHP_28.subset([MPI_INF_3DHP_28.names[i - 1] for i in (
    8, 6, 15, 16, 17, 10, 11, 12, 24, 25, 26, 19, 20, 21, 5, 4, 7)], "mpi-inf-3dhp-17")

# The H36M-compatible reading of MPI-INF-3DHP used by 2D-to-3D lifting code (the `train_kpt_idx` / `test_kpt_idx`
# lists of their MPI-INF-3DHP preprocessing, HybrIK-style `hp3d2h36m`): H36M's thorax is 3DHP's neck, H36M's
# nose-level head joint is 3DHP's head, H36M's head is 3DHP's head top. Derived here from the names.
_H36M_NAME_IN_3DHP = {"thorax": "neck", "nose": "head", "head": "head_top"}
_H36M_AS_3DHP = [_H36M_NAME_IN_3DHP.get(n, n) for n in H36M_17.names]
MPI_INF_3DHP_28_TO_H36M = tuple(MPI_INF_3DHP_28.indices(_H36M_AS_3DHP))  # (4, 23, 24, 25, 18, 19, 20, 3, 5, 6, 7, ...)
MPI_INF_3DHP_17_TO_H36M = tuple(MPI_INF_3DHP_17.indices(_H36M_AS_3DHP))  # (14, 8, 9, 10, 11, 12, 13, 15, 1, 16, 0, ...)
