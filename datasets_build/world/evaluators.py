"""The retrieval evaluators of the embedded world: trained once, frozen, shipped with the suite.

As the field ships its text-motion and PoseScript retrieval models, the suite ships the pose-text and pair-text
evaluators of the default embedded world in `evaluators/<kind>/` (safetensors weights, config, training log,
version and SHA256SUMS), made by one command:

    unipose-bench freeze-evaluators      # builds the default world, trains both, writes them here (~40 min, 2 cores)

Each is pinned to the content fingerprint of the world it was trained on (`config.json` -> dataset ->
world_fingerprint). `provide_evaluators` hands the tasks the shipped pair when the world matches that fingerprint,
so no score depends on a model trained on the user's machine; for any other world (another seed or size, or a build
that differs from the committed fingerprints) it says why and trains a quick pair for that world, once, into the
workspace.

Training data: the train split of both configs of the kind (pose-text: pose_to_text and image_to_text; pair-text:
pose_diff and image_diff), each row's three texts plus `caption_draws` further draws of the same caption versions
(another seed each): the texts are automatic, so drawing the pipeline again is the text augmentation PoseScript's
automatic sets provide by their several captions per pose. Model selection: validation mRecall on the val splits with
their own texts.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark import workspace
from benchmark.errors import InputError

SHIPPED_DIR = Path(__file__).with_name("evaluators")
KINDS = ("pose-text", "pair-text")
# The world configs each evaluator trains on (the first is the one it is named after).
TRAINING_CONFIGS = {"pose-text": ("pose_to_text", "image_to_text"), "pair-text": ("pose_diff", "image_diff")}
CHECKSUMS_FILE = "SHA256SUMS"
FROZEN = {"recipe": "frozen", "caption_draws": 8}
QUICK = {"recipe": "embedded", "caption_draws": 2}


@dataclass(frozen=True)
class ProvidedEvaluator:
    kind: str
    path: Path
    shipped: bool
    reason: str = ""  # why a shipped evaluator could not be used (empty when it was)


def shipped_dir(kind: str) -> Path:
    return SHIPPED_DIR / kind


def pinned_fingerprint(folder: Path) -> str | None:
    """The world fingerprint an evaluator folder was trained on (None if it records none)."""
    from benchmark.retrieval.checkpoint import read_config

    return read_config(folder).get("dataset", {}).get("world_fingerprint")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_checksums(folder: Path) -> None:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != CHECKSUMS_FILE)
    (folder / CHECKSUMS_FILE).write_text("".join(f"{_sha256(p)}  {p.name}\n" for p in files))


REQUIRED_FILES = ("config.json", "model.safetensors", "version.txt")


def verify_checksums(folder: Path) -> None:
    """Raise InputError naming the file whose SHA-256 differs from SHA256SUMS (or is missing, or not listed)."""
    sums = folder / CHECKSUMS_FILE
    hint = "restore the folder (git checkout) or re-run `unipose-bench freeze-evaluators`"
    if not sums.is_file():
        raise InputError("missing", file=str(sums), hint=hint)
    listed = dict(reversed(line.split("  ", 1)) for line in sums.read_text().splitlines() if "  " in line)
    for name in REQUIRED_FILES:
        if name not in listed:
            raise InputError(f"does not list {name}", file=str(sums), hint=hint)
    for name, digest in listed.items():
        path = folder / name
        if not path.is_file() or _sha256(path) != digest:
            raise InputError("does not match its SHA-256 in SHA256SUMS: the file is corrupt or was replaced",
                             file=str(path), hint=hint)


def _training_splits(world, kind: str, caption_draws: int, seed: int):
    """DatasetDict(train, val) for `kind`: the train rows of both configs with extra caption draws, the val rows with
    their own texts (columns: the pose column(s), texts, text_kinds)."""
    import datasets

    from benchmark.body.skeleton import SkeletonBody
    from benchmark.columns import fixed_shape_array
    from datasets_build.world.build import ARCHETYPE_ACTIONS, describe_rows, instruct_rows

    body = SkeletonBody()
    pose_columns = ("pose",) if kind == "pose-text" else ("pose_a", "pose_b")
    out = {}
    for split in ("train", "val"):
        columns: dict[str, list] = {c: [] for c in (*pose_columns, "texts", "text_kinds")}
        for config in TRAINING_CONFIGS[kind]:
            ds = datasets.load_dataset(str(world.hub_dir), config, split=split)
            arrays = [fixed_shape_array(ds, c).astype(np.float32, copy=False) for c in pose_columns]
            texts = [list(t) for t in ds["texts"]]
            if split == "train":
                # the archetype (hence N6's action word) of a pose row is the first part of its source id
                actions = [[ARCHETYPE_ACTIONS[s.split("/")[0]]] for s in ds["source_id"]] \
                    if kind == "pose-text" else None
                for draw in range(1, caption_draws + 1):
                    what = f"evaluator-{config}-{draw}"  # the step name keeps these draws apart from the world's
                    if kind == "pose-text":
                        more = describe_rows(arrays[0], actions, body, seed, what)
                    else:
                        more = instruct_rows(arrays[0], arrays[1], np.asarray(ds["in_sequence"], bool), body, seed,
                                             what)
                    texts = [t + m for t, m in zip(texts, more)]
            for c, arr in zip(pose_columns, arrays):
                columns[c] += list(arr)
            columns["texts"] += texts
            columns["text_kinds"] += [["automatic"] * len(t) for t in texts]
        features = datasets.Features({**{c: datasets.Array2D((22, 3), "float32") for c in pose_columns},
                                      "texts": datasets.List(datasets.Value("string")),
                                      "text_kinds": datasets.List(datasets.Value("string"))})
        out[split] = datasets.Dataset.from_dict(columns, features=features)
    return datasets.DatasetDict(out)


def train_world_evaluator(world, kind: str, output_dir: Path, *, recipe: str, caption_draws: int, seed: int = 0,
                          progress: bool = True):
    """Train the `kind` evaluator of `world` and save it under `output_dir/<version>/`; returns the TrainingResult."""
    from benchmark.retrieval import train_retrieval

    splits = _training_splits(world, kind, caption_draws, seed)
    info = {"path": "embedded-world", "configs": list(TRAINING_CONFIGS[kind]), "world_build": world.build_id,
            "world_fingerprint": world.fingerprint, "caption_draws": caption_draws,
            "split_fingerprints": {c: world.split_fingerprints[c] for c in TRAINING_CONFIGS[kind]}}
    return train_retrieval(kind, splits, config=recipe, seed=seed, output_dir=output_dir, dataset_info=info,
                           progress=progress)


def _fits(folder: Path, world, quick: dict) -> bool:
    """Whether an evaluator trained here earlier was trained on `world` with the `quick` settings."""
    from benchmark.retrieval.checkpoint import read_config

    config = read_config(folder)
    return (config.get("dataset", {}).get("world_fingerprint") == world.fingerprint
            and config.get("training", {}).get("recipe") == quick["recipe"]
            and config.get("dataset", {}).get("caption_draws") == quick["caption_draws"])


def provide_evaluators(world, *, log: Callable[[str], None] = print, progress: bool = True,
                       quick: dict | None = None) -> dict[str, ProvidedEvaluator]:
    """The evaluators that score `world`: the shipped ones when the world is the one they were trained on, else
    a quick pair trained for it once (cached in the workspace; `quick`: recipe and caption draws, default QUICK),
    with the reason logged. The choice is recorded in the workspace (`workspace.current_evaluator`), where
    `unipose-bench evaluate` finds it."""
    quick = quick or QUICK
    out = {}
    for kind in KINDS:
        shipped = shipped_dir(kind)
        if not (shipped / "config.json").is_file():
            reason = f"no shipped {kind} evaluator in {shipped}"
        else:
            pinned = pinned_fingerprint(shipped)
            if pinned == world.fingerprint:
                verify_checksums(shipped)
                workspace.set_current_evaluator(world.build_id, kind, shipped)
                out[kind] = ProvidedEvaluator(kind, shipped, shipped=True)
                continue
            reason = (f"the shipped {kind} evaluator was trained on the world with content fingerprint {pinned}; "
                      f"this world is {world.fingerprint}")
        cached = workspace.current_evaluator(world.build_id, kind)
        if cached is not None and SHIPPED_DIR.resolve() not in cached.resolve().parents \
                and _fits(cached, world, quick):
            log(f"[evaluators] {reason}: using the {kind} evaluator trained for it earlier ({cached.name})")
            out[kind] = ProvidedEvaluator(kind, cached, shipped=False, reason=reason)
            continue
        log(f"[evaluators] {reason}: training a {kind} evaluator for this world ({quick['recipe']} recipe, a few "
            "minutes; its scores are not comparable with those of the shipped evaluators)")
        trained = train_world_evaluator(world, kind, workspace.evaluator_root(world.build_id, kind),
                                        progress=progress, **quick)
        workspace.set_current_evaluator(world.build_id, kind, trained.checkpoint_dir)
        out[kind] = ProvidedEvaluator(kind, Path(trained.checkpoint_dir), shipped=False, reason=reason)
    return out


def freeze_evaluators(world, *, output: Path = SHIPPED_DIR, seed: int = 0, progress: bool = True,
                      log: Callable[[str], None] = print) -> dict[str, Path]:
    """Train both evaluators of `world` with the frozen recipe and write them to `output/<kind>/` (replacing what
    is there), each with its SHA256SUMS."""
    out = {}
    for kind in KINDS:
        log(f"[freeze] training the {kind} evaluator ({FROZEN['recipe']} recipe, {FROZEN['caption_draws']} extra "
            "caption draws) ...")
        staging = Path(output) / f".{kind}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        trained = train_world_evaluator(world, kind, staging, seed=seed, progress=progress, **FROZEN)
        final = Path(output) / kind
        write_checksums(Path(trained.checkpoint_dir))
        shutil.rmtree(final, ignore_errors=True)
        Path(trained.checkpoint_dir).replace(final)
        shutil.rmtree(staging, ignore_errors=True)
        log(f"[freeze] {kind}: {trained.evaluator.version}, validation mRecall {trained.val_mrecall:.1f} -> {final}")
        out[kind] = final
    return out


def summary(folder: Path) -> dict:
    """Version, hash and validation figures of an evaluator folder, for logs and notes."""
    config = json.loads((folder / "config.json").read_text())
    return {"version": (folder / "version.txt").read_text().strip(), "weights_sha256": config["weights_sha256"],
            "val": config["selected"]["val_metrics"], "world_fingerprint": config["dataset"].get("world_fingerprint")}
