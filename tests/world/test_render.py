import hashlib

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from benchmark.body.joints import SMPL_BODY_22
from benchmark.body.skeleton import SkeletonBody
from benchmark.errors import InputError
from datasets_build.world.camera import orbit_cameras
from datasets_build.world.canonical import snap
from datasets_build.world.render import (RenderBatch, _sin, body_layout, camera_pose_in_camera_frame, pose_bodies,
                                         raycast, render_poses, surface_normals)
from datasets_build.world.render_perf import benchmark_poses
from tests.world.conftest import run_as_other_cpu

J = SMPL_BODY_22.index
UPRIGHT = Rotation.from_rotvec([np.pi / 2, 0.0, 0.0])  # faces -y, z up (heading-normalised, AMASS frame)


def make_pose(heading_deg=0.0, **joints):
    """A pose from local rotations given as lists of (axis, degrees) in SMPL's canonical frame (y up, +x = left)."""
    pose = np.zeros((22, 3))
    pose[0] = (Rotation.from_euler("z", heading_deg, degrees=True) * UPRIGHT).as_rotvec()
    for name, spec in joints.items():
        rot = Rotation.identity()
        for axis, deg in spec:
            rot = Rotation.from_euler(axis, deg, degrees=True) * rot
        pose[J(name)] = rot.as_rotvec()
    return pose.astype(np.float32)


ARMS_DOWN = make_pose(left_shoulder=[("z", -70)], right_shoulder=[("z", 70)])
LEFT_ARM_UP = make_pose(left_shoulder=[("z", 75)], right_shoulder=[("z", 70)])


def varied_poses():
    return np.stack([
        ARMS_DOWN,
        make_pose(),  # T-pose
        LEFT_ARM_UP,
        make_pose(30, left_hip=[("x", -80)], left_knee=[("x", 80)], right_hip=[("x", 20)],
                  left_shoulder=[("z", -60)], right_shoulder=[("z", 60)]),  # lunge
        make_pose(-50, left_hip=[("x", -90)], right_hip=[("x", -90)], left_knee=[("x", 90)],
                  right_knee=[("x", 90)], left_elbow=[("y", -60)], right_elbow=[("y", 60)]),  # sitting
        make_pose(120, left_knee=[("x", 90)], right_knee=[("x", 90)]),  # kneeling
        make_pose(spine1=[("x", 40)], spine2=[("x", 30)], left_shoulder=[("z", -80)],
                  right_shoulder=[("z", 80)]),  # bending forward
    ])


def front_camera(yaw_deg=0.0, distance=4.0, focal=150.0, size=96, elevation_deg=5.0):
    return orbit_cameras([[0.0, 0.0, -0.06]], np.deg2rad(yaw_deg), np.deg2rad(elevation_deg), distance, focal, size)


def render_with(pose, cameras, seed=0):
    poses = np.repeat(pose[None], len(cameras), 0) if pose.ndim == 2 else pose
    return render_poses(poses, seed, cameras.image_size, cameras=cameras, noise=False)


def cat_cameras(*cams):
    from datasets_build.world.camera import Cameras

    return Cameras(np.concatenate([c.K for c in cams]), np.concatenate([c.R for c in cams]),
                   np.concatenate([c.t for c in cams]), cams[0].image_size)


@pytest.fixture(scope="module")
def batch() -> RenderBatch:
    return render_poses(varied_poses(), seed=7, image_size=64)


def test_shapes_and_dtypes(batch):
    B = 7
    assert batch.images.shape == (B, 64, 64, 3) and batch.images.dtype == np.uint8
    assert batch.K.shape == (B, 3, 3) and batch.R.shape == (B, 3, 3) and batch.t.shape == (B, 3)
    assert batch.keypoints_2d.shape == (B, 22, 2) and batch.keypoints_2d.dtype == np.float64
    assert batch.visible.shape == (B, 22) and batch.visible.dtype == bool
    assert batch.yaw.shape == (B,) and batch.masks.shape == (B, 64, 64)
    for a in (batch.K, batch.R, batch.t, batch.yaw):  # float64: the build snaps them once when it stores them
        assert a.dtype == np.float64
    np.testing.assert_allclose(batch.R @ np.swapaxes(batch.R, 1, 2), np.broadcast_to(np.eye(3), (B, 3, 3)),
                               atol=1e-5)


