"""MetaPose (models/metapose): shapes, the flip augmentation's left/right swap, the deformable sampling against
grid_sample at a hand-computed point, the alignment's attention against a per-head loop, checkpoints, the adapter's errors; a slow test trains the tiny preset on the
default embedded world and beats the mean pose."""

import math
import os

import pytest
import torch
import torch.nn.functional as F

from benchmark.body.joints import SMPL_BODY_22
from benchmark.errors import InputError
from models.metapose.checkpoint import CONFIG, load_checkpoint, save_checkpoint
from models.metapose.model import MetaPose, flip_images, flip_joints, flip_keypoints
from models.metapose.network import DeformableSampling, TransformationAlignment, grid_coordinates, normalise_screen
from models.metapose.presets import get_preset

SMOKE = get_preset("smoke").arch


def _model(seed=0):
    torch.manual_seed(seed)
    return MetaPose(SMOKE, torch.randn(1, 22, SMOKE.text_dim)).eval()


def test_shapes_of_the_backbone_and_the_lifted_joints():
    model = _model()
    images = torch.randint(0, 256, (3, 128, 128, 3), dtype=torch.uint8)
    feats, kp = model.features(images)
    # four levels at strides 4, 8, 16, 32, as HRNet's; keypoints in pixels inside the image
    assert [tuple(f.shape) for f in feats] == [(3, 8, 32, 32), (3, 8, 16, 16), (3, 8, 8, 8), (3, 8, 4, 4)]
    assert kp.shape == (3, 22, 2) and bool(((kp >= 0) & (kp <= 127)).all())
    T, J, c = model.net.noise_shape()
    assert (T, J, c) == (5, 22, SMOKE.embed_dim)  # 4 level tokens + the coordinate / text token
    def draws(seed):
        return torch.randn(3, 2, T, J, c, generator=torch.Generator().manual_seed(seed))

    out = model.predict(images, draws(0))
    assert out.shape == (3, 22, 3) and torch.isfinite(out).all()
    # the noise matters (upstream draws it in evaluation too) and the same draws give the same answer; a draw
    # constant over the channels would not (the LayerNorm on the Gaussian prompt removes it)
    again = model.predict(images, draws(0))
    other = model.predict(images, draws(1))
    assert torch.equal(out, again) and not torch.allclose(out, other)


def test_flip_swaps_left_and_right_by_hand():
    # smpl-body-22: 0 pelvis, 1 left_hip, 2 right_hip
    assert SMPL_BODY_22.names[:3] == ("pelvis", "left_hip", "right_hip")
    perm = SMPL_BODY_22.mirror_permutation
    kp = torch.zeros(1, 22, 2)
    kp[0, 0], kp[0, 1], kp[0, 2] = torch.tensor([50.0, 60.0]), torch.tensor([10.0, 20.0]), torch.tensor([30.0, 40.0])
    flipped = flip_keypoints(kp, 128, perm)
    # u -> 127 - u (pixel centres at integers); the left hip takes the mirrored right hip's place and back
    assert flipped[0, 0].tolist() == [77.0, 60.0]
    assert flipped[0, 1].tolist() == [97.0, 40.0]
    assert flipped[0, 2].tolist() == [117.0, 20.0]
    joints = torch.zeros(1, 22, 3)
    joints[0, 1], joints[0, 2] = torch.tensor([0.1, 0.2, 3.0]), torch.tensor([-0.1, 0.25, 3.1])
    fj = flip_joints(joints, perm)
    assert torch.allclose(fj[0, 1], torch.tensor([0.1, 0.25, 3.1])) and torch.allclose(fj[0, 2],
                                                                                      torch.tensor([-0.1, 0.2, 3.0]))
    assert torch.equal(flip_joints(fj, perm), joints) and torch.equal(flip_keypoints(flipped, 128, perm), kp)
    image = torch.zeros(1, 4, 5, 3, dtype=torch.uint8)
    image[0, 1, 0] = 255  # row 1, column 0 -> column 4
    assert flip_images(image)[0, 1, 4].tolist() == [255, 255, 255] and int(flip_images(image).sum()) == 3 * 255


