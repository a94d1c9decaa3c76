"""Frozen retrieval evaluators: the objects metrics call to embed poses, pose pairs and texts.

Every method returns float64 numpy arrays [N, latent_dim] (512 by default) whose rows have unit L2 norm, so a dot
product is a cosine similarity. Encoding runs in eval mode (BatchNorm running statistics, no dropout) under
torch.no_grad, in batches whose results do not depend on the batch size. `version` names the exact evaluator
(name + short hash of its config and weights) and belongs in every result that used it.

Inference runs in float64 (on a float64 copy of the float32 weights), and the metrics then rank in float64: CPUs
differ in the last bits of their kernels (AVX-512, AVX2, BLAS blockings), and in float32 two candidates within
~1e-7 of each other would rank differently from one machine to the next, often enough to move a leaderboard cell
by a sample; in float64 that takes a tie within ~1e-16, so every machine gets the same numbers.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch

from benchmark.body.validation import check_poses
from benchmark.errors import InputError
from benchmark.retrieval.backbone import Backbone
from benchmark.retrieval.models import PairTextModel, PoseTextModel, RetrievalModel


def tokenize(backbone: Backbone, texts: Sequence[str], max_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids int64 [B, L] (right padded to the longest text, truncated to `max_tokens`) and lengths int64 [B]."""
    enc = backbone.tokenizer(list(texts), max_length=max_tokens, truncation=True, padding="longest",
                             return_tensors="pt")
    return enc["input_ids"], enc["attention_mask"].sum(dim=1)


def check_texts(texts, field: str = "texts") -> list[str]:
    if isinstance(texts, str):
        raise InputError("expected a list of strings, got one string", field=field, hint="wrap it: [text]")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise InputError(f"expected a string, got {type(text).__name__}", row=i, field=field)
    return texts


_TEXT_MEMO_SIZE = 8


class RetrievalEvaluator:
    """A trained retrieval model with its tokenizer; see the module docstring for the output conventions."""

    kind: str

    def __init__(self, model: RetrievalModel, backbone: Backbone, *, name: str, version: str | None = None,
                 config: dict | None = None):
        self.model = model.eval()
        self._model64 = copy.deepcopy(model).double().eval()  # float64 inference: see the module docstring
        self.backbone = backbone
        self.name = name
        self.version = version
        self.config = config or {}
        self._text_memo: dict[tuple, np.ndarray] = {}  # insertion-ordered: the oldest goes first

    @property
    def arch(self):
        return self.model.arch

    @property
    def embedding_dim(self) -> int:
        return self.arch.latent_dim

    def _poses(self, poses, field: str) -> torch.Tensor:
        poses = check_poses(poses, field=field)
        n_model = self.arch.n_joints
        if poses.shape[1] < n_model:
            raise InputError(f"the evaluator takes {n_model} joints per pose, got {poses.shape[1]}", field=field,
                             hint="pass SMPL-H poses [N, 52, 3] (hands included) to this evaluator")
        if not isinstance(poses, torch.Tensor):
            # a writable contiguous copy: torch refuses negative strides (a[::-1]) and warns on read-only arrays
            # (dataset columns are)
            poses = np.array(poses, dtype=np.float32, order="C")
        # Upstream truncates the flattened pose to the model's joint count: SMPL-H poses feed a 22-joint model.
        return torch.as_tensor(poses, dtype=torch.float32)[:, :n_model].contiguous()

    @torch.no_grad()
    def encode_texts(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """float64 [N, D] unit vectors of `texts`. The last few lists encoded are remembered (the same list gives
        the same array): every model scored on a text -> pose task encodes the same reference texts, and the
        float64 GRU made that a fifth of the main job's scoring."""
        texts = check_texts(texts)
        key = (batch_size, tuple(texts))
        if key not in self._text_memo:
            if len(self._text_memo) >= _TEXT_MEMO_SIZE:
                self._text_memo.pop(next(iter(self._text_memo)))
            encoded = self._encode_texts(self._model64, texts, batch_size)
            encoded.flags.writeable = False
            self._text_memo[key] = encoded
        return self._text_memo[key].copy()

    def _encode_texts(self, model: RetrievalModel, texts: list[str], batch_size: int) -> np.ndarray:
        out = np.empty((len(texts), self.embedding_dim), dtype=np.float64)
        # texts of similar length share a batch: the GRU runs over the longest text of a batch, so this saves most
        # of the padded steps; the result does not depend on batching
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            ids, lengths = tokenize(self.backbone, [texts[i] for i in rows], self.arch.text_max_tokens)
            out[rows] = model.encode_texts(ids, lengths).numpy()
        return out

    @torch.no_grad()
    def encode_inputs(self, *inputs: torch.Tensor, batch_size: int = 1024) -> np.ndarray:
        """float64 [N, D] unit vectors of already-checked float32 pose tensors (one per pose column)."""
        n = inputs[0].shape[0]
        out = np.empty((n, self.embedding_dim), dtype=np.float64)
        for start in range(0, n, batch_size):
            out[start:start + batch_size] = self._model64.encode_inputs(
                *(x[start:start + batch_size].double() for x in inputs)).numpy()
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(version={self.version!r})"


class PoseTextEvaluator(RetrievalEvaluator):
    """PoseText evaluator: R-precision/recall of pose <-> text, and the pose features of FID."""

    kind = "pose-text"

    def __init__(self, model: PoseTextModel, backbone: Backbone, **kwargs):
        super().__init__(model, backbone, **kwargs)

    def encode_poses(self, poses, batch_size: int = 1024) -> np.ndarray:
        """float64 [N, D] unit vectors of axis-angle poses [N, 22|52, 3] (or flat [N, 66|156])."""
        return self.encode_inputs(self._poses(poses, "poses"), batch_size=batch_size)


class PairTextEvaluator(RetrievalEvaluator):
    """PairText evaluator: R-precision/recall of (pose A, pose B) <-> modifier text."""

    kind = "pair-text"

    def __init__(self, model: PairTextModel, backbone: Backbone, **kwargs):
        super().__init__(model, backbone, **kwargs)

    def encode_pairs(self, poses_a, poses_b, batch_size: int = 1024) -> np.ndarray:
        """float64 [N, D] unit vectors of pose pairs; poses_a and poses_b are [N, 22|52, 3] axis-angle."""
        a = self._poses(poses_a, "poses_a")
        b = self._poses(poses_b, "poses_b")
        if a.shape[0] != b.shape[0]:
            raise InputError(f"{b.shape[0]} poses B for {a.shape[0]} poses A", field="poses_b",
                             hint="one pose B per pose A")
        return self.encode_inputs(a, b, batch_size=batch_size)


def make_evaluator(model: RetrievalModel, backbone: Backbone, **kwargs) -> RetrievalEvaluator:
    cls = PoseTextEvaluator if model.kind == "pose-text" else PairTextEvaluator
    return cls(model, backbone, **kwargs)