def test_keypoints_are_the_projected_joints(batch):
    joints = SkeletonBody().joints(varied_poses()).astype(np.float64)
    for b in range(len(joints)):
        cam = joints[b] @ batch.R[b].T.astype(np.float64) + batch.t[b]
        pix = cam @ batch.K[b].T.astype(np.float64)
        np.testing.assert_allclose(batch.keypoints_2d[b], pix[:, :2] / pix[:, 2:], atol=2e-3)


def test_every_image_has_body_and_background_and_sees_the_whole_body(batch):
    assert batch.masks.any(axis=(1, 2)).all() and (~batch.masks).any(axis=(1, 2)).all()
    kp = batch.keypoints_2d
    assert ((kp >= -0.5) & (kp <= 63.5)).all()  # a person crop keeps every joint in the frame
    # the body fills most of the frame along its longer side
    rows, cols = batch.masks.any(axis=2), batch.masks.any(axis=1)
    extent = np.maximum(rows.sum(1), cols.sum(1))
    assert (extent >= 0.65 * 64).all() and (extent <= 64).all()
    # colour varies: the images are not flat
    assert (batch.images.reshape(7, -1, 3).std(axis=1) > 5).all()


def test_visible_pelvis_lands_on_a_body_pixel(batch):
    for b in range(len(batch)):
        if batch.visible[b, 0]:
            u, v = np.rint(batch.keypoints_2d[b, 0]).astype(int)
            assert batch.masks[b, v, u]
    assert batch.visible[:, 0].sum() >= 5


