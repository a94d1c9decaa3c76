"""The Hub revisions the suite's datasets were published at: `benchmark/tasks/revisions.json`.

One entry per logical dataset (the name task specs use, e.g. "unipose-bench/posescript"), whichever Hub repo it was
pushed to (`repo_id`, e.g. "my-org/posescript-tasks"; `unipose-bench publish --as NAME`):

    {"ORG/NAME": {"revision": "<40-hex commit sha after the last push>", "repo_id": "<the Hub dataset id>",
                  "pushed_at": "2026-01-31T12:00:00+00:00",
                  "configs": ["image_diff", "pose_to_text-A", "pose_to_text-H", ...],
                  "fingerprint": "<16 hex: content hash of all shards>",
                  "splits": {"pose_to_text-H": {"train": {"num_examples": 100, "fingerprint": "<16 hex>"}, ...}}}}

`configs` are the config names pushed (task ids, or task id + "-" + variant), sorted by name.

Task specs pin the revision, Hub repo and content of their split (`pinned(name, config, split)`), so a task always
scores the data it was defined on. The split
fingerprints are the content fingerprints (`benchmark.fingerprint`) of the split's shards, the same value a local copy
of the layout (`unipose-bench publish --to-dir`) gets when it is loaded, so a result on a local copy can be matched to
the published revision. The file is rewritten atomically (temporary file + rename).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from benchmark.errors import InputError

REVISIONS_FILE = Path(__file__).with_name("revisions.json")
_SHA = re.compile(r"^[0-9a-f]{40}$")
_FIELDS = ("revision", "pushed_at", "configs", "fingerprint")


def check_repo_id(repo_id: str, *, file: str | None = None) -> None:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
        ok = repo_id.count("/") == 1
    except HFValidationError:
        ok = False
    if not ok:
        raise InputError(f"'{repo_id}' is not a Hub dataset id", file=file, field="repo_id",
                         hint="use ORG/NAME, e.g. my-org/unipose-bench-embedded")


def load_revisions(path: str | Path = REVISIONS_FILE) -> dict[str, dict]:
    """All entries of the revisions file ({} when it does not exist); malformed entries raise InputError."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc})", file=str(path), hint="restore it from git") from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object {repo_id: entry}", file=str(path), hint="restore it from git")
    for repo_id, entry in data.items():
        check_repo_id(repo_id, file=str(path))
        if not isinstance(entry, dict):
            raise InputError("entry is not an object", file=str(path), row=repo_id)
        missing = [f for f in _FIELDS if f not in entry]
        if missing:
            raise InputError(f"entry lacks {', '.join(missing)}", file=str(path), row=repo_id, field=missing[0])
        if not isinstance(entry["revision"], str) or not _SHA.match(entry["revision"]):
            raise InputError(f"revision {entry['revision']!r} is not a 40-hex commit sha", file=str(path),
                             row=repo_id, field="revision")
    return data


def record_revision(repo_id: str, revision: str, configs, fingerprint: str, *, splits: dict | None = None,
                    pushed_at: str | None = None, path: str | Path = REVISIONS_FILE, name: str | None = None) -> dict:
    """Add or replace the entry of the logical dataset `name` (default: `repo_id` itself), published to the Hub
    repo `repo_id`; returns the entry written. Task specs look entries up by logical name
    (`unipose-bench/posescript`), whichever Hub repo the data was pushed to."""
    check_repo_id(repo_id)
    if name is not None:
        check_repo_id(name)
    if not isinstance(revision, str) or not _SHA.match(revision):
        raise InputError(f"revision {revision!r} is not a 40-hex commit sha", field="revision",
                         hint="pass CommitInfo.oid of the last push")
    path = Path(path)
    data = load_revisions(path)
    entry = {
        "revision": revision,
        "pushed_at": pushed_at or datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "configs": sorted(configs),
        "fingerprint": fingerprint,
        "repo_id": repo_id,
    }
    if splits is not None:
        entry["splits"] = splits
    data[name or repo_id] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(dict(sorted(data.items())), f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return entry


def get_record(repo_id: str, path: str | Path = REVISIONS_FILE) -> dict | None:
    """The whole entry of `repo_id`, or None when it was never published."""
    return load_revisions(path).get(repo_id)


def pinned(name: str, config: str, split: str, path: str | Path = REVISIONS_FILE) -> dict:
    """What a task spec on logical dataset `name` pins: {"revision", "hub_repo", "fingerprint"} of `config`/`split`
    (None values when it was never published)."""
    entry = get_record(name, path) or {}
    split_info = entry.get("splits", {}).get(config, {}).get(split, {})
    return {"revision": entry.get("revision"), "hub_repo": entry.get("repo_id"),
            "fingerprint": split_info.get("fingerprint")}


def get_revision(repo_id: str, path: str | Path = REVISIONS_FILE) -> str | None:
    """The commit sha `repo_id` was last published at, or None when it was never published."""
    entry = get_record(repo_id, path)
    return entry["revision"] if entry else None
