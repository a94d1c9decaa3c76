"""Reading the container formats the pose datasets ship in, with errors that name the file and the key.

* JSON (PoseScript / PoseFix captions and splits, COCO keypoints, EFT fits).
* npz archives (AMASS, VideoPose3D-style Human3.6M files, HMR2 evaluation files, UniPose image sets). Plain arrays
  are read with `allow_pickle=False`; object arrays (VideoPose3D keeps a dict in a 0-d object array) are decoded by
  parsing the `.npy` header with `numpy.lib.format` and handing the pickle payload to `benchmark.safe_pickle`, so
  no arbitrary code runs.
* MATLAB files: v5 through `scipy.io.loadmat`; v7.3 (HDF5, e.g. the MPI-INF-3DHP test set) through h5py when it
  is installed. Both return arrays in MATLAB's dimension order.
* Pickles through `benchmark.safe_pickle` (arrays and containers only).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from benchmark import safe_pickle
from benchmark.errors import InputError

_MAT73_MAGIC = b"MATLAB 7.3 MAT-file"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def require_file(path: str | Path, what: str = "file", hint: str | None = None) -> Path:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found", file=str(path), hint=hint)
    return path


def read_json(path: str | Path, hint: str | None = None):
    """Parse a JSON file; a missing or malformed file raises InputError naming it (and the line for syntax errors)."""
    path = require_file(path, hint=hint)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", file=str(path),
                         hint=hint) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", file=str(path), hint=hint) from exc
    except RecursionError:  # json recurses once per bracket: a damaged or hostile file can nest 100k deep
        raise InputError("brackets nested too deeply to be a source file", file=str(path), hint=hint) from None


def restricted_load(path: str | Path, hint: str | None = None):
    """Unpickle with the restricted unpickler (latin1, so Python-2 pickles such as 3DPW's read too)."""
    return safe_pickle.restricted_load(require_file(path, hint=hint))


class NpzFile:
    """An npz archive opened as a zip: `keys`, `has(key)`, `array(key)`; use as a context manager.

    Unlike `np.load`, a truncated member, a bad CRC or a member that is not an array raises InputError naming the
    file and the key, and object arrays are decoded with the restricted unpickler.
    """

    def __init__(self, path: str | Path, hint: str | None = None):
        self.path = require_file(path, hint=hint)
        self.hint = hint
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"not a readable npz archive ({exc})", file=str(self.path), hint=hint) from exc
        self.keys = tuple(name[:-4] for name in self._zip.namelist() if name.endswith(".npy"))

    def __enter__(self) -> "NpzFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def has(self, key: str) -> bool:
        return key in self.keys

    def missing(self, key: str, hint: str | None = None) -> InputError:
        return InputError(f"missing key; the archive holds {sorted(self.keys)}", file=str(self.path), field=key,
                          hint=hint or self.hint)

    def array(self, key: str, hint: str | None = None) -> np.ndarray:
        if key not in self.keys:
            raise self.missing(key, hint)
        try:
            raw = self._zip.read(key + ".npy")
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise InputError(f"corrupt member ({exc})", file=str(self.path), field=key, hint=hint or self.hint) from exc
        return read_npy_bytes(raw, source=str(self.path), field=key)

    def optional(self, key: str) -> np.ndarray | None:
        return self.array(key) if self.has(key) else None


