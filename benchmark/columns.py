"""Read fixed-shape array columns (`Array2D((22, 3), "float32")` poses) of a `datasets.Dataset` as one numpy array.

`ds.with_format("numpy")[col]` builds the array row by row in datasets 5.2 (about 34 s for 50k poses on our 2-core
machine, see `datasets_build.hub.perf`); the column's Arrow storage is a nested fixed-size list whose flat values are
already the [N, 22, 3] block, so flattening it is a copy-free view (milliseconds).
"""

from __future__ import annotations

import numpy as np

from benchmark.errors import InputError


def fixed_shape_array(ds, column: str) -> np.ndarray:
    """`column` of `ds` (a Dataset, or an Arrow table of its rows) as a numpy array [N, *shape].

    The column must have a fixed shape (`Array2D` with no `None` dimension) and no null rows.
    """
    import pyarrow as pa

    table = ds if isinstance(ds, pa.Table) else ds.select_columns([column]).with_format("arrow")[:]
    col = table.column(column)
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if arr.null_count:
        raise InputError(f"{arr.null_count} null values", row=int(np.flatnonzero(arr.is_null().to_numpy(
            zero_copy_only=False))[0]), field=column, hint="every row needs a value")
    storage = arr.storage if isinstance(arr, pa.ExtensionArray) else arr
    shape = []
    values = storage
    while pa.types.is_list(values.type) or pa.types.is_fixed_size_list(values.type) \
            or pa.types.is_large_list(values.type):
        if not pa.types.is_fixed_size_list(values.type):
            sizes = np.unique(np.asarray(values.value_lengths().to_numpy(zero_copy_only=False)))
            if len(values) and len(sizes) != 1:
                raise InputError(f"column '{column}' has rows of different lengths {sizes.tolist()}",
                                 field=column, hint="use fixed_shape_array only on fixed-shape Array2D columns")
            shape.append(int(sizes[0]) if len(values) else 0)
        else:
            shape.append(values.type.list_size)
        values = values.flatten()
    if not shape:
        raise InputError(f"column '{column}' is not an array column ({col.type})", field=column)
    declared = getattr(arr.type, "shape", None)  # datasets' Array2D extension type knows its shape
    if declared is not None and None not in declared:
        shape = list(declared)
    flat = np.asarray(values.to_numpy(zero_copy_only=False))
    return flat.reshape(len(arr), *shape)


def pose_column(ds, column: str) -> np.ndarray:
    """A fixed-shape pose column as float32 [N, 22, 3], read straight from Arrow (datasets' numpy formatter builds
    it row by row, hundreds of times slower)."""
    return fixed_shape_array(ds, column).astype(np.float32, copy=False)