def test_same_seed_same_bytes_other_seed_differs():
    poses = varied_poses()[:3]
    a = render_poses(poses, seed=11, image_size=48)
    b = render_poses(poses, seed=11, image_size=48, chunk_size=1)
    c = render_poses(poses, seed=12, image_size=48)
    assert a.images.tobytes() == b.images.tobytes()
    for f in ("K", "R", "t", "keypoints_2d", "visible", "yaw", "masks"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert a.images.tobytes() != c.images.tobytes()
    assert not np.allclose(a.yaw, c.yaw)


def test_half_turn_mirrors_the_silhouette():
    cams = cat_cameras(front_camera(0.0), front_camera(180.0))
    out = render_with(ARMS_DOWN, cams)
    front, back = out.masks[0], out.masks[1][:, ::-1]
    iou = (front & back).sum() / (front | back).sum()
    assert iou > 0.9
    # and the views are not trivially identical images (front and back look different)
    assert np.abs(out.images[0].astype(int) - out.images[1][:, ::-1].astype(int)).mean() > 1.0


def test_left_is_on_the_image_right_in_a_front_view():
    out = render_with(LEFT_ARM_UP, front_camera(0.0))
    cx = (out.images.shape[2] - 1) / 2
    assert out.keypoints_2d[0, J("left_wrist"), 0] > cx > out.keypoints_2d[0, J("right_wrist"), 0]
    # the raised (left) arm: body pixels above the head, on the right half
    head_v = out.keypoints_2d[0, J("head"), 1]
    above = out.masks[0, : int(head_v) - 8]
    assert above[:, int(cx) + 1:].sum() > 10 and above[:, : int(cx)].sum() == 0


def test_raised_arm_changes_pixels_above_the_head():
    cams = cat_cameras(front_camera(30.0), front_camera(30.0))
    out = render_with(np.stack([ARMS_DOWN, LEFT_ARM_UP]), cams)
    down, up = out.masks
    top_row = np.flatnonzero(down.any(axis=1))[0]  # the top of the head with the arms down
    assert up[:top_row].sum() > 10
    assert (out.images[1, :top_row] != out.images[0, :top_row]).any(axis=-1).sum() > 10
    # the legs did not move
    bottom = slice(int(out.keypoints_2d[0, J("left_knee"), 1]), None)
    assert (down[bottom] == up[bottom]).mean() > 0.99


def test_silhouette_grows_as_the_camera_comes_closer():
    cams = cat_cameras(*(front_camera(20.0, distance=d, focal=120.0) for d in (7.0, 5.0, 3.5)))
    out = render_with(ARMS_DOWN, cams)
    heights = np.array([np.ptp(np.flatnonzero(m.any(axis=1))) + 1 for m in out.masks])
    assert heights[0] < heights[1] < heights[2]
    # roughly like 1 / distance
    assert heights[2] / heights[0] == pytest.approx(7.0 / 3.5, rel=0.15)


def test_occluded_and_out_of_frame_joints_are_not_visible():
    # seen from the body's left side (+x), the left wrist is in view and the right wrist is behind the body
    left_side = render_with(ARMS_DOWN, front_camera(90.0))
    assert left_side.visible[0, J("left_wrist")] and not left_side.visible[0, J("right_wrist")]
    right_side = render_with(ARMS_DOWN, front_camera(270.0))
    assert right_side.visible[0, J("right_wrist")] and not right_side.visible[0, J("left_wrist")]
    # a close-up of the upper body leaves the feet out of the frame
    close = orbit_cameras([[0.0, 0.0, 0.4]], 0.0, 0.0, 1.5, 120.0, 64)
    out = render_with(ARMS_DOWN, close)
    for name in ("left_ankle", "right_ankle", "left_foot", "right_foot"):
        assert out.keypoints_2d[0, J(name), 1] > 63.5 and not out.visible[0, J(name)]
    assert out.visible[0, J("head")] and out.visible[0, J("neck")]


def test_volumes_follow_the_kinematic_chain():
    rng = np.random.default_rng(3)
    poses = rng.normal(scale=0.4, size=(4, 22, 3)).astype(np.float32)
    bodies = pose_bodies(poses)
    joints = SkeletonBody().joints(poses).astype(np.float64)
    np.testing.assert_allclose(bodies.joints, joints, atol=1e-5)
    layout = body_layout()
    names = layout.names
    # a capsule starts at its joint and its axis (local z, unscaled) reaches the next joint
    for seg, j0, j1 in (("left_thigh", "left_hip", "left_knee"), ("right_forearm", "right_elbow", "right_wrist"),
                        ("neck", "neck", "head"), ("chest", "spine2", "spine3")):
        n = names.index(seg)
        axis = bodies.to_local[:, n, 2]
        np.testing.assert_allclose(bodies.origin[:, n], joints[:, J(j0)], atol=1e-5)
        np.testing.assert_allclose(bodies.origin[:, n] + layout.length[n] * axis, joints[:, J(j1)], atol=1e-5)
    # the head ellipsoid turns with the head's global rotation, composed here with scipy along the chain
    from benchmark.body.skeleton import skeleton_data

    data = skeleton_data()
    offset = np.asarray(data["head"]["center_offset"])
    for b in range(4):
        g = Rotation.identity()
        for j in (0, 3, 6, 9, 12, 15):
            g = g * Rotation.from_rotvec(poses[b, j].astype(np.float64))
        np.testing.assert_allclose(bodies.origin[b, names.index("head")], joints[b, J("head")] + g.apply(offset),
                                   atol=1e-5)
        np.testing.assert_allclose(bodies.global_rotations[b, 15], g.as_matrix(), atol=1e-6)


def _inside_any(bodies, points):
    """Brute force: is each world point [B, P, 3] inside any volume (written out from the volume definitions)."""
    layout = body_layout()
    q = np.einsum("bnij,bpnj->bpni", bodies.to_local, points[:, :, None] - bodies.origin[:, None])
    cross = q[..., 0] ** 2 + q[..., 1] ** 2
    # a cone's cross-section radius scales as 1 + s q2 along its axis, with s = -g2
    cone_in = (cross <= (1.0 - layout.g2 * q[..., 2]) ** 2) & (q[..., 2] >= 0) & (q[..., 2] <= layout.length)
    ellipsoid_in = cross + q[..., 2] ** 2 <= 1.0
    inside = np.where(layout.kind == 1, cone_in, ellipsoid_in)
    return inside.any(axis=2)


def test_ray_casting_matches_brute_force_marching():
    size, step = 28, 0.004
    pose = varied_poses()[3:4]
    cams = orbit_cameras([[0.0, 0.0, -0.1]], np.deg2rad(35.0), np.deg2rad(15.0), 3.2, 60.0, size)
    bodies = pose_bodies(pose)
    hits = raycast(bodies, cams)
    # march every pixel ray from the camera through the body's depth range
    v, u = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    pix = np.stack([u.ravel(), v.ravel(), np.ones(u.size)], axis=1)
    rays = pix @ np.linalg.inv(cams.K[0]).T @ cams.R[0]  # world directions with camera-z = 1
    depths = np.arange(2.0, 4.4, step)
    first = np.full(len(pix), np.inf)
    for chunk in np.array_split(np.arange(len(depths)), 12):
        pts = cams.centre[0] + depths[chunk, None, None] * rays[None]  # [D, P, 3]
        inside = _inside_any(bodies, pts.reshape(1, -1, 3)).reshape(len(chunk), -1)
        hit_here = inside.any(axis=0) & np.isinf(first)
        first[hit_here] = depths[chunk][inside[:, hit_here].argmax(axis=0)]
    got = hits.depth[0].ravel()
    both = np.isfinite(first) & np.isfinite(got)
    assert both.sum() > 100
    # marching finds the first sample inside: at most one step behind the exact surface
    diff = first[both] - got[both]
    assert (diff >= -1e-4).all() and (diff <= step + 1e-4).all()
    # hit / miss agree except on the silhouette, where a thin sliver can fall between marching samples
    disagree = np.isfinite(first) != np.isfinite(got)
    assert disagree.sum() <= 0.02 * size * size


def test_normals_face_the_camera():
    cams = front_camera(60.0, size=48)
    bodies = pose_bodies(LEFT_ARM_UP[None])
    hits = raycast(bodies, cams, supersample=2)
    index = np.nonzero(hits.volume >= 0)
    n = surface_normals(bodies, cams, hits, index)
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1.0, atol=1e-6)
    b, row, col = index
    p = np.stack([(col + 0.5) / 2 - 0.5, (row + 0.5) / 2 - 0.5, np.ones(len(col))], axis=1)
    rays = p @ np.linalg.inv(cams.K[0]).T @ cams.R[0]
    assert (np.einsum("mi,mi->m", n, rays) < 0).mean() > 0.995