def read_npy_bytes(raw: bytes, *, source: str, field: str | None = None) -> np.ndarray:
    """Decode one `.npy` payload; object arrays go through the restricted unpickler."""
    stream = io.BytesIO(raw)
    try:
        version = npy_format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(stream)
        else:
            shape, fortran, dtype = npy_format.read_array_header_2_0(stream)
    except (ValueError, EOFError) as exc:
        raise InputError(f"not a .npy array ({exc})", file=source, field=field) from exc
    if dtype.hasobject:
        # numpy writes an object array as one pickle of the whole array right after the header.
        obj = safe_pickle.restricted_loads(raw[stream.tell():], source=f"{source}:{field}" if field else source)
        if not isinstance(obj, np.ndarray):
            raise InputError(f"object member decodes to {type(obj).__name__}, not an array", file=source, field=field)
        return obj
    stream.seek(0)
    try:
        return npy_format.read_array(stream, allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:
        raise InputError(f"truncated or corrupt array (header says {dtype} {list(shape)}: {exc})", file=source,
                         field=field) from exc


def read_mat(path: str | Path, hint: str | None = None) -> dict[str, object]:
    """Variables of a MATLAB file, arrays in MATLAB dimension order.

    v5 files: `scipy.io.loadmat` with its defaults (structs as record arrays, cells as object arrays, no
    squeezing), so callers index the exact nesting MATLAB wrote. v7.3 files (HDF5): every dataset at the top level,
    transposed back to MATLAB order (HDF5 stores them reversed); needs h5py.
    """
    import scipy.io

    path = require_file(path, hint=hint)
    with open(path, "rb") as f:
        head = f.read(512)
    if head.startswith(_MAT73_MAGIC) or head.startswith(_HDF5_MAGIC):
        return _read_mat73(path, hint)
    try:
        return scipy.io.loadmat(str(path))
    except NotImplementedError:
        return _read_mat73(path, hint)
    except Exception as exc:  # noqa: BLE001 - scipy raises ValueError/TypeError/OSError for corrupt files
        raise InputError(f"not a readable MATLAB file ({type(exc).__name__}: {exc})", file=str(path),
                         hint=hint) from exc


def _read_mat73(path: Path, hint: str | None) -> dict[str, object]:
    try:
        import h5py
    except ImportError:
        raise InputError("MATLAB v7.3 (HDF5) file, which needs the h5py package", file=str(path),
                         hint="pip install h5py, or re-save it in MATLAB with save(..., '-v7')") from None
    try:
        with h5py.File(path, "r") as f:
            return {key: np.asarray(f[key]).T for key in f.keys() if isinstance(f[key], h5py.Dataset)}
    except OSError as exc:
        raise InputError(f"not a readable MATLAB v7.3 / HDF5 file ({exc})", file=str(path), hint=hint) from exc


def float_array(value, *, shape: tuple, source: str, field: str, row: object = None, dtype=np.float32) -> np.ndarray:
    """`value` as a finite float array of `shape` (None entries match any size), or InputError."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (ValueError, TypeError) as exc:
        if row is None and isinstance(value, (list, tuple)) and len(shape) > 1:
            for i, item in enumerate(value):  # ragged input: report the first row that is not of the row shape
                float_array(item, shape=shape[1:], source=source, field=field, row=i, dtype=dtype)
        raise InputError(f"not a numeric array ({exc})", file=source, row=row, field=field) from None
    if arr.ndim != len(shape) or any(want is not None and got != want for got, want in zip(arr.shape, shape)):
        want = "[" + ", ".join("N" if s is None else str(s) for s in shape) + "]"
        raise InputError(f"shape {list(arr.shape)} is not {want}", file=source, row=row, field=field)
    finite = np.isfinite(arr)
    if not finite.all():
        bad_row = row
        if bad_row is None and arr.ndim > 0:
            bad_row = int(np.flatnonzero(~finite.reshape(arr.shape[0], -1).all(1))[0])
        raise InputError("contains NaN or infinite values", file=source, row=bad_row, field=field)
    return arr.astype(dtype, copy=False)


def string_column(arr: np.ndarray, *, source: str, field: str) -> tuple[str, ...]:
    """A 1-D array of str / bytes / object strings as a tuple of Python str."""
    arr = np.asarray(arr)
    if arr.ndim != 1:
        raise InputError(f"shape {list(arr.shape)} is not [N]", file=source, field=field)
    if arr.dtype.kind == "U":
        return tuple(arr.tolist())
    out = []
    for i, value in enumerate(arr.tolist()):
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        if not isinstance(value, str):
            raise InputError(f"expected a string, got {type(value).__name__}", file=source, row=i, field=field)
        out.append(value)
    return tuple(out)
