"""Images of posed skeleton bodies for the embedded world's image tasks (image -> text, image-pair -> text,
image -> pose).

The body is a set of quadric volumes hung on the 22 joints of `benchmark.body.skeleton.SkeletonBody`, sized by the
render volumes of `skeleton_22.json` (derived from the Anny body model): elliptic tapered capsules for the torso,
neck and limbs, ellipsoids for the head (with hair and a nose, so front and back differ), hands and shoes. Each
volume follows the global rotation of the joint it hangs on. A random camera frames the body as a person crop
(`camera.py`), every pixel's ray is cast analytically against every volume near it, and the nearest hit is shaded
(Lambert + hemispheric ambient, random light) in random clothing colours over a floor (at the body's lowest point,
with a random checker or wave texture) and a gradient backdrop.

Conventions: world = the AMASS z-up frame of `SkeletonBody` (metres, pelvis at the origin); cameras, pixels and
`keypoints_2d` follow `camera.py` (OpenCV, pixel centres at integer coordinates). Images are uint8 RGB [B, S, S, 3].

Why a hand-written ray caster: the images need a few dozen analytic volumes per body, thousands of images per build,
on two CPU cores with no GPU, display or download. Mesh rasterisers (PyTorch3D, pyrender) would need the volumes
meshed, a heavy extra dependency and, for pyrender, an OpenGL context; no maintained library casts rays against
quadrics in batches. So the quadric algebra is written out here and the heavy lifting is numpy matrix products.

Same bytes on every CPU: the same poses and seed must give the same images, keypoints and cameras on any x86 or ARM
machine, so that a dataset rebuilt elsewhere is byte-identical. Float32 arithmetic cannot promise that: numpy picks
SIMD loops and OpenBLAS picks matrix kernels per CPU (torch too), which sum in different orders, use fused
multiply-adds or not, and approximate sines differently, so the last bits differ; at float32 precision (6e-8
relative) enough values sit that close to a rounding or hit / miss boundary that pixels flip in every large batch.
So every value that leads to a stored number or a discrete decision (hit / miss tests, depth comparisons, the floor
test, colours, keypoints, cameras) is computed in float64 and quantised only at the end: colours are rounded to
uint8 once, and keypoints and cameras are returned in float64 for the caller to round once when it stores them (the
world build snaps them, `canonical.py`). A float64 result may still differ by an ulp between CPUs, but it then lands
within that ulp of a decision or rounding boundary with a probability of the order of 1e-13 to 1e-12 per decision,
so the quantised outputs agree. The z-buffer keys carry the float64 depths, ties going to the lowest volume index
(see `raycast`); the floor's sines are written out in exactly rounded operations (`_sin`); random draws come from
numpy Generators, which are bit-exact on every platform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from benchmark.body.frames import rotate_root
from benchmark.body.joints import SMPL_BODY_22
from benchmark.body.kinematics import forward_kinematics_with_rotations
from benchmark.body.skeleton import skeleton_data
from benchmark.body.validation import check_poses
from benchmark.errors import InputError
from datasets_build.world.camera import (CameraRanges, Cameras, check_image_size, ellipsoid_bboxes, fit_cameras,
                                         project, sample_camera_parameters)

MATERIALS = ("skin", "hair", "top", "bottom", "shoes")
# Each volume belongs to a part; per body a part takes one of MATERIALS' colours. Forearms and shins take the top's
# / bottom's colour or skin, depending on the sleeves and trouser legs drawn for that body.
PARTS = ("skin", "hair", "top", "bottom", "shoes", "forearm", "shin")

_ELLIPSOID, _CONE = 0, 1
_NEAR = 1e-3  # metres; hits closer to the camera than this are ignored
_TILE = 16  # side of the square pixel tiles that volumes are culled to (supersampled pixels)


# ----------------------------------------------------------------------------------------------------------------
# Body layout: which volumes hang on which joints, in the rest frame (SMPL canonical: y up, faces +z, left +x)
# ----------------------------------------------------------------------------------------------------------------

# Tapered capsules along bones: (segment, from joint, to joint, part, end/start radius ratio, start cap, end cap).
# Radii come from the segment's entry in skeleton_22.json ("shoulder" segments borrow the upper arm's, widened
# by 15% for the deltoid). A cap is an ellipsoid on the bone's end with the bone's cross-section there and an
# along-bone radius of (ratio x mean cross-section radius); None = no cap because a neighbour covers that end.
# Limb tapers make each limb end about as wide as the next one starts, so the chains look continuous.
_CAPSULES = (
    ("pelvis", "pelvis", "spine1", "bottom", 1.0, 0.8, None),
    ("lower_back", "spine1", "spine2", "top", 1.0, 0.8, None),
    ("chest", "spine2", "spine3", "top", 1.0, 0.7, 0.6),
    ("upper_chest", "spine3", "neck", "top", 0.62, 0.7, 0.5),
    ("neck", "neck", "head", "skin", 1.0, None, None),
    ("left_shoulder", "left_collar", "left_shoulder", "top", 1.0, None, 1.0),
    ("right_shoulder", "right_collar", "right_shoulder", "top", 1.0, None, 1.0),
    ("left_upperarm", "left_shoulder", "left_elbow", "top", 0.72, None, 1.0),
    ("right_upperarm", "right_shoulder", "right_elbow", "top", 0.72, None, 1.0),
    ("left_forearm", "left_elbow", "left_wrist", "forearm", 0.8, None, 1.0),
    ("right_forearm", "right_elbow", "right_wrist", "forearm", 0.8, None, 1.0),
    ("left_thigh", "left_hip", "left_knee", "bottom", 0.68, 1.0, 1.0),
    ("right_thigh", "right_hip", "right_knee", "bottom", 0.68, 1.0, 1.0),
    ("left_shin", "left_knee", "left_ankle", "shin", 0.72, None, 1.0),
    ("right_shin", "right_knee", "right_ankle", "shin", 0.72, None, 1.0),
)
# Cap parts that differ from their capsule's: the elbow and knee follow the sleeve / trouser leg below them.
_CAP_PART = {("left_upperarm", 1): "forearm", ("right_upperarm", 1): "forearm",
             ("left_thigh", 1): "shin", ("right_thigh", 1): "shin"}


@dataclass(frozen=True)
class _Layout:
    """The body's N volumes, as arrays indexed by volume (rest frame, metres)."""

    kind: np.ndarray  # [N] _ELLIPSOID or _CONE
    anchor: np.ndarray  # [N] joint whose global rotation carries the volume
    origin: np.ndarray  # [N, 3] rest position of the local frame's origin
    frame: np.ndarray  # [N, 3, 3] columns: local axes (cross-section 1, cross-section 2, main axis) in rest frame
    inv_scale: np.ndarray  # [N, 3] local coordinates are q = diag(inv_scale) frame^T (x - origin)
    a2: np.ndarray  # [N] quadric q0^2 + q1^2 + a2 q2^2 + 2 g2 q2 - 1 = 0
    g2: np.ndarray  # [N]
    length: np.ndarray  # [N] cones: q2 is clipped to [0, length]; ellipsoids: inf
    part: np.ndarray  # [N] index into PARTS
    bound_origin: np.ndarray  # [N, 2, 3] two ellipsoids (rest frame) whose hull holds the volume (bounding boxes)
    bound_radii: np.ndarray  # [N, 2, 3] their radii along the volume's local axes
    names: tuple[str, ...]