def test_deformable_sampling_reads_grid_sample_at_the_hand_computed_point():
    H, W = 5, 9
    ys, xs = torch.meshgrid(torch.arange(H, dtype=torch.float32), torch.arange(W, dtype=torch.float32),
                            indexing="ij")
    feat = (2 * xs + 3 * ys + 1)[None, None]  # linear in the pixel position: bilinear sampling is exact on it
    block = DeformableSampling(dim=4, level_channels=(1,), heads=1, points=1)
    with torch.no_grad():
        block.values[0].weight.fill_(1.0)
        block.values[0].bias.zero_()
    # head 0 of a ring points along +x: its first point's offset bias is 0.01, passed through tanh
    assert block.offsets.bias.tolist() == pytest.approx([0.01, 0.0])
    ref = torch.tensor([0.2, -0.5]).view(1, 1, 1, 2)
    out = block(torch.randn(1, 1, 1, 4), ref, [feat])
    x, y = 0.2 + math.tanh(0.01), -0.5
    # align_corners=True: -1 is the centre of pixel 0, +1 that of pixel W - 1
    u, v = (x + 1) / 2 * (W - 1), (y + 1) / 2 * (H - 1)
    by_hand = 2 * u + 3 * v + 1
    direct = F.grid_sample(feat, torch.tensor([[[[x, y]]]]), align_corners=True)[0, 0, 0, 0]
    assert float(direct) == pytest.approx(by_hand, abs=1e-5)
    assert out.shape == (1, 1, 1, 4) and out[0, 0, 0].tolist() == pytest.approx([by_hand] * 4, abs=1e-5)


def test_alignment_attends_as_a_per_head_softmax_loop():
    torch.manual_seed(3)
    B, T, J, c, heads = 2, 3, 4, 8, 2
    block = TransformationAlignment(c, T, heads)
    x_p, x_t, eps = torch.randn(B, T, J, c), torch.randn(B, T, J, c), torch.randn(B, T, J, c)
    out = block(x_p, x_t, eps)
    # the same computation written out token by token: fused tokens attend to the Gaussian prompt's tokens
    with torch.no_grad():
        mean, logvar = block.dist_proj(x_p).split(1, dim=-1)
        g = (mean + torch.exp(0.5 * logvar) * eps).reshape(B, T * J, c)
        x = torch.stack([block.fusion[t](torch.cat([x_p[:, t], x_t[:, t]], -1)) for t in range(T)], 1)
        x = x.reshape(B, T * J, c)
        q, kv = block.q(block.norm_q(x)), block.kv(block.norm_kv(g))
        k, v = kv[..., :c], kv[..., c:]
        hd = c // heads
        expected = x.clone()
        for b in range(B):
            for h in range(heads):
                s = slice(h * hd, (h + 1) * hd)
                w = torch.softmax(q[b, :, s] @ k[b, :, s].T / math.sqrt(hd), dim=-1)
                expected[b, :, s] += w @ v[b, :, s]
    assert torch.allclose(out, expected.view(B, T, J, c), atol=1e-5)


def test_ring_initialisation_and_coordinate_mappings():
    block = DeformableSampling(dim=8, level_channels=(3,), heads=4, points=2)
    bias = block.offsets.bias.view(4, 2, 2)
    assert bias[1, 1].tolist() == pytest.approx([0.0, 0.02], abs=1e-7)  # head 1: 90 degrees; point 1: radius 0.02
    assert bias[2, 0].tolist() == pytest.approx([-0.01, 0.0], abs=1e-7)
    kp = torch.tensor([[[96.0, 128.0], [0.0, 0.0]]])
    # upstream's crop mapping for a 192 x 256 crop: x / 96 - 1, y / 128 - 1; VideoPose3D's screen normalisation
    assert grid_coordinates(kp, 192, 256)[0].tolist() == [[0.0, 0.0], [-1.0, -1.0]]
    assert normalise_screen(kp, 192, 256)[0, 0].tolist() == pytest.approx([0.0, 128 / 192 * 2 - 256 / 192])


