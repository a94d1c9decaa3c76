"""Training of the pose tokenizer: augmentations, loss, schedule, metrics, a short real run and the command."""

import argparse
import json
import math

import numpy as np
import pytest
import torch

from benchmark.body import get_body_model, rotations
from benchmark.errors import InputError
from models.unipose.tokenizer_training import (BODY_PART_JOINTS, TOKENIZER_RECIPES, TrainingOptions,
                                               add_joint_noise, dedupe_poses, joint_noise_std, joints_from_rotmats,
                                               learning_rate, perturb_root, reconstruction_metrics, tokenizer_loss,
                                               train_tokenizer, vertex_weights, world_poses)
from models.unipose.vqvae import PoseVQVAE, VQVAEConfig, preset_config

SMALL = VQVAEConfig(width=16, code_dim=8, codebook_size=32)


def random_rotmats(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return rotations.axis_angle_to_matrix(torch.randn(n, 22, 3, generator=g))


# ---- augmentation ----

def test_joint_noise_changes_exactly_one_body_part_of_the_chosen_half():
    sixd = rotations.matrix_to_6d(random_rotmats(40))
    original = sixd.clone()
    noised, mask = add_joint_noise(sixd, 0.01, torch.Generator().manual_seed(0), fraction=0.5)
    assert torch.equal(sixd, original)  # the input tensor is left alone; the noised copy is what the encoder gets
    changed = (noised != sixd).any(dim=-1)  # [B, J]
    assert torch.equal(changed, mask)
    assert int(changed.any(dim=1).sum()) == 20
    parts = {frozenset(p) for p in BODY_PART_JOINTS}
    for row in changed[changed.any(dim=1)]:
        assert frozenset(torch.nonzero(row).flatten().tolist()) in parts
    delta = (noised - sixd)[mask]
    assert 0.005 < float(delta.std()) < 0.02  # std 0.01


def test_body_parts_are_upstreams_for_22_joints():
    assert [sorted(p) for p in BODY_PART_JOINTS] == [[12, 15], [13, 16, 18, 20], [14, 17, 19, 21],
                                                     [1, 4, 7, 10], [2, 5, 8, 11]]


def test_noise_curriculum_starts_at_001_and_rises_every_k_steps():
    levels, every = TrainingOptions().joint_noise_levels, TrainingOptions().joint_noise_every
    assert [joint_noise_std(s, levels, every) for s in (0, 4999, 5000, 10000, 20000, 25000, 10 ** 6)] == \
        [0.01, 0.01, 0.05, 0.1, 0.5, 0.5, 0.5]


def test_root_noise_stays_within_the_euler_bounds_and_leaves_the_body_alone():
    rotmats = random_rotmats(3000, seed=1)
    out = perturb_root(rotmats, torch.Generator().manual_seed(0))
    assert torch.equal(out[:, 1:], rotmats[:, 1:])
    noise = out[:, 0].double() @ rotmats[:, 0].double().transpose(-1, -2)   # what was applied, in the world frame
    angles = rotations.matrix_to_euler(noise, "xyz", degrees=True)         # Rz @ Ry @ Rx
    maxima = angles.abs().max(dim=0).values
    assert bool((maxima <= torch.tensor([20.0, 20.0, 45.0], dtype=torch.float64) + 1e-3).all()), maxima
    assert bool((maxima > torch.tensor([19.0, 19.0, 43.0], dtype=torch.float64)).all()), maxima  # full range used
    # the angle the root turned by is at most the sum of the three Euler bounds (20 + 20 + 45 degrees)
    turned = rotations.geodesic_angle(out[:, 0].double(), rotmats[:, 0].double()) * 180 / math.pi
    assert 45 < float(turned.max()) <= 85


# ---- loss ----

class MeshedSkeleton:
    """The skeleton body pretending its joints are a mesh (vertices = joints, a few triangles), to exercise the
    vertex term without SMPL files."""

    name = "meshed-skeleton"
    has_mesh = True
    faces = np.array([[0, 1, 2], [0, 3, 6], [12, 16, 17], [15, 16, 17]])

    def __init__(self):
        self._body = get_body_model("skeleton")

    def joints(self, poses):
        return self._body.joints(poses)

    def vertices(self, poses):
        return self._body.joints(torch.as_tensor(poses, dtype=torch.float32))


def test_loss_is_the_papers_weighted_sum():
    target = random_rotmats(6, seed=2)
    pred = rotations.axis_angle_to_matrix(rotations.matrix_to_axis_angle(target) + 0.05)
    commit = torch.tensor(0.3)
    skeleton = get_body_model("skeleton")
    total, parts = tokenizer_loss(pred, commit, target, skeleton, SMALL)
    jp = skeleton.joints(rotations.matrix_to_axis_angle(pred))
    jt = skeleton.joints(rotations.matrix_to_axis_angle(target))
    expected = 20 * ((pred - target) ** 2).mean() + 100 * ((jp - jt) ** 2).mean() + 0.3
    assert total.item() == pytest.approx(expected.item(), rel=1e-4)
    assert "vertices" not in parts
    zero, _ = tokenizer_loss(target, torch.tensor(0.0), target, skeleton, SMALL)
    assert zero.item() == pytest.approx(0.0, abs=1e-8)

    meshed = MeshedSkeleton()
    weights = vertex_weights(meshed)
    total_mesh, parts = tokenizer_loss(pred, commit, target, meshed, SMALL, weights)
    assert (total_mesh - total).item() == pytest.approx(100 * (weights * (jp - jt) ** 2).mean().item(), rel=1e-3)
    assert parts["vertices"] > 0


def test_vertex_weights_sum_min_max_normalised_face_areas():
    meshed = MeshedSkeleton()
    rest = meshed.vertices(torch.zeros(1, 22, 3))[0].double().numpy()
    areas = np.array([0.5 * np.linalg.norm(np.cross(rest[b] - rest[a], rest[c] - rest[a])) for a, b, c in meshed.faces])
    norm = (areas - areas.min()) / (areas.max() - areas.min())
    expected = np.zeros(22)
    for face, value in zip(meshed.faces, norm):
        expected[face] += value
    assert np.allclose(vertex_weights(meshed)[:, 0].numpy(), expected, atol=1e-6)


def test_skeleton_joints_from_matrices_match_the_body_model():
    rotmats = random_rotmats(5, seed=3)
    body = get_body_model("skeleton")
    assert torch.allclose(joints_from_rotmats(body, rotmats), body.joints(rotations.matrix_to_axis_angle(rotmats)),
                          atol=1e-5)


# ---- schedule ----

def test_learning_rate_has_upstreams_warmup_quirk_and_milestones():
    opt = TrainingOptions()
    total = 2400  # "240 epochs" of 10 steps: milestones at 1600 and 2200
    assert learning_rate(0, total, opt) == pytest.approx(2e-4 / 500)
    assert learning_rate(199, total, opt) == pytest.approx(2e-4 * 200 / 500)
    assert learning_rate(200, total, opt) == pytest.approx(2e-4)      # the jump from 0.4 x to 1 x
    assert learning_rate(1599, total, opt) == pytest.approx(2e-4)
    assert learning_rate(1600, total, opt) == pytest.approx(2e-5)
    assert learning_rate(2200, total, opt) == pytest.approx(2e-6)
    assert TOKENIZER_RECIPES["paper"].steps_for(1000) == 240 * 4
    assert TOKENIZER_RECIPES["paper"].options == TrainingOptions()


# ---- data and metrics ----

def test_dedupe_keeps_first_occurrences_in_order():
    a, b, c = (np.full((22, 3), v, np.float32) for v in (1, 2, 3))
    assert np.array_equal(dedupe_poses(np.stack([b, a, b, c, a])), np.stack([b, a, c]))


def test_reconstruction_metrics_are_the_joint_errors_of_the_round_trip():
    poses = (torch.randn(30, 22, 3, generator=torch.Generator().manual_seed(4)) * 0.4).numpy()
    model = PoseVQVAE(SMALL)
    model.quantizer.init_codebook(torch.randn(64, 8, generator=torch.Generator().manual_seed(5)))
    figures = reconstruction_metrics(model, poses)
    body = get_body_model("skeleton")
    recon = model.decode(model.encode(poses)).numpy()
    direct = np.linalg.norm(body.joints(recon.astype(np.float64)) - body.joints(poses.astype(np.float64)), axis=-1)
    assert figures["mpjpe"] == pytest.approx(1000 * direct.mean(), rel=1e-4)
    assert 0 < figures["pa_mpjpe"] < figures["mpjpe"]


def test_training_rejects_bad_input():
    with pytest.raises(InputError, match="train_poses"):
        train_tokenizer(np.zeros((4, 21, 3)), np.zeros((4, 22, 3)), SMALL, steps=1, seed=0)
    with pytest.raises(InputError, match="steps"):
        train_tokenizer(np.zeros((4, 22, 3)), np.zeros((4, 22, 3)), SMALL, steps=0, seed=0)


def test_training_is_seeded():
    poses = (torch.randn(40, 22, 3, generator=torch.Generator().manual_seed(6)) * 0.4).numpy()

    def run(seed):
        model, _ = train_tokenizer(poses, poses[:8], SMALL, steps=4, seed=seed, batch_size=16, log=lambda *_: None)
        return model.state_dict()

    first, again, other = run(0), run(0), run(1)
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert not torch.equal(first["encoder.lift.weight"], other["encoder.lift.weight"])


# ---- on the small world ----

@pytest.fixture(scope="module")
def small_world_poses(small_world):
    return {split: world_poses(small_world.hub_dir, split) for split in ("train", "val")}


def test_world_poses_are_every_pose_once(small_world, small_world_poses):
    from models.baselines.training_data import TrainingData

    train = small_world_poses["train"]
    assert len(np.unique(train.reshape(len(train), -1), axis=0)) == len(train)
    data = TrainingData(small_world.hub_dir, "train")
    everything = {p.tobytes() for p in train}
    for task, column in (("text_to_pose", "pose"), ("pose_edit", "pose_b"), ("pose_diff", "pose_a")):
        assert {p.tobytes() for p in data.poses(task, column)} <= everything


def test_short_training_on_the_small_world_lowers_val_mpjpe(small_world_poses):
    train, val = small_world_poses["train"], small_world_poses["val"]
    config = preset_config("tiny")
    untrained = reconstruction_metrics(PoseVQVAE(config), val)["mpjpe"]
    lines = []
    model, report = train_tokenizer(train, val, config, steps=100, seed=0, batch_size=64, log=lines.append,
                                    options=TOKENIZER_RECIPES["tiny"].options)
    trained = reconstruction_metrics(model, val)
    assert trained["mpjpe"] < 0.6 * untrained, (untrained, trained)
    # the weights returned are the best evaluation's
    assert trained["mpjpe"] == pytest.approx(min(e["val_mpjpe"] for e in report["evals"]), rel=1e-6)
    assert report["best"]["val_mpjpe"] == min(e["val_mpjpe"] for e in report["evals"])
    assert report["evals"][-1]["step"] == 100 and report["steps"] == 100 and len(lines) == len(report["evals"])
    assert report["n_train"] == len(train) and report["time_s"] > 0


def test_command_writes_the_model_and_the_report(small_world, tmp_path, capsys):
    from models.unipose import cli_train_tokenizer

    args = argparse.Namespace(train=small_world.hub_dir, preset="tiny", steps=12, batch_size=32, seed=0,
                              output=tmp_path / "tok", quiet=True)
    assert cli_train_tokenizer.run(args) == 0
    out = capsys.readouterr().out
    assert "| val (" in out and "| test (" in out and "AMASS test (paper) | 6.2 | 3.7" in out
    report = json.loads((tmp_path / "tok" / "report.json").read_text())
    assert set(report["reconstruction"]) == {"val", "test"} and report["steps"] == 12
    model = PoseVQVAE.load(tmp_path / "tok" / "pose_vqvae")
    val = world_poses(small_world.hub_dir, "val")
    assert reconstruction_metrics(model, val)["mpjpe"] == pytest.approx(report["reconstruction"]["val"]["mpjpe"])

    parser = argparse.ArgumentParser()
    cli_train_tokenizer.add_arguments(parser)
    defaults = parser.parse_args([])
    assert (defaults.preset, defaults.seed, defaults.train, defaults.steps) == ("tiny", 0, None, None)