def _bone_frame(axis: np.ndarray) -> np.ndarray:
    """Local axes of a bone, chosen as skeleton_22.json's derivation measured its radii: the lateral direction is
    x, or z when the bone runs along x (arms), made orthogonal to the bone; depth completes the frame."""
    lateral = np.array([1.0, 0.0, 0.0]) if abs(axis[0]) < 0.7 else np.array([0.0, 0.0, 1.0])
    lateral = lateral - axis * (lateral @ axis)
    lateral /= np.linalg.norm(lateral)
    return np.stack([lateral, np.cross(axis, lateral), axis], axis=1)


@lru_cache(maxsize=1)
def body_layout() -> _Layout:
    """The body's volumes, built once from skeleton_22.json."""
    data = skeleton_data()
    names = list(data["joint_names"])
    rest = np.asarray(data["rest_joints"], dtype=np.float64)
    segments = data["segments"]
    rows = []  # dicts, one per volume

    def ellipsoid(name, anchor, centre, frame, radii, part):
        radii = np.asarray(radii, np.float64)
        rows.append(dict(name=name, kind=_ELLIPSOID, anchor=names.index(anchor), origin=np.asarray(centre, float),
                         frame=frame, inv_scale=1.0 / radii, a2=1.0, g2=0.0, length=np.inf, part=part,
                         bound_origin=[centre, centre], bound_radii=[radii, radii]))

    for seg, j0, j1, part, taper, cap0, cap1 in _CAPSULES:
        radius_source = segments[seg] if seg in segments else segments[seg.replace("shoulder", "upperarm")]
        widen = 1.15 if seg.endswith("_shoulder") else 1.0
        r = widen * np.array([radius_source["radius_lateral"], radius_source["radius_depth"]])
        a, b = rest[names.index(j0)], rest[names.index(j1)]
        length = float(np.linalg.norm(b - a))
        frame = _bone_frame((b - a) / length)
        slope = (taper - 1.0) / length
        rows.append(dict(name=seg, kind=_CONE, anchor=names.index(j0), origin=a, frame=frame,
                         inv_scale=np.array([1 / r[0], 1 / r[1], 1.0]), a2=-slope ** 2, g2=-slope, length=length,
                         part=part, bound_origin=[a, b],
                         bound_radii=[[r[0], r[1], 0.0], [taper * r[0], taper * r[1], 0.0]]))
        for end, (ratio, centre, scale) in enumerate(((cap0, a, 1.0), (cap1, b, taper))):
            if ratio is not None:
                cap_r = scale * np.array([r[0], r[1], ratio * r.mean()])
                ellipsoid(f"{seg}_cap{end}", j0, centre, frame, cap_r, _CAP_PART.get((seg, end), part))

    head = rest[names.index("head")]
    head_c = head + np.asarray(data["head"]["center_offset"])
    head_r = np.asarray(data["head"]["radii"], np.float64)
    eye3 = np.eye(3)
    ellipsoid("head", "head", head_c, eye3, head_r, "skin")
    # Hair: a slightly wider ellipsoid shifted up and back, so the face shows in front and the back of the head
    # is hair-coloured (front/back views must differ for image -> pose).
    ellipsoid("hair", "head", head_c + np.array([0.0, 0.022, -0.03]), eye3, head_r * np.array([1.07, 1.0, 1.0]),
              "hair")
    ellipsoid("nose", "head", head_c + np.array([0.0, -0.012, 0.92 * head_r[2]]), eye3, [0.016, 0.024, 0.022],
              "skin")
    for side, sign in (("left", 1.0), ("right", -1.0)):
        wrist = rest[names.index(f"{side}_wrist")]
        hand = data["hands"][side]
        # T-pose hand: along the forearm (+-x), flat palm facing down, so its width runs front-back (z).
        direction = np.array([sign, 0.0, 0.0])
        frame = np.stack([np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0]), direction], axis=1)
        ellipsoid(f"{side}_hand", f"{side}_wrist", wrist + direction * hand["length"] / 2, frame,
                  [0.8 * hand["radius"], 0.45 * hand["radius"], hand["length"] / 2], "skin")
        ankle = rest[names.index(f"{side}_ankle")]
        ball = rest[names.index(f"{side}_foot")]
        foot = data["feet"][side]
        # Shoe: from heel to toe, standing on the sole height and reaching up around the ankle.
        height = 0.65 * (ankle[1] - data["sole_y"])
        centre = np.array([(ankle[0] + ball[0]) / 2, data["sole_y"] + height, (foot["heel_z"] + foot["toe_z"]) / 2])
        ellipsoid(f"{side}_shoe", f"{side}_ankle", centre, eye3,
                  [1.1 * foot["half_width"], height, (foot["toe_z"] - foot["heel_z"]) / 2], "shoes")

    def stack(key, dtype=np.float64):
        return np.asarray([r[key] for r in rows], dtype=dtype)

    assert len(rows) < 255, "volume indices are packed into 8 bits by raycast"

    return _Layout(kind=stack("kind", np.int64), anchor=stack("anchor", np.int64), origin=stack("origin"),
                   frame=stack("frame"), inv_scale=stack("inv_scale"), a2=stack("a2"), g2=stack("g2"),
                   length=stack("length"), part=np.asarray([PARTS.index(r["part"]) for r in rows]),
                   bound_origin=stack("bound_origin"), bound_radii=stack("bound_radii"),
                   names=tuple(r["name"] for r in rows))


