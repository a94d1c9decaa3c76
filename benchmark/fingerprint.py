"""Content fingerprints of dataset splits: what a split holds, independent of how its files were written.

A fingerprint is the first 16 hex digits of a SHA-256 over the split's schema (each column's name and feature type,
written out here so that a `datasets` upgrade does not change it), its row count and every column in order:
* fixed-shape arrays (`Array2D((22, 3), "float32")` poses): their raw little-endian values;
* images: the decoded pixels (mode, size, bytes), not the encoded file: PNG and JPEG encoders (zlib-ng, libjpeg)
  may write different bytes for the same pixels on another CPU or library build;
* every other column: its values as canonical JSON.

So two machines that build the same rows get the same fingerprint, whatever their parquet writer, compression or
image encoder did; results record it, the embedded world's builds are checked against committed values with it,
and shipped evaluators are pinned to it. `datasets`' own `_fingerprint` hashes the transforms that made a dataset,
not its content, and differs between a built and a reloaded copy, hence this module.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from benchmark.atomic_files import write_text_atomic
from benchmark.errors import InputError

FINGERPRINT_DIGITS = 16
# Bumped whenever what goes into a fingerprint changes: it keys the fingerprints remembered in the workspace.
FINGERPRINT_VERSION = 1


def _canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _image_bytes(cell, row: int, column: str) -> bytes:
    from PIL import Image, UnidentifiedImageError

    if cell is None:
        return b"null"
    data = cell.get("bytes")
    try:
        with Image.open(io.BytesIO(data) if data is not None else cell["path"]) as im:
            im.load()
            return _canonical_json([im.mode, list(im.size)]) + im.tobytes()
    except (OSError, UnidentifiedImageError) as exc:
        raise InputError(f"cannot be decoded as an image ({exc})", row=row, field=column) from None


def _signature(feature):
    """A feature type as plain data: class name and the attributes that define it (dtype, shape, inner feature)."""
    if isinstance(feature, dict):
        return {k: _signature(v) for k, v in feature.items()}
    if isinstance(feature, (list, tuple)):
        return [_signature(v) for v in feature]
    out = {"type": type(feature).__name__}
    for attribute in ("dtype", "shape", "feature", "length", "names"):
        value = getattr(feature, attribute, None)
        if value is not None:
            out[attribute] = _signature(value) if attribute == "feature" else \
                (list(value) if isinstance(value, tuple) else value)
    return out


def table_fingerprint(table, features=None) -> str:
    """Fingerprint of the rows of an Arrow table (`features`: its `datasets.Features`, read from the table's schema
    metadata when None)."""
    import datasets
    import numpy as np

    from benchmark.columns import fixed_shape_array

    features = features if features is not None else datasets.Features.from_arrow_schema(table.schema)
    digest = hashlib.sha256(_canonical_json(_signature(dict(features))))
    digest.update(f"rows={table.num_rows}".encode())
    for name in table.column_names:
        feature = features[name]
        digest.update(b"\0column\0" + name.encode() + b"\0")
        column = table.column(name)
        if isinstance(feature, datasets.Image):
            for row, cell in enumerate(column.to_pylist()):
                data = _image_bytes(cell, row, name)
                digest.update(len(data).to_bytes(8, "little") + data)
        elif isinstance(feature, (datasets.Array2D, datasets.Array3D)) and None not in feature.shape \
                and column.null_count == 0:
            values = fixed_shape_array(table, name).astype(np.dtype(feature.dtype).newbyteorder("<"), copy=False)
            digest.update(np.ascontiguousarray(values).tobytes())
        else:
            digest.update(_canonical_json(column.to_pylist()))
    return digest.hexdigest()[:FINGERPRINT_DIGITS]


def dataset_fingerprint(ds) -> str:
    """Fingerprint of a `datasets.Dataset` (in memory or loaded from files)."""
    return table_fingerprint(ds.with_format("arrow")[:], ds.features)


def _file_key(files: list[Path]) -> str:
    return f"v{FINGERPRINT_VERSION}|" + "|".join(f"{f.resolve()}:{f.stat().st_size}:{f.stat().st_mtime_ns}"
                                                  for f in files)


@lru_cache(maxsize=256)
def _shards_fingerprint(key: str, files: tuple[Path, ...]) -> str:
    """Fingerprint of the shards, remembered in the workspace by path, size and modification time: a large image
    split is decoded once, not at every evaluation."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from benchmark import workspace

    store = workspace.home() / "cache" / "fingerprints.json"
    try:
        known = json.loads(store.read_text()) if store.is_file() else {}
    except (OSError, ValueError):
        known = {}  # a damaged cache is only a cache: recompute
    if isinstance(known, dict) and isinstance(known.get(key), str):
        return known[key]
    tables = []
    for path in files:
        try:
            tables.append(pq.read_table(path))
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"cannot be read as parquet ({exc})", file=str(path),
                             hint="the shard is damaged or not a parquet file: rebuild or re-copy the dataset") \
                from None
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    try:
        value = table_fingerprint(table)
    except InputError as exc:
        raise InputError(exc.message, file=str(files[0]) if len(files) == 1 else f"{files[0]} (+ {len(files) - 1})",
                         row=exc.row, field=exc.field, hint=exc.hint) from None
    except (KeyError, ValueError) as exc:
        raise InputError(f"its schema has no datasets features for every column ({exc})", file=str(files[0]),
                         hint="write the split with the datasets library (Dataset.to_parquet or push_to_hub)") \
            from None
    if not isinstance(known, dict):
        known = {}
    known[key] = value
    try:
        write_text_atomic(store, json.dumps(known, indent=0, sort_keys=True))
    except OSError:
        pass  # a read-only workspace: the fingerprint is only not remembered
    return value


def shards_fingerprint(files: Iterable[str | os.PathLike]) -> str:
    """Fingerprint of one split stored as parquet shards (in order), as written by `datasets`; remembered per file
    path, size and modification time, so asking again is free."""
    files = tuple(Path(f) for f in files)
    if not files:
        raise ValueError("no parquet shards to fingerprint")
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise InputError("not found", file=str(missing[0]))
    return _shards_fingerprint(_file_key(list(files)), files)


def combined_fingerprint(per_split: Mapping[str, Mapping[str, str]]) -> str:
    """One fingerprint of {config: {split: fingerprint}}: the identity of a whole dataset repo or world."""
    lines = "".join(f"{config}/{split}={per_split[config][split]}\n"
                    for config in sorted(per_split) for split in sorted(per_split[config]))
    return hashlib.sha256(lines.encode()).hexdigest()[:FINGERPRINT_DIGITS]
