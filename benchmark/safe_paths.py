"""Names from a submission or a spec that become parts of a path must stay inside their folder.

An adapter's name and revision become folders of the results (OUT/results/NAME/REVISION/TASK.json): `name=..` would
put a result beside OUT/results, `name=../../x` anywhere. `check_component` refuses such a name where it is given;
`contained` is the last check before a path is written, whatever the name went through.
"""

from __future__ import annotations

from pathlib import Path

from benchmark.errors import BenchmarkError


class UnsafePath(BenchmarkError, ValueError):
    """A name would put a file outside the folder it belongs in."""


def check_component(value: str, what: str) -> str:
    """`value` as one path component (after the '/' and ':' that result_path maps to '__' and '_'): not empty, not
    '.' or '..', no backslash or NUL, at most 200 characters (file systems take 255 bytes per name)."""
    mapped = value.replace("/", "__").replace(":", "_")
    if mapped.strip() in ("", ".", "..") or "\\" in value or "\x00" in value or len(mapped.encode()) > 200:
        raise UnsafePath(f"{what} {value[:80]!r} cannot name a folder (empty, '.', '..', a backslash, a NUL or over "
                         "200 bytes)", )
    return mapped


def contained(path: str | Path, folder: str | Path, what: str = "a result") -> Path:
    """`path`, after checking that it lies inside `folder` once both are resolved (symbolic links followed)."""
    resolved, base = Path(path).resolve(), Path(folder).resolve()
    if not resolved.is_relative_to(base):
        raise UnsafePath(f"{what} would be written to {resolved}, outside {base}; refused (check the adapter's name "
                         "and revision)")
    return Path(path)
