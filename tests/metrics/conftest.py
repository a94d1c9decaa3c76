"""Fixtures of the metric tests: optional resources (WordNet, Java) and synthetic SMPL-family model files.

The SMPL / SMPL-H files are licensed, so tests write small stand-ins in the real npz format (same keys and shapes,
6890 vertices): each vertex is rigidly attached to one joint near that joint's rest position from the embedded
skeleton, blend shapes are zero. The real loader (benchmark.body.smpl through smplx) reads them.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

N_VERTICES = 6890


@pytest.fixture(scope="session")
def wordnet():
    """NLTK's WordNet reader; skips (saying how to fetch it) where WordNet is not installed."""
    from benchmark.metrics.base import MissingMetricResource
    from benchmark.metrics.text import load_wordnet

    try:
        return load_wordnet()
    except MissingMetricResource as exc:
        pytest.skip(f"WordNet missing: {exc}")


@pytest.fixture(scope="session")
def java():
    path = shutil.which("java")
    if path is None:
        pytest.skip("Java missing: pycocoevalcap's PTBTokenizer and METEOR 1.5 run on Java "
                    "(Debian: apt-get install default-jre-headless)")
    return path


def _rest_joints(model_type: str) -> np.ndarray:
    from benchmark.body.joints import SMPLH_PARENTS
    from benchmark.body.skeleton import skeleton_data

    body = np.asarray(skeleton_data()["rest_joints"], dtype=np.float64)  # [22, 3]
    if model_type == "smpl":
        hands = body[[20, 21]] + np.array([[0.08, 0.0, 0.0], [-0.08, 0.0, 0.0]])
        return np.concatenate([body, hands])
    fingers = []
    for j in range(22, 52):
        parent = SMPLH_PARENTS[j]
        base = body[parent] if parent < 22 else fingers[parent - 22]
        side = 1.0 if j < 37 else -1.0
        fingers.append(base + np.array([side * 0.025, -0.01 * ((j - 22) % 5), 0.0]))
    return np.concatenate([body, np.array(fingers)])


def write_smpl_family_npz(path, model_type: str, seed: int = 0) -> None:
    """A stand-in SMPL ("smpl", 24 joints) or SMPL-H ("smplh", 52 joints) model in the npz layout smplx reads."""
    from benchmark.body.joints import SMPL_PARENTS, SMPLH_PARENTS

    rng = np.random.default_rng(seed)
    parents = np.array(SMPL_PARENTS if model_type == "smpl" else SMPLH_PARENTS, dtype=np.int64)
    rest = _rest_joints(model_type)
    n_joints = len(parents)
    owner = np.arange(N_VERTICES) % n_joints
    offsets = rng.normal(scale=0.03, size=(N_VERTICES, 3))
    for j in range(n_joints):  # centre each joint's vertices on the joint, so the regressor returns it exactly
        offsets[owner == j] -= offsets[owner == j].mean(axis=0)
    v_template = rest[owner] + offsets
    weights = np.zeros((N_VERTICES, n_joints))
    weights[np.arange(N_VERTICES), owner] = 1.0
    j_regressor = weights.T / weights.sum(axis=0)[:, None]
    kintree = np.stack([parents, np.arange(n_joints)]).astype(np.int64)
    kintree[0, 0] = 4294967295  # the files store the root's parent as uint32(-1)
    faces = np.stack([np.arange(0, N_VERTICES - 2, 3), np.arange(1, N_VERTICES - 1, 3),
                      np.arange(2, N_VERTICES, 3)], axis=1).astype(np.int64)
    f32 = np.float32
    np.savez(path, v_template=v_template.astype(f32), weights=weights.astype(f32),
             J_regressor=j_regressor.astype(f32), kintree_table=kintree, f=faces,
             shapedirs=np.zeros((N_VERTICES, 3, 10), f32), posedirs=np.zeros((N_VERTICES, 3, (n_joints - 1) * 9), f32))


@pytest.fixture(scope="session")
def body_models_dir(tmp_path_factory):
    """A body-model folder with stand-in smpl/SMPL_NEUTRAL.npz and smplh/SMPLH_NEUTRAL.npz."""
    root = tmp_path_factory.mktemp("body_models")
    (root / "smpl").mkdir()
    (root / "smplh").mkdir()
    write_smpl_family_npz(root / "smpl" / "SMPL_NEUTRAL.npz", "smpl", seed=1)
    write_smpl_family_npz(root / "smplh" / "SMPLH_NEUTRAL.npz", "smplh", seed=2)
    return root


@pytest.fixture(scope="session")
def random_poses():
    """A generator of plausible axis-angle poses [n, 22, 3] (upright AMASS root, moderate joint rotations)."""
    def make(n: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        poses = rng.normal(scale=0.3, size=(n, 22, 3)).astype(np.float32)
        poses[:, 0] = np.array([np.pi / 2, 0.0, 0.0]) + rng.normal(scale=0.2, size=(n, 3))
        return poses
    return make

