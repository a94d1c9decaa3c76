"""Atomic file writes: every file the suite writes (results, per-sample records, embeddings, cache exports) appears
whole or not at all.

The content goes to a temporary file in the same folder (so the rename never crosses a file system), is flushed
and fsync'ed, and is then renamed over the target with os.replace, which POSIX and Windows both make atomic. A
process killed in between leaves only the temporary file, named `.<target name>.<pid>.tmp`;
`remove_orphans` deletes those whose process is gone at the next run's start.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

_ORPHAN = re.compile(r"^\..+\.(\d+)\.tmp(\.[A-Za-z0-9]+)?$")


def temp_path(path: str | Path, suffix: str = "") -> Path:
    """The temporary name of `path` for this process (`suffix` for writers that insist on an extension, as
    numpy's savez does with `.npz`)."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.tmp{suffix}")


def _fsync_dir(folder: Path) -> None:
    # the rename itself is durable only once the folder's entry is on disk (not possible on Windows: skipped)
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yields a temporary path to write `path`'s content to; on success it is fsync'ed and renamed over `path`, on
    an exception it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path, suffix)
    try:
        yield tmp
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


@contextlib.contextmanager
def atomic_folder(folder: str | Path) -> Iterator[Path]:
    """Yields a temporary folder to fill with `folder`'s files; on success it replaces `folder` (an older one is
    removed first), on an exception it is removed. A reader never sees a half-written folder under the name."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(folder)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(folder.parent)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, owned by someone else (or cannot tell): leave its file alone
    return True


def remove_orphans(folder: str | Path) -> list[Path]:
    """Delete the temporary files (`.<name>.<pid>.tmp[.ext]`) that a killed process left under `folder`; a file of
    a process still running (another rank, another run) is kept. Returns the removed paths."""
    folder = Path(folder)
    removed = []
    if not folder.is_dir():
        return removed
    for path in folder.rglob(".*.tmp*"):
        match = _ORPHAN.match(path.name)
        if match is None or not path.is_file() or _alive(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed
