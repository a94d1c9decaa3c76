"""The pose tokenizer: shapes, the EMA quantiser on hand-made inputs, gradients, files, upstream's checkpoint layout."""

import argparse
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from benchmark.body import get_body_model, rotations
from benchmark.errors import InputError
from models.unipose.vqvae import (VQVAE_PRESETS, PoseVQVAE, QuantizeEMAReset, VQVAEConfig, decoder_lengths,
                                  latent_length, load_upstream_checkpoint, preset_config)

SMALL = VQVAEConfig(width=16, code_dim=8, codebook_size=32)


def random_poses(n, seed=0, scale=0.4):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 22, 3, generator=g) * scale


def joint_error_mm(model, poses):
    body = get_body_model("skeleton")
    recon = model.decode(model.encode(poses))
    return float((body.joints(recon) - body.joints(poses)).norm(dim=-1).mean()) * 1000


def train_briefly(model, poses, steps, lr=2e-3, seed=0):
    """A few optimiser steps on the rotation + joint loss (the tokenizer's own training lives elsewhere)."""
    body = get_body_model("skeleton")
    model.quantizer.generator = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    target = rotations.axis_angle_to_matrix(poses)
    target_joints = body.joints(poses)
    model.train()
    for _ in range(steps):
        rot, commit, _ = model(poses)
        joints = body.joints(rotations.matrix_to_axis_angle(rot))
        loss = 20 * F.mse_loss(rot, target) + 100 * F.mse_loss(joints, target_joints) + commit
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


# ---- config ----

def test_config_defaults_are_the_papers_and_round_trip_through_json():
    paper = preset_config("paper")
    sizes = (paper.width, paper.code_dim, paper.codebook_size, paper.n_latents, paper.n_joints)
    assert sizes == (512, 256, 2048, 80, 22)
    assert paper.ema_decay == 0.99
    assert (paper.lambda_rot, paper.lambda_joints, paper.lambda_vertices, paper.lambda_commit) == (20, 100, 100, 1)
    for config in VQVAE_PRESETS.values():
        assert VQVAEConfig.from_json(config.to_json()) == config
    assert json.loads(SMALL.to_json())["model_type"] == "unipose-pose-vqvae"


def test_config_rejects_what_the_architecture_cannot_do():
    with pytest.raises(InputError, match="n_latents"):
        VQVAEConfig(n_latents=64)
    with pytest.raises(InputError, match="unknown tokenizer config fields"):
        VQVAEConfig.from_dict({"width": 8, "depth": 3})
    with pytest.raises(InputError, match="preset"):
        preset_config("huge")


def test_lengths_follow_upstream_arithmetic():
    # 22 joints -> 40 -> 80 -> 160 -> 80 latents; decoder back via linspace(22, 80, 4, endpoint=False)[::-1]
    assert latent_length(22) == 80
    assert decoder_lengths(22) == [65, 51, 36, 22]
    assert decoder_lengths(22) == [int(v) for v in np.linspace(22, 80, 4, endpoint=False)[::-1]]


# ---- shapes ----

def test_shapes_of_every_entry_point():
    model = PoseVQVAE(SMALL)
    poses = random_poses(5)
    latents = model.encode_latents(model.poses_to_6d(poses))
    assert latents.shape == (5, SMALL.code_dim, 80)
    rot, commit, perplexity = model.train()(poses)
    assert rot.shape == (5, 22, 3, 3) and commit.ndim == 0 and perplexity.ndim == 0
    # decoded matrices are rotations
    assert torch.allclose(rot @ rot.transpose(-1, -2), torch.eye(3).expand_as(rot), atol=1e-5)
    ids = model.eval().encode(poses)
    assert ids.shape == (5, 80) and ids.dtype == torch.long
    assert int(ids.min()) >= 0 and int(ids.max()) < SMALL.codebook_size
    out = model.decode(ids)
    assert out.shape == (5, 22, 3) and out.dtype == torch.float32
    assert model.decode_rotmats(ids).shape == (5, 22, 3, 3)
    assert torch.allclose(rotations.axis_angle_to_matrix(out), model.decode_rotmats(ids), atol=1e-4)