# ----------------------------------------------------------------------------------------------------------------
# Posed volumes
# ----------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PosedBodies:
    """The volumes of B posed bodies in the world frame (float64, metres)."""

    joints: np.ndarray  # [B, 22, 3]
    global_rotations: np.ndarray  # [B, 22, 3, 3] rest frame -> world, per joint
    origin: np.ndarray  # [B, N, 3]
    to_local: np.ndarray  # [B, N, 3, 3] M with q = M (x - origin)
    bound_centres: np.ndarray  # [B, 2N, 3] bounding ellipsoids (see `camera.ellipsoid_bboxes`)
    bound_shapes: np.ndarray  # [B, 2N, 3, 3]

    def __len__(self) -> int:
        return len(self.joints)

    def __getitem__(self, index) -> "PosedBodies":
        """The bodies at `index` (a slice or an index array)."""
        return PosedBodies(self.joints[index], self.global_rotations[index], self.origin[index],
                           self.to_local[index], self.bound_centres[index], self.bound_shapes[index])

    def floor_height(self) -> np.ndarray:
        """World z [B] of the body's lowest point (the soles when standing): exact for the ellipsoids, whose hull
        holds every volume."""
        return (self.bound_centres[..., 2] - np.sqrt(np.maximum(self.bound_shapes[..., 2, 2], 0.0))).min(axis=1)


def pose_bodies(poses) -> PosedBodies:
    """Place the body volumes for axis-angle poses [B, 22|52, 3] (finger rotations, if any, are ignored)."""
    poses = check_poses(poses)
    layout = body_layout()
    data = skeleton_data()
    rest = torch.tensor(data["rest_joints"], dtype=torch.float64)
    parents = torch.tensor(data["parents"], dtype=torch.long)
    aa = torch.as_tensor(np.asarray(poses)[:, :22], dtype=torch.float64)  # float64 from here on (module docstring)
    # each joint's global rotation orients that joint's volumes
    joints, glob = forward_kinematics_with_rotations(aa, rest, parents)
    joints, glob = joints.numpy(), glob.numpy()
    rest_np = rest.numpy()
    g = glob[:, layout.anchor]  # [B, N, 3, 3]
    anchor_pos = joints[:, layout.anchor]  # [B, N, 3]
    origin = anchor_pos + np.einsum("bnij,nj->bni", g, layout.origin - rest_np[layout.anchor])
    frame = g @ layout.frame  # columns: local axes in the world
    to_local = layout.inv_scale[None, :, :, None] * np.swapaxes(frame, -1, -2)
    b_centres = anchor_pos[:, :, None] + np.einsum("bnij,nkj->bnki", g, layout.bound_origin
                                                   - rest_np[layout.anchor][:, None])
    scaled = frame[:, :, None] * layout.bound_radii[None, :, :, None, :]  # L = frame diag(r): [B, N, 2, 3, 3]
    b_shapes = scaled @ np.swapaxes(scaled, -1, -2)
    B, N = origin.shape[:2]
    return PosedBodies(joints=joints, global_rotations=glob, origin=origin, to_local=to_local,
                       bound_centres=b_centres.reshape(B, 2 * N, 3), bound_shapes=b_shapes.reshape(B, 2 * N, 3, 3))


def volume_bboxes(bodies: PosedBodies, cameras: Cameras) -> np.ndarray:
    """Image boxes [B, N, 4] (u_min, v_min, u_max, v_max) of each volume."""
    boxes = ellipsoid_bboxes(bodies.bound_centres, bodies.bound_shapes, cameras)
    B = len(boxes)
    boxes = boxes.reshape(B, -1, 2, 4)
    return np.concatenate([boxes[..., :2].min(axis=2), boxes[..., 2:].max(axis=2)], axis=-1)


