import math

import numpy as np
import pytest
import torch
from torch import nn

from benchmark.retrieval.config import ArchitectureConfig
from benchmark.retrieval.evaluator import tokenize
from benchmark.retrieval.loss import bbc, similarity_scores, symmetric_bbc
from benchmark.retrieval.models import build_model
from tests.retrieval.conftest import small_arch


def _linear_shapes(module):
    return [(m.in_features, m.out_features) for m in module.modules() if isinstance(m, nn.Linear)]


def test_default_architecture_is_posescripts(backbone):
    model = build_model(ArchitectureConfig(kind="pair-text"), backbone.word_embeddings)
    pose = model.pose_encoder
    assert [type(m).__name__ for m in pose.trunk] == ["BatchNorm1d", "Linear", "LeakyReLU", "BatchNorm1d", "Dropout",
                                                      "Linear", "Linear"]
    assert pose.trunk[0].num_features == 66 and pose.trunk[4].p == 0.1
    assert _linear_shapes(pose) == [(66, 512), (512, 512), (512, 512), (512, 32), (32, 512)]
    assert _linear_shapes(model.fusion) == [(1024, 1024), (1024, 512), (512, 512)]
    text = model.text_encoder
    for gru in (text.gru_forward, text.gru_backward):  # the two directions of a 1-layer BiGRU, 256 per direction
        assert (gru.input_size, gru.hidden_size, gru.num_layers, gru.bidirectional) == (256, 256, 1, False)
    assert text.initial_hidden.shape == (2, 1, 256)
    assert _linear_shapes(text) == [(384, 256), (256, 256), (512, 256), (256, 512)]  # MiniLM words are 384-d


@pytest.mark.parametrize("kind", ["pose-text", "pair-text"])
@pytest.mark.parametrize("n_joints", [22, 52])
def test_embeddings_have_the_right_shape_and_unit_norm(backbone, kind, n_joints):
    model = build_model(small_arch(kind, n_joints=n_joints), backbone.word_embeddings).eval()
    poses = torch.randn(5, n_joints, 3, generator=torch.Generator().manual_seed(0))
    inputs = (poses,) if kind == "pose-text" else (poses, poses.flip(0))
    ids, lengths = tokenize(backbone, ["the left knee is bent", "arms up", "", "x" * 3, "a " * 300], 196)
    assert lengths.max() == 196  # truncated to UniPose's max_length
    with torch.no_grad():
        p, t = model.encode_inputs(*inputs), model.encode_texts(ids, lengths)
    assert p.shape == t.shape == (5, 128) and p.dtype == t.dtype == torch.float32
    torch.testing.assert_close(p.norm(dim=1), torch.ones(5))
    torch.testing.assert_close(t.norm(dim=1), torch.ones(5))


def test_text_embedding_does_not_depend_on_padding(backbone):
    # Packing makes the GRU stop at each text's true length: the same text alone or padded in a batch embeds the same.
    model = build_model(small_arch("pose-text"), backbone.word_embeddings).eval()
    texts = ["raise your left hand", "the right knee is bent at a right angle and the torso leans forward a lot"]
    with torch.no_grad():
        together = model.encode_texts(*tokenize(backbone, texts, 196))
        alone = model.encode_texts(*tokenize(backbone, texts[:1], 196))
    torch.testing.assert_close(together[0], alone[0], atol=1e-6, rtol=0)


def test_word_embeddings_are_the_frozen_backbone_table(backbone):
    from safetensors import safe_open

    model = build_model(small_arch("pose-text"), backbone.word_embeddings)
    with safe_open(f"{backbone.info.path}/model.safetensors", "pt") as f:
        key = next(k for k in f.keys() if k.endswith("word_embeddings.weight"))
        table = f.get_tensor(key)
    assert torch.equal(model.text_encoder.word_embeddings, table.float())
    assert not model.text_encoder.word_embeddings.requires_grad
    assert not any("word_embeddings" in k for k in model.state_dict())  # not saved with the trained weights
    assert all(p is not model.text_encoder.word_embeddings for p in model.parameters())


def test_temperature_starts_at_10_has_its_own_group_and_learns(backbone):
    model = build_model(small_arch("pose-text"), backbone.word_embeddings)
    assert isinstance(model.temperature, nn.Parameter) and model.temperature.requires_grad
    assert model.temperature.item() == 10.0
    groups = model.parameter_groups()
    assert groups[1]["params"] == [model.temperature]
    assert all(p is not model.temperature for p in groups[0]["params"])
    assert len(groups[0]["params"]) + 1 == len(list(model.parameters()))
    opt = torch.optim.Adam(groups, lr=1e-2)
    ids, lengths = tokenize(backbone, ["left arm up", "right leg back", "sitting"], 196)
    poses = torch.randn(3, 22, 3, generator=torch.Generator().manual_seed(1))
    loss = symmetric_bbc(model.encode_texts(ids, lengths), model.encode_inputs(poses), model.temperature)
    loss.backward()
    assert model.temperature.grad is not None and model.temperature.grad.abs() > 0
    opt.step()
    assert model.temperature.item() != 10.0