def test_bad_inputs_are_named():
    model = PoseVQVAE(SMALL)
    with pytest.raises(InputError, match="poses"):
        model.encode(torch.zeros(2, 21, 3))
    hands = torch.cat([random_poses(2), torch.ones(2, 30, 3)], dim=1)  # SMPL-H: the hands are not modelled
    assert torch.equal(model.encode(hands), model.encode(hands[:, :22]))
    with pytest.raises(InputError, match="non-finite"):
        model.encode(torch.full((2, 22, 3), float("nan")))
    with pytest.raises(InputError, match="out of range"):
        model.decode(torch.full((1, 80), SMALL.codebook_size))
    with pytest.raises(InputError, match=r"\[B, 80\]"):
        model.decode(torch.zeros(1, 79, dtype=torch.long))


# ---- the quantiser ----

def hand_made_quantizer(decay=0.5, seed=0):
    q = QuantizeEMAReset(3, 2, decay, generator=torch.Generator().manual_seed(seed))
    codebook = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    q.codebook.copy_(codebook)
    q.code_sum.copy_(codebook)
    q.code_count.fill_(1.0)
    q.initialised.fill_(True)
    return q


# two latents near code 0, two near code 1, none near code 2
HAND_LATENTS = torch.tensor([[1.0, 1.0], [3.0, 1.0], [9.0, 0.0], [12.0, 0.0]])


def as_sequence(rows):
    """[N, D] latents -> the quantiser's [1, D, N] input."""
    return rows.t().unsqueeze(0).contiguous()


def test_ema_update_and_dead_code_reset_give_the_hand_computed_codebook():
    q = hand_made_quantizer(decay=0.5).train()
    quantised, commit, perplexity = q(as_sequence(HAND_LATENTS))
    # outputs use the codes before the update: rows -> codes 0, 0, 1, 1
    assert torch.equal(quantised[0].t(), torch.tensor([[0.0, 0.0], [0.0, 0.0], [10.0, 0.0], [10.0, 0.0]]))
    assert commit.item() == pytest.approx((2 + 10 + 1 + 4) / 8)   # squared distances over 8 elements
    assert perplexity.item() == pytest.approx(2.0, rel=1e-5)       # two codes used equally
    # code 0: sum 0.5 * (0, 0) + 0.5 * (4, 2) = (2, 1), count 0.5 + 0.5 * 2 = 1.5
    # code 1: sum 0.5 * (10, 0) + 0.5 * (21, 0) = (15.5, 0), count 1.5
    assert torch.allclose(q.code_sum[:2], torch.tensor([[2.0, 1.0], [15.5, 0.0]]))
    assert torch.allclose(q.code_count, torch.tensor([1.5, 1.5, 0.5]))
    assert torch.allclose(q.codebook[0], torch.tensor([2 / 1.5, 1 / 1.5]))
    assert torch.allclose(q.codebook[1], torch.tensor([15.5 / 1.5, 0.0]))
    # code 2's usage fell to 0.5 < 1: reset to one of this batch's latents (exactly: the batch has >= 3 rows)
    assert any(torch.equal(q.codebook[2], row) for row in HAND_LATENTS)
    assert torch.allclose(q.code_sum[2], torch.tensor([0.0, 5.0]))  # its statistics decay on


def test_reset_draws_follow_the_generator():
    def reset_code(seed):
        q = hand_made_quantizer(seed=seed).train()
        q(as_sequence(HAND_LATENTS))
        return q.codebook[2].clone()

    draws = {tuple(reset_code(s).tolist()) for s in range(12)}
    assert torch.equal(reset_code(3), reset_code(3))
    assert len(draws) > 1  # different seeds pick different latents (12 seeds, 4 candidates)


def test_small_batches_reset_codes_to_noised_copies_of_their_latents():
    q = QuantizeEMAReset(8, 4, 0.99, generator=torch.Generator().manual_seed(0)).train()
    latents = torch.tensor([[1.0, 2.0, 3.0, 4.0], [-4.0, -3.0, -2.0, -1.0]])
    q(as_sequence(latents))  # first batch: 8 codes from 2 latents, then all but <= 2 codes are dead
    distance_to_nearest_latent = torch.cdist(q.codebook, latents).min(dim=1).values
    assert bool((distance_to_nearest_latent < 0.05).all())   # noise std 0.01 / sqrt(4) = 0.005
    assert len({tuple(row.tolist()) for row in q.codebook}) == 8  # the noise keeps them apart