def test_checkpoint_round_trip(tmp_path):
    model = _model(seed=3)
    folder = save_checkpoint(tmp_path / "ckpt", model, "smoke", "agnostic", "minilm", {"seconds": 1.0})
    loaded, config = load_checkpoint(folder)
    assert config["preset"] == "smoke" and config["arch"]["joint_set"] == "smpl-body-22"
    for (k, v), (k2, v2) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)
    images = torch.randint(0, 256, (2, 128, 128, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    eps = torch.randn(2, 2, *model.net.noise_shape(), generator=torch.Generator().manual_seed(2))
    # load_checkpoint freezes the parameters; frozen, PyTorch may choose other attention kernels than for a model
    # still training (differences in the last bit), so the bit-for-bit comparison is between frozen models
    for p in model.parameters():
        p.requires_grad_(False)
    assert torch.equal(model.predict(images, eps), loaded.predict(images, eps))
    assert not list(tmp_path.glob(".ckpt.*.tmp"))  # the temporary folder (benchmark.atomic_files.temp_path)
    (folder / CONFIG).write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="damaged MetaPose config"):
        load_checkpoint(folder)
    with pytest.raises(InputError, match="not a MetaPose checkpoint"):
        load_checkpoint(tmp_path / "nothing")


def test_adapter_errors_name_the_argument(tmp_path):
    from models.metapose.adapter import MetaPoseAdapter

    with pytest.raises(InputError, match="unknown MetaPose preset") as err:
        MetaPoseAdapter(train=str(tmp_path), preset="huge")
    assert err.value.field == "preset"
    with pytest.raises(InputError, match="checkpoint=DIR or train=DIR"):
        MetaPoseAdapter()
    with pytest.raises(InputError, match="seed must be an integer"):
        MetaPoseAdapter(seed="x")
    with pytest.raises(InputError, match="not trained by this suite"):
        MetaPoseAdapter(train=str(tmp_path), preset="paper")


@pytest.mark.slow
def test_tiny_metapose_beats_the_mean_pose_on_the_default_world(tmp_path, monkeypatch):
    """Trains the tiny preset on the default embedded world the main job built (skipped when there is none) and
    scores it and the mean pose on pose_estimation/embedded through the harness."""
    from benchmark import workspace
    from benchmark.adapters import load_adapter
    from benchmark.evaluation.cache import ResponseCache
    from benchmark.evaluation.runner import evaluate
    from benchmark.pipeline import latest_context
    from benchmark.tasks.catalog import get_task

    build = workspace.latest_world_id()
    if build is None:
        pytest.skip("no embedded world built here (run `unipose-bench run` first)")
    ctx = latest_context(seed=0, bootstrap=200)
    world = workspace.world_hub_dir(build)
    monkeypatch.setenv("UNIPOSE_BENCH_HOME", str(tmp_path / "home"))  # the trained weights go to a fresh home
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "2"))
    task = get_task("pose_estimation/embedded", ctx)
    scores = {}
    with ResponseCache(tmp_path / "cache.sqlite") as cache:
        for spec in ("mean_pose", "metapose:preset=tiny"):
            adapter = load_adapter(spec, train=str(world))
            (result,) = evaluate(adapter, [task], tmp_path / "out", cache, progress=False)
            scores[spec] = result.scores
    meta, mean = scores["metapose:preset=tiny"], scores["mean_pose"]
    assert meta["pa_mpjpe"].value < mean["pa_mpjpe"].value
    assert meta["pa_mpjpe_limbs12"].value < mean["pa_mpjpe_limbs12"].value
    assert meta["root_orientation_error"].value is None
