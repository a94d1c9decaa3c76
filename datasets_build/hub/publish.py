"""Publish a Hub-layout folder to a Hugging Face dataset repo, or copy it to another folder.

`publish(from_dir, repo_id)`:
1. reads and validates `from_dir` (what `export_to_dir` wrote) before any network call;
2. pushes every config (a task id, or task id + "-" + variant such as `pose_to_text-H`) with
   `DatasetDict.push_to_hub(repo_id, config_name=<config>)`, in publishing order
   (`benchmark.tasks.schema.sorted_configs`: task order of `TASKS`, then variant); each push writes its shards
   under `<config>/` and updates the card's `configs` / `dataset_info` in the same commit;
3. downloads the card those pushes wrote, checks that it lists every config with the expected row counts, gives it
   the body and the non-layout metadata (license, tags, provenance ...) of `from_dir`'s card, and uploads it with
   `parent_commit` = the last push, so nothing written in between is overwritten and `configs` stay as pushed
   (a card generated separately and pushed on its own would clobber them: mteb#2623, huggingface_hub#3043);
4. records the commit sha of that last commit, the configs and their split fingerprints in `revisions.json`
   (`revisions.record_revision`).

Offline (HF_HUB_OFFLINE=1, or the Hub unreachable) it raises `HubUnreachable`, which says so and suggests
`--to-dir`; nothing is recorded.
"""

from __future__ import annotations

import importlib
import os
import socket
import tempfile
from pathlib import Path

from benchmark.errors import BenchmarkError
from benchmark.fingerprint import combined_fingerprint
from benchmark.tasks.schema import sorted_configs
from benchmark.tasks import revisions
from datasets_build.hub.export import (
    README, export_to_dir, read_layout, split_fingerprints,
)

LAYOUT_KEYS = ("configs", "dataset_info")


class HubUnreachable(BenchmarkError):
    """The Hugging Face Hub cannot be reached (offline mode or no network)."""


class PublishError(BenchmarkError):
    """The Hub accepted the push but what it holds is not what was pushed."""


def hub_offline() -> bool:
    """HF_HUB_OFFLINE as huggingface_hub read it at import, or as the environment says now."""
    from huggingface_hub import constants

    env = os.environ.get("HF_HUB_OFFLINE", "")
    return bool(constants.HF_HUB_OFFLINE) or env.strip().upper() in {"1", "ON", "YES", "TRUE"}


def _network_error_types() -> tuple[type[BaseException], ...]:
    from huggingface_hub.errors import OfflineModeIsEnabled

    types: list[type[BaseException]] = [OfflineModeIsEnabled, ConnectionError, TimeoutError, socket.gaierror]
    for module in ("httpx2", "httpx", "requests"):  # whichever HTTP client huggingface_hub runs on
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        for name in ("TransportError", "ConnectionError", "Timeout"):
            cls = getattr(mod, name, None)
            if isinstance(cls, type) and issubclass(cls, BaseException):
                types.append(cls)
    return tuple(types)


def _is_network_error(exc: BaseException) -> bool:
    types = _network_error_types()
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, types):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _partial(pushed: list[str]) -> str:
    return (f" Configs pushed before the failure: {', '.join(pushed)}; the repo stays incomplete until a publish "
            "succeeds." if pushed else "")


def _unreachable(repo_id: str, from_dir: Path, detail: str, pushed: list[str], record: Path) -> HubUnreachable:
    return HubUnreachable(
        f"cannot publish to {repo_id}: the Hugging Face Hub is unreachable ({detail}). Nothing was recorded in "
        f"{record}.{_partial(pushed)} To write the same layout locally instead, run: "
        f"unipose-bench publish --from {from_dir} --to-dir OUT")


def copy_layout(from_dir: str | Path, out_dir: str | Path, *, max_shard_size: str | int = "500MB",
                overwrite: bool = False) -> Path:
    """Write the layout of `from_dir` to `out_dir` exactly as a push would (re-sharded, card kept)."""
    datasets_by_config, card = read_layout(from_dir)
    return export_to_dir(datasets_by_config, out_dir, card, max_shard_size, overwrite=overwrite)


