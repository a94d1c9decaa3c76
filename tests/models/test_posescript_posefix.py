"""The PoseScript / PoseFix baselines: module shapes and valid rotations, losses that fall, seeded determinism, the
released-checkpoint loader on files written in upstream's layout, and the adapters' poses and texts."""

import argparse
from dataclasses import replace

import numpy as np
import pytest
import roma
import torch

from benchmark.errors import InputError
from benchmark.requests import DescribeRequest, PoseRequest
from models.posescript.checkpoint import load_model, load_released, save_model
from models.posescript.models import PoseTerms
from models.posescript.presets import get_preset
from models.posescript.training import build_model, family_vocabulary, train_model
from models.posescript.vocab import Vocabulary

SMOKE = get_preset("smoke")
WORDS = ["raise", "lower", "bend", "the", "left", "right", "arm", "knee", "a", "bit", "more", "."]


def _texts(rng, n):
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(4, 12)))) for _ in range(n)]


@pytest.fixture(scope="module")
def mini_data(tmp_path_factory):
    """A dataset folder in the Hub layout with the four tasks (synthetic rows, as tests/hub/synthetic.py makes)."""
    from datasets_build.hub.card import CardMetadata
    from datasets_build.hub.export import export_to_dir
    from models.baselines.training_data import TrainingData
    from tests.hub.synthetic import make_task_dataset

    card = CardMetadata(pretty_name="mini", summary="synthetic rows", command="pytest", suite_version="0.1.0",
                        seed=0, package_versions={}, sources=("embedded-world",))
    configs = {t: make_task_dataset(t, 0, {"train": 24, "test": 4})
               for t in ("text_to_pose", "pose_to_text", "pose_edit", "pose_diff")}
    return TrainingData(export_to_dir(configs, tmp_path_factory.mktemp("mini") / "world", card))


def _batch(rng, vocab, n=6):
    poses = torch.tensor(rng.normal(size=(n, 22, 3)) * 0.3, dtype=torch.float32)
    tokens, lengths = vocab.batch(_texts(rng, n))
    return poses, tokens, lengths


def _is_rotation(r: torch.Tensor) -> bool:
    eye = torch.eye(3).expand_as(r)
    return torch.allclose(r @ r.transpose(-1, -2), eye, atol=1e-4) and torch.allclose(torch.det(r), torch.ones(
        r.shape[:-2]), atol=1e-4)


def test_vocabulary_round_trip():
    vocab = Vocabulary.build(["Bend the left knee.", "Raise your arms, then bend."])
    assert vocab.words[:4] == ["<pad>", "<start>", "<end>", "<unk>"] and "knee" in vocab.index
    ids = vocab.encode("bend the left knee. raise the arms, please")
    assert ids[0] == vocab.start and ids[-1] == vocab.end and vocab.unk in ids  # "please" is unknown
    assert vocab.decode(vocab.encode("bend the left knee. raise your arms, then bend.")[1:-1]) == \
        "Bend the left knee. Raise your arms, then bend."
    tokens, lengths = vocab.batch(["bend", "bend the left knee"])
    assert tokens.shape == (2, 6) and lengths.tolist() == [3, 6] and tokens[0, 3:].eq(vocab.pad).all()


@pytest.mark.parametrize("task", ["text_to_pose", "pose_edit"])
def test_pose_generators_give_rotations_and_falling_losses(task):
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    vocab = Vocabulary.build(WORDS)
    model = build_model(task, SMOKE, len(vocab))
    poses_a, tokens, lengths = _batch(rng, vocab)
    poses_b = poses_a + 0.2
    terms = PoseTerms.skeleton()
    recipe = replace(getattr(SMOKE, task), lr=3e-3)
    opt = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    totals = []
    for _ in range(25):
        if task == "text_to_pose":
            losses = model.losses(poses_a, tokens, lengths, recipe, terms)
        else:
            losses = model.losses(poses_a, poses_b, tokens, lengths, recipe, terms)
        assert all(torch.isfinite(v) for v in losses.values())
        opt.zero_grad()
        losses["total"].backward()
        opt.step()
        totals.append(float(losses["total"].detach()))
    assert np.mean(totals[-5:]) < 0.9 * np.mean(totals[:5])
    model.eval()
    noise = torch.randn(6, 3, SMOKE.arch.latent_d)
    out = (model.generate(tokens, lengths, noise) if task == "text_to_pose"
           else model.generate(poses_a, tokens, lengths, noise))
    assert out.shape == (6, 3, 22, 3, 3) and _is_rotation(out)
    mean = (model.generate(tokens, lengths, None) if task == "text_to_pose"
            else model.generate(poses_a, tokens, lengths, None))
    assert mean.shape == (6, 1, 22, 3, 3)
    # zero noise is the mean
    zero = torch.zeros(6, 1, SMOKE.arch.latent_d)
    same = (model.generate(tokens, lengths, zero) if task == "text_to_pose"
            else model.generate(poses_a, tokens, lengths, zero))
    assert torch.allclose(same, mean, atol=1e-6)


