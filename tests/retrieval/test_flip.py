import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from benchmark.body.frames import UPRIGHT_ROOT
from benchmark.body.joints import SMPL_BODY_22, SMPLH_52
from benchmark.body.skeleton import SkeletonBody
from benchmark.errors import InputError
from benchmark.retrieval.flip import COUNTER_CLOCKWISE, flip_poses, flip_text, flip_texts

MIRROR_X = np.diag([-1.0, 1.0, 1.0])


def _random_poses(n, joints=22, seed=0):
    rng = np.random.default_rng(seed)
    poses = rng.normal(scale=0.5, size=(n, joints, 3))
    poses[:, 0] = Rotation.random(n, random_state=seed).as_rotvec()  # any root orientation
    return poses.astype(np.float32)


@pytest.mark.parametrize("joints", [22, 52])
def test_pose_flip_is_an_involution(joints):
    poses = _random_poses(8, joints)
    np.testing.assert_array_equal(flip_poses(flip_poses(poses)), poses)
    t = torch.from_numpy(poses)
    assert torch.equal(flip_poses(flip_poses(t)), t)
    assert isinstance(flip_poses(t), torch.Tensor)
    # not the identity: a random pose is not symmetric
    assert np.abs(flip_poses(poses) - poses).max() > 0.1


def test_pose_flip_swaps_sides_and_reflects_each_rotation():
    poses = _random_poses(4, 52, seed=3).astype(np.float64)
    flipped = flip_poses(poses)
    for joints in (SMPL_BODY_22, SMPLH_52):
        for j, name in enumerate(joints.names):
            if not name.startswith("left_"):
                continue
            k = joints.index("right_" + name[5:])
            # joint j of the flip carries joint k's rotation, reflected by the x mirror: M R M (second library: scipy)
            want = MIRROR_X @ Rotation.from_rotvec(poses[:, k]).as_matrix() @ MIRROR_X
            np.testing.assert_allclose(Rotation.from_rotvec(flipped[:, j]).as_matrix(), want, atol=1e-9)
    want_root = MIRROR_X @ Rotation.from_rotvec(poses[:, 0]).as_matrix() @ MIRROR_X
    np.testing.assert_allclose(Rotation.from_rotvec(flipped[:, 0]).as_matrix(), want_root, atol=1e-9)


def test_flipped_pose_joints_are_the_mirror_image():
    body = SkeletonBody()
    poses = _random_poses(16, seed=1)
    poses[:8, 0] = UPRIGHT_ROOT + np.random.default_rng(2).normal(scale=0.2, size=(8, 3))
    joints = body.joints(poses).astype(np.float64)
    flipped = body.joints(flip_poses(poses)).astype(np.float64)
    perm = SMPL_BODY_22.mirror_permutation
    # The root is mirrored with the body, so the image is mirrored through the world x = 0 plane.
    np.testing.assert_allclose(flipped, joints[:, perm] * [-1.0, 1.0, 1.0], atol=2e-5)


def test_pose_flip_rejects_unknown_joint_counts():
    with pytest.raises(InputError, match="22, 3"):
        flip_poses(np.zeros((2, 24, 3), np.float32))


@pytest.mark.parametrize("text, want", [
    # plain side words, both directions, case kept, other words untouched
    ("Raise your right hand and your left foot.", "Raise your left hand and your right foot."),
    ("Right hand up. LEFT foot down, the torso upright.", "Left hand up. RIGHT foot down, the torso upright."),
    ("the right-hand side of the top-right corner, rightwards", "the left-hand side of the top-left corner, leftwards"),
    # "right" before angle(s) is kept
    ("The left knee is bent at a right angle.", "The right knee is bent at a right angle."),
    ("right arm and right leg form right angles", "left arm and left leg form right angles"),
    # "right" after is/are/it's/isn't/aren't/not/be is kept
    ("the hand is right beside the left knee", "the hand is right beside the right knee"),
    ("they are right there, it's right there", "they are right there, it's right there"),
    ("the foot should not be right under the right hip", "the foot should not be right under the left hip"),
    # before a preposition: flipped only after a determiner
    ("standing right behind the left foot", "standing right behind the right foot"),
    ("with the right behind the left", "with the left behind the right"),
    ("put your right next to your left", "put your left next to your right"),
    ("right next to the torso", "right next to the torso"),
    # punctuation separates: "right," is not followed by the preposition
    ("the right, next to the torso", "the left, next to the torso"),
    # clockwise <-> counter-clockwise variants (without a generator: the first variant)
    ("turn clockwise", "turn counterclockwise"),
    ("turn anti-clockwise, then Counterclockwise", "turn clockwise, then Clockwise"),
])
def test_text_flip_rules(text, want):
    flipped, ok = flip_text(text)
    assert ok
    assert flipped == want


@pytest.mark.parametrize("text", [
    "Turn the right arm to three o'clock.",
    "like the hands of a clock, the left arm points up",
    "rotate the right hip about the x-axis",
])
def test_blocking_words_prevent_any_flip(text):
    assert flip_text(text) == (text, False)


def test_texts_without_side_words_count_as_flipped():
    assert flip_text("Both arms up, upright torso.") == ("Both arms up, upright torso.", True)


def test_clockwise_choice_uses_the_generator():
    texts = ["spin clockwise"] * 40
    a, ok = flip_texts(texts, np.random.default_rng(7))
    b, _ = flip_texts(texts, np.random.default_rng(7))
    assert a == b and ok.all()
    assert {t.split()[1] for t in a} == set(COUNTER_CLOCKWISE)  # all four variants are reachable
