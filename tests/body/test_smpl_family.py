"""SMPL-family loading through smplx, on small synthetic model files written in the real formats.

The synthetic model places its first J vertices at known rest joints and regresses each joint from exactly that
vertex, with zero shape and pose blend shapes, so smplx's whole pipeline must reproduce an independent FK.
"""

import pickle

import numpy as np
import pytest

from benchmark.body import get_body_model
from benchmark.body.joints import SMPL_24, SMPLH_52
from benchmark.errors import MissingModelFiles
from tests.body.reference_fk import reference_fk

N_VERTS = 6890  # smplx selects extra joints by SMPL vertex ids, so the vertex count must be SMPL's


def synthetic_model(parents, n_betas, seed=0):
    rng = np.random.default_rng(seed)
    n_joints = len(parents)
    rest = rng.normal(scale=0.3, size=(n_joints, 3))
    verts = rng.normal(scale=0.5, size=(N_VERTS, 3))
    verts[:n_joints] = rest
    regressor = np.zeros((n_joints, N_VERTS))
    regressor[np.arange(n_joints), np.arange(n_joints)] = 1.0
    weights = np.zeros((N_VERTS, n_joints))
    weights[np.arange(N_VERTS), np.arange(N_VERTS) % n_joints] = 1.0
    kintree = np.stack([np.array(parents, dtype=np.int64) % (2**32), np.arange(n_joints)]).astype(np.int64)
    kintree[0, 0] = 4294967295  # how SMPL files mark the root's parent
    model = {
        "v_template": verts, "J_regressor": regressor, "weights": weights, "kintree_table": kintree,
        "shapedirs": np.zeros((N_VERTS, 3, n_betas)), "posedirs": np.zeros((N_VERTS, 3, (n_joints - 1) * 9)),
        "f": rng.integers(0, N_VERTS, size=(100, 3)).astype(np.int64),
    }
    return model, rest


@pytest.mark.parametrize("layout", ["smplh/neutral/model.npz", "smplh/SMPLH_NEUTRAL.npz"])
def test_smplh_joints_equal_independent_fk(tmp_path, layout):
    model, rest = synthetic_model(SMPLH_52.parents, n_betas=16)
    path = tmp_path / layout
    path.parent.mkdir(parents=True)
    np.savez(path, **model)
    body = get_body_model("smplh", model_dir=tmp_path)
    assert body.has_mesh and len(body.joint_set) == 52
    rng = np.random.default_rng(1)
    poses = rng.normal(scale=0.4, size=(4, 52, 3)).astype(np.float32)
    got = body.joints(poses)
    want = np.stack([reference_fk(p.astype(np.float64), rest, SMPLH_52.parents) for p in poses])
    np.testing.assert_allclose(got, want, atol=2e-5)
    # 22-joint poses get flat hands (zero finger rotations), as UniPose feeds its SMPL-H model
    flat = poses.copy()
    flat[:, 22:] = 0
    np.testing.assert_allclose(body.joints(poses[:, :22]), body.joints(flat), atol=1e-6)
    assert body.vertices(poses[:1]).shape == (1, N_VERTS, 3)


def test_smpl_pkl_pads_hands_with_identity(tmp_path):
    model, rest = synthetic_model(SMPL_24.parents, n_betas=10)
    (tmp_path / "smpl").mkdir()
    with open(tmp_path / "smpl" / "SMPL_NEUTRAL.pkl", "wb") as f:
        pickle.dump(model, f, protocol=2)
    body = get_body_model("smpl", model_dir=tmp_path)
    poses = np.random.default_rng(2).normal(scale=0.4, size=(3, 22, 3)).astype(np.float32)
    padded = np.concatenate([poses, np.zeros((3, 2, 3), np.float32)], axis=1)
    want = np.stack([reference_fk(p.astype(np.float64), rest, SMPL_24.parents) for p in padded])
    np.testing.assert_allclose(body.joints(poses), want, atol=2e-5)


def test_missing_folder_and_file_errors_say_where_to_get_them(tmp_path, monkeypatch):
    monkeypatch.delenv("UNIPOSE_BENCH_BODY_MODELS", raising=False)
    with pytest.raises(MissingModelFiles, match="--body-models"):
        get_body_model("smplh")
    with pytest.raises(MissingModelFiles, match="does not exist"):
        get_body_model("smplh", model_dir=tmp_path / "nowhere")
    with pytest.raises(MissingModelFiles, match=r"smplh/neutral/model.npz.*mano.is.tue.mpg.de"):
        get_body_model("smplh", model_dir=tmp_path)
    monkeypatch.setenv("UNIPOSE_BENCH_BODY_MODELS", str(tmp_path))
    with pytest.raises(MissingModelFiles, match="SMPL_NEUTRAL.pkl"):
        get_body_model("smpl")


def test_malformed_model_file(tmp_path):
    (tmp_path / "smplh").mkdir()
    np.savez(tmp_path / "smplh" / "SMPLH_NEUTRAL.npz", v_template=np.zeros((10, 3)))
    with pytest.raises(MissingModelFiles, match="not a valid SMPLH model file"):
        get_body_model("smplh", model_dir=tmp_path)
