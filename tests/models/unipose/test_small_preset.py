"""The small preset on its real weights: SmolLM2-135M-Instruct (`make smollm2`) takes the pose vocabulary and LoRA,
a short CPU run lowers the loss, and the model decodes valid poses. Slow (about a minute); skipped without the file."""

import numpy as np
import pytest
import torch

from benchmark.errors import InputError
from models.unipose.sequences import Example

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smollm2():
    from models.unipose.language_model import load_language_model, smollm2_path

    try:
        path = smollm2_path()
    except InputError as e:
        pytest.skip(str(e))
    return load_language_model(path)


def test_smollm2_learns_with_lora_and_decodes_valid_poses(smollm2):
    from models.unipose.model import UniPose
    from models.unipose.presets import get_preset
    from models.unipose.stages import _attach_lora, _set_trainable
    from models.unipose.training import train_stage
    from models.unipose.vocab import PoseVocabulary
    from models.unipose.vqvae import PoseVQVAE, preset_config

    lm, tokenizer = smollm2
    assert 134e6 < sum(p.numel() for p in lm.parameters()) < 135e6
    torch.manual_seed(0)
    vqvae = PoseVQVAE(preset_config("tiny")).eval().requires_grad_(False)
    vocab = PoseVocabulary.add_to(tokenizer, vqvae.config.codebook_size, vqvae.config.n_latents)
    lm.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    model = UniPose(_attach_lora(lm, get_preset("small", lora_r=8, lora_alpha=16), seed=0), tokenizer, vqvae,
                    vocab, max_answer_tokens=32)
    _set_trainable(model, "lora")
    assert any("lora_A" in n for n, p in model.lm.named_parameters() if p.requires_grad)
    rng = np.random.default_rng(0)
    poses = rng.normal(0, 0.3, (4, 22, 3)).astype(np.float32)
    codes = model.pose_codes(poses)
    captions = ["The person raises both arms above the head.", "The knees are bent and the torso leans forward.",
                "The left arm points to the side.", "The person stands straight with the arms down."]
    examples = ([Example("Describe the pose <pose>.", {"pose": c}, answer_text=t) for c, t in zip(codes, captions)]
                + [Example(f"Generate the pose of the description: {t}", {}, answer_codes=c, output_pose=True)
                   for c, t in zip(codes, captions)])
    report = train_stage(model, examples, steps=12, batch_size=4, lr=2e-3, seed=0, log=None)
    assert report["loss_last"] < 0.7 * report["loss_first"], report
    out = model.generate_poses(examples[4:6])
    assert out.shape == (2, 22, 3) and np.isfinite(out).all()
    text = model.describe(examples[:1], 8)[0]
    assert text.strip() and "<pose" not in text
