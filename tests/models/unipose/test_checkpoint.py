"""UniPose checkpoints: ours round-trip exactly, and the release's layout (LoRA adapter, non_lora_trainables.bin
under LLaVA's names, tokenizer, the tokenizer's Lightning best_MPJPE.ckpt) loads into the same model."""

import shutil

import numpy as np
import pytest
import torch

from benchmark.errors import InputError, MissingModelFiles
from models.unipose.sequences import Example

TEXTS = ["the person raises the left arm above the head", "bend both knees a lot and lean forward"] * 30


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    from models.unipose.checkpoint import save_unipose
    from models.unipose.language_model import build_tiny_language_model
    from models.unipose.model import UniPose
    from models.unipose.presets import get_preset
    from models.unipose.stages import _attach_lora
    from models.unipose.vision import VisualProcessor, vision_preset
    from models.unipose.vocab import PoseVocabulary
    from models.unipose.vqvae import PoseVQVAE, VQVAEConfig

    root = tmp_path_factory.mktemp("unipose_ckpt")
    lm, tokenizer = build_tiny_language_model(TEXTS, hidden=32, layers=2, heads=4, vocab_size=300, seed=0)
    lm.save_pretrained(root / "base")
    tokenizer.save_pretrained(root / "base")
    torch.manual_seed(0)
    vqvae = PoseVQVAE(VQVAEConfig(width=16, code_dim=8, codebook_size=32)).eval()
    vocab = PoseVocabulary.add_to(tokenizer, 32, 80)
    lm.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    visual = VisualProcessor(vision_preset("tiny"), lm.config.hidden_size).eval()
    model = UniPose(_attach_lora(lm, get_preset("tiny", lora_r=4, lora_alpha=8), seed=0), tokenizer, vqvae, vocab,
                    visual)
    with torch.no_grad():  # make LoRA and the projector matter (peft initialises B to zero)
        for name, p in model.lm.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
        for p in visual.projector.parameters():
            p.normal_(0, 0.5)
    info = {"preset": "test", "attention": "mixed", "n_queries": 80, "language_model": str(root / "base")}
    folder = save_unipose(model, root / "ours", info)
    model.lm = model.lm.merge_and_unload()
    return model.eval(), folder, root


def _examples():
    from PIL import Image

    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    return ([Example("Describe the pose <pose>.", {"pose": np.arange(80) % 32}),
             Example("Describe the pose of the person in the image <image>.", {"image": image})],
            [Example("Generate the pose of the description: bend both knees", {}, output_pose=True)])


def _same_outputs(a, b):
    describe, poses = _examples()
    assert a.describe(describe, 6) == b.describe(describe, 6)
    assert torch.equal(a.generate_codes(poses), b.generate_codes(poses))
    ids = torch.tensor([[5, 6, 7]])
    assert torch.allclose(a.lm(input_ids=ids).logits, b.lm(input_ids=ids).logits, atol=1e-5)


def test_our_checkpoint_round_trips(saved):
    from models.unipose.checkpoint import load_unipose

    model, folder, _ = saved
    assert {"adapter_config.json", "adapter_model.safetensors", "non_lora_trainables.safetensors", "unipose.json",
            "pose_vqvae", "vision"} <= {p.name for p in folder.iterdir()}
    _same_outputs(model, load_unipose(folder))


def test_the_released_layout_loads_into_the_same_model(saved, tmp_path):
    from safetensors.torch import load_file

    from models.unipose.checkpoint import load_unipose
    from models.unipose.vqvae import upstream_key_map

    model, folder, root = saved
    release = tmp_path / "unipose"
    shutil.copytree(folder, release, ignore=shutil.ignore_patterns("unipose.json", "non_lora_trainables.*",
                                                                   "pose_vqvae"))
    # non_lora_trainables.bin as LLaVA's trainer writes it: torch.save of the peft-prefixed names
    torch.save(load_file(folder / "non_lora_trainables.safetensors"), release / "non_lora_trainables.bin")
    # the tokenizer as upstream's Lightning checkpoint: {"state_dict": {"vqvae.<upstream name>": tensor}}
    ours = model.vqvae.state_dict()
    theirs = {}
    mapping = upstream_key_map(model.vqvae.config)
    for name, value in ours.items():
        if name.startswith("quantizer.") and name != "quantizer.codebook":
            continue  # upstream saves no EMA statistics
        prefix = next((p for p in mapping if name == p or name.startswith(p + ".")), None)
        theirs["vqvae." + (mapping[prefix] + name[len(prefix):] if prefix else name)] = value
    ckpt = tmp_path / "best_MPJPE.ckpt"
    torch.save({"epoch": 239, "state_dict": theirs}, ckpt)
    with pytest.raises(InputError, match="base language model"):
        load_unipose(release)
    loaded = load_unipose(release, language_model=root / "base", vqvae=ckpt)
    _same_outputs(model, loaded)


class _Payload:
    """Stands for code inside a pickle: weights_only refuses to import it."""


def test_unsafe_or_broken_files_are_refused_with_their_name(saved, tmp_path):
    from models.unipose.checkpoint import load_unipose

    _, folder, root = saved
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    (broken / "non_lora_trainables.safetensors").unlink()
    with pytest.raises(MissingModelFiles, match="non_lora_trainables"):
        load_unipose(broken)
    torch.save({"model.embed_tokens.weight": torch.zeros(2), "note": _Payload()}, broken / "non_lora_trainables.bin")
    with pytest.raises(InputError, match="non_lora_trainables.bin.*weights_only"):  # a pickled module: refused
        load_unipose(broken)
    (broken / "unipose.json").write_text("{not json")
    with pytest.raises(InputError, match="unipose.json"):
        load_unipose(broken)
    with pytest.raises(MissingModelFiles):
        load_unipose(tmp_path / "nowhere")
