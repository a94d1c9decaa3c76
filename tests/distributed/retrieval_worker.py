"""Trains tiny pose-text and pair-text retrieval evaluators (both stages, flips in fine-tuning) for one epoch each on
seeded synthetic splits and saves their weights (main process only); run by tests/distributed/test_training.py in
one process and under torchrun in two.

    python tests/distributed/retrieval_worker.py OUTPUT.safetensors
"""

import sys

import torch
from safetensors.torch import save_file

from benchmark.retrieval.training import train_retrieval
from tests.retrieval.conftest import make_splits, small_config

if __name__ == "__main__":
    # SGD instead of the recipe's Adam, so that the comparison measures the gradients: Adam's first steps divide
    # each gradient component by its own magnitude, and float noise on a near-zero component then moves its weight
    # by up to the learning rate (measured: 4.5e-4 apart at lr 3e-3, against 1.2e-7 with SGD)
    torch.optim.Adam = lambda groups, lr, weight_decay: torch.optim.SGD(groups, lr=lr)
    weights = {}
    # pose-text: batches of 16 (8 texts a process); pair-text: batches of 15, slices of 7 and 8 texts
    for kind, batch_size in (("pose-text", 16), ("pair-text", 15)):
        config = small_config(kind, batch_size=batch_size, lr=0.1)
        result = train_retrieval(kind, make_splits(kind, 48, 16, seed=1), config=config, seed=0, progress=False)
        weights.update({f"{kind}.{k}": v.contiguous() for k, v in result.evaluator.model.state_dict().items()})
    if result.is_main:
        save_file(weights, sys.argv[1])
