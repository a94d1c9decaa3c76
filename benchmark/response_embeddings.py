"""The retrieval evaluator's embeddings behind a result's retrieval scores, saved beside its per-sample records.

R-precision and recall are computed over the whole split, so one row's value depends on every other row's response:
the per-sample records cannot be resampled or mixed as they are. A task that scores through an evaluator therefore
keeps, per row, the embedding of the model's response and of the fixed side it is matched against, in the
evaluator's float64 output:

* `text_side` [N, D] and `pose_side` [N, D]: R-precision ranks pose-side rows for text-side queries, recall ranks
  both ways (text_to_pose: the query texts and the generated poses; pose_edit: the instructions and the (pose A,
  generated pose) pairs; the describe tasks: the generated texts and the ground-truth poses or pairs);
* `response_side`: which of the two is the model's ("pose" or "text"); the other is the same for every model;
* `ids`: the row ids, in the order of the records.

`unipose-bench compare` reads two models' files and recomputes the retrieval metrics on mixes of their responses
(a permutation test, `benchmark.metrics.paired_tests`). The file is `<result>.embeddings.npz`, written atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.atomic_files import atomic_path
from benchmark.errors import InputError

SIDES = ("pose", "text")


@dataclass(frozen=True)
class ResponseEmbeddings:
    ids: tuple[str, ...]
    text_side: np.ndarray
    pose_side: np.ndarray
    response_side: str

    def __post_init__(self):
        if self.response_side not in SIDES:
            raise InputError(f"response_side {self.response_side!r} is not one of {SIDES}", field="response_side")
        n = len(self.ids)
        for name in ("text_side", "pose_side"):
            arr = getattr(self, name)
            if arr.ndim != 2 or arr.shape[0] != n:
                raise InputError(f"shape {list(arr.shape)} is not [{n}, D] (one row per id)", field=name)
        if self.text_side.shape[1] != self.pose_side.shape[1]:
            raise InputError(f"text_side has {self.text_side.shape[1]} dimensions, pose_side "
                             f"{self.pose_side.shape[1]}", field="pose_side")

    @property
    def response(self) -> np.ndarray:
        """The model's own embeddings."""
        return self.pose_side if self.response_side == "pose" else self.text_side

    @property
    def fixed(self) -> np.ndarray:
        """The embeddings every model is matched against."""
        return self.text_side if self.response_side == "pose" else self.pose_side


def embeddings_path(result_path: str | Path) -> Path:
    """`<task>.embeddings.npz` beside `<task>.json`."""
    return Path(result_path).with_suffix(".embeddings.npz")


def write_embeddings(path: str | Path, embeddings: ResponseEmbeddings) -> Path:
    """Write to a temporary file and rename, as the result files are."""
    path = Path(path)
    with atomic_path(path, suffix=".npz") as tmp:  # numpy's savez appends .npz to any other name
        np.savez(tmp, ids=np.asarray(embeddings.ids, dtype=str), text_side=embeddings.text_side.astype(np.float64),
                 pose_side=embeddings.pose_side.astype(np.float64), response_side=np.asarray(embeddings.response_side))
    return path


def read_embeddings(path: str | Path) -> ResponseEmbeddings:
    path = Path(path)
    if not path.is_file():
        raise InputError("no embeddings file (results written before the suite kept them, or by a task without a "
                         "retrieval evaluator)", file=str(path), hint="re-run `unipose-bench evaluate` for this task")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = {"ids", "text_side", "pose_side", "response_side"} - set(data.files)
            if missing:
                raise InputError(f"lacks the arrays {sorted(missing)}", file=str(path))
            return ResponseEmbeddings(tuple(str(i) for i in data["ids"]), data["text_side"], data["pose_side"],
                                      str(data["response_side"]))
    except InputError as exc:
        raise InputError(exc.message, file=str(path), field=exc.field, hint=exc.hint) from None
    except (OSError, ValueError, KeyError) as exc:  # numpy's own text may suggest unpickling: not passed on
        raise InputError(f"not a readable embeddings file ({type(exc).__name__})", file=str(path),
                         hint="re-run `unipose-bench evaluate` for this task") from None
