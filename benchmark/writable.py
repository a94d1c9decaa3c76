"""Output, cache and leaderboard paths are checked before any work starts, so that a read-only folder or a file
where a folder belongs is found in a second, not after an hour of scoring."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from benchmark.errors import BenchmarkError


class NotWritable(BenchmarkError, OSError):
    """A path the run must write to cannot be written."""


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        if path.is_symlink():  # a dangling link: its target's folder is what would be written
            return path
        path = path.parent
    return path


def check_dir(path: str | Path, what: str) -> Path:
    """`path` is (or can be created as) a folder we can write into; nothing is created."""
    try:
        return _check_dir(Path(path), what)
    except NotWritable:
        raise
    except OSError as exc:  # e.g. a parent we may not even look into
        raise NotWritable(f"{what} {path} cannot be used ({exc.strerror or exc})") from None


def check_file(path: str | Path, what: str) -> Path:
    """`path` is a file we can write (or create, with its missing folders); nothing is created."""
    try:
        return _check_file(Path(path), what)
    except NotWritable:
        raise
    except OSError as exc:
        raise NotWritable(f"{what} {path} cannot be used ({exc.strerror or exc})") from None


def _check_dir(path: Path, what: str) -> Path:
    if path.exists() and not path.is_dir():
        raise NotWritable(f"{what} {path} is a file, not a folder: remove it or choose another folder")
    existing = _nearest_existing(path)
    if not existing.is_dir():
        raise NotWritable(f"{what} {path} cannot be created: {existing} is a file, not a folder")
    _probe(existing, what, path)
    return path


def _check_file(path: Path, what: str) -> Path:
    if path.is_dir():
        raise NotWritable(f"{what} {path} is a directory, not a file: give a file path")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise NotWritable(f"{what} {path} is read-only: make it writable or choose another file")
        return path
    check_dir(path.parent, f"the folder of {what}")
    return path


def _probe(folder: Path, what: str, path: Path) -> None:
    """Try to create a file: os.access answers for the real uid only and ignores read-only mounts."""
    try:
        fd, name = tempfile.mkstemp(prefix=".unipose-write-test-", dir=folder)
    except OSError as exc:
        raise NotWritable(f"{what} {path} is not writable ({exc.strerror or exc}): choose a writable folder") from None
    os.close(fd)
    os.unlink(name)
