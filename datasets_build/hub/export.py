"""Write task datasets in the Hub layout, exactly as `DatasetDict.push_to_hub` would, to a local folder.

Layout (one dataset repo per data world; one config per task, or per task variant):

    <out_dir>/README.md                                   card: YAML `configs` + complete `dataset_info` + body
    <out_dir>/<config>/<split>-NNNNN-of-NNNNN.parquet     shards, images embedded as bytes

A config name is a task id ("pose_to_text", the embedded world) or a task id + "-" + variant ("pose_to_text-H",
"pose_estimation-3dpw", the real-source builds); its schema is the task's (`benchmark.tasks.schema.parse_config`,
`task_of`). Every function here takes `{config: DatasetDict}`.

Identity with `push_to_hub(repo_id, config_name=<config>)` (datasets 5.2) is by construction: the same size estimate
(`Dataset._estimate_nbytes`), the same shard count rule (`int(nbytes / max_shard_size) + 1`), the same contiguous
sharding, the same embedding of external image files (`embed_table_storage`), the same parquet writer and row-group
size, the same shard names, and the card YAML written by the same `datasets` helpers (`DatasetInfosDict`,
`MetadataConfigs`) in the order the configs are pushed (`benchmark.tasks.schema.sorted_configs`: task order of
`TASKS`, then variant), splits in `SPLITS` order. `tests/hub` checks it against a real `push_to_hub` run on an
in-memory Hub.

The `dataset_info` block is complete for every config (features and every split's `num_examples` / `num_bytes`),
never partial: a partial block makes `load_dataset(<dir>)` fail with a CastError (datasets 5.2).

Writing is atomic: everything goes into a temporary folder next to `out_dir`, renamed at the end; a failure removes
it, and validation runs before anything is written.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from benchmark.errors import InputError
from benchmark.tasks.schema import SPLITS, TEXT_KINDS, features, parse_config, sorted_configs
from benchmark.columns import fixed_shape_array

README = "README.md"
_POSE_COLUMNS = ("pose", "pose_a", "pose_b")


# ------------------------------------------------------------------------------------------------ validation
def validate_datasets(datasets_by_config: Mapping[str, Mapping], *, origin: str | None = None) -> None:
    """Refuse what cannot be published: malformed config names (unknown task prefix, empty or odd variant), two
    config names that differ only in case (they would share a folder on case-insensitive file systems), unknown
    splits, features that differ from the task schema (naming the config and column), empty splits, duplicate or
    missing ids within a config, non-finite poses, text lists of different lengths, unknown text kinds. `origin`
    (a folder or file) is named in the errors."""
    import datasets

    if not isinstance(datasets_by_config, Mapping) or not datasets_by_config:
        raise InputError("no datasets given: expected {config name: DatasetDict}", file=origin)
    folded: dict[str, str] = {}
    for config in datasets_by_config:
        parse_config(config, file=origin)
        other = folded.setdefault(config.lower(), config)
        if other != config:
            raise InputError(f"configs '{other}' and '{config}' differ only in case", file=origin, field="config",
                             hint="their shard folders would collide on case-insensitive file systems; rename one")
    for config, splits in datasets_by_config.items():
        task = parse_config(config)[0]
        if not isinstance(splits, Mapping) or not splits:
            raise InputError(f"config '{config}' has no splits", file=origin,
                             hint="pass a DatasetDict with train/val/test")
        for split, ds in splits.items():
            where = f"config '{config}', split '{split}'"
            if split not in SPLITS:
                raise InputError(f"{where}: unknown split", file=origin, hint=f"splits are {', '.join(SPLITS)}")
            if not isinstance(ds, datasets.Dataset):
                raise InputError(f"{where}: expected a datasets.Dataset, got {type(ds).__name__}", file=origin)
            _check_features(config, task, split, ds, origin)
            if len(ds) == 0:
                raise InputError(f"{where}: the split is empty", file=origin,
                                 hint="leave the split out (and say why in the card's not_built) or build rows")
            _check_rows(config, split, ds, origin)
        _check_ids(config, splits, origin)


def _check_features(config: str, task: str, split: str, ds, origin) -> None:
    want = features(task)
    got = ds.features
    if got == want:
        return
    where = f"config '{config}', split '{split}'"
    missing = [c for c in want if c not in got]
    extra = [c for c in got if c not in want]
    if missing:
        raise InputError(f"{where}: column '{missing[0]}' is missing", file=origin, field=missing[0],
                         hint=f"the schema is benchmark.tasks.schema.features('{task}')")
    if extra:
        raise InputError(f"{where}: column '{extra[0]}' is not in the schema", file=origin, field=extra[0],
                         hint="remove it, or change benchmark/tasks/schema.py for every source")
    for col in want:
        if got[col] != want[col]:
            raise InputError(f"{where}: column '{col}' has type {got[col]!r}, the schema wants {want[col]!r}",
                             file=origin, field=col,
                             hint=f"build it with features=benchmark.tasks.schema.features('{task}')")


def _check_rows(config: str, split: str, ds, origin) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    where = f"config '{config}', split '{split}'"
    for col in _POSE_COLUMNS:
        if col in ds.column_names:
            arr = fixed_shape_array(ds, col)
            bad = ~np.isfinite(arr.reshape(len(arr), -1)).all(axis=1)
            if bad.any():
                raise InputError(f"{where}: pose contains NaN or infinite values", file=origin,
                                 row=int(np.flatnonzero(bad)[0]), field=col)
    if "texts" in ds.column_names:
        table = ds.select_columns(["texts", "text_kinds", "text_versions"]).with_format("arrow")[:]
        lengths = [np.asarray(pc.fill_null(pc.list_value_length(table.column(c)), -1).to_numpy(
            zero_copy_only=False)) for c in ("texts", "text_kinds", "text_versions")]
        bad = (lengths[0] != lengths[1]) | (lengths[0] != lengths[2]) | (lengths[0] < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(f"{where}: texts, text_kinds and text_versions must have one entry per text (row has "
                             f"{lengths[0][row]}, {lengths[1][row]}, {lengths[2][row]})", file=origin, row=row,
                             field="text_kinds")
        texts = table.column("texts").combine_chunks()
        blank = np.asarray(pc.fill_null(pc.equal(pc.utf8_trim_whitespace(pc.list_flatten(texts)), ""), True)
                           .to_numpy(zero_copy_only=False), dtype=bool)
        if blank.any():
            parents = np.asarray(pc.list_parent_indices(texts).to_numpy(zero_copy_only=False))
            row = int(parents[np.flatnonzero(blank)[0]])
            raise InputError(f"{where}: a text is empty", file=origin, row=row, field="texts",
                             hint="drop the row or its empty text before publishing")
        if (lengths[0] == 0).any():
            raise InputError(f"{where}: a row has no text", file=origin, row=int(np.flatnonzero(lengths[0] == 0)[0]),
                             field="texts")
        kinds = pc.list_flatten(table.column("text_kinds"))
        unknown = pc.invert(pc.is_in(kinds, value_set=pa.array(TEXT_KINDS)))
        if pc.any(unknown).as_py():
            flat_idx = int(np.flatnonzero(np.asarray(unknown.to_numpy(zero_copy_only=False)))[0])
            row = int(np.asarray(pc.list_parent_indices(table.column("text_kinds")).to_numpy())[flat_idx])
            raise InputError(f"{where}: unknown text kind {kinds[flat_idx].as_py()!r}", file=origin, row=row,
                             field="text_kinds", hint=f"text kinds are {', '.join(TEXT_KINDS)}")


def _check_ids(config: str, splits: Mapping, origin) -> None:
    import pyarrow.compute as pc

    names = list(splits)
    ids, split_of, row_of = [], [], []
    for k, (split, ds) in enumerate(splits.items()):
        col = ds.with_format("arrow")["id"]
        empty = np.asarray(pc.fill_null(pc.equal(col, ""), True).to_numpy(zero_copy_only=False), dtype=bool)
        if empty.any():
            raise InputError(f"config '{config}', split '{split}': empty id", file=origin,
                             row=int(np.flatnonzero(empty)[0]), field="id")
        ids.append(np.asarray(col.to_numpy(zero_copy_only=False), dtype=str))
        split_of.append(np.full(len(col), k))
        row_of.append(np.arange(len(col)))
    ids_all, split_all, row_all = np.concatenate(ids), np.concatenate(split_of), np.concatenate(row_of)
    uniq, inverse, counts = np.unique(ids_all, return_inverse=True, return_counts=True)
    if (counts > 1).any():
        dup = int(np.flatnonzero(counts > 1)[0])
        rows = [f"{names[split_all[i]]} row {row_all[i]}" for i in np.flatnonzero(inverse == dup)[:3]]
        raise InputError(f"config '{config}': id '{uniq[dup]}' is not unique within the config ({', '.join(rows)})",
                         file=origin, field="id", hint="ids must be unique across train/val/test of a config")


# ------------------------------------------------------------------------------------------------ writing
def _canonical(task: str, splits: Mapping):
    """{split: Dataset} of one config of `task`, in SPLITS order, columns in schema order, index mappings
    flattened: what a later push of the exported files sees, so that shard counts and sizes agree with it."""
    out = {}
    order = list(features(task))
    for split in SPLITS:
        if split in splits:
            ds = splits[split]
            if ds.column_names != order:
                ds = ds.select_columns(order)
            if ds._indices is not None:
                ds = ds.flatten_indices()
            out[split] = ds
    return out


def write_split_shards(ds, root: Path, data_dir: str, split: str, max_shard_size="500MB"):
    """Write `root/data_dir/split-NNNNN-of-NNNNN.parquet` as push_to_hub does; returns (SplitInfo, bytes written)."""
    from datasets.arrow_writer import get_writer_batch_size_from_data_size, get_writer_batch_size_from_features
    from datasets.features.features import require_decoding
    from datasets.splits import SplitInfo
    from datasets.table import embed_table_storage
    from datasets.utils.py_utils import convert_file_size_to_int

    # push_to_hub's own size estimate (private API, on purpose: shard count and num_bytes must match a push).
    nbytes = ds._estimate_nbytes()
    batch = get_writer_batch_size_from_features(ds.features) or get_writer_batch_size_from_data_size(len(ds), nbytes)
    embed = any(require_decoding(f, ignore_decode_attribute=True) for f in ds.features.values())
    num_shards = int(nbytes / convert_file_size_to_int(max_shard_size)) + 1
    folder = root / data_dir
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for index in range(num_shards):
        shard = ds.shard(num_shards=num_shards, index=index, contiguous=True)
        if embed:
            fmt = shard.format
            shard = shard.with_format("arrow").map(embed_table_storage, batched=True, batch_size=batch,
                                                   keep_in_memory=True).with_format(**fmt)
        path = folder / f"{split}-{index:05d}-of-{num_shards:05d}.parquet"
        shard.to_parquet(str(path), batch_size=batch)
        written += path.stat().st_size
    return SplitInfo(name=split, num_bytes=nbytes, num_examples=len(ds)), written


def add_hub_metadata(card_data, config: str, features_, splits_info, written_sizes) -> None:
    """Add the `dataset_info` and `configs` entries of `config` (shards under `<config>/`) to `card_data` as
    push_to_hub(config_name=config)'s card update does."""
    from datasets.info import DatasetInfo, DatasetInfosDict
    from datasets.splits import SplitDict
    from datasets.utils.metadata import MetadataConfigs

    parse_config(config)
    info = DatasetInfo(config_name=config, features=features_, splits=SplitDict(), download_size=0, dataset_size=0)
    for split_info, size in zip(splits_info, written_sizes):
        info.splits.add(split_info)
        info.download_size += size
        info.dataset_size += split_info.num_bytes
    info.size_in_bytes = info.download_size + info.dataset_size
    DatasetInfosDict({config: info}).to_dataset_card_data(card_data)
    MetadataConfigs({config: {"data_files": [{"split": s.name, "path": f"{config}/{s.name}-*"}
                                             for s in splits_info]}}).to_dataset_card_data(card_data)


def export_to_dir(datasets_by_config: Mapping[str, Mapping], out_dir: str | Path, card_metadata,
                  max_shard_size: str | int = "500MB", *, stats: Mapping | None = None,
                  overwrite: bool = False) -> Path:
    """Write `datasets_by_config` ({config name: DatasetDict}) to `out_dir` in the Hub layout, atomically; returns
    out_dir. Configs are written in publishing order (`sorted_configs`), each under `<config>/`.

    `card_metadata` is a `card.CardMetadata` (the card is built from it and `stats`, computed with
    `stats.describe` when not given), or a ready `huggingface_hub.DatasetCard` whose body and metadata are kept and
    whose `configs`/`dataset_info` are rewritten. An existing `out_dir` is replaced only with `overwrite=True`.
    """
    from huggingface_hub import DatasetCard

    from datasets_build.hub.card import CardMetadata, build_card

    out_dir = Path(out_dir)
    validate_datasets(datasets_by_config)
    if out_dir.exists() and not overwrite:
        raise InputError("the output folder already exists", file=str(out_dir),
                         hint="choose a new folder or pass overwrite=True (--overwrite)")
    if isinstance(card_metadata, DatasetCard):
        card = DatasetCard(str(card_metadata))
        for key in ("configs", "dataset_info"):
            card.data.pop(key, None)
    elif isinstance(card_metadata, CardMetadata):
        if stats is None:
            from datasets_build.hub.stats import describe

            stats = describe(datasets_by_config)
        card = build_card(card_metadata, datasets_by_config, stats)
    else:
        raise InputError(f"card_metadata must be a CardMetadata or a DatasetCard, not {type(card_metadata).__name__}",
                         field="card_metadata")

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    try:
        for config in sorted_configs(datasets_by_config):
            task = parse_config(config)[0]
            splits_info, sizes = [], []
            for split, ds in _canonical(task, datasets_by_config[config]).items():
                info, size = write_split_shards(ds, tmp, config, split, max_shard_size)
                splits_info.append(info)
                sizes.append(size)
            add_hub_metadata(card.data, config, features(task), splits_info, sizes)
        (tmp / README).write_text(str(card), encoding="utf-8")
        _replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _replace_dir(new: Path, target: Path) -> None:
    if not target.exists():
        new.rename(target)
        return
    backup = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    backup.rmdir()
    target.rename(backup)
    try:
        new.rename(target)
    except BaseException:
        backup.rename(target)
        raise
    shutil.rmtree(backup, ignore_errors=True)


