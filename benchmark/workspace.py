"""Where the suite keeps what it builds: $UNIPOSE_BENCH_HOME (default ~/.cache/unipose-bench).

    world/<build id>/hub/                 an embedded-world build in the Hub layout (<task>/<split>-*.parquet, README)
    world/<build id>/build.json           what was built, with sizes and timings
    world/<build id>/previews/            PNG previews of poses and renders
    world/LATEST                          the build id of the newest build
    evaluators/<build id>/<kind>/<version>/   retrieval evaluators trained on that build (when the shipped ones
                                          do not apply to it)
    evaluators/<build id>/<kind>/CURRENT      the folder of the evaluator the tasks use (shipped or trained here)
    cache/responses.sqlite                the response cache shared by all runs
    cache/refined.sqlite                  the -R refiners' texts (models/openai_compat/refiner.py)
    nltk_data/                            WordNet for METEOR (scripts/fetch_wordnet.sh)
"""

from __future__ import annotations

import os
from pathlib import Path

from benchmark.atomic_files import write_text_atomic


def home() -> Path:
    return Path(os.environ.get("UNIPOSE_BENCH_HOME") or Path.home() / ".cache" / "unipose-bench").expanduser()


def _write_marker(path: Path, value: str) -> None:
    write_text_atomic(path, value + "\n")


def world_dir(build_id: str) -> Path:
    return home() / "world" / build_id


def world_hub_dir(build_id: str) -> Path:
    return world_dir(build_id) / "hub"


def latest_world_id() -> str | None:
    marker = home() / "world" / "LATEST"
    if not marker.is_file():
        return None
    build = marker.read_text().strip()
    return build if (world_hub_dir(build) / "README.md").is_file() else None


def set_latest_world(build_id: str) -> None:
    _write_marker(home() / "world" / "LATEST", build_id)


def evaluator_root(build_id: str, kind: str) -> Path:
    return home() / "evaluators" / build_id / kind


def current_evaluator(build_id: str, kind: str) -> Path | None:
    marker = evaluator_root(build_id, kind) / "CURRENT"
    if not marker.is_file():
        return None
    folder = evaluator_root(build_id, kind) / marker.read_text().strip()  # an absolute path stays as it is
    return folder if (folder / "config.json").is_file() else None


def set_current_evaluator(build_id: str, kind: str, folder: Path) -> None:
    _write_marker(evaluator_root(build_id, kind) / "CURRENT", str(Path(folder).resolve()))


def cache_path() -> Path:
    return home() / "cache" / "responses.sqlite"
