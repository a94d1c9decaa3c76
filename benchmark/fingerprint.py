"""Content fingerprints of dataset splits: what a split holds, independent of how its files were written.

A fingerprint is the first 16 hex digits of a SHA-256 over the split's schema (its `datasets.Features`), its row
count and every column in order:
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

FINGERPRINT_DIGITS = 16


def _canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _image_bytes(cell) -> bytes:
    from PIL import Image

    if cell is None:
        return b"null"
    data = cell.get("bytes")
    with Image.open(io.BytesIO(data) if data is not None else cell["path"]) as im:
        im.load()
        return _canonical_json([im.mode, list(im.size)]) + im.tobytes()


def table_fingerprint(table, features=None) -> str:
    """Fingerprint of the rows of an Arrow table (`features`: its `datasets.Features`, read from the table's schema
    metadata when None)."""
    import datasets
    import numpy as np

    from benchmark.columns import fixed_shape_array

    features = features if features is not None else datasets.Features.from_arrow_schema(table.schema)
    digest = hashlib.sha256(_canonical_json(features.to_dict()))
    digest.update(f"rows={table.num_rows}".encode())
    for name in table.column_names:
        feature = features[name]
        digest.update(b"\0column\0" + name.encode() + b"\0")
        column = table.column(name)
        if isinstance(feature, datasets.Image):
            for cell in column.to_pylist():
                data = _image_bytes(cell)
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


def _file_key(files: Iterable[Path]) -> tuple:
    return tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in (Path(x) for x in files))


@lru_cache(maxsize=256)
def _shards_fingerprint(key: tuple) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = [pq.read_table(path) for path, _, _ in key]
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    return table_fingerprint(table)


def shards_fingerprint(files: Iterable[str | os.PathLike]) -> str:
    """Fingerprint of one split stored as parquet shards (in order), as written by `datasets`; cached per file
    path, size and modification time, so asking again is free."""
    files = list(files)
    if not files:
        raise ValueError("no parquet shards to fingerprint")
    return _shards_fingerprint(_file_key(files))


def combined_fingerprint(per_split: Mapping[str, Mapping[str, str]]) -> str:
    """One fingerprint of {config: {split: fingerprint}}: the identity of a whole dataset repo or world."""
    lines = "".join(f"{config}/{split}={per_split[config][split]}\n"
                    for config in sorted(per_split) for split in sorted(per_split[config]))
    return hashlib.sha256(lines.encode()).hexdigest()[:FINGERPRINT_DIGITS]
