"""Golden results: what the shipped adapters score on the small embedded world, per request kind, schema and values.
A refactor that changes a key, a unit, a direction or a number fails here loudly.

Values are kept only for scores that do not go through the evaluators the tests train in the session (those move
from CPU to CPU): the text metrics of the automatic captions and the ground truth, and the pose errors of the pose
baselines, all computed in float64 from a world that is the same bytes everywhere. Regenerate after an intended
change with `UNIPOSE_UPDATE_GOLDEN=1 python -m pytest tests/evaluation/test_golden.py` and commit the file.
"""

import json
import os
from pathlib import Path

import pytest

from benchmark.tasks.schema import REQUEST_KIND

GOLDEN = Path(__file__).with_name("golden") / "small_world_results.json"
VALUE_KEYS = ("bleu", "rouge_l", "meteor", "mpjpe", "pa_mpjpe")
ROWS = (("auto_captioner", "pose_to_text"), ("auto_captioner", "pose_diff"), ("ground_truth", "image_to_text"),
        ("mean_pose", "text_to_pose"), ("mean_pose", "pose_estimation"), ("copy_source", "pose_edit"),
        ("ground_truth", "text_to_pose"))


def _summary(result) -> dict:
    return {
        "task": result.task, "task_version": result.task_version, "main_metric": result.main_metric,
        "n_requests": result.n_requests, "dataset_fingerprint": result.dataset.fingerprint,
        "schema": {k: f"{e.unit or '-'}, {'higher' if e.higher_is_better else 'lower'} is better"
                   for k, e in sorted(result.scores.items())},
        "values": {k: round(result.scores[k].value, 6) for k in VALUE_KEYS
                   if k in result.scores and result.scores[k].value is not None},
    }


def test_results_match_the_golden_file(scored):
    current: dict[str, dict] = {}
    for adapter, task_id in ROWS:
        current.setdefault(REQUEST_KIND[task_id], {})[f"{adapter} | {task_id}"] = _summary(scored[(adapter, task_id)])
    if os.environ.get("UNIPOSE_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
        pytest.skip(f"wrote {GOLDEN}")
    golden = json.loads(GOLDEN.read_text())
    assert set(golden) == {"describe", "generate_pose"}  # one block per request kind
    for kind, rows in golden.items():
        assert set(rows) == set(current[kind]), kind
        for row, expected in rows.items():
            got = current[kind][row]
            assert {k: v for k, v in got.items() if k != "values"} == \
                {k: v for k, v in expected.items() if k != "values"}, row
            assert got["values"].keys() == expected["values"].keys(), row
            for key, value in expected["values"].items():
                # float64 scoring of identical inputs: only the last printed digits may move
                assert got["values"][key] == pytest.approx(value, rel=1e-6, abs=1e-6), (row, key)