def test_first_training_batch_initialises_the_codebook_from_its_latents():
    q = QuantizeEMAReset(4, 3, 0.99, generator=torch.Generator().manual_seed(1))
    latents = torch.randn(10, 3, generator=torch.Generator().manual_seed(2))
    q.init_codebook(latents)
    for row in q.codebook:
        assert any(torch.equal(row, latent) for latent in latents)
    assert len({tuple(r.tolist()) for r in q.codebook}) == 4        # distinct latents
    assert torch.equal(q.code_sum, q.codebook) and bool((q.code_count == 1).all()) and bool(q.initialised)
    fresh = QuantizeEMAReset(4, 3, 0.99).eval()
    fresh(as_sequence(latents))
    assert not bool(fresh.initialised) and bool((fresh.codebook == 0).all())  # eval mode never initialises


def test_straight_through_gradient_is_the_identity_and_reaches_the_encoder():
    q = hand_made_quantizer().eval()
    x = as_sequence(HAND_LATENTS).requires_grad_(True)
    weights = torch.randn_like(x)
    quantised, _, _ = q(x)
    (quantised * weights).sum().backward()
    assert torch.equal(x.grad, weights)

    model = seeded_model(SMALL).train()
    model.quantizer.generator = torch.Generator().manual_seed(0)
    rot, commit, _ = model(random_poses(8))
    F.mse_loss(rot, torch.eye(3).expand_as(rot)).backward()
    assert model.encoder.lift.weight.grad is not None and float(model.encoder.lift.weight.grad.abs().sum()) > 0
    assert float(model.decoder.project.weight.grad.abs().sum()) > 0
    assert not model.quantizer.codebook.requires_grad


# ---- training makes it a tokenizer ----

def seeded_model(config, seed=0):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return PoseVQVAE(config)


def test_a_few_training_steps_lower_the_round_trip_error():
    poses = random_poses(16, seed=1)
    model = seeded_model(VQVAEConfig(width=32, code_dim=16, codebook_size=64))
    before = joint_error_mm(model.eval(), poses)   # ~430 mm: every pose decodes to the same one
    train_briefly(model, poses, steps=60)
    after = joint_error_mm(model, poses)           # ~170 mm
    assert after < 0.7 * before, (before, after)


# ---- files ----

def test_save_and_load_give_identical_outputs(tmp_path):
    poses = random_poses(16, seed=2)
    model = train_briefly(seeded_model(SMALL), poses, steps=3)
    model.save(tmp_path / "tok")
    loaded = PoseVQVAE.load(tmp_path / "tok")
    assert loaded.config == model.config
    for name, value in model.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[name]), name
    ids = model.encode(poses)
    assert torch.equal(loaded.encode(poses), ids)
    assert torch.equal(loaded.decode(ids), model.decode(ids))
    assert bool(loaded.quantizer.initialised)


def test_load_names_the_missing_file(tmp_path):
    with pytest.raises(InputError, match="config.json"):
        PoseVQVAE.load(tmp_path)


# ---- upstream's checkpoint layout ----

class UpstreamResnet(nn.Module):
    """A stack with upstream's attribute names (`model.N.conv1/conv2`), dilations 3 then 1."""

    def __init__(self, width):
        super().__init__()
        self.model = nn.Sequential(*[UpstreamBlock(width, d) for d in (3, 1)])

    def forward(self, x):
        return self.model(x)


class UpstreamBlock(nn.Module):
    def __init__(self, width, dilation):
        super().__init__()
        self.conv1 = nn.Conv1d(width, width, 3, 1, dilation, dilation)
        self.conv2 = nn.Conv1d(width, width, 1)

    def forward(self, x):
        return x + self.conv2(torch.relu(self.conv1(torch.relu(x))))


