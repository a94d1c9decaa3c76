"""Per-request random generators: a baseline's draw depends only on its seed and the request, not on batching."""

import numpy as np


def request_rng(seed: int, request_hash: str) -> np.random.Generator:
    return np.random.default_rng([seed, int(request_hash[:16], 16)])
