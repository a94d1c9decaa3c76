"""Skeletons as inline SVG: joint positions (from the body model) projected by a fixed orthographic camera, several
poses overlaid in one frame so that the model's output and the ground truth are seen from the same camera.

Two frames occur. Most poses are heading-normalised in the AMASS z-up frame and face -y: the "front" view looks at
the body from -y (its left on the viewer's right), the "side" view from its left (+x). Pose-estimation poses have
their root in the image's camera frame (OpenCV: x right, y down, z forward): the "camera" view is the image's own,
the "above" view looks down from above the camera (x right, depth going up the panel).

All layers and views of one figure share one scale, so sizes and distances compare across them. Styles: the
output in colour (left limbs blue, right red, spine grey, as benchmark.viz draws them), the ground truth as a wide
translucent grey band under it, a source pose (pose A of an edit) dashed; thin orange lines join each output joint
to its ground-truth joint when both have the same joints (the error MPJPE averages).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

# view -> rows of the 2 x 3 projection (screen x to the right, screen y downwards)
VIEWS: dict[str, np.ndarray] = {
    "front": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0]]),
    "side": np.array([[0.0, 1.0, 0.0], [0.0, 0.0, -1.0]]),
    "camera": np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
    "above": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0]]),
}
BODY_VIEWS = ("front", "side")
CAMERA_VIEWS = ("camera", "above")
_SIDE_COLOURS = {"left": "#1f5fbf", "right": "#c8352b", "centre": "#555555"}


@dataclass(frozen=True)
class Layer:
    joints: np.ndarray                # [J, 3], metres
    parents: tuple[int, ...] | None   # kinematic tree; None: joints drawn as dots only
    names: tuple[str, ...] | None     # joint names (left_/right_ colour the bones)
    style: str                        # "output", "truth", "source" or "input"
    label: str = ""


def _side(name: str | None) -> str:
    if name and name.startswith("left"):
        return "left"
    if name and name.startswith("right"):
        return "right"
    return "centre"


def _bones(layer: Layer, points: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, str]]:
    out = []
    for j, parent in enumerate(layer.parents or ()):
        if 0 <= parent < len(points) and j < len(points):
            out.append((points[parent], points[j], _side(layer.names[j] if layer.names else None)))
    return out


def _path(segments, **attrs) -> str:
    """One <path> for many segments (a figure has hundreds of bones: one element per colour keeps pages small);
    a zero-length segment with round caps is a dot."""
    if not segments:
        return ""
    d = "".join(f"M{a[0]:.1f} {a[1]:.1f}L{b[0]:.1f} {b[1]:.1f}" for a, b in segments)
    extra = " ".join(f'{k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<path d="{d}" fill="none" stroke-linecap="round" {extra}/>'


def _draw_layer(layer: Layer, points: np.ndarray) -> list[str]:
    bones = _bones(layer, points)
    dots = [(p, p) for p in points]
    if layer.style == "truth":
        return [_path([(a, b) for a, b, _ in bones], stroke="#8a8f98", stroke_width=7, stroke_opacity=0.38),
                _path(dots, stroke="#8a8f98", stroke_width=6, stroke_opacity=0.5)]
    if layer.style == "source":
        return [_path([(a, b) for a, b, _ in bones], stroke="#9aa3ad", stroke_width=2, stroke_dasharray="4 3")]
    parts = [_path([(a, b) for a, b, s in bones if s == side], stroke=colour, stroke_width=2.6)
             for side, colour in _SIDE_COLOURS.items()]
    return parts + [_path(dots, stroke="#222", stroke_width=3.6)]


def skeleton_svg(layers: list[Layer], views=BODY_VIEWS, panel: int = 150, title: str = "") -> str:
    """One inline SVG: a panel per view, every layer drawn in each panel at one common scale."""
    layers = [layer for layer in layers if layer.joints is not None and len(layer.joints)]
    if not layers:
        return ""
    pad = 10.0
    projected = {v: [np.asarray(layer.joints, dtype=np.float64) @ VIEWS[v].T for layer in layers] for v in views}
    extent = max(float(np.ptp(np.concatenate(projected[v]), axis=0).max()) for v in views) or 1.0
    scale = (panel - 2 * pad) / extent
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="skeleton" width="{panel * len(views)}" '
             f'height="{panel}" viewBox="0 0 {panel * len(views)} {panel}" role="img">']
    if title:
        parts.append(f"<title>{html.escape(title)}</title>")
    for k, view in enumerate(views):
        allp = np.concatenate(projected[view])
        centre = (allp.max(0) + allp.min(0)) / 2
        offset = np.array([panel * k + panel / 2, panel / 2])
        screen = [(p - centre) * scale + offset for p in projected[view]]
        parts.append(f'<rect x="{panel * k + 1}" y="1" width="{panel - 2}" height="{panel - 2}" rx="6" '
                     'fill="#fafbfc" stroke="#e3e6ea"/>')
        parts.append(f'<text x="{panel * k + 7}" y="14" class="view">{view}</text>')
        # under-layers first (ground truth, source pose), then the error lines, then the poses on top
        under = [i for i, layer in enumerate(layers) if layer.style in ("truth", "source")]
        for i in under:
            parts += _draw_layer(layers[i], screen[i])
        truth = [i for i, layer in enumerate(layers) if layer.style == "truth"]
        output = [i for i, layer in enumerate(layers) if layer.style == "output"]
        if truth and output and len(layers[truth[0]].joints) == len(layers[output[0]].joints):
            parts.append(_path(list(zip(screen[output[0]], screen[truth[0]])), stroke="#e08a1e", stroke_width=0.9,
                               stroke_opacity=0.9))
        for i in range(len(layers)):
            if i not in under:
                parts += _draw_layer(layers[i], screen[i])
    parts.append("</svg>")
    return "".join(parts)