def test_supersampling_keeps_the_silhouette():
    cams = front_camera(45.0, size=64)
    one = render_poses(LEFT_ARM_UP[None], 0, 64, cameras=cams, supersample=1)
    two = render_poses(LEFT_ARM_UP[None], 0, 64, cameras=cams, supersample=2)
    iou = (one.masks & two.masks).sum() / (one.masks | two.masks).sum()
    assert iou > 0.9
    np.testing.assert_array_equal(one.keypoints_2d, two.keypoints_2d)


def test_works_at_224_and_with_smplh_poses_and_torch_input():
    poses52 = np.zeros((1, 52, 3), np.float32)
    poses52[:, :22] = ARMS_DOWN
    poses52[:, 22:] = 0.3  # fingers are ignored
    a = render_poses(poses52, 1, 224)
    b = render_poses(torch.from_numpy(ARMS_DOWN[None]), 1, 224)
    assert a.images.shape == (1, 224, 224, 3)
    assert a.images.tobytes() == b.images.tobytes()


def test_camera_pose_in_camera_frame_rotates_the_whole_body(batch):
    poses = varied_poses()
    cam_poses = camera_pose_in_camera_frame(poses, batch.R)
    assert cam_poses.shape == poses.shape and cam_poses.dtype == np.float32
    np.testing.assert_array_equal(cam_poses[:, 1:], poses[:, 1:])
    body = SkeletonBody()
    # joints of the camera-frame pose = world joints rotated into the camera (the pelvis stays at the origin)
    np.testing.assert_allclose(body.joints(cam_poses), np.einsum("bij,bnj->bni", batch.R, body.joints(poses)),
                               atol=1e-5)


