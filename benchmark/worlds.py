"""Worlds: datasets the suite can build on any machine, with the retrieval evaluators that score them.

The core runs the main job on a world without knowing how it is built: a package declares a `WorldProvider` as an
`unipose_bench.worlds` entry point (this repo's datasets_build declares "embedded", the procedural pose world) and
`benchmark.pipeline` asks it for the world and its evaluators. The two protocols below are all the core relies on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from benchmark.registry import Registry


class BuiltWorld(Protocol):
    build_id: str       # names the build in the workspace (config + code)
    hub_dir: Path       # Hub layout: README.md + <config>/<split>-*.parquet
    cached: bool        # reused, not built now

    @property
    def fingerprint(self) -> str: ...                           # content of the whole world

    @property
    def split_fingerprints(self) -> dict[str, dict[str, str]]: ...  # config -> split -> content fingerprint


class ProvidedEvaluator(Protocol):
    kind: str       # "pose-text" or "pair-text"
    path: Path      # checkpoint folder (benchmark.retrieval.load_evaluator)
    shipped: bool   # frozen and shipped with the suite (False: trained here for this world)


class WorldProvider(Protocol):
    repo: str                    # the logical dataset repo the world's task specs name
    presets: tuple[str, ...]     # sizes it builds; the first is the default

    def build(self, preset: str, *, seed: int | None = None, force: bool = False, command: str | None = None,
              progress: bool = True) -> BuiltWorld: ...

    def evaluators(self, world: BuiltWorld, *, progress: bool = True) -> dict[str, ProvidedEvaluator]: ...

    def pinned_fingerprints(self) -> dict[str, dict[str, str]]: ...  # config -> split -> the content task specs pin


WORLDS: Registry[WorldProvider] = Registry.from_plugins("world", "unipose_bench.worlds")


def provider_of(repo: str) -> WorldProvider | None:
    """The installed provider of the world whose dataset is `repo`, if any (a broken plugin counts as none)."""
    for name in WORLDS.names():
        try:
            provider = WORLDS.get(name)
        except ImportError:
            continue
        if provider.repo == repo:
            return provider
    return None
