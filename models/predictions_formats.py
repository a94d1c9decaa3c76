"""Readers of the three predictions-file formats: JSONL, parquet and safetensors. Nothing else is read (no pickle,
no `.npy` with objects, no `torch.load`): a submission is untrusted and these formats hold data only.

Each reader yields `(where, record)`: `where` names the place in the file ("line 3", "row 2", "tensor 'poses:...'")
and `record` is a dict of plain Python values (str, int, float, bool, None, lists, dicts) that
models.predictions_file validates field by field, the same for every format. The readers enforce the limits that
must hold before a value exists at all (models.predictions_limits: file size, line length, nesting, record count)
and turn every failure of the underlying library into an InputError naming the file.

safetensors layout (for pose tasks, written with `safetensors.numpy.save_file`): one float32 tensor per record named
`FIELD:TASK:ID` with FIELD one of pose, poses, joints (e.g. `poses:text_to_pose/embedded:00042`); texts and joint
sets go into the header's metadata as `text:TASK:ID` and `joint_set:TASK:ID`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from benchmark.errors import InputError
from models.predictions_limits import LIMITS

FORMATS = (".jsonl", ".parquet", ".safetensors")
_BOM = b"\xef\xbb\xbf"


def read_records(path: Path) -> Iterator[tuple[str, dict]]:
    """The records of `path`, by its suffix; refuses other file types, directories and oversized files."""
    file = str(path)
    if path.is_dir():
        raise InputError("is a directory, not a predictions file", file=file,
                         hint="give the .jsonl / .parquet / .safetensors file inside it")
    if not path.is_file():
        raise InputError("predictions file not found", file=file)
    if path.suffix not in FORMATS:
        raise InputError(f"unsupported predictions file type '{path.suffix}'", file=file,
                         hint="use .jsonl, .parquet or .safetensors")
    size = path.stat().st_size
    if size > LIMITS.file_bytes:
        raise InputError(f"is {size / 2**30:.2f} GiB, over the limit of {LIMITS.file_bytes / 2**30:.0f} GiB",
                         file=file, hint="split the submission by task")
    reader = {".jsonl": _jsonl, ".parquet": _parquet, ".safetensors": _safetensors}[path.suffix]
    for n, item in enumerate(reader(path, file)):
        if n >= LIMITS.records:
            raise InputError(f"holds more than {LIMITS.records:,} records", file=file, row=item[0],
                             hint="split the submission by task")
        yield item


def _unique_keys(pairs):
    """object_pairs_hook: a key given twice would silently keep the last value; refused instead."""
    out = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


class _DuplicateKey(Exception):
    pass


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_OPEN = np.zeros(256, np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def _bracket_depth(raw: bytes) -> int:
    """The deepest bracket nesting of one JSON line, outside its strings, in C-speed passes (a regex and a cumulative
    sum): `json.loads` recurses once per level, and 200k levels end in a RecursionError after allocating them."""
    code = np.frombuffer(_STRING.sub(b'""', raw), np.uint8)
    return int(np.cumsum(_OPEN[code], dtype=np.int64).max(initial=0))


def _jsonl(path: Path, file: str):
    with open(path, "rb") as f:
        line_no = 0
        while True:
            # bounded: one oversized line is refused after reading LIMITS.line_bytes, not after reading the file
            raw = f.readline(LIMITS.line_bytes + 1)
            if not raw:
                return
            line_no += 1
            where = f"line {line_no}"
            if line_no > LIMITS.records:  # blank lines count too: a gigabyte of newlines is no cheaper to read
                raise InputError(f"holds more than {LIMITS.records:,} lines", file=file, row=where,
                                 hint="split the submission by task")
            if len(raw) > LIMITS.line_bytes and not raw.endswith(b"\n"):
                raise InputError(f"is longer than {LIMITS.line_bytes >> 20} MiB", file=file, row=where,
                                 hint="one record per line; texts are limited to "
                                      f"{LIMITS.text_chars:,} characters")
            if line_no == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM):]  # a UTF-8 byte-order mark (Windows editors write one) is not data
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"is not UTF-8 (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the line)",
                                 file=file, row=where, hint="write the file as UTF-8") from None
            if not line.strip():
                continue
            depth = _bracket_depth(raw)
            if depth > LIMITS.nesting:
                raise InputError(f"nests brackets {depth} deep, over the limit of {LIMITS.nesting}", file=file,
                                 row=where, hint="poses are [n][22][3]: three levels of brackets")
            try:
                record = json.loads(line, object_pairs_hook=_unique_keys)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON ({exc.msg} at column {exc.colno})", file=file, row=where) from None
            except RecursionError:
                raise InputError("is nested too deeply to be a record", file=file, row=where,
                                 hint="poses are [n][22][3]: three levels of brackets") from None
            except _DuplicateKey as exc:
                raise InputError("is given twice in one record", file=file, row=where, field=str(exc)) from None
            except ValueError as exc:  # e.g. an integer of more than 4300 digits
                raise InputError(f"not valid JSON ({exc})", file=file, row=where) from None
            yield where, record


def _parquet(path: Path, file: str):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"is not a readable parquet file ({exc})", file=file,
                         hint="write it with pandas.DataFrame.to_parquet or datasets' to_parquet") from None
    if parquet.metadata.num_rows > LIMITS.records:
        raise InputError(f"holds {parquet.metadata.num_rows:,} rows, over the limit of {LIMITS.records:,}",
                         file=file, hint="split the submission by task")
    row = 0
    try:
        for batch in parquet.iter_batches(batch_size=4096):
            for record in batch.to_pylist():
                # a column another row needs is null here: absent, as in JSONL
                yield f"row {row}", {k: v for k, v in record.items() if v is not None}
                row += 1
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"is not a readable parquet file ({exc})", file=file, row=f"row {row}") from None


def _safetensors(path: Path, file: str):
    from safetensors import SafetensorError, safe_open

    try:
        handle = safe_open(str(path), framework="np")
    except (SafetensorError, OSError, ValueError) as exc:
        raise InputError(f"is not a readable safetensors file ({exc})", file=file,
                         hint="write it with safetensors.numpy.save_file") from None
    with handle:
        metadata = handle.metadata() or {}
        records: dict[tuple[str, str], dict] = {}
        wheres: dict[tuple[str, str], str] = {}
        for kind, keys in (("tensor", sorted(handle.keys())), ("metadata", sorted(metadata))):
            for key in keys:
                where = f"{kind} '{key[:80]}'"
                field, task, row_id = (key.split(":", 2) + ["", ""])[:3]
                allowed = ("pose", "poses", "joints") if kind == "tensor" else ("text", "joint_set")
                if field not in allowed or not task or not row_id:
                    if kind == "metadata" and field not in ("pose", "poses", "joints"):
                        continue  # free metadata (e.g. "format": "pt") is the writer's business
                    raise InputError(f"is not named FIELD:TASK:ID with FIELD one of {', '.join(allowed)}",
                                     file=file, row=where, field=field or None)
                record = records.setdefault((task, row_id), {"task": task, "id": row_id})
                wheres.setdefault((task, row_id), where)
                if kind == "tensor":
                    try:
                        sl = handle.get_slice(key)
                        dtype = sl.get_dtype()
                        shape = sl.get_shape()
                        if len(shape) > 3 or any(d > max(LIMITS.samples, LIMITS.joints) for d in shape):
                            raise InputError(f"has shape {shape}, beyond [{LIMITS.samples}][{LIMITS.joints}][3]",
                                             file=file, row=where, field=field)
                        if dtype != "F32":
                            raise InputError(f"is {dtype}; predictions are float32 (F32)", file=file, row=where,
                                             field=field)
                        record[field] = handle.get_tensor(key).tolist()
                    except (SafetensorError, ValueError) as exc:
                        if isinstance(exc, InputError):
                            raise
                        raise InputError(f"cannot be read ({exc})", file=file, row=where, field=field) from None
                else:
                    record[field] = metadata[key]
        for key, record in records.items():
            yield wheres[key], record
