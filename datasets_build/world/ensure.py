"""Build the embedded world once and keep it: the Hub-layout export, its card and statistics, previews, and the
pose-text evaluator trained during the build, under the suite's workspace (`benchmark.workspace`).

A build is identified by its config, the suite version and a fingerprint of the code it runs
(`build.build_id`), so a second call with the same inputs returns the cached build at once, and a change of code or
config builds a new one.
"""

from __future__ import annotations

import datetime
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmark import __version__, workspace
from benchmark.tasks.catalog import EMBEDDED_REPO
from datasets_build.world.build import (DESCRIPTION_VERSIONS, INSTRUCTION_VERSIONS, SOURCE, WorldConfig, build_id,
                                        build_world)




@dataclass(frozen=True)
class World:
    build_id: str
    hub_dir: Path
    pose_text_evaluator: Path
    info: dict
    cached: bool


def _card_metadata(config: WorldConfig, info: dict, command: str):
    from datasets_build.hub.card import CardMetadata, NotBuilt, package_versions

    return CardMetadata(
        pretty_name="unipose-bench embedded pose world",
        summary=("Procedural 3D human poses (41 archetypes, blended and mirrored, anatomical joint limits) on a "
                 "22-joint SMPL-topology skeleton whose rest joints come from the open Anny body model; automatic "
                 "descriptions and instructions from the suite's re-implementation of the PoseScript and PoseFix "
                 "captioning pipelines; images rendered from the posed body. All seven UniPose tasks, with no "
                 "licensed data."),
        sources=(SOURCE,), command=command, suite_version=__version__, seed=config.seed,
        package_versions=package_versions(), built_at=datetime.datetime.now(datetime.timezone.utc).isoformat(),
        body_model="skeleton",
        not_built=(NotBuilt(what="-H and -R variants", reason="the embedded world has no human-written or refined "
                                                              "texts: every text is automatic"),),
        text_versions={**{v: f"PoseScript-A2 version {v} (posecodes)" for v in DESCRIPTION_VERSIONS},
                       **{v: f"PoseFix version {v} (paircodes)" for v in INSTRUCTION_VERSIONS}},
        notes=(f"Pairs mined with the pose-text evaluator {info['evaluator']['version']}.",
               f"Build id {info['build_id']}; config: {json.dumps(info['config'], sort_keys=True)}."),
        tags=("embedded-world", "synthetic"), repo_id=EMBEDDED_REPO)


def _previews(world: dict, folder: Path) -> None:
    """A pose grid and a contact sheet of renders a person can open."""
    import numpy as np
    from PIL import Image

    from benchmark.tasks.common import pose_column
    from benchmark.viz.poses import plot_poses

    folder.mkdir(parents=True, exist_ok=True)
    rows = world["pose_to_text"]["train"].select(range(min(16, len(world["pose_to_text"]["train"]))))
    plot_poses(pose_column(rows, "pose"), folder / "poses.png", titles=[s.split("/")[0] for s in rows["source_id"]])
    images = world["pose_estimation"]["train"].select(range(min(16, len(world["pose_estimation"]["train"]))))
    tiles = [np.asarray(im.convert("RGB")) for im in images["image"]]
    size = tiles[0].shape[0]
    sheet = np.zeros((size * ((len(tiles) + 7) // 8), size * min(8, len(tiles)), 3), np.uint8)
    for i, tile in enumerate(tiles):
        sheet[(i // 8) * size:(i // 8 + 1) * size, (i % 8) * size:(i % 8 + 1) * size] = tile
    Image.fromarray(sheet).save(folder / "images.png")


def ensure_world(config: WorldConfig = WorldConfig(), *, force: bool = False, progress: bool = True,
                 command: str | None = None, log: Callable[[str], None] = print) -> World:
    """The embedded world of `config` (built now unless an identical build exists)."""
    from datasets_build.hub.export import export_to_dir
    from datasets_build.hub.stats import describe, write_stats

    bid = build_id(config)
    folder = workspace.world_dir(bid)
    hub = workspace.world_hub_dir(bid)
    evaluator = workspace.current_evaluator(bid, "pose-text")
    if not force and (folder / "build.json").is_file() and (hub / "README.md").is_file() and evaluator is not None:
        workspace.set_latest_world(bid)
        return World(bid, hub, evaluator, json.loads((folder / "build.json").read_text()), cached=True)
    if folder.exists():
        shutil.rmtree(folder)
    built = build_world(config, evaluator_root=workspace.evaluator_root(bid, "pose-text"), progress=progress,
                        log=log)
    log("[world] exporting (Hub layout, card, statistics) ...")
    stats = describe(built.datasets, seed=config.seed)
    command = command or " ".join(["unipose-bench", *sys.argv[1:]])
    export_to_dir(built.datasets, hub, _card_metadata(config, built.info, command), stats=stats, overwrite=True)
    write_stats(stats, folder / "stats")
    _previews(built.datasets, folder / "previews")
    workspace.set_current_evaluator(bid, "pose-text", built.evaluator_dir)
    info = {**built.info, "hub_dir": str(hub), "command": command}
    tmp = folder / "build.json.tmp"
    tmp.write_text(json.dumps(info, indent=1) + "\n")
    tmp.replace(folder / "build.json")  # written last: its presence marks a complete build
    workspace.set_latest_world(bid)
    log(f"[world] built {bid} in {built.info['total_seconds']:.0f} s: {hub}")
    return World(bid, hub, built.evaluator_dir, info, cached=False)