def publish(from_dir: str | Path, repo_id: str, *, token: str | None = None, private: bool | None = None,
            max_shard_size: str | int = "500MB", commit_message: str | None = None,
            revisions_file: str | Path | None = None, api=None, name: str | None = None) -> dict:
    """Push every config of the Hub-layout folder `from_dir` to `repo_id`; returns the revisions entry recorded
    under the logical dataset `name` (what task specs look up, e.g. "unipose-bench/posescript"; default: repo_id).

    `api` is the `huggingface_hub.HfApi` used for the card step (default: a new one with `token`); the pushes use
    `DatasetDict.push_to_hub`.
    """
    from_dir = Path(from_dir)
    record = Path(revisions_file or revisions.REVISIONS_FILE)
    revisions.check_repo_id(repo_id)
    datasets_by_config, local_card = read_layout(from_dir)
    configs = sorted_configs(datasets_by_config)
    per_split = split_fingerprints(from_dir, configs)
    if hub_offline():
        raise _unreachable(repo_id, from_dir, "offline mode is enabled: HF_HUB_OFFLINE is set", [], record)
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)

    pushed: list[str] = []
    try:
        last = None
        for config in configs:
            message = commit_message or f"unipose-bench: publish config {config}"
            last = datasets_by_config[config].push_to_hub(repo_id, config_name=config, token=token, private=private,
                                                          max_shard_size=max_shard_size, commit_message=message)
            pushed.append(config)
        final = _update_card(api, repo_id, local_card, last.oid, datasets_by_config,
                             commit_message or "unipose-bench: dataset card")
    except BenchmarkError:
        raise
    except Exception as exc:
        from huggingface_hub.errors import HfHubHTTPError

        if _is_network_error(exc):
            raise _unreachable(repo_id, from_dir, f"{type(exc).__name__}: {exc}", pushed, record) from exc
        if isinstance(exc, HfHubHTTPError):
            raise PublishError(
                f"the Hub refused the publish to {repo_id} ({exc}). Check the token (--token, $HF_TOKEN or "
                f"`hf auth login`) and that it may write to the repo. Nothing was recorded in {record}."
                f"{_partial(pushed)}") from exc
        raise
    splits = {c: {s: {"num_examples": len(datasets_by_config[c][s]), "fingerprint": fp}
                  for s, fp in per_split[c].items()} for c in configs}
    entry = revisions.record_revision(repo_id, final.oid, configs, combined_fingerprint(per_split), splits=splits,
                                      path=record, name=name)
    from benchmark.tasks.catalog import task_registry

    task_registry.cache_clear()  # the specs pin the new revision from now on
    return entry


def _update_card(api, repo_id: str, local_card, parent_commit: str, datasets_by_config, message: str):
    """Give the card the pushes wrote the local body and metadata, keeping its `configs`/`dataset_info`."""
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard, DatasetCardData

    path = api.hf_hub_download(repo_id=repo_id, filename=README, repo_type="dataset", revision=parent_commit)
    hub_card = DatasetCard.load(path, repo_type="dataset")
    configs = MetadataConfigs.from_dataset_card_data(hub_card.data)
    infos = DatasetInfosDict.from_dataset_card_data(hub_card.data)
    for config, dd in datasets_by_config.items():
        if config not in configs:
            raise PublishError(f"after the push, the card of {repo_id} does not list config '{config}'")
        want = {s: len(ds) for s, ds in dd.items()}
        got = {s: info.num_examples for s, info in (infos[config].splits or {}).items()} if config in infos else {}
        if got != want:
            raise PublishError(f"after the push, {repo_id} config '{config}' has splits {got}, expected {want}")
    layout = {k: hub_card.data.get(k) for k in LAYOUT_KEYS}
    merged = {k: v for k, v in local_card.data.to_dict().items() if k not in LAYOUT_KEYS}
    merged.update({k: v for k, v in layout.items() if v is not None})

    new_card = DatasetCard(f"---\n{DatasetCardData(**merged).to_yaml()}\n---\n{local_card.text}")
    if any(new_card.data.get(k) != layout[k] for k in LAYOUT_KEYS):
        raise PublishError("internal: the card edit changed the pushed configs")  # guards the invariant above
    with tempfile.TemporaryDirectory() as tmp:
        readme = Path(tmp) / README
        readme.write_text(str(new_card), encoding="utf-8")
        return api.upload_file(path_or_fileobj=str(readme), path_in_repo=README, repo_id=repo_id,
                               repo_type="dataset", commit_message=message, parent_commit=parent_commit)


__all__ = ["HubUnreachable", "PublishError", "copy_layout", "hub_offline", "publish"]

