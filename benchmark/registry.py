"""One generic registry for tasks, adapters, metrics and leaderboards.

Entries are lazy "module:attr" strings (or objects), imported only when looked up, so listing what exists never
imports a heavy backend. Unknown names get a did-you-mean error. Registries of what other packages add (adapters,
commands, worlds, benchmarks) are filled from entry points (`Registry.from_plugins`, see benchmark.plugins).
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterator
from typing import Generic, TypeVar

from benchmark.errors import BenchmarkError

T = TypeVar("T")


class UnknownName(BenchmarkError, KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; we want it readable
        return str(self.args[0])


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, object] = {}
        self._help: dict[str, str] = {}

    def register(self, name: str, target: str | T, help: str = "") -> None:
        if name in self._entries:
            raise ValueError(f"{self.kind} '{name}' is already registered")
        self._entries[name] = target
        self._help[name] = help

    def get(self, name: str) -> T:
        if name not in self._entries:
            close = difflib.get_close_matches(name, list(self._entries), n=3, cutoff=0.5)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise UnknownName(f"unknown {self.kind} '{name}'{hint} (known: {', '.join(sorted(self._entries))})")
        target = self._entries[name]
        if isinstance(target, str):
            module_name, _, attr = target.partition(":")
            module = importlib.import_module(module_name)
            target = getattr(module, attr) if attr else module
            self._entries[name] = target
        return target  # type: ignore[return-value]

    @classmethod
    def from_plugins(cls, kind: str, group: str) -> "Registry[T]":
        """A registry of everything installed packages declare in the entry-point `group` (see benchmark.plugins)."""
        from benchmark.plugins import declared

        registry: Registry[T] = cls(kind)
        for name, target in declared(group).items():
            registry.register(name, target)
        return registry

    def help(self, name: str) -> str:
        return self._help.get(name, "")

    def names(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
