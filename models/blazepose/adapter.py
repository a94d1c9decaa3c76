"""MediaPipe BlazePose as a pose estimator: a real pretrained model that no one here trained.

BlazePose (Bazarevsky et al., "BlazePose: On-device Real-time Body Pose tracking", CVPR-W 2020; GHUM-based 3D
landmarks, Grishchenko et al., "BlazePose GHUM Holistic", 2022) is a two-stage model: a person detector, then a
landmark network on the detected region. The mediapipe 0.10.14 wheel (the `blazepose` extra) ships both networks
(`mediapipe/modules/pose_detection/pose_detection.tflite` and `pose_landmark/pose_landmark_full.tflite`); its legacy
`mediapipe.python.solutions.pose.Pose` runs them and returns, besides the image landmarks, 33 *world* landmarks in
metres centred between the hips. Later mediapipe releases download the models at run time, which our machines
cannot do, hence the pin; only model_complexity=1 ("full") is in the wheel (0 and 2 would be downloaded).

The adapter answers `pose_estimation` with those 33 world landmarks as joints of the joint set `blazepose-33`
(`benchmark.body.joints.BLAZEPOSE_33`); tasks that accept that set score it on the 12 limb joints both skeletons
share (`benchmark.metrics.shared_joints`). Each image is processed on its own (static_image_mode=True: no tracking
between requests, so an answer does not depend on the order of the requests). When no person is found, the answer is
a fallback, never silently: the joints of the mean training pose (of the rest pose without training data) put into
the 33-landmark layout, flagged `extras["fallback"] = True`; the task counts them (`n_fallback`).
"""

from __future__ import annotations

import importlib.metadata
from functools import cached_property

import numpy as np

from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.body.joints import BLAZEPOSE_33, LIMB_JOINTS_12, SMPL_BODY_22
from benchmark.errors import InputError, MissingExtra
from benchmark.requests import PoseResponse

MODEL_COMPLEXITY = 1  # the "full" landmark model: the one the 0.10.14 wheel ships
# The skeleton joint each BlazePose landmark takes in the fallback answer: the same joint for the 12 limb joints,
# else the nearest one (face -> head, fingers -> wrist, heel -> ankle, toes -> foot). Only the 12 are ever scored.
_NEAREST = {**{j: j for j in LIMB_JOINTS_12},
            **{n: "head" for n in BLAZEPOSE_33.names[:11]},
            **{f"{s}_{f}": f"{s}_wrist" for s in ("left", "right") for f in ("pinky", "index", "thumb")},
            **{f"{s}_heel": f"{s}_ankle" for s in ("left", "right")},
            **{f"{s}_foot_index": f"{s}_foot" for s in ("left", "right")}}
FALLBACK_FROM_SKELETON = np.array([SMPL_BODY_22.index(_NEAREST[n]) for n in BLAZEPOSE_33.names], dtype=np.int64)


def mediapipe_version() -> str:
    try:
        return importlib.metadata.version("mediapipe")
    except importlib.metadata.PackageNotFoundError:
        raise MissingExtra("mediapipe", "blazepose", "the blazepose adapter") from None


def image_array(image, row_id: str) -> np.ndarray:
    """RGB uint8 [H, W, 3], contiguous (what mediapipe's `process` takes), from a PIL image or an array."""
    if hasattr(image, "convert"):
        return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise InputError(f"image of shape {list(arr.shape)} and dtype {arr.dtype} is not RGB uint8 [H, W, 3]",
                         row=row_id, field="image")
    return np.ascontiguousarray(arr)


class BlazePoseAdapter(ModelAdapter):
    SUMMARY = "MediaPipe BlazePose (pretrained, 33 world landmarks; pose_estimation, scored on 12 shared limb joints)"
    ARGUMENTS = ("train", "min_detection_confidence")
    TASKS = ("pose_estimation",)
    JOINT_SET = BLAZEPOSE_33.name
    batch_size = 16

    def __init__(self, train: str | None = None, min_detection_confidence: float | str = 0.5):
        version = mediapipe_version()
        self.train = train
        self.min_detection_confidence = float(min_detection_confidence)
        if not 0.0 <= self.min_detection_confidence <= 1.0:
            raise InputError(f"min_detection_confidence={min_detection_confidence} is not in [0, 1]",
                             field="min_detection_confidence")
        self.meta = AdapterMeta(
            name="blazepose",
            # mediapipe's version pins the two networks (they ship inside the wheel); "a1" is this adapter's code
            revision=f"mediapipe-{version}-c{MODEL_COMPLEXITY}-conf{self.min_detection_confidence:g}-a1",
            tasks=self.TASKS,
            description=("MediaPipe BlazePose (pose detector + full landmark model, mediapipe "
                         f"{version}): 33 world landmarks in metres; a person not found gets the mean training "
                         "pose's joints, flagged and counted as a fallback"),
            license="Apache-2.0", n_parameters=None, training_data=("Google's BlazePose training data (not ours)",),
            citation=("@article{bazarevsky2020blazepose, title={BlazePose: On-device Real-time Body Pose tracking}, "
                      "author={Bazarevsky, Valentin and Grishchenko, Ivan and Raveendran, Karthik and Zhu, Tyler "
                      "and Zhang, Fan and Grundmann, Matthias}, journal={arXiv:2006.10204}, year={2020}}"),
            args={"train": None if train is None else str(train),
                  "min_detection_confidence": self.min_detection_confidence})
        self.n_fallback = 0

    @cached_property
    def _pose(self):
        # the legacy solution API: what ships its models inside the 0.10.14 wheel
        from mediapipe.python.solutions import pose as mp_pose

        return mp_pose.Pose(static_image_mode=True, model_complexity=MODEL_COMPLEXITY, smooth_landmarks=False,
                            enable_segmentation=False, min_detection_confidence=self.min_detection_confidence)

    @cached_property
    def fallback_joints(self) -> np.ndarray:
        """The fallback answer [33, 3]: the mean training pose's skeleton joints (the rest pose without training
        data) in the 33-landmark layout."""
        from benchmark.body import get_body_model

        pose = np.zeros((22, 3), dtype=np.float32)
        if self.train is not None:
            from models.baselines.mean_pose import chordal_mean
            from models.baselines.training_data import TrainingData

            pose = chordal_mean(TrainingData(self.train).poses("pose_estimation", "pose"))
        joints = np.asarray(get_body_model("skeleton").joints(pose[None]))[0]
        return joints[FALLBACK_FROM_SKELETON].astype(np.float32)

    def landmarks(self, image, row_id: str = "") -> np.ndarray | None:
        """BlazePose's 33 world landmarks [33, 3] (metres) of the person in `image`, or None if none is found."""
        result = self._pose.process(image_array(image, row_id))
        if result.pose_world_landmarks is None:
            return None
        return np.array([[p.x, p.y, p.z] for p in result.pose_world_landmarks.landmark], dtype=np.float32)

    def generate_pose(self, requests):
        out = []
        for r in requests:
            joints = self.landmarks(r.inputs["image"], r.row_id)
            extras = {}
            if joints is None:
                self.n_fallback += 1
                joints = self.fallback_joints
                extras = {"fallback": True, "reason": "no person detected"}
            out.append(PoseResponse(joints=np.repeat(joints[None], r.n_samples, axis=0), joint_set=self.JOINT_SET,
                                    extras=extras))
        return out