def test_bad_input_raises_input_error():
    good = varied_poses()[:2]
    bad = good.copy()
    bad[1, 4, 0] = np.nan
    with pytest.raises(InputError, match="row 1"):
        render_poses(bad, 0)
    with pytest.raises(InputError, match="shape"):
        render_poses(good[:, :21], 0)
    with pytest.raises(InputError, match="shape"):
        render_poses(good[0], 0)
    with pytest.raises(InputError, match="dtype"):
        render_poses(good.astype(np.int64), 0)
    with pytest.raises(InputError, match="seed"):
        render_poses(good, -1)
    with pytest.raises(InputError, match="image_size"):
        render_poses(good, 0, image_size=7)
    with pytest.raises(InputError, match="supersample"):
        render_poses(good, 0, supersample=0)
    with pytest.raises(InputError, match="cameras"):
        render_poses(good, 0, 64, cameras=front_camera(size=64))
    with pytest.raises(InputError, match="'R'"):
        camera_pose_in_camera_frame(good, np.eye(3))


def test_noise_is_mild_and_independent_per_image():
    cams = cat_cameras(front_camera(10.0, size=48), front_camera(10.0, size=48))
    poses = np.stack([ARMS_DOWN, ARMS_DOWN])
    clean = render_poses(poses, 4, 48, cameras=cams, noise=False).images.astype(int)
    noisy = render_poses(poses, 4, 48, cameras=cams, noise=True).images.astype(int)
    residual = noisy - clean
    assert (np.abs(residual).reshape(2, -1).mean(axis=1) < 8).all()  # at most 2.5% of full range (std)
    assert np.abs(residual).max() <= np.ceil(np.sqrt(3) * 0.025 * 255) + 1
    # each image draws its own noise: the two residuals are uncorrelated
    assert abs(np.corrcoef(residual[0].ravel(), residual[1].ravel())[0, 1]) < 0.2


def test_sine_matches_numpy():
    x = np.concatenate([np.linspace(-20.0, 20.0, 20000), np.random.default_rng(0).uniform(-2e3, 2e3, 20000)])
    np.testing.assert_allclose(_sin(x), np.sin(x), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(_sin(np.array([0.0, -0.0])), [0.0, 0.0])
    assert _sin(x.reshape(4, -1)).shape == (4, 10000) and _sin(np.zeros(0)).shape == (0,)


_OUTPUTS = ("images", "keypoints_2d", "K", "R", "t", "visible", "yaw", "masks")
# The digests of what the build stores: pixels and masks as rendered, the float64 geometry snapped (canonical.snap)
_DIGEST_SCRIPT = """
import hashlib, sys
import numpy as np
from datasets_build.world.canonical import snap
from datasets_build.world.render import render_poses
out = render_poses(np.load(sys.argv[1]), 5, 128, progress=False)
for name in sys.argv[2:]:
    value = getattr(out, name)
    value = snap(value) if value.dtype == np.float64 else value
    print(name, hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest())
"""


def test_same_bytes_with_other_cpus_kernels(tmp_path):
    # 32 images at 128 px: the former float32 renderer flipped a few pixels here under these variables.
    poses = benchmark_poses(32, 0)
    np.save(tmp_path / "poses.npy", poses)
    run = run_as_other_cpu(_DIGEST_SCRIPT, str(tmp_path / "poses.npy"), *_OUTPUTS)  # see tests/world/conftest.py
    assert run.returncode == 0, run.stderr
    theirs = dict(line.split() for line in run.stdout.splitlines() if line.split()[:1] and line.split()[0] in _OUTPUTS)
    out = render_poses(poses, 5, 128, progress=False)
    stored = {name: getattr(out, name) for name in _OUTPUTS}
    stored = {name: snap(v) if v.dtype == np.float64 else v for name, v in stored.items()}
    ours = {name: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest() for name, v in stored.items()}
    assert theirs == ours, [name for name in _OUTPUTS if theirs.get(name) != ours[name]]