@pytest.mark.parametrize("task", ["pose_to_text", "pose_diff"])
def test_text_generators_learn_and_decode(task):
    torch.manual_seed(0)
    rng = np.random.default_rng(2)
    vocab = Vocabulary.build(WORDS)
    model = build_model(task, SMOKE, len(vocab))
    poses, tokens, lengths = _batch(rng, vocab)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    totals = []
    for _ in range(25):
        losses = (model.losses(poses, tokens, lengths, vocab.pad) if task == "pose_to_text"
                  else model.losses(poses, poses.flip(0), tokens, lengths, vocab.pad))
        opt.zero_grad()
        losses["total"].backward()
        opt.step()
        totals.append(float(losses["total"].detach()))
    assert np.isfinite(totals).all() and np.mean(totals[-5:]) < 0.8 * np.mean(totals[:5])
    model.eval()
    ids = model.generate(poses, vocab) if task == "pose_to_text" else model.generate(poses, poses.flip(0), vocab)
    assert len(ids) == 6
    for seq in ids:
        # at least min_generated_tokens - 1 tokens (<end> barred before), at most max - 1, no specials but <unk>
        assert SMOKE.arch.min_generated_tokens - 1 <= len(seq) <= SMOKE.arch.max_generated_tokens - 1
        assert all(i >= 3 for i in seq)


@pytest.mark.parametrize("task", ["text_to_pose", "pose_to_text", "pose_edit", "pose_diff"])
def test_text_dropout_follows_the_architecture(task):
    """Every dropout of the text Transformers (embeddings, positions, attention, feed-forward) takes the
    architecture's rate: upstream's 0.1, none in the tiny preset; VPoser's own dropout stays."""
    tiny = get_preset("tiny")
    assert tiny.arch.text_dropout == 0.0 and get_preset("paper").arch.text_dropout == 0.1
    for rate in (0.0, 0.1):
        model = build_model(task, replace(tiny, arch=replace(tiny.arch, text_dropout=rate)), 50)
        text = model.text_decoder if task in ("pose_to_text", "pose_diff") else model.text_encoder
        rates = {m.p for m in text.modules() if isinstance(m, torch.nn.Dropout)}
        rates |= {m.dropout for m in text.modules() if isinstance(m, torch.nn.MultiheadAttention)}
        assert rates == {rate}
        assert {m.p for m in model.pose_encoder.modules() if isinstance(m, torch.nn.Dropout)} == {0.1}


def test_repeated_ngrams_are_barred_at_decoding():
    torch.manual_seed(0)
    vocab = Vocabulary.build(WORDS)
    model = build_model("pose_to_text", replace(SMOKE, arch=replace(SMOKE.arch, max_generated_tokens=40)),
                        len(vocab)).eval()
    decoder = model.text_decoder
    memory = model.memory(torch.zeros(3, 22, 3) + torch.arange(3.0)[:, None, None] * 0.2)
    args = dict(bos=vocab.start, eos=vocab.end, pad=vocab.pad, min_len=30, max_len=40)
    plain = decoder.generate_greedy(memory, **args)
    # the untrained decoder loops: plain greedy repeats bigrams, which n = 2 bars
    assert any(len(set(zip(seq, seq[1:]))) < len(seq) - 1 for seq in plain)
    for n in (1, 2, 3):
        for seq in decoder.generate_greedy(memory, no_repeat_ngram=n, **args):
            ngrams = list(zip(*(seq[i:] for i in range(n))))
            assert len(ngrams) == len(set(ngrams)) and all(t >= 3 for t in seq)
            assert len(seq) >= 29 or n == 1  # <end> barred before min_len (unigrams may run out of words)
    # the barring by hand: with "5 6 7 5 6" generated and 3-grams barred, 7 alone may not come next
    from transformers import NoRepeatNGramLogitsProcessor

    seq = torch.tensor([[5, 6, 7, 5, 6]])
    scores = NoRepeatNGramLogitsProcessor(3)(seq, torch.zeros(1, 10))
    assert torch.isinf(scores[0]).nonzero().flatten().tolist() == [7]


