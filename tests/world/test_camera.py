import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from benchmark.errors import InputError
from datasets_build.world.camera import (Cameras, CameraRanges, ellipsoid_bboxes, fit_cameras, intrinsics, look_at,
                                         orbit_cameras, project, sample_camera_parameters, union_bbox)


def _random_cameras(n, size=128, seed=0):
    rng = np.random.default_rng(seed)
    target = rng.normal(scale=0.3, size=(n, 3))
    return orbit_cameras(target, rng.uniform(0, 2 * np.pi, n), rng.uniform(-0.5, 0.8, n), rng.uniform(2, 6, n),
                         rng.uniform(100, 300, n), size, roll=rng.normal(scale=0.1, size=n))


def test_look_at_is_a_proper_opencv_camera():
    eye = np.array([[1.0, -3.0, 0.5], [0.2, 2.0, 1.5]])
    target = np.array([[0.0, 0.0, 0.0], [0.1, -0.3, 0.2]])
    R, t = look_at(eye, target)
    np.testing.assert_allclose(R @ np.swapaxes(R, 1, 2), np.broadcast_to(np.eye(3), R.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(R), 1.0, atol=1e-12)
    # the eye is the camera centre and the target lies on the optical axis (+z, in front)
    np.testing.assert_allclose(np.einsum("bij,bj->bi", R, eye) + t, 0.0, atol=1e-12)
    in_cam = np.einsum("bij,bj->bi", R, target) + t
    np.testing.assert_allclose(in_cam[:, :2], 0.0, atol=1e-12)
    np.testing.assert_allclose(in_cam[:, 2], np.linalg.norm(target - eye, axis=1))
    # world up points up in the image (negative y), and the camera's x axis is horizontal
    up_cam = R @ np.array([0.0, 0.0, 1.0])
    assert (up_cam[:, 1] < 0).all()
    np.testing.assert_allclose(R[:, 0, 2], 0.0, atol=1e-12)


def test_camera_right_is_forward_cross_up():
    # looking along +y with z up, the image's right is world +x (OpenCV: x right, y down)
    R, _ = look_at([[0.0, -5.0, 0.0]], [[0.0, 0.0, 0.0]])
    np.testing.assert_allclose(R[0], [[1, 0, 0], [0, 0, -1], [0, 1, 0]], atol=1e-12)


def test_positive_roll_turns_the_image_clockwise():
    K = intrinsics([100.0], 65)
    R0, t0 = look_at([[0.0, -5.0, 0.0]], [[0.0, 0.0, 0.0]])
    R1, t1 = look_at([[0.0, -5.0, 0.0]], [[0.0, 0.0, 0.0]], roll=np.deg2rad(30.0))
    right_of_centre = np.array([[[1.0, 0.0, 0.0]]])  # world +x is the image's right without roll
    uv0, _ = project(right_of_centre, K, R0, t0)
    uv1, _ = project(right_of_centre, K, R1, t1)
    assert uv0[0, 0, 1] == pytest.approx(32.0)
    assert uv1[0, 0, 1] > 32.0  # right moves down: clockwise on a y-down screen
    angle = np.arctan2(uv1[0, 0, 1] - 32.0, uv1[0, 0, 0] - 32.0)
    assert np.rad2deg(angle) == pytest.approx(30.0)


def test_intrinsics_put_the_principal_point_at_the_image_centre():
    K = intrinsics([250.0, 300.0], 224)
    np.testing.assert_array_equal(K[:, :2, 2], 111.5)
    np.testing.assert_array_equal(K[:, 0, 0], [250.0, 300.0])
    np.testing.assert_array_equal(K[:, 1, 1], K[:, 0, 0])


def test_project_matches_homogeneous_projection():
    cams = _random_cameras(4)
    pts = np.random.default_rng(1).normal(scale=0.5, size=(4, 10, 3))
    uv, depth = project(pts, cams.K, cams.R, cams.t)
    for b in range(4):
        for k in range(10):
            x = cams.K[b] @ (cams.R[b] @ pts[b, k] + cams.t[b])
            np.testing.assert_allclose(uv[b, k], x[:2] / x[2], rtol=1e-12)
            assert depth[b, k] == pytest.approx((cams.R[b] @ pts[b, k] + cams.t[b])[2])


def test_orbit_cameras_round_trip_yaw_elevation_and_centre():
    target = np.array([[0.1, -0.2, 0.3]] * 3)
    yaw, elev = np.array([0.0, 1.0, 4.0]), np.array([-0.1, 0.3, 0.6])
    cams = orbit_cameras(target, yaw, elev, 3.0, 200.0, 128, roll=0.05)
    np.testing.assert_allclose(cams.yaw, yaw, atol=1e-12)
    np.testing.assert_allclose(cams.elevation, elev, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(cams.centre - target, axis=1), 3.0)
    # yaw 0 is on the -y side, +90 deg at +x (counter-clockwise seen from above)
    c = orbit_cameras([[0, 0, 0], [0, 0, 0]], [0.0, np.pi / 2], 0.0, 2.0, 100.0, 64).centre
    np.testing.assert_allclose(c, [[0, -2, 0], [2, 0, 0]], atol=1e-12)


def test_cameras_index_like_arrays():
    cams = _random_cameras(5)
    sub = cams[[1, 3]]
    assert isinstance(sub, Cameras) and len(sub) == 2
    np.testing.assert_array_equal(sub.R, cams.R[[1, 3]])
    assert len(cams[2]) == 1


def test_ellipsoid_boxes_match_dense_surface_samples():
    rng = np.random.default_rng(2)
    cams = _random_cameras(3, seed=3)
    E = 6
    centres = rng.normal(scale=0.3, size=(3, E, 3))  # around the origin, 2 to 6 m in front of the cameras
    rot = Rotation.random(3 * E, random_state=4).as_matrix().reshape(3, E, 3, 3)
    radii = rng.uniform(0.02, 0.3, size=(3, E, 3))
    radii[0, 0, 2] = 0.0  # a flat disc works too
    L = rot * radii[..., None, :]
    shapes = L @ np.swapaxes(L, -1, -2)
    boxes = ellipsoid_bboxes(centres, shapes, cams)
    # brute force: project many points of each surface and take their extremes
    d = rng.normal(size=(20000, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    for b in range(3):
        for e in range(E):
            surface = centres[b, e] + d @ L[b, e].T
            uv, depth = project(surface[None], cams.K[b:b + 1], cams.R[b:b + 1], cams.t[b:b + 1])
            assert (depth > 0).all()
            lo, hi = uv[0].min(0), uv[0].max(0)
            # samples lie inside the exact box and reach very close to its edges
            assert (lo >= boxes[b, e, :2] - 1e-6).all() and (hi <= boxes[b, e, 2:] + 1e-6).all()
            np.testing.assert_allclose(np.r_[lo, hi], boxes[b, e], atol=2e-3 * (hi - lo).max())


def _body_like_ellipsoids(n, seed=0):
    """A tall thin column of ellipsoids (a 1.7 m standing body) plus a random limb sticking out."""
    rng = np.random.default_rng(seed)
    z = np.linspace(-0.9, 0.75, 8)
    centres = np.zeros((n, 9, 3))
    centres[:, :8, 2] = z
    centres[:, 8] = rng.normal(scale=0.4, size=(n, 3))
    S = np.broadcast_to(np.diag([0.15, 0.12, 0.12]) ** 2, (n, 9, 3, 3)).copy()
    return centres, S


def test_fit_cameras_frames_the_body_as_asked():
    n = 64
    centres, shapes = _body_like_ellipsoids(n)
    rng = np.random.default_rng(5)
    params = sample_camera_parameters(rng, n)
    cams = fit_cameras(centres, shapes, image_size=128, floor_z=np.full(n, -1.0), **params)
    box = union_bbox(ellipsoid_bboxes(centres, shapes, cams))
    size = np.maximum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1])
    np.testing.assert_allclose(size, params["fill"] * 128, atol=0.25)
    want_centre = 63.5 + params["offset"] * (1 - params["fill"][:, None]) * 64
    np.testing.assert_allclose((box[:, :2] + box[:, 2:]) / 2, want_centre, atol=0.25)
    assert (box[:, :2] >= -0.5).all() and (box[:, 2:] <= 127.5).all()  # the whole body is in the frame
    np.testing.assert_allclose(cams.yaw, params["yaw"], atol=1e-9)
    assert (cams.centre[:, 2] >= -1.0 + 0.25 - 1e-9).all()  # never under the floor
    # elevation as drawn unless lifted above the floor
    assert (cams.elevation >= params["elevation"] - 1e-9).all()
    np.testing.assert_allclose(cams.K[:, 1, 1], 64 / np.tan(params["vertical_fov"] / 2))


def test_sampled_parameters_follow_the_ranges():
    ranges = CameraRanges()
    p = sample_camera_parameters(np.random.default_rng(0), 4000, ranges)
    deg = np.rad2deg
    assert deg(p["elevation"]).min() >= -10 and deg(p["elevation"]).max() <= 35
    assert p["yaw"].min() >= 0 and p["yaw"].max() < 2 * np.pi
    # full circle: every 30-degree sector is used
    assert len(np.unique((deg(p["yaw"]) // 30).astype(int))) == 12
    assert np.abs(deg(p["roll"])).max() <= ranges.roll_max_deg
    assert (p["fill"] >= 0.75).all() and (p["fill"] <= 0.92).all()
    again = sample_camera_parameters(np.random.default_rng(0), 4000, ranges)
    for k in p:
        np.testing.assert_array_equal(p[k], again[k])


def test_bad_camera_inputs_raise_input_error():
    with pytest.raises(InputError, match="image_size"):
        intrinsics([100.0], 8)
    with pytest.raises(InputError, match="focal"):
        intrinsics([-1.0], 64)
    with pytest.raises(InputError, match="looks at"):
        look_at([[0, 0, 0]], [[0, 0, 0]])
    with pytest.raises(InputError, match="parallel"):
        look_at([[0, 0, 5.0]], [[0, 0, 0]])
    with pytest.raises(InputError, match="eye"):
        look_at([[0, np.nan, 0]], [[0, 0, 1.0]])
    with pytest.raises(InputError, match="elevation"):
        orbit_cameras([[0, 0, 0]], 0.0, np.pi / 2, 3.0, 100.0, 64)
    with pytest.raises(InputError, match="distance"):
        orbit_cameras([[0, 0, 0]], 0.0, 0.0, -3.0, 100.0, 64)
