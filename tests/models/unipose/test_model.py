"""UniPose's sequences, targets and decoding on a tiny Llama: the vocabulary in upstream's order, targets placed as
the paper's loss needs, one-pass query decoding equal to the training-time forward, batching that changes nothing."""

import numpy as np
import pytest
import torch

from benchmark.errors import InputError
from models.unipose.attention import QUERY, TOKEN
from models.unipose.sequences import IGNORE, IMAGE_SLOT, Example, collate

TEXTS = ["the person raises the left arm above the head", "bend both knees a lot and lean forward",
         "the right elbow is bent", "move the left foot to the right"] * 20


@pytest.fixture(scope="module")
def model():
    from models.unipose.language_model import build_tiny_language_model
    from models.unipose.model import UniPose
    from models.unipose.vocab import PoseVocabulary
    from models.unipose.vqvae import PoseVQVAE, VQVAEConfig

    lm, tokenizer = build_tiny_language_model(TEXTS, hidden=32, layers=2, heads=4, vocab_size=300, seed=0)
    torch.manual_seed(0)
    vqvae = PoseVQVAE(VQVAEConfig(width=16, code_dim=8, codebook_size=32)).eval()
    vocab = PoseVocabulary.add_to(tokenizer, 32, vqvae.config.n_latents)
    lm.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    return UniPose(lm.eval(), tokenizer, vqvae, vocab, mixed=True)


def _pose(seed):
    return np.random.default_rng(seed).normal(0, 0.3, (22, 3)).astype(np.float32)


def test_vocabulary_follows_upstreams_order(model):
    v, tok = model.vocab, model.tokenizer
    assert tok.convert_ids_to_tokens(v.first_code) == "<pose_id_0>"
    assert (v.begin, v.end) == (v.first_code + 32, v.first_code + 33)  # <pose_id_K>, <pose_id_K+1>
    assert (v.im_start, v.im_end) == (v.end + 1, v.end + 2)
    assert v.first_query == v.im_end + 1 and v.first_query + 80 == len(tok)  # the queries are the last rows
    assert tok.convert_ids_to_tokens(len(tok) - 1) == "<pose_query_79>"
    # a pose is written as 82 tokens, and the tokenizer reads the written form back to the same ids
    codes = np.arange(80) % 32
    ids = v.pose_token_ids(codes)
    assert len(ids) == 82 and tok("".join(tok.convert_ids_to_tokens(ids)), add_special_tokens=False)[
        "input_ids"] == ids


def test_a_tokenizer_without_the_pose_tokens_is_refused():
    from models.unipose.language_model import build_tiny_language_model
    from models.unipose.vocab import PoseVocabulary

    _, tokenizer = build_tiny_language_model(TEXTS, hidden=32, layers=1, heads=4, vocab_size=300, seed=0)
    with pytest.raises(InputError, match="<pose_id_0>"):
        PoseVocabulary.of(tokenizer, 32, 80)


def test_targets_of_a_generated_pose(model):
    v = model.vocab
    codes = (np.arange(80) * 7) % 32
    seq = model.builder.training(Example("Generate the pose of the description: the person raises the left arm",
                                         {}, answer_codes=codes, output_pose=True))
    p = seq.prompt_length
    eos = model.tokenizer.eos_token_id
    assert seq.ids[p:] == [v.begin, *v.query_ids, v.end, eos]
    assert seq.kinds[p:] == [TOKEN] + [QUERY] * 80 + [TOKEN, TOKEN]
    assert seq.targets[:p - 1] == [IGNORE] * (p - 1)  # the prompt is never a target
    assert seq.targets[p - 1] == v.begin  # shifted: the prompt's last token predicts the begin marker
    assert seq.targets[p] == IGNORE  # nothing predicts the first query from the begin marker
    assert seq.targets[p + 1:p + 81] == [v.first_code + int(c) for c in codes]  # unshifted: each query its code
    assert seq.targets[p + 81] == eos and seq.targets[p + 82] == IGNORE  # the end marker predicts eos
    assert v.end not in seq.targets  # decoding appends the end marker: nothing learns to predict it


def test_targets_of_a_text_answer_and_an_input_pose(model):
    codes = np.arange(80) % 32
    seq = model.builder.training(Example("Describe the pose <pose>.", {"pose": codes}, answer_text="bend both knees"))
    answer = model.tokenizer("bend both knees", add_special_tokens=False)["input_ids"] + [model.tokenizer.eos_token_id]
    p = seq.prompt_length
    assert seq.ids[p:] == answer and seq.targets[p - 1:-1] == answer and seq.targets[-1] == IGNORE
    assert model.vocab.pose_token_ids(codes) == seq.ids[seq.ids.index(model.vocab.begin):][:82]  # input pose: codes
    assert QUERY not in seq.kinds


def test_placeholders_and_inputs_must_agree(model):
    with pytest.raises(InputError, match="pose_a"):
        model.builder.prompt(Example("How does <poseA> become <poseB>?", {"pose_b": np.zeros(80, int)}))
    with pytest.raises(InputError, match="no placeholder"):
        model.builder.prompt(Example("Describe it.", {"pose": np.zeros(80, int)}))


