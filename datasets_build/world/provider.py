"""The embedded world as the core sees it (`benchmark.worlds.WorldProvider`), declared in pyproject.toml as the
`unipose_bench.worlds` entry point "embedded"."""

from __future__ import annotations

import json
from pathlib import Path

from benchmark.errors import InputError
from benchmark.tasks.catalog import EMBEDDED_REPO

# the committed content fingerprints of the presets' worlds (written by `build --record-fingerprints`)
FINGERPRINTS_FILE = Path(__file__).with_name("fingerprints.json")


def committed_entries() -> list[dict]:
    """The entries of fingerprints.json ({config, fingerprint, splits, preset?}); a malformed file is an InputError."""
    if not FINGERPRINTS_FILE.is_file():
        return []
    try:
        entries = json.loads(FINGERPRINTS_FILE.read_text(encoding="utf-8"))
        if not isinstance(entries, list) or not all(isinstance(e, dict) and {"config", "fingerprint", "splits"} <=
                                                    set(e) for e in entries):
            raise ValueError("expected a list of {config, fingerprint, splits} objects")
    except ValueError as exc:
        raise InputError(f"is not a valid fingerprints file ({exc})", file=str(FINGERPRINTS_FILE),
                         hint="restore it (git checkout), or re-record: unipose-bench build --record-fingerprints") \
            from None
    return entries


class EmbeddedWorldProvider:
    repo = EMBEDDED_REPO
    presets = ("default", "small")

    def build(self, preset: str = "default", *, seed: int | None = None, force: bool = False,
              command: str | None = None, progress: bool = True):
        from datasets_build.world.build import PRESETS
        from datasets_build.world.ensure import ensure_world

        if preset not in PRESETS:
            raise InputError(f"unknown preset '{preset}'", field="--preset", hint=f"use one of {', '.join(PRESETS)}")
        config = PRESETS[preset]
        if seed is not None:
            config = config.model_copy(update={"seed": seed})
        return ensure_world(config, force=force, command=command, progress=progress)

    def pinned_fingerprints(self) -> dict[str, dict[str, str]]:
        """config -> split -> content fingerprint of the default world the suite commits to (fingerprints.json,
        read as JSON: the task registry needs it and must not import the builder and torch)."""
        return next((e["splits"] for e in committed_entries() if e.get("preset") == "default"), {})

    def evaluators(self, world, *, progress: bool = True):
        from datasets_build.world.evaluators import provide_evaluators

        return provide_evaluators(world, progress=progress)


EMBEDDED_WORLD = EmbeddedWorldProvider()