def upstream_layout(width, code_dim):
    """Encoder and decoder as nn.Sequential in the order documented in UniPose's pose_vqvae.py @14de673, so their
    state-dict keys are upstream's (`encoder.N...`, `decoder.N...`), independently of our key map."""
    w = width
    encoder = nn.Sequential(
        nn.Conv1d(6, w, 3, 1, 1), nn.ReLU(), nn.Upsample(40), nn.Conv1d(w, w, 3, 1, 1), nn.ReLU(),
        nn.Upsample(scale_factor=2), nn.Conv1d(w, w, 3, 1, 1), nn.ReLU(),
        nn.Upsample(scale_factor=2), nn.Conv1d(w, w, 3, 1, 1), nn.ReLU(),
        nn.Conv1d(w, w, 4, 2, 1), UpstreamResnet(w), nn.Conv1d(w, code_dim, 3, 1, 1))
    layers = [nn.Conv1d(code_dim, w, 3, 1, 1), nn.ReLU()]
    for length in (65, 51, 36, 22):
        layers += [nn.Upsample(length), nn.Conv1d(w, w, 3, 1, 1), nn.ReLU()]
    layers += [UpstreamResnet(w), nn.Conv1d(w, w, 3, 1, 1), nn.Conv1d(w, 6, 3, 1, 1)]
    return encoder, nn.Sequential(*layers)


def write_upstream_checkpoint(path, width=16, code_dim=8, codebook_size=32, prefix="vqvae.", drop=None, extra=None):
    torch.manual_seed(5)
    encoder, decoder = upstream_layout(width, code_dim)
    codebook = torch.randn(codebook_size, code_dim)
    state = {f"{prefix}encoder.encoder.{k}": v for k, v in encoder.state_dict().items()}
    state |= {f"{prefix}decoder.decoder.{k}": v for k, v in decoder.state_dict().items()}
    state[f"{prefix}quantizer.codebook"] = codebook
    state[f"{prefix}body_model.v_template"] = torch.zeros(10, 3)  # not the tokenizer: ignored
    if drop:
        del state[drop]
    state |= extra or {}
    torch.save({"state_dict": state, "epoch": 239, "global_step": 1000, "pytorch-lightning_version": "2.3.3"}, path)
    return encoder, decoder, codebook


def test_upstream_checkpoint_loads_and_computes_what_upstream_layers_compute(tmp_path):
    path = tmp_path / "best_MPJPE.ckpt"
    encoder, decoder, codebook = write_upstream_checkpoint(path)
    model = load_upstream_checkpoint(path)
    assert (model.config.width, model.config.code_dim, model.config.codebook_size) == (16, 8, 32)
    assert torch.equal(model.quantizer.codebook, codebook)
    sixd = model.poses_to_6d(random_poses(4, seed=3))
    with torch.no_grad():
        assert torch.allclose(model.encode_latents(sixd), encoder(sixd.permute(0, 2, 1)), atol=1e-6)
        latents = torch.randn(4, 8, 80)
        assert torch.allclose(model.decoder(latents), decoder(latents), atol=1e-6)
    ids = torch.randint(32, (4, 80), generator=torch.Generator().manual_seed(0))
    expected = rotations.sixd_to_matrix(decoder(F.embedding(ids, codebook).permute(0, 2, 1)).detach().permute(0, 2, 1))
    assert torch.allclose(model.decode_rotmats(ids), expected, atol=1e-5)
    assert bool(model.quantizer.initialised) and bool((model.quantizer.code_count == 1).all())


def test_plain_state_dict_without_prefix_also_loads(tmp_path):
    path = tmp_path / "state.pt"
    write_upstream_checkpoint(path, prefix="")
    assert load_upstream_checkpoint(path).config.width == 16


def test_upstream_missing_and_unexpected_keys_are_named_with_the_file(tmp_path):
    path = tmp_path / "broken.ckpt"
    write_upstream_checkpoint(path, drop="vqvae.decoder.decoder.15.weight")
    with pytest.raises(InputError) as err:
        load_upstream_checkpoint(path)
    assert "broken.ckpt" in str(err.value) and "decoder.decoder.15.weight" in str(err.value)
    assert "missing" in str(err.value)

    write_upstream_checkpoint(path, extra={"vqvae.encoder.encoder.20.weight": torch.zeros(3)})
    with pytest.raises(InputError, match=r"unexpected keys \[vqvae.encoder.encoder.20.weight\]"):
        load_upstream_checkpoint(path)


def test_upstream_file_that_needs_unpickling_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "pickled.ckpt"
    torch.save({"state_dict": {}, "hparams": argparse.Namespace(arch="vanilla")}, path)  # an arbitrary object
    with pytest.raises(InputError, match="weights-only"):
        load_upstream_checkpoint(path)
    with pytest.raises(InputError, match="no such file"):
        load_upstream_checkpoint(tmp_path / "absent.ckpt")
