"""Where the suite keeps what it builds: $UNIPOSE_BENCH_HOME (default ~/.cache/unipose-bench).

    world/<build id>/            an embedded-world build (Hub layout: <task>/<split>-*.parquet + README.md)
    world/LATEST                 the build id of the newest default build
    evaluators/<build id>/<kind>/ retrieval evaluators trained on that build
    cache/responses.sqlite       the response cache shared by all runs
    nltk_data/                   WordNet for METEOR (scripts/fetch_wordnet.sh)
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    return Path(os.environ.get("UNIPOSE_BENCH_HOME", Path.home() / ".cache" / "unipose-bench")).expanduser()


def world_dir(build_id: str) -> Path:
    return home() / "world" / build_id


def latest_world() -> Path | None:
    marker = home() / "world" / "LATEST"
    if not marker.is_file():
        return None
    path = world_dir(marker.read_text().strip())
    return path if (path / "README.md").is_file() else None


def set_latest_world(build_id: str) -> None:
    marker = home() / "world" / "LATEST"
    marker.parent.mkdir(parents=True, exist_ok=True)
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(build_id + "\n")
    tmp.replace(marker)


def evaluator_dir(build_id: str, kind: str) -> Path:
    return home() / "evaluators" / build_id / kind


def cache_path() -> Path:
    return home() / "cache" / "responses.sqlite"
