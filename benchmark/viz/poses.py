"""3D skeleton views of poses, drawn with matplotlib (Agg) into PNG files.

Poses are drawn in their own (AMASS, z-up) frame, so matplotlib's vertical axis is the body's up. A
heading-normalised body faces -y: the "front" view looks at it from -y, the "side" view from its left (+x).
Left limbs are blue, right limbs red, the spine and head grey.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmark.body.base import BodyModel
from benchmark.body.joints import JointSet

VIEWS = {"front": (10.0, -90.0), "side": (10.0, 0.0), "top": (85.0, -90.0), "three-quarter": (15.0, -55.0)}
_COLOURS = {"left": "#1f5fbf", "right": "#c8352b", "centre": "#555555"}


def _bone_colour(name: str) -> str:
    return _COLOURS["left" if name.startswith("left_") else "right" if name.startswith("right_") else "centre"]


def _draw(ax, joints: np.ndarray, joint_set: JointSet, elev: float, azim: float, radius: float):
    for j, p in enumerate(joint_set.parents):
        if p >= 0:
            seg = joints[[p, j]]
            ax.plot(seg[:, 0], seg[:, 1], seg[:, 2], color=_bone_colour(joint_set.names[j]), lw=2.2,
                    solid_capstyle="round")
    ax.scatter(joints[:, 0], joints[:, 1], joints[:, 2], s=6, color="black", depthshade=False)
    centre = (joints.max(0) + joints.min(0)) / 2
    for setter, c in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), centre):
        setter(c - radius, c + radius)
    ax.set_box_aspect((1, 1, 1))
    ax.view_init(elev=elev, azim=azim)
    ax.set_xticks([]), ax.set_yticks([]), ax.set_zticks([])
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.pane.set_alpha(0.15)


def plot_poses(poses, path: str | Path, body_model: BodyModel | None = None, titles: Sequence[str] | None = None,
               views: Sequence[str] = ("front", "side"), cols: int = 4, panel_size: float = 2.4,
               dpi: int = 110) -> Path:
    """Draw poses [N, 22|52, 3] (axis-angle) as a grid of panels, `len(views)` views per pose; returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if body_model is None:
        from benchmark.body.skeleton import SkeletonBody

        body_model = SkeletonBody()
    unknown = [v for v in views if v not in VIEWS]
    if unknown:
        raise ValueError(f"unknown view(s) {unknown}; choose from {', '.join(VIEWS)}")
    joints = body_model.joints(poses)
    joint_set = body_model.joint_set
    if not joint_set.parents:
        raise ValueError(f"body model {body_model.name} has no kinematic tree to draw")
    n = len(joints)
    if titles is not None and len(titles) != n:
        raise ValueError(f"{len(titles)} titles for {n} poses")
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    k = len(views)
    # one common scale so that sizes compare across panels
    radius = 0.55 * float(np.max(joints.max(1) - joints.min(1))) + 0.05
    fig = plt.figure(figsize=(panel_size * cols * k, panel_size * rows + (0.35 * rows if titles else 0)))
    for i in range(n):
        for v, view in enumerate(views):
            ax = fig.add_subplot(rows, cols * k, i // cols * cols * k + (i % cols) * k + v + 1, projection="3d")
            _draw(ax, joints[i], joint_set, *VIEWS[view], radius=radius)
            if v == 0 and titles is not None:
                ax.set_title(titles[i], fontsize=8, loc="left")
    fig.subplots_adjust(left=0, right=1, bottom=0, top=0.95 if titles else 1, wspace=0, hspace=0.08)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial.png")
    fig.savefig(tmp, dpi=dpi)
    plt.close(fig)
    tmp.replace(path)  # never leave a half-written PNG under the requested name
    return path