def _quadric_value(bodies: PosedBodies, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quadric values f [B, P, N] (< 0 inside) and axial coordinates q2 [B, P, N] of world points [B, P, 3]."""
    layout = body_layout()
    q = np.einsum("bnij,bpnj->bpni", bodies.to_local, points[:, :, None] - bodies.origin[:, None])
    f = q[..., 0] ** 2 + q[..., 1] ** 2 + layout.a2 * q[..., 2] ** 2 + 2 * layout.g2 * q[..., 2] - 1.0
    return f, q[..., 2]


# ----------------------------------------------------------------------------------------------------------------
# Ray casting
# ----------------------------------------------------------------------------------------------------------------

def _rows_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a [M, K] @ b [K, N] in row blocks small enough for OpenBLAS to stay on one thread (it threads products of
    more than 4 * 65536 multiply-adds). These products are thin and cheap; threading them only adds
    synchronisation, which stalls badly when other processes share the cores."""
    out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
    step = max(1, (4 * 65536 - 1) // max(1, a.shape[1] * b.shape[1]))
    for start in range(0, a.shape[0], step):
        np.matmul(a[start:start + step], b, out=out[start:start + step])
    return out


@lru_cache(maxsize=4)
def _tile_features(tile: int) -> tuple[np.ndarray, np.ndarray]:
    """Monomials (l_x^2, l_x l_y, l_y^2, l_x, l_y, 1) [T*T, 6] and (l_x, l_y, 1) [T*T, 3] of the pixel centres of a
    tile, in tile coordinates l in [-1, 1] (kept small so the quadratic forms stay well conditioned), float64."""
    l = (np.arange(tile) - (tile - 1) / 2) / (tile / 2)
    ly, lx = np.meshgrid(l, l, indexing="ij")
    lx, ly = lx.ravel(), ly.ravel()
    one = np.ones_like(lx)
    return np.stack([lx * lx, lx * ly, ly * ly, lx, ly, one], axis=1), np.stack([lx, ly, one], axis=1)


@dataclass(frozen=True)
class RayHits:
    """Nearest hits of the camera rays through the pixel centres of supersampled images [B, H, W]."""

    depth: np.ndarray  # float64, camera-frame z (metres, low 8 mantissa bits cleared); inf where no volume is hit
    volume: np.ndarray  # int16, index of the hit volume; -1 where none
    supersample: int


def _ray_coefficients(bodies: PosedBodies, cameras: Cameras):
    """Per (body, volume): D [B, N, 3, 3] with q(z) = z D (u, v, 1) - e along the ray through pixel (u, v) (z =
    camera depth), e [B, N, 3], and the quadric's constant term QC [B, N] in the ray's equation
    QA z^2 - 2 QB z + QC = 0."""
    layout = body_layout()
    k_inv = np.linalg.inv(cameras.K)
    D = bodies.to_local @ (np.swapaxes(cameras.R, 1, 2) @ k_inv)[:, None]
    e = np.einsum("bnij,bnj->bni", bodies.to_local, bodies.origin - cameras.centre[:, None])
    qc = e[..., 0] ** 2 + e[..., 1] ** 2 + layout.a2 * e[..., 2] ** 2 - 2 * layout.g2 * e[..., 2] - 1.0
    return D, e, qc


def raycast(bodies: PosedBodies, cameras: Cameras, supersample: int = 1, tile: int = _TILE) -> RayHits:
    """Cast the ray of every (supersampled) pixel against the posed volumes; keep the nearest hit.

    Along the ray X(z) = C + z R^T K^-1 p (p = (u, v, 1), z = camera depth), a volume's local coordinates are
    q = z D p - e, so its quadric q^T A q + 2 g^T q - 1 = 0 becomes QA z^2 - 2 QB z + QC = 0 where QA and the
    discriminant QB^2 - QA QC are quadratic forms in p and QB is linear in p. Each volume is only tested on the
    tiles its image box touches; per tile the forms are re-expressed in tile coordinates, so a whole batch of
    (volume, tile) pairs is evaluated with three matrix products and the per-pixel minimum is a segmented
    reduction over depth-and-volume keys. All in float64 (see the module docstring); the keys are the float64 depth
    bits with the lowest 8 of the 52 mantissa bits replaced by the volume index, so the stored depth is exact to
    2^-44 relative and equal depths resolve to the lowest volume index on every CPU.
    """
    layout = body_layout()
    B, N = bodies.origin.shape[:2]
    size = cameras.image_size * supersample
    n_tiles = -(-size // tile)
    D, e, qc = _ray_coefficients(bodies, cameras)

    # Pixel-index ranges of each volume's box on the supersampled grid (index J has low-res coordinate
    # u = (J + 0.5) / s - 0.5), grown by a pixel for safety.
    boxes = volume_bboxes(bodies, cameras)
    depth_ok = (np.einsum("bij,bnj->bni", cameras.R, bodies.bound_centres)[..., 2] + cameras.t[:, None, 2] > _NEAR)
    in_front = depth_ok.reshape(B, N, 2).all(axis=2) & np.isfinite(boxes).all(axis=2)
    lo = np.floor((boxes[..., :2] + 0.5) * supersample - 0.5) - 1
    hi = np.ceil((boxes[..., 2:] + 0.5) * supersample - 0.5) + 1
    on_screen = in_front & (hi >= 0).all(axis=2) & (lo <= size - 1).all(axis=2)
    t_lo = np.clip(np.where(on_screen[..., None], lo, 0), 0, size - 1).astype(np.int64) // tile
    t_hi = np.clip(np.where(on_screen[..., None], hi, 0), 0, size - 1).astype(np.int64) // tile
    n_x, n_y = t_hi[..., 0] - t_lo[..., 0] + 1, t_hi[..., 1] - t_lo[..., 1] + 1
    counts = np.where(on_screen, n_x * n_y, 0).ravel()

    # Enumerate the (body, volume, tile) pairs, sorted by (body, tile) for the per-pixel minimum at the end.
    pair_bn = np.repeat(np.arange(B * N), counts)
    k = np.arange(len(pair_bn)) - np.repeat(np.cumsum(counts) - counts, counts)
    bi, vi = pair_bn // N, pair_bn % N
    tx = t_lo[bi, vi, 0] + k % n_x.ravel()[pair_bn]
    ty = t_lo[bi, vi, 1] + k // n_x.ravel()[pair_bn]
    group = (bi * n_tiles + ty) * n_tiles + tx
    order = np.argsort(group, kind="stable")
    bi, vi, tx, ty, group = bi[order], vi[order], tx[order], ty[order], group[order]

    # Tile coordinates l -> low-res pixel coordinates: u = u_c + h l_x.
    h = tile / (2.0 * supersample)
    tile_map = np.zeros((len(group), 3, 3))
    tile_map[:, 0, 0] = tile_map[:, 1, 1] = h
    tile_map[:, 0, 2] = (tx * tile + tile / 2) / supersample - 0.5
    tile_map[:, 1, 2] = (ty * tile + tile / 2) / supersample - 0.5
    tile_map[:, 2, 2] = 1.0
    Dp = D[bi, vi] @ tile_map
    ep = e[bi, vi]
    a2, g2 = layout.a2[vi], layout.g2[vi]
    A = np.stack([np.ones_like(a2), np.ones_like(a2), a2], axis=1)
    S = np.einsum("nki,nk,nkj->nij", Dp, A, Dp)
    w = np.einsum("nki,nk->ni", Dp, A * ep - np.stack([0 * g2, 0 * g2, g2], axis=1))
    T = w[:, :, None] * w[:, None, :] - qc[bi, vi][:, None, None] * S

    def six(m):  # quadratic form -> coefficients of (lx^2, lx ly, ly^2, lx, ly, 1)
        return np.stack([m[:, 0, 0], 2 * m[:, 0, 1], m[:, 1, 1], 2 * m[:, 0, 2], 2 * m[:, 1, 2], m[:, 2, 2]], 1)

    f6, f3 = _tile_features(tile)
    disc = _rows_matmul(six(T), f6.T)  # [pairs, tile * tile]
    # Only the entries whose ray meets the quadric (about a fifth) need the roots: work on those, flattened.
    met = np.flatnonzero(disc >= 0.0)
    pair = met // (tile * tile)
    root = np.sqrt(disc.ravel()[met])
    qa = _rows_matmul(six(S), f6.T).ravel()[met]
    qb = _rows_matmul(w, f3.T).ravel()[met]
    with np.errstate(invalid="ignore", divide="ignore"):
        near_root = (qb - root) / qa
        # Ellipsoids: the nearer root is where the ray enters.
        z = np.where(near_root > _NEAR, near_root, np.inf)
        cone = np.flatnonzero(layout.kind[vi[pair]] == _CONE)
        if len(cone):
            # Cones: the surface is a double cone clipped to 0 <= q2 <= L, so either root may be the visible one,
            # and each counts only inside the clip range. Caps cover the open ends.
            pc, pixel = pair[cone], met[cone] % (tile * tile)
            axial = Dp[pc, 2, 0] * f3[pixel, 0] + Dp[pc, 2, 1] * f3[pixel, 1] + Dp[pc, 2, 2]
            e2, length = ep[pc, 2], layout.length[vi[pc]]
            best = np.full(len(cone), np.inf)
            for zc in (near_root[cone], (qb[cone] + root[cone]) / qa[cone]):
                q2 = zc * axial - e2
                ok = (zc > _NEAR) & (q2 >= 0.0) & (q2 <= length)
                best = np.minimum(best, np.where(ok, zc, np.inf))
            z[cone] = best
    # Positive float64 bit patterns sort like the floats (inf above them all), so one int64 key carries (depth,
    # volume) through a min: the depth's bits with the 8 lowest mantissa bits (2^-44 relative) holding the volume.
    # Entries that miss get the background key (inf, volume 255). The keys reuse the discriminant's memory.
    background = np.array(np.inf).view(np.int64) | 255
    keys = disc.view(np.int64)
    keys.fill(background)
    keys.ravel()[met] = (z.view(np.int64) & ~np.int64(255)) | vi[pair]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else np.zeros(0, np.int64)
    buffer = np.full((B * n_tiles * n_tiles, tile * tile), background, dtype=np.int64)
    if len(group):
        buffer[group[starts]] = np.minimum.reduceat(keys, starts, axis=0)
    buffer = buffer.reshape(B, n_tiles, n_tiles, tile, tile).transpose(0, 1, 3, 2, 4)
    buffer = buffer.reshape(B, n_tiles * tile, n_tiles * tile)[:, :size, :size]
    depth = (buffer & ~np.int64(255)).view(np.float64)
    volume = (buffer & 255).astype(np.int16)
    volume[~np.isfinite(depth)] = -1  # misses, and pixels whose only hits lie behind the near plane
    return RayHits(depth=depth, volume=volume, supersample=supersample)


def surface_normals(bodies: PosedBodies, cameras: Cameras, hits: RayHits, index) -> np.ndarray:
    """World-frame unit normals [M, 3] of the hit surfaces at supersampled pixels `index` = (b, row, col) arrays."""
    layout = body_layout()
    b, row, col = index
    vol = hits.volume[b, row, col].astype(np.int64)
    s = hits.supersample
    p = np.stack([(col + 0.5) / s - 0.5, (row + 0.5) / s - 0.5, np.ones(len(col))], axis=1)
    D, e, _ = _ray_coefficients(bodies, cameras)
    z = hits.depth[b, row, col].astype(np.float64)
    q = z[:, None] * np.einsum("mij,mj->mi", D[b, vol], p) - e[b, vol]
    grad = q.copy()
    grad[:, 2] = layout.a2[vol] * q[:, 2] + layout.g2[vol]
    n = np.einsum("mji,mj->mi", bodies.to_local[b, vol], grad)
    return n / _norm(n)[:, None]


# ----------------------------------------------------------------------------------------------------------------
# Appearance: clothes, light, floor and backdrop, drawn per image
# ----------------------------------------------------------------------------------------------------------------

# sRGB-ish display values in [0, 1]; the palette spans light to dark skin and common hair colours.
_SKIN_TONES = np.array([[0.96, 0.80, 0.69], [0.92, 0.72, 0.58], [0.84, 0.62, 0.47], [0.72, 0.51, 0.36],
                        [0.55, 0.37, 0.25], [0.40, 0.26, 0.17], [0.30, 0.19, 0.12]])
_HAIR_COLOURS = np.array([[0.06, 0.05, 0.05], [0.20, 0.13, 0.08], [0.38, 0.25, 0.14], [0.72, 0.58, 0.35],
                          [0.55, 0.55, 0.55], [0.50, 0.22, 0.10], [0.85, 0.83, 0.80]])


def _hsv(rng: np.random.Generator, n: int, sat: tuple[float, float], val: tuple[float, float]) -> np.ndarray:
    from matplotlib.colors import hsv_to_rgb

    return hsv_to_rgb(np.stack([rng.uniform(0, 1, n), rng.uniform(*sat, n), rng.uniform(*val, n)], axis=1))


def _sample_appearance(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Per-image random clothing, skin, hair, light, floor, backdrop and noise parameters (arrays of length n)."""
    app = {}
    skin = _SKIN_TONES[rng.integers(len(_SKIN_TONES), size=n)] * rng.uniform(0.93, 1.07, (n, 1))
    hair = _HAIR_COLOURS[rng.integers(len(_HAIR_COLOURS), size=n)] * rng.uniform(0.85, 1.15, (n, 1))
    top = _hsv(rng, n, (0.1, 0.85), (0.3, 0.95))
    bottom = _hsv(rng, n, (0.05, 0.7), (0.12, 0.8))
    shoes = _hsv(rng, n, (0.0, 0.5), (0.06, 0.6))
    app["materials"] = np.clip(np.stack([skin, hair, top, bottom, shoes], axis=1), 0, 1)  # [n, 5, 3]
    short_sleeves = rng.random(n) < 0.4
    shorts = rng.random(n) < 0.25
    part_material = np.tile(np.array([0, 1, 2, 3, 4, 2, 3]), (n, 1))  # PARTS -> MATERIALS
    part_material[short_sleeves, PARTS.index("forearm")] = 0
    part_material[shorts, PARTS.index("shin")] = 0
    app["part_material"] = part_material
    azimuth, elevation = rng.uniform(0, 2 * np.pi, n), np.deg2rad(rng.uniform(20, 75, n))
    app["light_dir"] = np.stack([np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth),
                                 np.sin(elevation)], axis=1)
    app["light_tint"] = rng.uniform(0.9, 1.1, (n, 3))
    app["ambient"] = rng.uniform(0.3, 0.5, n)
    app["diffuse"] = rng.uniform(0.55, 0.85, n)
    app["sky_top"] = _hsv(rng, n, (0.0, 0.5), (0.45, 1.0))
    app["sky_horizon"] = _hsv(rng, n, (0.0, 0.4), (0.35, 0.95))
    app["floor_a"] = _hsv(rng, n, (0.0, 0.6), (0.3, 0.9))
    app["floor_b"] = np.where(rng.random((n, 1)) < 0.5, app["floor_a"] * rng.uniform(0.45, 0.8, (n, 1)),
                              _hsv(rng, n, (0.0, 0.6), (0.2, 0.8)))
    app["checker"] = rng.random(n) < 0.5  # else waves
    app["cell"] = rng.uniform(0.25, 0.9, n)  # checker cell size, metres
    angle = rng.uniform(0, np.pi, n)
    app["floor_axes"] = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    app["floor_shift"] = rng.uniform(-1, 1, (n, 2))
    wave_angle = rng.uniform(0, 2 * np.pi, (n, 4))
    wave_freq = rng.uniform(0.8, 6.0, (n, 4))  # cycles per metre
    app["wave_vec"] = 2 * np.pi * wave_freq[..., None] * np.stack([np.cos(wave_angle), np.sin(wave_angle)], -1)
    app["wave_phase"] = rng.uniform(0, 2 * np.pi, (n, 4))
    app["wave_amp"] = rng.uniform(0.2, 1.0, (n, 4))
    app["fog"] = rng.uniform(2.5, 8.0, n)  # metres from the body over which the floor fades to the horizon
    app["noise_sigma"] = rng.uniform(0.0, 0.025, n)
    app["noise_seed"] = rng.integers(0, 2 ** 63, n)
    return app


def _chunk(app: dict, index) -> dict:
    return {k: v[index] for k, v in app.items()}


# ----------------------------------------------------------------------------------------------------------------
# Shading and composition
# ----------------------------------------------------------------------------------------------------------------

def _pixel_rays(cameras: Cameras, supersample: int) -> np.ndarray:
    """World ray directions [B, P, 3] (camera-z component 1, so a ray parameter is a camera depth) of the
    supersampled pixel centres, row-major: M (u, v, 1) with M = R^T K^-1, written out as u M_0 + v M_1 + M_2 in
    element-wise float64 operations (no summation order left to a BLAS kernel)."""
    size = cameras.image_size * supersample
    coords = (np.arange(size) + 0.5) / supersample - 0.5
    to_world = np.swapaxes(cameras.R, 1, 2) @ np.linalg.inv(cameras.K)  # [B, 3, 3]
    u_part = coords * to_world[:, :, 0, None]  # [B, 3, S]
    v_part = coords * to_world[:, :, 1, None] + to_world[:, :, 2, None]
    rays = np.empty((len(to_world), size, size, 3))
    for c in range(3):  # one component at a time: long inner loops
        np.add(u_part[:, c, None, :], v_part[:, c, :, None], out=rays[..., c])
    return rays.reshape(len(to_world), size * size, 3)


def _norm(x: np.ndarray) -> np.ndarray:
    """Euclidean norm over the last axis (einsum: much faster than a reduce over a length-3 axis)."""
    return np.sqrt(np.einsum("...i,...i->...", x, x))


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _backdrop(rays: np.ndarray, app: dict) -> np.ndarray:
    """Gradient backdrop colours [B, P, 3]: horizon colour below the horizon, blending to the top colour above."""
    blend = _smoothstep((rays[..., 2] / _norm(rays) + 0.05) / 0.7)  # [B, P]
    horizon, step = app["sky_horizon"], app["sky_top"] - app["sky_horizon"]
    colour = np.empty(blend.shape + (3,))
    for c in range(3):  # one channel at a time: long inner loops
        np.multiply(blend, step[:, c, None], out=colour[..., c])
        colour[..., c] += horizon[:, c, None]
    return colour


def _floor_depth(cameras: Cameras, rays: np.ndarray, floor_z: np.ndarray) -> np.ndarray:
    """Camera depths [B, P] where the pixel rays meet the floor plane z = floor_z; inf where they do not (rays
    going up, or the camera under the floor)."""
    height = (cameras.centre[:, 2] - floor_z)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = -height / rays[..., 2]
    return np.where((height > 0) & (rays[..., 2] < 0), z, np.inf)


# Taylor coefficients of sin(r) / r in powers of r^2, to r^12: the error is below 7e-10 for |r| <= pi / 2.
_SIN_TAYLOR = tuple((-1) ** k / math.factorial(2 * k + 1) for k in range(7))


def _sin(x: np.ndarray, piece: int = 8192) -> np.ndarray:
    """sin(x) of a float64 array from correctly rounded operations only (multiply, add, rint, floor), so the same
    bits on every CPU and C library, unlike np.sin. x = n pi + r with |r| <= pi / 2 and sin x = (-1)^n sin r, with
    sin r from its Taylor series (error below 1e-9, far under a colour step of 1/255). Evaluated in pieces that stay
    in cache, it is also about three times faster than np.sin on float64 (numpy 2.4, x86)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(x)
    flat_x, flat_out = x.reshape(-1), out.reshape(-1)
    for start in range(0, len(flat_x), piece):
        xs = flat_x[start:start + piece]
        n = np.rint(xs * (1.0 / np.pi))
        r = n * -np.pi
        r += xs
        r2 = r * r
        p = flat_out[start:start + piece]
        np.multiply(r2, _SIN_TAYLOR[-1], out=p)
        for c in _SIN_TAYLOR[-2:0:-1]:
            p += c
            p *= r2
        p += _SIN_TAYLOR[0]
        p *= r
        # (-1)^n = 1 - 4 (n / 2 - floor(n / 2)), exact for the integers n
        n *= 0.5
        r2 = np.floor(n, out=r2)
        n -= r2
        n *= -4.0
        n += 1.0
        p *= n
    return out


def _floor_colours(cameras: Cameras, rays: np.ndarray, depth: np.ndarray, i: int, app: dict) -> np.ndarray:
    """Colours [M, 3] of floor points of image i seen along rays [M, 3] at camera depths [M]. Written per
    coordinate and channel: numpy's loops over a last axis of length 2 or 3 are several times slower."""
    rx, ry, rz = rays[:, 0], rays[:, 1], rays[:, 2]
    x, y = depth * rx + cameras.centre[i, 0], depth * ry + cameras.centre[i, 1]
    ray_len2 = rx * rx + ry * ry + rz * rz
    # Metres per (low-res) pixel on the floor: patterns finer than that fade out (a cheap anti-aliasing).
    footprint = np.maximum(depth * ray_len2 / (cameras.K[i, 0, 0] * np.maximum(-rz, 0.05 * np.sqrt(ray_len2))),
                           1e-4)
    if app["checker"][i]:
        (ca, sa), (dx, dy), cell = app["floor_axes"][i], app["floor_shift"][i], app["cell"][i]
        k = np.pi / cell
        wave = _sin((x * ca + y * sa + dx) * k) * _sin((y * ca - x * sa + dy) * k)
        # A linear ramp about one pixel wide across each cell edge (sin ~ k * distance to the edge there).
        pattern = np.clip(0.5 + wave / (k * footprint), 0.0, 1.0)
    else:  # four plane waves [4, M], each faded out where it is finer than a pixel
        vec, amp = app["wave_vec"][i], app["wave_amp"][i]
        phase = vec[:, 0, None] * x + vec[:, 1, None] * y + app["wave_phase"][i][:, None]
        amp = amp[:, None] * np.exp(-np.square(np.sqrt(vec[:, 0] ** 2 + vec[:, 1] ** 2)[:, None] * footprint))
        pattern = 0.5 + 0.5 * (amp * _sin(phase)).sum(0) / app["wave_amp"][i].sum()
    colour_a, colour_b = app["floor_a"][i], app["floor_b"][i]
    light = (app["ambient"][i] + app["diffuse"][i] * max(app["light_dir"][i, 2], 0)) * app["light_tint"][i]
    # Lit colour a + (b - a) pattern, faded into the horizon colour away from the body (so the floor meets the
    # backdrop without a hard line): horizon + keep (lit - horizon) with keep = exp(-(distance - 1 m) / fog).
    keep = np.exp(-np.maximum(np.sqrt(x * x + y * y) - 1.0, 0.0) / app["fog"][i])
    keep_pattern = keep * pattern
    horizon = app["sky_horizon"][i]
    base, contrast = colour_a * light - horizon, (colour_b - colour_a) * light
    out = np.empty((len(depth), 3))
    for c in range(3):
        channel = np.multiply(keep, base[c], out=out[:, c])
        channel += keep_pattern * contrast[c]
        channel += horizon[c]
    return out


def _shade_bodies(bodies: PosedBodies, cameras: Cameras, hits: RayHits, rays: np.ndarray, app: dict, index):
    """Colours [M, 3] of the body surface at supersampled pixels `index` = (b, row, col)."""
    layout = body_layout()
    b, row, col = index
    n = surface_normals(bodies, cameras, hits, index)
    size = hits.depth.shape[-1]
    view = -rays[b, row * size + col]
    view /= _norm(view)[:, None]
    vol = hits.volume[b, row, col].astype(np.int64)
    material = app["part_material"][b, layout.part[vol]]
    albedo = app["materials"][b, material]
    diffuse = np.maximum(np.einsum("mi,mi->m", n, app["light_dir"][b]), 0.0)
    light = app["ambient"][b] * (0.7 + 0.3 * n[:, 2]) + app["diffuse"][b] * diffuse
    # Darken grazing surfaces so overlapping limbs of one colour stay distinct.
    facing = 0.6 + 0.4 * np.abs(np.einsum("mi,mi->m", n, view))
    return albedo * app["light_tint"][b] * (light * facing)[:, None]


@dataclass(frozen=True)
class RenderBatch:
    """Rendered images and their cameras (OpenCV convention, world = AMASS z-up frame of `SkeletonBody`)."""

    images: np.ndarray  # uint8 [B, S, S, 3] RGB
    # float64, as computed: whoever stores them rounds them once (the world build snaps them, canonical.py)
    K: np.ndarray  # float64 [B, 3, 3] intrinsics, pixels
    R: np.ndarray  # float64 [B, 3, 3] world -> camera
    t: np.ndarray  # float64 [B, 3] world -> camera, metres
    keypoints_2d: np.ndarray  # float64 [B, 22, 2] pixel coordinates of the SMPL body joints
    visible: np.ndarray  # bool [B, 22] in the frame and not hidden behind another body part
    yaw: np.ndarray  # float64 [B] camera azimuth (radians, see camera.py)
    masks: np.ndarray  # bool [B, S, S] body silhouette (at least half of a pixel's samples hit the body)

    def __len__(self) -> int:
        return len(self.images)


# A joint counts as seen when the surface at its pixel belongs to a volume containing it (its own limb); the margin
# is in the volume's normalised quadric units (about 10% of its radius) and metres along a capsule's axis.
_CONTAIN_MARGIN, _AXIAL_MARGIN, _DEPTH_TOLERANCE = 0.2, 0.02, 0.02


def _visibility(bodies: PosedBodies, hits: RayHits, uv: np.ndarray, depth: np.ndarray, size: int) -> np.ndarray:
    layout = body_layout()
    s = hits.supersample
    in_frame = (uv >= -0.5).all(axis=2) & (uv <= size - 0.5).all(axis=2) & (depth > _NEAR)
    idx = np.clip(np.rint((np.nan_to_num(uv) + 0.5) * s - 0.5), 0, size * s - 1).astype(np.int64)
    b = np.arange(len(uv))[:, None]
    vol = hits.volume[b, idx[..., 1], idx[..., 0]].astype(np.int64)  # [B, 22]
    seen_depth = hits.depth[b, idx[..., 1], idx[..., 0]]
    f, q2 = _quadric_value(bodies, bodies.joints)
    inside = (f <= _CONTAIN_MARGIN) & ((layout.kind == _ELLIPSOID)
                                       | ((q2 >= -_AXIAL_MARGIN) & (q2 <= layout.length + _AXIAL_MARGIN)))
    own = np.take_along_axis(inside, np.maximum(vol, 0)[..., None], axis=2)[..., 0]
    unoccluded = (vol < 0) | own | (seen_depth >= depth - _DEPTH_TOLERANCE)
    return in_frame & unoccluded


def _render_chunk(bodies: PosedBodies, cameras: Cameras, floor_z: np.ndarray, app: dict, supersample: int,
                  noise: bool):
    """Images uint8 [b, S, S, 3], masks [b, S, S] and the supersampled ray hits of one chunk of bodies."""
    size, s = cameras.image_size, supersample
    hits = raycast(bodies, cameras, supersample=s)
    rays = _pixel_rays(cameras, s)
    colour = _backdrop(rays, app)
    floor_depth = _floor_depth(cameras, rays, floor_z)
    body_depth = hits.depth.reshape(len(colour), -1)
    body = body_depth < floor_depth
    floor = ~body & np.isfinite(floor_depth)
    for i in range(len(colour)):
        fp = np.flatnonzero(floor[i])
        colour[i, fp] = _floor_colours(cameras, rays[i, fp], floor_depth[i, fp], i, app)
    index = np.nonzero(body.reshape(hits.depth.shape))
    colour[body] = _shade_bodies(bodies, cameras, hits, rays, app, index)
    if s > 1:
        image = colour.reshape(-1, size, s, size, s, 3).mean(axis=(2, 4))
        masks = body.reshape(-1, size, s, size, s).mean(axis=(2, 4)) >= 0.5
    else:
        image, masks = colour.reshape(-1, size, size, 3), body.reshape(-1, size, size)
    if noise:
        for i in range(len(image)):  # one small generator per image keeps images independent of chunking
            gen = np.random.default_rng(int(app["noise_seed"][i]))
            # uniform noise of standard deviation sigma: cheaper to draw than Gaussian and looks the same (float32
            # draws are exact in float64 and need half the random bits)
            half_width = np.sqrt(3.0) * app["noise_sigma"][i]
            image[i] += gen.random(image[i].shape, dtype=np.float32) * (2 * half_width) - half_width
    # The one quantisation of the colours: float64 -> uint8, rounding half up.
    image *= 255.0
    image += 0.5
    images = np.clip(image, 0, 255, out=image).astype(np.uint8)
    return images, masks, hits


def _as_numpy(poses) -> np.ndarray:
    return poses.detach().cpu().numpy() if isinstance(poses, torch.Tensor) else np.asarray(poses)


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed {seed!r} is not a non-negative integer", field="seed")
    return int(seed)


def render_poses(poses, seed: int, image_size: int = 128, *, cameras: Cameras | None = None,
                 camera_ranges: CameraRanges = CameraRanges(), supersample: int = 1, noise: bool = True,
                 progress: bool | None = None, chunk_size: int | None = None) -> RenderBatch:
    """Render axis-angle poses [B, 22|52, 3] (AMASS z-up root orientation) as person-crop images.

    Every random choice (camera unless `cameras` is given, clothing, light, floor, backdrop, noise) comes from one
    `np.random.default_rng(seed)`, so the same inputs and seed give the same bytes, independent of `chunk_size`.
    `supersample` s casts s x s rays per pixel and averages them (anti-aliasing, about s^2 times the cost).
    A progress bar shows for batches of 256 images or more unless `progress` says otherwise.
    """
    from tqdm.auto import tqdm

    poses = _as_numpy(check_poses(poses, field="poses"))
    image_size = check_image_size(image_size)
    seed = _check_seed(seed)
    if isinstance(supersample, bool) or supersample not in (1, 2, 3, 4):
        raise InputError(f"supersample {supersample!r} is not 1, 2, 3 or 4", field="supersample")
    B = len(poses)
    rng = np.random.default_rng(seed)
    bodies = pose_bodies(poses)
    floor_z = bodies.floor_height()
    if cameras is None:
        params = sample_camera_parameters(rng, B, camera_ranges)
        cameras = fit_cameras(bodies.bound_centres, bodies.bound_shapes, image_size=image_size, floor_z=floor_z,
                              min_height_above_floor=camera_ranges.min_height_above_floor, **params)
    elif len(cameras) != B or cameras.image_size != image_size:
        raise InputError(f"{len(cameras)} cameras of {cameras.image_size} px for {B} poses of {image_size} px",
                         field="cameras", hint="pass one camera per pose, made for the same image_size")
    app = _sample_appearance(rng, B)
    uv, depth = project(bodies.joints, cameras.K, cameras.R, cameras.t)
    if chunk_size is None:
        chunk_size = max(1, 2 ** 17 // (image_size * supersample) ** 2)
    images = np.empty((B, image_size, image_size, 3), np.uint8)
    masks = np.empty((B, image_size, image_size), bool)
    visible = np.empty((B, len(SMPL_BODY_22)), bool)
    show = B >= 256 if progress is None else progress
    with tqdm(total=B, unit="img", desc="rendering", disable=not show) as bar:
        for start in range(0, B, chunk_size):
            idx = np.arange(start, min(start + chunk_size, B))
            sub_bodies, sub_cams = bodies[idx], cameras[idx]
            images[idx], masks[idx], hits = _render_chunk(sub_bodies, sub_cams, floor_z[idx], _chunk(app, idx),
                                                          supersample, noise)
            visible[idx] = _visibility(sub_bodies, hits, uv[idx], depth[idx], image_size)
            bar.update(len(idx))
    return RenderBatch(images=images, K=cameras.K, R=cameras.R, t=cameras.t, keypoints_2d=uv, visible=visible,
                       yaw=cameras.yaw, masks=masks)


def camera_pose_in_camera_frame(poses, R) -> np.ndarray:
    """Poses [B, 22|52, 3] with the root orientation expressed in the camera frame (R_cam @ R_root), the ground
    truth of image -> pose; `R` [B, 3, 3] are the world -> camera rotations of `RenderBatch`."""
    poses = _as_numpy(check_poses(poses, field="poses"))
    R = np.asarray(R, dtype=np.float64)
    hint = "one world -> camera rotation per pose, e.g. RenderBatch.R"
    if R.shape != (len(poses), 3, 3) or not np.isfinite(R).all():
        raise InputError(f"shape {list(R.shape)} is not [{len(poses)}, 3, 3] finite values", field="R", hint=hint)
    error = np.abs(R @ np.swapaxes(R, 1, 2) - np.eye(3)).max(axis=(1, 2)) + np.abs(np.linalg.det(R) - 1.0)
    if (error > 1e-3).any():
        raise InputError("is not a rotation matrix", row=int(np.flatnonzero(error > 1e-3)[0]), field="R", hint=hint)
    return rotate_root(poses.astype(np.float64), R).astype(poses.dtype)
