"""How good an evaluator is, as a result file: PoseScript's retrieval protocol on a test split (full-split recall
both directions, mRecall) and the R-precision of the ground-truth texts ("R@1 Precision (GT)" in PoseScript's
model zoo). With several texts per item (automatic sets), each text index is scored and the scores are averaged,
as PoseScript does for its -A sets."""

from __future__ import annotations

import hashlib
import json
import time

import numpy as np

from benchmark.columns import pose_column
from benchmark.results import (AdapterInfo, DatasetInfo, EvaluatorInfo, ScoreEntry, TaskResult,
                               environment)
from benchmark.metrics.bootstrap import bootstrap_mean_ci
from benchmark.metrics.retrieval import cross_modal_recall, r_precision
from benchmark.metrics.specs import check_declared, metric_spec

def _averaged(per_index: list, name: str, key: str, seed: int, resamples: int) -> ScoreEntry:
    spec = metric_spec(key)
    per_sample = np.mean([np.asarray(s[name].details["per_sample"]) for s in per_index], axis=0)
    value = float(np.mean([s[name].value for s in per_index]))
    low, high = bootstrap_mean_ci(per_sample, n_resamples=resamples, seed=seed) if resamples else (None, None)
    return ScoreEntry(value=value, ci_low=low, ci_high=high, protocol=per_index[0][name].protocol, unit=spec.unit,
                      higher_is_better=spec.higher_is_better, n=len(per_sample),
                      details={"text_indices": len(per_index),
                               "per_index": [float(s[name].value) for s in per_index]})


def evaluator_result(evaluator, ds, spec, *, fingerprint: str, revision: str | None = None,
                     max_text_indices: int = 3, seed: int = 0, resamples: int = 1000) -> TaskResult:
    """The evaluator's retrieval scores on `ds` (rows with pose / pose_a+pose_b and texts), as the result of the
    evaluator task `spec` (a `benchmark.tasks.spec.EvaluatorTaskSpec`, e.g. retrieval:pose-text/posescript-h)."""

    start = time.perf_counter()
    kind = evaluator.kind
    if kind != spec.kind:
        raise ValueError(f"{spec.name} scores a {spec.kind} evaluator, not a {kind} one")
    if kind == "pair-text":
        items = evaluator.encode_pairs(pose_column(ds, "pose_a"), pose_column(ds, "pose_b"))
    else:
        items = evaluator.encode_poses(pose_column(ds, "pose"))
    texts = [[t for t, k in zip(ts, ks) if spec.text_kind is None or k == spec.text_kind] for ts, ks in
             zip(ds["texts"], ds["text_kinds"])]
    n_indices = min(max_text_indices, min(len(t) for t in texts))
    recalls, precisions = [], []
    for index in range(n_indices):
        emb = evaluator.encode_texts([t[index] for t in texts])
        recalls.append(cross_modal_recall(items, emb, (1, 5, 10)))
        if len(ds) >= 32:
            precisions.append(r_precision(emb, items, (1, 2, 3), "posescript", 32, 10, seed))
    scores = {}
    for direction in ("p2t", "t2p"):
        for k in (1, 5, 10):
            scores[f"recall_{direction}@{k}"] = _averaged(recalls, f"{direction} R@{k}", f"recall_{direction}@{k}",
                                                          seed, resamples)
    scores["mrecall"] = _averaged(recalls, "mRecall", "mrecall", seed, resamples)
    for k in (1, 2, 3):
        key = f"r_precision_gt@{k}"
        scores[key] = _averaged(precisions, f"R-Precision@{k}", key, seed, resamples) if precisions else \
            ScoreEntry.not_computed(key, len(ds), f"R-precision needs at least 32 rows; the split has {len(ds)}")
    check_declared(spec.name, spec.metrics, scores)
    return TaskResult(
        task=spec.name, task_id=f"{kind.replace('-', '_')}_retrieval", task_version=spec.version,
        dataset=DatasetInfo(repo=spec.dataset.repo, config=spec.dataset.config, split=spec.dataset.split,
                            revision=revision, fingerprint=fingerprint, n_rows=len(ds), n_evaluated=len(ds)),
        evaluators=[EvaluatorInfo(kind=kind, version=evaluator.version,
                                  sha256=evaluator.config.get("weights_sha256", ""))],
        adapter=AdapterInfo(name=evaluator.name, revision=evaluator.version, license="CC0-1.0"),
        scores=scores, main_metric=spec.main_metric, task_spec=spec.model_dump(mode="json"), seed=seed,
        run_key=evaluator_run_key(spec, evaluator, fingerprint=fingerprint, seed=seed, resamples=resamples),
        runtime_s=round(time.perf_counter() - start, 3),
        environment=environment())


def evaluator_run_key(spec, evaluator, *, fingerprint: str | None, seed: int, resamples: int) -> str:
    """The run key (as benchmark.evaluation.run_key's) of scoring a retrieval evaluator's own quality on evaluator
    task `spec`: the task, the split's content, the evaluator (name, version, weights digest), the seed and the
    number of bootstrap resamples. The main job reuses such a result only when the key is equal."""
    parts = {
        "task": spec.name, "task_version": spec.version, "task_spec": spec.model_dump(mode="json"),
        "dataset_fingerprint": fingerprint, "evaluator": evaluator.name, "evaluator_version": evaluator.version,
        "evaluator_sha256": evaluator.config.get("weights_sha256", ""), "seed": seed,
        "bootstrap_resamples": resamples,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()