def test_training_is_deterministic_and_checkpoints_round_trip(mini_data, tmp_path):
    vocab = family_vocabulary(mini_data, ("text_to_pose", "pose_to_text"))
    a, report = train_model("text_to_pose", mini_data, SMOKE, vocab, seed=3, log=None)
    b, _ = train_model("text_to_pose", mini_data, SMOKE, vocab, seed=3, log=None)
    c, _ = train_model("text_to_pose", mini_data, SMOKE, vocab, seed=4, log=None)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
    assert report["steps"] == SMOKE.text_to_pose.steps and np.isfinite(report["loss_last"]["total"])
    save_model(tmp_path / "ckpt", "text_to_pose", a, vocab, "smoke", report)
    loaded, vocab2, config = load_model(tmp_path / "ckpt")
    assert vocab2.words == vocab.words and config["preset"] == "smoke"
    tokens, lengths = vocab.batch(["bend the left knee"])
    assert torch.equal(loaded.generate(tokens, lengths, None), a.generate(tokens, lengths, None))
    with pytest.raises(InputError, match="not a PoseScript/PoseFix checkpoint"):
        load_model(tmp_path)


# ---- upstream's released layout ----
# keys as upstream's modules name them (naver/posescript: VPoser's Sequential indices, NormalDistDecoder's mu /
# logvar, TIRG under correction_module / comparison_module, the text decoder's positional tables as buffers)
UPSTREAM_KEYS = {
    "CondTextPoser": ["pose_encoder.encoder.1.running_mean", "pose_encoder.encoder.2.weight",
                      "pose_encoder.encoder.7.weight", "pose_encoder.encoder.8.mu.weight",
                      "pose_encoder.encoder.8.logvar.bias", "pose_decoder.decoder.0.weight",
                      "pose_decoder.decoder.5.weight", "text_encoder.pretrained_text_encoder.embeddings."
                      "word_embeddings.weight", "text_encoder.projection.1.weight",
                      "text_encoder.transformer_encoder.layers.0.self_attn.in_proj_weight",
                      "text_encoder.output_layer.mu.weight", "decsigma_v2v", "decsigma_jts", "decsigma_rot"],
    "DescriptionGenerator": ["pose_encoder.encoder.8.weight", "pose_encoder.encoder.10.weight",
                             "modalityInputAdapter.encoder_hidden_state_adaptor.weight",
                             "text_decoder.embedding.weight", "text_decoder.final_layer.weight",
                             "text_decoder.transformer_decoder.layers.0.multihead_attn.in_proj_weight"],
    "PoseBGenerator": ["pose_encoder.encoder.8.weight", "pose_decoder_distribution_layer.mu.weight",
                       "correction_module.tirg.a", "correction_module.tirg.gated_feature_composer.3.weight",
                       "correction_module.tirg.res_info_composer.5.weight",
                       "pose_text_fusion_distribution_layer.logvar.weight"],
    "FeedbackGenerator": ["comparison_module.tirg.res_info_composer.3.weight", "text_decoder.embedding.weight"],
}
TINY_BERT = {"vocab_size": 50, "dim": 16, "hidden_dim": 32, "n_layers": 1, "n_heads": 2, "max_position_embeddings": 64}


