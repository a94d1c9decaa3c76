"""Reading the pickle files the field ships (3DPW sequence files, Human3.6M label pkls, regressor pkls) without
executing arbitrary code: only numpy / scipy.sparse array reconstruction and plain containers are allowed.

A pickle that needs anything else is refused with a message naming the file and the class it asked for.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

from benchmark.errors import InputError

_ALLOWED = {
    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"), ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("scipy.sparse.csc", "csc_matrix"), ("scipy.sparse.csr", "csr_matrix"), ("scipy.sparse._csc", "csc_matrix"),
    ("scipy.sparse._csr", "csr_matrix"), ("scipy.sparse._csc", "csc_array"), ("scipy.sparse._csr", "csr_array"),
    ("collections", "OrderedDict"), ("collections", "defaultdict"), ("builtins", "set"), ("builtins", "frozenset"),
    ("builtins", "complex"), ("builtins", "slice"), ("copy_reg", "_reconstructor"), ("copyreg", "_reconstructor"),
    ("__builtin__", "object"), ("builtins", "object"),
    ("_codecs", "encode"),  # protocol-2 pickles store array bytes as latin1 text
}


class _SafeUnpickler(pickle.Unpickler):
    def __init__(self, file, source: str, **kwargs):
        super().__init__(file, **kwargs)
        self._source = source

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED or (module.startswith("numpy") and name.startswith("dtype")):
            return super().find_class(module, name)
        raise InputError(f"refusing to unpickle {module}.{name}: only arrays and plain containers are allowed",
                         file=self._source, hint="convert the file to npz/JSON if it legitimately holds objects")


def restricted_load(path: str | Path, encoding: str = "latin1"):
    """Unpickle `path` allowing arrays and containers only (latin1 reads Python-2 pickles such as 3DPW's)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=str(path))
    with open(path, "rb") as f:
        return restricted_loads(f.read(), source=str(path), encoding=encoding)


def restricted_loads(data: bytes, source: str = "<bytes>", encoding: str = "latin1"):
    try:
        return _SafeUnpickler(io.BytesIO(data), source, encoding=encoding).load()
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - corrupt pickles raise many kinds
        raise InputError(f"not a readable pickle ({exc})", file=source) from exc