def test_image_slots(model):
    from models.unipose.sequences import SequenceBuilder

    builder = SequenceBuilder(model.tokenizer, model.vocab, n_image_tokens=4)
    seq = builder.prompt(Example("Compare <imageA> and <imageB>", {"image_a": "A", "image_b": "B"}))
    assert seq.images == ["A", "B"] and seq.ids.count(IMAGE_SLOT) == 8
    start = seq.ids.index(model.vocab.im_start)
    assert seq.ids[start:start + 6] == [model.vocab.im_start, *[IMAGE_SLOT] * 4, model.vocab.im_end]


def _pose_examples():
    return [Example(f"Generate the pose of the description: {t}", {}, answer_codes=(np.arange(80) * (i + 1)) % 32,
                    output_pose=True) for i, t in enumerate(TEXTS[:3])]


def test_one_pass_query_decoding_equals_the_training_forward(model):
    examples = _pose_examples()
    batch = collate(model.encode_examples(examples), model.tokenizer.pad_token_id)
    with torch.no_grad():
        logits = model._forward(model.embed(batch["ids"], []), batch["kinds"]).logits
        out, kinds = model._prefill(examples, [model.vocab.begin])
        queries = torch.tensor(list(model.vocab.query_ids)).expand(3, 80)
        cached = model._step(queries, torch.full((3, 80), QUERY), out.past_key_values, kinds).logits
    for i in range(3):
        full = logits[i][batch["kinds"][i] == QUERY]
        assert torch.allclose(cached[i], full, atol=1e-4)
    assert torch.equal(model.generate_codes(examples), model.vocab.codes_from_logits(cached))


def test_batching_and_left_padding_change_nothing(model):
    examples = _pose_examples()
    for parallel in (True, False):
        batched = model.generate_codes(examples, parallel=parallel)
        alone = torch.cat([model.generate_codes([e], parallel=parallel) for e in examples])
        assert torch.equal(batched, alone)
        assert int(batched.min()) >= 0 and int(batched.max()) < 32  # codes, never another token
    describe = [Example("Describe the pose <pose>.", {"pose": np.arange(80) % (7 + i)}) for i in range(3)]
    assert model.describe(describe, 8) == [model.describe([e], 8)[0] for e in describe]


def test_text_decoding_never_emits_added_tokens(model):
    lm_head = model.lm.get_output_embeddings()
    with torch.no_grad():  # make the pose tokens the most likely outputs everywhere
        saved = lm_head.weight.clone()
        lm_head.weight[model.vocab.first_code:] += 100 * lm_head.weight[model.vocab.first_code:].sign()
    try:
        text = model.describe([Example("Describe the pose <pose>.", {"pose": np.zeros(80, int)})], 6)[0]
    finally:
        with torch.no_grad():
            lm_head.weight.copy_(saved)
    assert "<pose" not in text and "<im_" not in text


class _Favoured:
    """The language model's logit of `token` raised by 1e4 at every position (a hook on the output head), so that
    greedy decoding picks it whenever it is allowed: the decoding rules are then seen with no floating-point margin
    at stake."""

    def __init__(self, model, token, boost: float = 1e4):
        self.head, self.token, self.boost = model.lm.get_output_embeddings(), token, boost

    def _raise(self, module, inputs, logits):
        boost = torch.zeros(logits.shape[-1], dtype=logits.dtype)
        boost[self.token] = self.boost
        return logits + boost

    def __enter__(self):
        self.handle = self.head.register_forward_hook(self._raise)

    def __exit__(self, *exc):
        self.handle.remove()


def _examples_for_decoding():
    return [Example("Describe the pose <pose>.", {"pose": np.arange(80) % (5 + i)}) for i in range(2)]


def test_min_new_tokens_bars_the_end_before_the_minimum(model):
    eos = model.tokenizer.eos_token_id
    examples = _examples_for_decoding()
    with _Favoured(model, eos):
        plain = model.text_token_ids(examples, 12)
        held = model.text_token_ids(examples, 12, min_new_tokens=5)
    assert all(row[-1] == eos and len(row) == 2 for row in plain)  # one token (never an empty answer), then the end
    assert all(row[-1] == eos and len(row) == 6 and eos not in row[:-1] for row in held)  # 5 tokens, then the end


def test_text_decoding_never_emits_special_tokens_but_the_end(model):
    """A role marker or padding, favoured above all else, is never chosen: decoded without special tokens, an
    answer of them would be empty (an undertrained model falls into that). A word favoured less than the special
    token, yet far above the rest, is what greedy decoding then picks: no floating-point margin at stake."""
    eos = model.tokenizer.eos_token_id
    word = model.tokenizer("arm", add_special_tokens=False)["input_ids"][0]
    special = sorted(set(model.tokenizer.all_special_ids) - {eos})
    assert len(special) >= 2  # this tokenizer's role markers and padding, at least
    for token in special:
        with _Favoured(model, word, boost=5e3), _Favoured(model, token):
            rows = model.text_token_ids(_examples_for_decoding(), 6)
            texts = model.describe(_examples_for_decoding(), 6)
        assert all(token not in row for row in rows)
        assert rows == [[word] * 6] * 2
        expected = model.tokenizer.decode([word] * 6).strip()
        assert expected and texts == [expected] * 2, texts