def _upstream_file(path, model_name, latent, vocab_size, seed=0, **args):
    """A checkpoint as upstream's trainer writes it: {'model': state_dict, 'args': Namespace, ...}, with the
    sinusoidal tables stored as buffers (as upstream's PositionalEncoding registers them)."""
    from models.posescript.checkpoint import TASK_OF_UPSTREAM_MODEL, model_class
    from models.posescript.presets import PRESETS

    task = TASK_OF_UPSTREAM_MODEL[model_name]
    arch = replace(PRESETS["paper"].arch, num_neurons=24, latent_d=latent, encoder_latent_d=latent, word_dim=16,
                   text_layers=1, text_ff=16, text_latent_d=12, decoder_d=16, decoder_layers=1, decoder_heads=2,
                   decoder_ff=16, bert_config=TINY_BERT, min_generated_tokens=2, max_generated_tokens=6)
    torch.manual_seed(seed)
    model = model_class(task)(arch, vocab_size).eval()
    for p in model.parameters():  # away from the initial values, so a key that is not loaded shows
        p.data.add_(torch.randn_like(p) * 0.05)
    state = dict(model.state_dict())
    for name, module in model.named_modules():
        if hasattr(module, "pe"):
            state[f"{name}.pe"] = torch.zeros(5000, 1, module.pe.shape[1])
    missing = [k for k in UPSTREAM_KEYS[model_name] if k not in state]
    assert not missing, missing
    namespace = argparse.Namespace(model=model_name, latentD=latent, num_body_joints=52, **args)
    torch.save({"epoch": 3, "model": state, "args": namespace, "optimizer": {}}, path)
    return model


def test_released_checkpoints_load_key_for_key(tmp_path):
    words = ["<pad>", "<start>", "<end>", "<unk>", *WORDS]
    (tmp_path / "vocab.txt").write_text("\n".join(words) + "\n")
    rng = np.random.default_rng(5)
    poses = torch.tensor(rng.normal(size=(3, 22, 3)) * 0.3, dtype=torch.float32)
    ids = torch.randint(0, 50, (3, 7))
    lengths = torch.tensor([7, 5, 3])
    noise = torch.randn(3, 2, 8)
    vocab = Vocabulary(words)
    cases = [("CondTextPoser", dict(text_encoder_name="distilbertUncased", transformer_topping="avgp")),
             ("PoseBGenerator", dict(text_encoder_name="distilbertUncased", transformer_topping="avgp",
                                     special_text_latentD=12)),
             ("DescriptionGenerator", dict(text_decoder_name="transformer_vocPSA2H2", decoder_latentD=16,
                                           decoder_nhead=2, decoder_nlayers=1)),
             ("FeedbackGenerator", dict(text_decoder_name="transformer_vocPFAHPP", decoder_latentD=16,
                                        decoder_nhead=2, decoder_nlayers=1))]
    for name, args in cases:
        path = tmp_path / f"{name}.pth"
        vocab_size = 50 if "text_encoder_name" in args else len(words)
        original = _upstream_file(path, name, 8, vocab_size, **args)
        loaded, loaded_vocab, info = load_released(path, tmp_path / "vocab.txt" if vocab_size != 50 else None,
                                                   bert_config=TINY_BERT)
        assert info["class"] == name and info["arch"]["n_joints"] == 52 and info["arch"]["num_neurons"] == 24
        if name == "CondTextPoser":
            assert torch.equal(loaded.generate(ids, lengths, noise), original.generate(ids, lengths, noise))
            assert loaded.generate(ids, lengths, noise).shape == (3, 2, 52, 3, 3)
        elif name == "PoseBGenerator":
            assert torch.equal(loaded.generate(poses, ids, lengths, noise), original.generate(poses, ids, lengths,
                                                                                              noise))
        elif name == "DescriptionGenerator":
            assert loaded_vocab.words == words
            memory = loaded.memory(poses)
            assert torch.equal(memory, original.memory(poses))
            tokens, token_lengths = vocab.batch(["bend the left knee", "raise"])
            assert torch.equal(loaded.text_decoder(memory[:2], tokens, token_lengths),
                               original.text_decoder(memory[:2], tokens, token_lengths))
        else:
            assert torch.equal(loaded.memory(poses, poses.flip(0)), original.memory(poses, poses.flip(0)))


class NotAllowed:
    """Any class that is not a safe global: a weights-only load must refuse it."""


def test_released_loader_refuses_what_it_cannot_read(tmp_path):
    bad = tmp_path / "code.pth"
    torch.save({"model": {}, "args": NotAllowed()}, bad)
    with pytest.raises(InputError, match="weights-only"):
        load_released(bad)
    retrieval = tmp_path / "ret.pth"
    torch.save({"model": {}, "args": argparse.Namespace(model="PoseText")}, retrieval)
    with pytest.raises(InputError, match="args.model"):
        load_released(retrieval)
    with pytest.raises(InputError, match="no such checkpoint"):
        load_released(tmp_path / "missing.pth")
    _upstream_file(tmp_path / "cap.pth", "DescriptionGenerator", 8, 16, decoder_latentD=16, decoder_nhead=2,
                   decoder_nlayers=1)
    with pytest.raises(InputError, match="needs its vocabulary"):
        load_released(tmp_path / "cap.pth")
    (tmp_path / "v.txt").write_text("<pad>\n<start>\n<end>\n<unk>\nbend\n")
    with pytest.raises(InputError, match="5 words, the checkpoint 16"):
        load_released(tmp_path / "cap.pth", tmp_path / "v.txt")


