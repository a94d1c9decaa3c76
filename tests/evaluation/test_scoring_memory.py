"""Scoring many predictions within a bounded peak: the joint errors go in blocks of JOINT_ERROR_BLOCK rows (same
values as one pass), and per-sample records are built one at a time as they are written."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest

import benchmark.metrics.joint_protocols as joint_protocols
from benchmark.evaluation.scoring_perf import predictions
from benchmark.metrics.pose import per_joint_errors
from benchmark.results import write_jsonl_atomic
from benchmark.tasks.catalog import task_registry
from benchmark.tasks.scoring import pose_error_scores, records

N_ROWS = 20_000
MIB = 2**20


def _traced(fn):
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_scoring_20k_predictions_stays_under_a_bounded_peak(monkeypatch):
    pred, truth = predictions(N_ROWS, seed=3)
    protocol = joint_protocols.skeleton_22()
    declared = task_registry().get("pose_estimation/embedded").metrics
    protocol.joint_errors(pred[:2], truth[:2])  # imports and the body model, outside the measurement

    def score():
        return pose_error_scores(protocol, pred, truth, seed=0, resamples=0, declared=declared)

    (scores, per_item), peak = _traced(score)
    # inputs 10 MiB; per-sample values of the 33 declared keys 5 MiB; per-joint errors 7 MiB; one block of float64
    # joints and Procrustes intermediates ~6 MiB. One pass over all rows holds ~70 MiB of intermediates.
    assert peak < 40 * MIB, f"{peak / MIB:.1f} MiB"
    monkeypatch.setattr(joint_protocols, "JOINT_ERROR_BLOCK", N_ROWS + 1)
    (whole, whole_items), whole_peak = _traced(score)
    assert whole_peak > peak + 20 * MIB  # the bound above is what the blocks buy
    assert np.array_equal(per_item["mpjpe"], whole_items["mpjpe"])
    assert np.array_equal(per_item["pa_mpjpe"], whole_items["pa_mpjpe"])
    # independently: the MPJPE of a few rows from the body model's joints
    rows = [0, 4095, 4096, N_ROWS - 1]
    joints = np.asarray(protocol.body_model.joints(pred[rows]), dtype=np.float64), \
        np.asarray(protocol.body_model.joints(truth[rows]), dtype=np.float64)
    assert per_item["mpjpe"][rows] == pytest.approx(1000 * per_joint_errors(*joints).mean(axis=1), rel=1e-5)


def test_an_error_in_a_later_block_names_the_row_of_the_whole_array():
    from benchmark.errors import InputError

    pred, truth = predictions(9000, seed=1)
    pred[8500, 3, 1] = np.nan
    with pytest.raises(InputError, match="row 8500"):
        joint_protocols.skeleton_22().joint_errors(pred, truth)


def test_records_are_built_as_they_are_written(tmp_path):
    ids = [f"row-{i}" for i in range(N_ROWS)]
    values = {"mpjpe": np.linspace(0.0, 1.0, N_ROWS), "rank": np.arange(N_ROWS)}
    lazy = records(ids, values, {"text": ["a"] * N_ROWS})
    assert len(lazy) == N_ROWS and lazy[7] == {"id": "row-7", "text": "a", "mpjpe": values["mpjpe"][7], "rank": 7}
    path = tmp_path / "x.samples.jsonl"
    _, peak = _traced(lambda: write_jsonl_atomic(path, lazy))
    # the text is ~1.3 MiB and the records as dicts ~8 MiB: neither is held at once
    assert peak < 1 * MIB, f"{peak / MIB:.2f} MiB"
    lines = path.read_text().splitlines()
    assert len(lines) == N_ROWS and json.loads(lines[-1]) == {"id": f"row-{N_ROWS - 1}", "text": "a", "mpjpe": 1.0,
                                                              "rank": N_ROWS - 1}
