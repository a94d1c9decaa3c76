"""Training and validation items of the retrieval evaluators, read from the suite's task datasets.

Rows follow benchmark/tasks/schema.py: "pose_to_text" rows have `pose`, "pose_diff" rows `pose_a` and `pose_b`;
both have `texts` with one `text_kinds` entry per text. A stage keeps the texts of its kinds ("automatic" for
pre-training, "human" for fine-tuning) and the rows that have at least one of them.

Texts of all items are held flat (`texts`) with CSR-style `offsets`, so that drawing one text per item is a
vectorised index computation:
* training: a uniformly random text per item per epoch (upstream `caption_index='rand'`);
* validation: text number (item index % n_texts) of each item (upstream 'deterministic-mix').
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.body.validation import check_poses
from benchmark.errors import InputError

POSE_COLUMNS = {"pose-text": ("pose",), "pair-text": ("pose_a", "pose_b")}
VALIDATION_SPLIT_NAMES = ("val", "validation")


@dataclass(frozen=True)
class RetrievalItems:
    """The items of one split for one stage.

    inputs: one float32 [N, J, 3] array per pose column (1 for pose-text, 2 for pair-text);
    texts: all kept texts, item by item; offsets int64 [N + 1]: item i's texts are texts[offsets[i]:offsets[i+1]];
    rows int64 [N]: the dataset row of each item (rows without a kept text are left out).
    """

    inputs: tuple[np.ndarray, ...]
    texts: tuple[str, ...]
    offsets: np.ndarray
    rows: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)

    def random_text_indices(self, rng: np.random.Generator) -> np.ndarray:
        """int64 [N]: one uniformly drawn text per item (index into `texts`)."""
        draws = np.floor(rng.random(len(self)) * self.counts).astype(np.int64)
        return self.offsets[:-1] + np.minimum(draws, self.counts - 1)

    def validation_text_indices(self) -> np.ndarray:
        """int64 [N]: text (item index % n_texts) of each item (index into `texts`)."""
        return self.offsets[:-1] + np.arange(len(self)) % self.counts

    def texts_at(self, indices: np.ndarray) -> list[str]:
        return [self.texts[i] for i in indices]


def extract_items(dataset, kind: str, text_kinds: tuple[str, ...], *, source: str = "dataset") -> RetrievalItems:
    """The items of `dataset` (a datasets.Dataset of one split) that have texts of `text_kinds`.

    `source` names the split in error messages (e.g. "data/pose_to_text:train"). Raises InputError, naming the row
    and field, for missing columns, poses of the wrong shape or non-finite values, null texts, or `texts` and
    `text_kinds` of different lengths.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    pose_columns = POSE_COLUMNS[kind]
    needed = (*pose_columns, "texts", "text_kinds")
    missing = [c for c in needed if c not in dataset.column_names]
    if missing:
        raise InputError(f"missing column(s) {missing}; the split has {dataset.column_names}", file=source,
                         field=missing[0], hint=f"a {kind} evaluator trains on rows with {', '.join(needed)} "
                                                "(benchmark/tasks/schema.py)")
    table = dataset.with_format("arrow", columns=["texts", "text_kinds"])[:]
    texts = table.column("texts").combine_chunks()
    kinds = table.column("text_kinds").combine_chunks()
    n_rows = len(texts)
    for name, arr in (("texts", texts), ("text_kinds", kinds)):
        if arr.null_count:
            row = int(np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False))[0])
            raise InputError("is null", file=source, row=row, field=name, hint="use an empty list for no texts")
    n_texts = pc.list_value_length(texts).to_numpy(zero_copy_only=False)
    n_kinds = pc.list_value_length(kinds).to_numpy(zero_copy_only=False)
    if (n_texts != n_kinds).any():
        row = int(np.flatnonzero(n_texts != n_kinds)[0])
        raise InputError(f"has {n_kinds[row]} entries for {n_texts[row]} texts", file=source, row=row,
                         field="text_kinds", hint="give one kind per text (human, automatic, paraphrase, refined)")
    flat_texts = pc.list_flatten(texts)
    flat_kinds = pc.list_flatten(kinds)
    parents = pc.list_parent_indices(texts).to_numpy(zero_copy_only=False).astype(np.int64)
    if flat_texts.null_count:
        row = int(parents[np.flatnonzero(flat_texts.is_null().to_numpy(zero_copy_only=False))[0]])
        raise InputError("contains a null text", file=source, row=row, field="texts")
    keep = pc.and_(pc.is_in(flat_kinds, value_set=pa.array(list(text_kinds), pa.string())),
                   pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(flat_texts)), 0))
    keep = keep.to_numpy(zero_copy_only=False).astype(bool)
    kept_texts = flat_texts.filter(pa.array(keep)).to_pylist()
    per_row = np.bincount(parents[keep], minlength=n_rows)
    rows = np.flatnonzero(per_row > 0).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(per_row[rows])]).astype(np.int64)

    inputs = []
    for column in pose_columns:
        poses = dataset.select(rows).with_format("numpy", columns=[column])[:][column] if len(rows) else \
            np.zeros((0, 22, 3), np.float32)
        poses = np.asarray(poses)
        try:
            poses = check_poses(poses, field=column, file=source)
        except InputError as exc:
            if exc.row is not None:  # report the dataset row, not the index among the kept rows
                raise InputError("contains NaN or infinite values", file=source, row=int(rows[exc.row]),
                                 field=column) from None
            raise
        inputs.append(np.ascontiguousarray(poses, dtype=np.float32))
    return RetrievalItems(tuple(inputs), tuple(kept_texts), offsets, rows)


def load_task_splits(path: str | os.PathLike, config: str):
    """The splits of one task from a local folder: a `DatasetDict.save_to_disk` folder (the folder itself or its
    sub-folder `config`) or a Hub-layout folder (parquet shards + README `configs`, read with
    `datasets.load_dataset(path, config)`). Returns a `datasets.DatasetDict`."""
    import datasets

    folder = Path(path)
    if not folder.is_dir():
        raise InputError("dataset folder not found", file=str(folder),
                         hint="pass a DatasetDict.save_to_disk folder or a Hub-layout folder (--dataset DIR)")
    for candidate in (folder, folder / config):
        if (candidate / "dataset_dict.json").is_file():
            return datasets.load_from_disk(str(candidate))
    try:
        return datasets.load_dataset(str(folder), config)
    except (ValueError, FileNotFoundError, datasets.exceptions.DatasetNotFoundError) as exc:
        try:
            available = datasets.get_dataset_config_names(str(folder))
        except Exception:  # noqa: BLE001 - only used to enrich the message
            available = []
        hint = (f"its configs are {', '.join(available)}; pass --config NAME" if available else
                "the folder is neither a save_to_disk folder (dataset_dict.json) nor parquet shards with a README "
                "that lists configs")
        raise InputError(f"cannot load config '{config}' ({exc})", file=str(folder), field="config",
                         hint=hint) from None


def split_of(splits, names: tuple[str, ...], source: str):
    """The first of `names` present in the DatasetDict `splits`."""
    for name in names:
        if name in splits:
            return name, splits[name]
    raise InputError(f"no '{names[0]}' split (the dataset has {', '.join(splits) or 'no splits'})", file=source,
                     hint="training needs a train split and a val split for model selection")


def dataset_fingerprints(splits) -> dict[str, str]:
    """{split: content fingerprint}, recorded in an evaluator's config to say exactly what it was trained on."""
    from benchmark.fingerprint import dataset_fingerprint

    return {name: dataset_fingerprint(ds) for name, ds in splits.items()}
