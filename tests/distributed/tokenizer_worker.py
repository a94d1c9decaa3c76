"""Trains a tiny pose tokenizer for a few steps on seeded random poses and saves its state (main process only);
run by tests/distributed/test_training.py in one process and under torchrun in two.

    python tests/distributed/tokenizer_worker.py OUTPUT.safetensors
"""

import sys

import numpy as np
import torch
from safetensors.torch import save_file

from benchmark.processes import Processes
from models.unipose.tokenizer_training import TrainingOptions, train_tokenizer
from models.unipose.vqvae import preset_config

if __name__ == "__main__":
    rng = np.random.default_rng(0)
    # continuous random poses: no two latents tie for a code, so rounding cannot change an assignment
    poses = (rng.standard_normal((96, 22, 3)) * 0.3).astype(np.float32)
    config = preset_config("tiny")
    model, _ = train_tokenizer(poses[:64], poses[64:], config, steps=3, seed=0, batch_size=16, log=lambda *_: None,
                               options=TrainingOptions(n_evals=1))
    if Processes().is_main:
        save_file({k: v.contiguous() for k, v in model.state_dict().items() if v.dtype != torch.bool},
                  sys.argv[1])
