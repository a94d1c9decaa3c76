"""The run key: one digest of every option that changes a number in a result.

`evaluate` reuses a result on disk only when the run it would do now has the same key (MTEB's "only missing", made
strict): the task (name, version and its resolved spec), the dataset content (fingerprint) and split, the row limit,
the evaluator versions, the seed (templates, candidate pools, samples, bootstrap draws), the number of bootstrap
resamples, and the adapter (name, revision, reference flag, arguments). Anything else (output folder, batch size,
progress bars, the machine) does not change a number and is left out, so a result stays reusable across them.
"""

from __future__ import annotations

import hashlib
import json


def run_key(meta, task, *, limit: int | None, split: str | None, fingerprint: str | None) -> str:
    """The key of scoring adapter `meta` (an AdapterMeta) on `task` with these options; `fingerprint` is the
    content fingerprint of the split (Task.fingerprint / Task.load)."""
    spec = task.spec
    parts = {
        "task": spec.name, "task_version": spec.version, "task_spec": spec.model_dump(mode="json"),
        "dataset_fingerprint": fingerprint, "dataset_revision": spec.dataset.revision,
        "split": split or spec.dataset.split, "limit": limit,
        "evaluators": task.evaluator_versions(),
        "seed": task.context.seed, "bootstrap_resamples": task.context.bootstrap_resamples,
        "adapter": meta.name, "adapter_revision": meta.revision, "reference": bool(meta.reference),
        "adapter_args": {str(k): str(v) for k, v in meta.args.items()},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()
