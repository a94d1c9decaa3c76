"""Shared fixtures of the retrieval-evaluator tests: the MiniLM backbone, small architectures, synthetic splits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmark.retrieval.config import ArchitectureConfig, StageConfig, TrainConfig


@pytest.fixture(autouse=True)
def _single_thread():
    # The models here are small: one thread is faster than two, and on a shared 2-core machine two threads
    # spin-wait against the other processes. Restored after each test.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def backbone():
    from benchmark.retrieval.backbone import load_backbone

    return load_backbone()


def small_arch(kind: str, **overrides) -> ArchitectureConfig:
    sizes = dict(pose_hidden=128, pose_bottleneck=16, latent_dim=128, text_hidden=64)
    return ArchitectureConfig(kind=kind, **{**sizes, **overrides})


def small_config(kind: str, *, pre_epochs=1, ft_epochs=1, batch_size=32, lr=3e-3, finetune=True, **arch):
    pre = StageConfig(name="pretrain", text_kinds=("automatic",), epochs=pre_epochs, batch_size=batch_size, lr=lr,
                      lr_step=max(1, pre_epochs), lr_flip=False)
    ft = StageConfig(name="finetune", text_kinds=("human",), epochs=ft_epochs, batch_size=batch_size, lr=lr,
                     lr_step=max(1, ft_epochs), lr_flip=True) if finetune else None
    return TrainConfig(recipe="test", architecture=small_arch(kind, **arch), pretrain=pre, finetune=ft,
                       eval_batch_size=64)


def make_splits(kind: str, n_train: int, n_val: int, seed: int = 0, **kwargs):
    from benchmark.retrieval.synthetic import synthetic_splits
    from benchmark.tasks.schema import FEATURES

    task = "pose_to_text" if kind == "pose-text" else "pose_diff"
    return synthetic_splits(kind, n_train, n_val, seed=seed, features=FEATURES[task], **kwargs)


def chance_mrecall(n: int, ks=(1, 5, 10)) -> float:
    """mRecall (in %) of random embeddings: R@k = k / N in both directions."""
    return 100.0 * float(np.mean([k / n for k in ks]))