def test_symmetric_bbc_matches_a_hand_computation():
    # 3 texts and 3 poses on the unit circle / sphere, tau = 10.
    t = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.6, 0.8, 0.0]], dtype=torch.float64)
    p = torch.tensor([[0.8, 0.6, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]], dtype=torch.float64)
    tau = torch.tensor(10.0, dtype=torch.float64)
    dots = [[sum(a * b for a, b in zip(ti, pj)) for pj in p.tolist()] for ti in t.tolist()]
    s = [[10.0 * d for d in row] for row in dots]

    def ce_rows(m):  # mean over rows of -log softmax(row)[i]
        return sum(-(m[i][i] - math.log(sum(math.exp(v) for v in m[i]))) for i in range(3)) / 3

    s_t = [[s[j][i] for j in range(3)] for i in range(3)]
    want_t2p, want_p2t = ce_rows(s), ce_rows(s_t)
    scores = similarity_scores(t, p, tau)
    np.testing.assert_allclose(scores.numpy(), np.array(s), atol=1e-12)
    assert bbc(scores).item() == pytest.approx(want_t2p, abs=1e-12)
    assert symmetric_bbc(t, p, tau).item() == pytest.approx(0.5 * (want_t2p + want_p2t), abs=1e-12)
    # a value worked by hand, against a mistake shared by the code and the loops above: text 2 = (0.6, 0.8, 0) scores
    # (9.6, 0, 8) against the poses and its target is pose 2: log(e^9.6 + e^0 + e^8) - 8 = 1.6 + log(1.20196...)
    row_losses = torch.nn.functional.cross_entropy(scores, torch.arange(3), reduction="none")
    assert row_losses[2].item() == pytest.approx(1.78396, abs=1e-5)


def test_padded_bigru_equals_upstreams_packed_bigru(backbone):
    from benchmark.retrieval.training import seeded_torch

    with seeded_torch(0):
        model = build_model(small_arch("pose-text"), backbone.word_embeddings).train()
    texts = ["a", "", "raise your left hand above the head", "the right knee is bent at a right angle " * 4]
    ids, lengths = tokenize(backbone, texts, 196)
    enc = model.text_encoder
    fast = enc(ids, lengths)
    fast.pow(2).sum(dim=0).mul(torch.arange(128.0)).sum().backward()
    grads = [p.grad.clone() for p in enc.input_mlp.parameters()] + [enc.initial_hidden.grad.clone()]
    enc.zero_grad()
    packed = enc.encode_packed(ids, lengths)
    packed.pow(2).sum(dim=0).mul(torch.arange(128.0)).sum().backward()
    torch.testing.assert_close(fast, packed, atol=1e-6, rtol=0)
    for got, want in zip(grads, [p.grad for p in enc.input_mlp.parameters()] + [enc.initial_hidden.grad]):
        # same maths, different float32 summation order: agree to ~1e-3 of the gradient's scale
        torch.testing.assert_close(got, want, rtol=1e-3, atol=1e-3 * float(want.abs().max()))


def test_embedded_pair_architecture_reads_joint_positions_and_their_changes(backbone):
    from benchmark.body.skeleton import SkeletonBody

    arch = ArchitectureConfig(kind="pair-text", pose_features="axis_angle+joints", pair_fusion="features")
    model = build_model(arch, backbone.word_embeddings).eval()
    assert not hasattr(model, "pose_encoder") and not hasattr(model, "fusion")
    assert _linear_shapes(model.pair_encoder) == [(3 * 132, 1024), (1024, 1024), (1024, 512)]
    poses = torch.randn(4, 22, 3, generator=torch.Generator().manual_seed(1)) * 0.5
    features = model.pair_encoder.features(poses)
    joints = SkeletonBody().joints(poses.numpy())  # an independent forward kinematics
    torch.testing.assert_close(features[:, :66], poses.reshape(4, 66))
    torch.testing.assert_close(features[:, 66:], torch.from_numpy(joints - joints[:, :1]).reshape(4, 66),
                               atol=1e-5, rtol=0)
    with torch.no_grad():
        a_to_b, b_to_a = model.encode_inputs(poses, poses.flip(0)), model.encode_inputs(poses.flip(0), poses)
    assert (a_to_b * b_to_a).sum(1).max() < 0.999  # A -> B is not B -> A


def test_joint_features_need_the_22_joint_skeleton():
    with pytest.raises(ValueError, match="n_joints=22"):
        ArchitectureConfig(kind="pose-text", pose_features="axis_angle+joints", n_joints=52)