# ------------------------------------------------------------------------------------------------ reading back
def read_layout(folder: str | Path):
    """({config: DatasetDict}, DatasetCard) of a Hub-layout folder (what export_to_dir writes), validated; configs
    in publishing order (`sorted_configs`)."""
    import datasets
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard

    folder = Path(folder)
    readme = folder / README
    if not readme.is_file():
        raise InputError("no README.md: not a Hub-layout dataset folder", file=str(folder),
                         hint="pass a folder written by export_to_dir or `unipose-bench publish --to-dir`")
    card = DatasetCard.load(readme, repo_type="dataset")
    configs = MetadataConfigs.from_dataset_card_data(card.data)
    if not configs:
        raise InputError("the card's YAML lists no `configs`", file=str(readme), field="configs",
                         hint="re-export the folder with export_to_dir")
    for config in configs:
        parse_config(config, file=str(readme))
    out = {}
    for config in sorted_configs(configs):
        try:
            dd = datasets.load_dataset(str(folder), config)
        except Exception as exc:  # noqa: BLE001 - missing shards, bad parquet and cast errors all land here
            raise InputError(f"cannot load config '{config}' ({type(exc).__name__}: {exc})", file=str(folder),
                             field=config, hint="re-export the folder with export_to_dir") from exc
        order = [s for s in SPLITS if s in dd] + [s for s in dd if s not in SPLITS]
        out[config] = datasets.DatasetDict({s: dd[s] for s in order})
    validate_datasets(out, origin=str(folder))
    return out, card


def split_fingerprints(folder: str | Path, configs) -> dict[str, dict[str, str]]:
    """{config: {split: fingerprint}}: the content fingerprints (`benchmark.fingerprint`) of the shards under
    `<folder>/<config>/<split>-*.parquet`."""
    from benchmark.fingerprint import shards_fingerprint
    from benchmark.tasks.data import split_files

    folder = Path(folder)
    out: dict[str, dict[str, str]] = {}
    for config in configs:
        parse_config(config, file=str(folder))
        out[config] = {}
        for split in SPLITS:
            files = split_files(folder, config, split)
            if files:
                out[config][split] = shards_fingerprint(files)
    return out
