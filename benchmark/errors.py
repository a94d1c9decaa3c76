"""Errors that tell the user what to fix.

Every error raised on bad input names where the problem is (file, row, field) and how to fix it, so a
third party submitting predictions or pointing the suite at their data does not have to read our code.
"""

from __future__ import annotations


class BenchmarkError(Exception):
    """Base class of the suite's own errors."""


class InputError(BenchmarkError, ValueError):
    """Bad input data: wrong shape, dtype, non-finite values, unknown ids, malformed files."""

    def __init__(self, message: str, *, file: str | None = None, row: object = None, field: str | None = None,
                 hint: str | None = None):
        self.message, self.file, self.row, self.field, self.hint = message, file, row, field, hint
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            # a reader may name the place itself ("line 3" of a JSONL file, "row 3" of a parquet file)
            named = isinstance(row, str) and row.split(" ")[0] in ("line", "row", "tensor", "metadata")
            where.append(str(row) if named else f"row {row}")
        if field is not None:
            where.append(f"field '{field}'")
        text = (", ".join(where) + ": " if where else "") + message
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class MissingModelFiles(BenchmarkError, FileNotFoundError):
    """Licensed model files (SMPL family, pretrained weights) are not where the user said they are."""


class MissingExtra(BenchmarkError, ImportError):
    """An adapter needs a package of an optional extra that is not installed; the message names the pip command.
    The main job skips such an adapter (and says so) instead of failing."""

    def __init__(self, package: str, extra: str, what: str):
        self.package, self.extra = package, extra
        super().__init__(f"{what} needs the package {package}, which is not installed: pip install -c constraints.txt "
                         f"-e '.[{extra}]' (or `make install`, which installs it)")