def test_no_repeat_ngram_bars_repeated_ngrams(model):
    word = model.tokenizer("arm", add_special_tokens=False)["input_ids"][0]
    examples = _examples_for_decoding()
    with _Favoured(model, word):
        plain = model.text_token_ids(examples, 10)
        barred = model.text_token_ids(examples, 10, no_repeat_ngram=2)
    assert plain == [[word] * 10] * 2  # the loop that greedy decoding falls into
    for row in barred:
        assert row[:2] == [word, word]  # the first bigram is allowed; its repetition is not
        bigrams = list(zip(row, row[1:]))
        assert len(bigrams) == len(set(bigrams)) and len(row) == 10


def test_loss_equals_the_cross_entropy_of_the_full_logits(model):
    """The loss computes the output head at the target positions only; the same loss and gradients as the
    cross-entropy of every position's logits, masked afterwards."""
    seqs = [model.builder.training(e) for e in _pose_examples()[:2]]
    seqs.append(model.builder.training(Example("Describe the pose <pose>.", {"pose": np.arange(80) % 32},
                                               answer_text=TEXTS[1])))
    batch = collate(seqs, model.tokenizer.pad_token_id)
    head = model.lm.get_output_embeddings().weight
    loss, n = model.loss(batch)
    logits = model._forward(model.embed(batch["ids"], batch["images"]), batch["kinds"]).logits
    keep = batch["targets"] != IGNORE
    full = torch.nn.functional.cross_entropy(logits[keep], batch["targets"][keep])
    assert n == int(keep.sum()) and n < keep.numel()  # prompts and padding are not targets
    assert torch.allclose(loss, full, rtol=1e-5)
    grads = [torch.autograd.grad(x, head)[0] for x in (loss, full)]
    assert grads[0].abs().max() > 0 and torch.allclose(*grads, rtol=1e-4, atol=1e-7)


def test_pose_codes_are_encoded_once_per_training_run(model, monkeypatch):
    from models.unipose.stages import _PoseCodes

    poses = np.stack([_pose(i) for i in range(5)])
    expected = model.pose_codes(poses)
    calls = []
    monkeypatch.setattr(model, "pose_codes", lambda p: calls.append(len(p)) or expected[:len(p)])
    codes = _PoseCodes()
    np.testing.assert_array_equal(codes.of(model)(poses), expected)
    np.testing.assert_array_equal(codes.of(model)(poses.copy()), expected)  # equal poses: remembered
    assert calls == [5]
    codes.of(model)(poses[:3])  # other poses: encoded
    assert calls == [5, 3]


def test_training_lowers_the_loss_and_trains_only_what_it_should(model):
    import copy

    from models.unipose.presets import get_preset
    from models.unipose.stages import _attach_lora, _set_trainable
    from models.unipose.training import train_stage

    m = copy.deepcopy(model)
    m.lm = _attach_lora(m.lm, get_preset("tiny", lora_r=16, lora_alpha=32), seed=0)
    _set_trainable(m, "lora")
    trainable = {n for n, p in m.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or "embed_tokens" in n or "lm_head" in n for n in trainable)
    assert not any(p.requires_grad for p in m.vqvae.parameters())
    examples = _pose_examples() + [Example("Describe the pose <pose>.", {"pose": np.arange(80) % 32},
                                           answer_text=TEXTS[0])]
    report = train_stage(m, examples, steps=60, batch_size=4, lr=1e-2, seed=0, log=None)
    assert report["loss_last"] < 0.5 * report["loss_first"]
    # the memorised pose comes back through one-pass decoding
    codes = m.generate_codes(examples[:1])
    assert (codes[0].numpy() == examples[0].answer_codes).mean() > 0.9


def test_cached_tower_features_follow_the_projector_to_its_device():
    """Training hands `image_features` the towers' features cached on the CPU while accelerate has moved the
    projector to the GPU; a projector on the meta device stands in for the GPU here (a device mismatch raises the
    same way, and the meta device computes shapes only)."""
    from types import SimpleNamespace

    from models.unipose.model import UniPose

    projector = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.GELU(), torch.nn.Linear(4, 4)).to("meta")
    stand_in = SimpleNamespace(visual=SimpleNamespace(projector=projector), dtype=torch.float32)
    features = [torch.zeros(3, 6, dtype=torch.float64), torch.ones(3, 6, dtype=torch.float64)]
    out = UniPose.image_features(stand_in, features)
    assert out.device.type == "meta" and out.shape == (2, 3, 4) and out.dtype == torch.float32