@pytest.mark.parametrize("family", ["posescript", "posefix"])
def test_adapters_answer_with_valid_poses_and_texts(family, mini_data, monkeypatch, tmp_path):
    from benchmark.adapters import load_adapter

    monkeypatch.setenv("UNIPOSE_BENCH_HOME", str(tmp_path / "home"))
    adapter = load_adapter(f"{family}:preset=smoke,seed=1,batch_size=2", train=str(mini_data.root))
    again = load_adapter(f"{family}:preset=smoke,seed=1,batch_size=5", train=str(mini_data.root))  # cached
    assert adapter.meta.revision == again.meta.revision and adapter.meta.name == f"{family}-smoke"
    assert len(list((tmp_path / "home" / "models" / family).iterdir())) == 1
    rng = np.random.default_rng(7)
    pose = lambda: (rng.normal(size=(22, 3)) * 0.3).astype(np.float32)  # noqa: E731
    texts = _texts(rng, 3)
    if family == "posescript":
        pose_requests = [PoseRequest("text_to_pose", str(i), {"text": t}, t, n_samples=2, seed=i)
                         for i, t in enumerate(texts)]
        describe = [DescribeRequest("pose_to_text", str(i), {"pose": pose()}, "describe") for i in range(3)]
    else:
        pose_requests = [PoseRequest("pose_edit", str(i), {"pose": pose(), "text": t}, t, n_samples=2, seed=i)
                         for i, t in enumerate(texts)]
        describe = [DescribeRequest("pose_diff", str(i), {"pose_a": pose(), "pose_b": pose()}, "diff")
                    for i in range(3)]
    out = adapter.generate_pose(pose_requests)
    for r in out:
        assert r.poses.shape == (2, 22, 3) and r.poses.dtype == np.float32 and np.isfinite(r.poses).all()
        assert np.linalg.norm(r.poses, axis=-1).max() <= np.pi + 1e-4  # axis-angle of a rotation
        assert not np.allclose(r.poses[0], r.poses[1])  # two draws
    # the same answers whatever the batching (per-request noise; padding changes only the rounding)
    other = again.generate_pose(pose_requests[::-1])[::-1]
    assert all(np.allclose(a.poses, b.poses, atol=1e-5) for a, b in zip(out, other))
    texts_out = adapter.describe(describe)
    assert len(texts_out) == 3 and all(isinstance(t.text, str) and t.text.strip() for t in texts_out)
    assert [t.text for t in adapter.describe(describe)] == [t.text for t in texts_out]
    with pytest.raises(InputError, match="sampling"):
        load_adapter(f"{family}:preset=smoke,sampling=best", train=str(mini_data.root))


@pytest.mark.slow
def test_tiny_generators_overfit_a_few_rows():
    """The tiny architectures fit 8 poses and their texts: reconstruction from the text prior gets close (mean
    joint error under 5 cm) and the captions are reproduced (cross-entropy near 0)."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    tiny = get_preset("tiny")
    vocab = Vocabulary.build(WORDS)
    poses, tokens, lengths = _batch(rng, vocab, n=8)
    terms = PoseTerms.skeleton()
    model = build_model("text_to_pose", tiny, len(vocab))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(600):
        losses = model.losses(poses, tokens, lengths, tiny.text_to_pose, terms)
        opt.zero_grad()
        losses["total"].backward()
        opt.step()
    model.eval()
    gen = model.generate(tokens, lengths, None)[:, 0]
    err = (terms.joints(gen) - terms.joints(roma.rotvec_to_rotmat(poses))).norm(dim=-1).mean()
    assert err < 0.05
    captioner = build_model("pose_to_text", tiny, len(vocab))
    opt = torch.optim.Adam(captioner.parameters(), lr=1e-3)
    for _ in range(300):
        loss = captioner.losses(poses, tokens, lengths, vocab.pad)["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss) < 0.2
