import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from benchmark.body import frames, rotations


@pytest.fixture
def rotvecs():
    return Rotation.random(64, random_state=0).as_rotvec()


def test_axis_angle_matrix_agree_with_scipy(rotvecs):
    np.testing.assert_allclose(rotations.axis_angle_to_matrix(rotvecs), Rotation.from_rotvec(rotvecs).as_matrix(),
                               atol=1e-12)
    back = rotations.matrix_to_axis_angle(Rotation.from_rotvec(rotvecs).as_matrix())
    np.testing.assert_allclose(Rotation.from_rotvec(back).as_matrix(), Rotation.from_rotvec(rotvecs).as_matrix(),
                               atol=1e-10)


def test_torch_in_torch_out(rotvecs):
    t = torch.tensor(rotvecs, dtype=torch.float32)
    assert isinstance(rotations.axis_angle_to_matrix(t), torch.Tensor)
    assert rotations.axis_angle_to_matrix(rotvecs.astype(np.float32)).dtype == np.float32


def test_6d_is_the_first_two_rows_and_round_trips(rotvecs):
    mats = Rotation.from_rotvec(rotvecs).as_matrix()
    six = rotations.matrix_to_6d(mats)
    np.testing.assert_allclose(six, mats[:, :2, :].reshape(-1, 6))
    np.testing.assert_allclose(rotations.sixd_to_matrix(six), mats, atol=1e-10)
    # a perturbed 6D vector still maps to a proper rotation
    noisy = rotations.sixd_to_matrix(six + 0.05)
    np.testing.assert_allclose(noisy @ np.swapaxes(noisy, 1, 2), np.broadcast_to(np.eye(3), noisy.shape), atol=1e-10)
    np.testing.assert_allclose(np.linalg.det(noisy), 1.0, atol=1e-10)


def test_euler_convention_matches_scipy_extrinsic_xyz(rotvecs):
    mats = Rotation.from_rotvec(rotvecs).as_matrix()
    ours = rotations.matrix_to_euler(mats, "xyz")
    np.testing.assert_allclose(Rotation.from_euler("xyz", ours).as_matrix(), mats, atol=1e-10)
    a = np.array([0.3, -0.2, 1.1])
    expected = rotations.rotation_about("z", a[2]) @ rotations.rotation_about("y", a[1]) @ rotations.rotation_about(
        "x", a[0])
    np.testing.assert_allclose(rotations.euler_to_matrix(a, "xyz"), expected, atol=1e-12)


def test_heading_normalisation_keeps_pitch_and_roll():
    rng = np.random.default_rng(0)
    pitch, roll, heading = rng.uniform(-1, 1, 20), rng.uniform(-1, 1, 20), rng.uniform(-np.pi, np.pi, 20)
    root = Rotation.from_euler("xyz", np.stack([roll, pitch, heading], 1)).as_rotvec()
    new = frames.normalize_heading(root)
    np.testing.assert_allclose(Rotation.from_rotvec(new).as_matrix(),
                               Rotation.from_euler("xyz", np.stack([roll, pitch, 0 * heading], 1)).as_matrix(),
                               atol=1e-10)


def test_heading_normalisation_is_invariant_to_a_world_yaw():
    root = Rotation.random(10, random_state=3).as_rotvec()
    turned = (Rotation.from_euler("z", 0.7) * Rotation.from_rotvec(root)).as_rotvec()
    np.testing.assert_allclose(Rotation.from_rotvec(frames.normalize_heading(turned)).as_matrix(),
                               Rotation.from_rotvec(frames.normalize_heading(root)).as_matrix(), atol=1e-9)


def test_correction_is_a_vertical_rotation_that_maps_old_root_to_new():
    root = Rotation.random(10, random_state=4).as_rotvec()
    new, corr = frames.normalize_heading(root, return_correction=True)
    np.testing.assert_allclose(corr @ Rotation.from_rotvec(root).as_matrix(), Rotation.from_rotvec(new).as_matrix(),
                               atol=1e-10)
    np.testing.assert_allclose(corr[:, 2, 2], 1.0, atol=1e-10)  # a rotation about z only
    poses = np.zeros((10, 22, 3))
    poses[:, 0] = root
    moved = frames.rotate_root(poses, corr)
    np.testing.assert_allclose(Rotation.from_rotvec(moved[:, 0]).as_matrix(), Rotation.from_rotvec(new).as_matrix(),
                               atol=1e-10)


def test_captioning_frame_is_minus_90_degrees_about_x():
    p = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(frames.amass_to_captioning(p), [[1.0, 3.0, -2.0]])
    np.testing.assert_allclose(frames.amass_to_captioning(p), Rotation.from_euler("x", -90, degrees=True).apply(p),
                               atol=1e-12)
    np.testing.assert_allclose(frames.captioning_to_amass(frames.amass_to_captioning(p)), p)
