import json

import numpy as np
import pytest

from benchmark.errors import InputError
from models.predictions_file import PredictionsFileAdapter, read_predictions


def write(tmp_path, records, name="preds.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return path


POSE = np.zeros((22, 3)).tolist()


def test_reads_texts_poses_and_joints(tmp_path):
    path = write(tmp_path, [
        {"task": "pose_to_text/embedded", "id": "a", "text": "Arms up."},
        {"task": "text_to_pose/embedded", "id": "a", "pose": POSE},
        {"task": "text_to_pose/embedded", "id": "b", "poses": [POSE, POSE]},
        {"task": "pose_estimation/h36m-17", "id": "c", "joints": [np.zeros((17, 3)).tolist()], "joint_set": "h36m-17"},
    ])
    preds = read_predictions(path)
    assert preds[("pose_to_text/embedded", "a")].text == "Arms up."
    assert preds[("text_to_pose/embedded", "a")].poses.shape == (1, 22, 3)
    assert preds[("text_to_pose/embedded", "b")].poses.shape == (2, 22, 3)
    assert preds[("pose_estimation/h36m-17", "c")].joint_set == "h36m-17"
    adapter = PredictionsFileAdapter(str(path), name="mine", revision="v1")
    assert adapter.meta.tasks == ("pose_estimation", "pose_to_text", "text_to_pose")
    assert adapter.meta.revision.startswith("v1+")


@pytest.mark.parametrize("record, line_field", [
    ('{"task": "pose_to_text/embedded", "id": "a", "text": "ok"}\n{not json', ("line 2", None)),
    ({"task": "pose_to_text/embedded", "id": "a", "txt": "typo"}, ("line 1", "txt")),
    ({"task": "pose_to_text/embedded", "text": "no id"}, ("line 1", "id")),
    ({"task": "pose_to_txt/embedded", "id": "a", "text": "x"}, ("line 1", "task")),
    ({"task": "pose_to_text/embedded", "id": "a", "text": "   "}, ("line 1", "text")),
    ({"task": "text_to_pose/embedded", "id": "a", "pose": np.zeros((21, 3)).tolist()}, ("line 1", "pose")),
    ({"task": "text_to_pose/embedded", "id": "a", "pose": [[float("nan")] * 3] * 22}, ("line 1", "pose")),
    ({"task": "text_to_pose/embedded", "id": "a"}, ("line 1", "poses")),
    ({"task": "pose_estimation/x", "id": "a", "joints": [[[0, 0, 0]]]}, ("line 1", "joint_set")),
])
def test_malformed_records_name_the_line_and_field(tmp_path, record, line_field):
    path = tmp_path / "bad.jsonl"
    path.write_text(record if isinstance(record, str) else json.dumps(record))
    with pytest.raises(InputError) as err:
        read_predictions(path)
    row, field = line_field
    assert err.value.row == row and str(path) in str(err.value)
    if field:
        assert err.value.field == field


def test_duplicates_and_empty_files(tmp_path):
    rec = {"task": "pose_to_text/embedded", "id": "a", "text": "x"}
    with pytest.raises(InputError, match="duplicate"):
        read_predictions(write(tmp_path, [rec, rec]))
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(InputError, match="no predictions"):
        read_predictions(tmp_path / "empty.jsonl")


def test_parquet_files_use_the_same_rules(tmp_path):
    import pandas as pd

    path = tmp_path / "preds.parquet"
    pd.DataFrame({"task": ["pose_to_text/embedded", "pose_to_text/embedded"], "id": ["a", "b"],
                  "text": ["fine", ""]}).to_parquet(path)
    with pytest.raises(InputError) as err:
        read_predictions(path)
    assert err.value.row == "row 1" and err.value.field == "text"


def test_a_malformed_file_is_rejected_by_evaluate_and_nothing_is_written(tmp_path, capsys):
    from benchmark.cli.main import main

    path = write(tmp_path, [{"task": "pose_to_text/embedded", "id": "a", "text": "fine"},
                            {"task": "text_to_pose/embedded", "id": "b", "pose": np.zeros((22, 2)).tolist()}])
    out = tmp_path / "out"
    code = main(["evaluate", "--model", f"predictions_file:path={path},name=mine", "--tasks", "pose_to_text/embedded",
                 "text_to_pose/embedded", "--output", str(out), "--cache", str(tmp_path / "c.sqlite")])
    err = capsys.readouterr().err
    assert code == 2 and "line 2" in err and "field 'pose'" in err and str(path) in err
    assert not out.exists()


def test_task_names_match_exactly_with_a_hint(tmp_path):
    path = write(tmp_path, [{"task": "pose_to_text/embedded", "id": "a", "text": "fine"},
                            {"task": "pose_to_text/embeded", "id": "a", "text": "typo in the dataset name"}])
    with pytest.raises(InputError) as err:
        read_predictions(path)
    assert err.value.row == "line 2" and err.value.field == "task" and "pose_to_text/embedded" in str(err.value)


def test_a_file_that_misses_a_later_task_is_refused_before_any_result_is_written(context, tmp_path, capsys):
    """Coverage used to be checked at answer time: the first task's result was written, then the second refused."""
    from benchmark.cli.main import main
    from benchmark.evaluation.ground_truth import ground_truth_records
    from benchmark.tasks.catalog import get_task

    tasks = [get_task("pose_to_text/embedded", context), get_task("pose_diff/embedded", context)]
    records = ground_truth_records(tasks)
    records.remove(next(r for r in records if r["task"] == "pose_diff/embedded"))  # one row short
    path = write(tmp_path, records)
    out = tmp_path / "out"
    code = main(["evaluate", "--model", f"predictions_file:path={path},name=mine", "--tasks", "pose_to_text/embedded",
                 "pose_diff/embedded", "--output", str(out), "--bootstrap", "0"])
    err = capsys.readouterr().err
    assert code == 2 and str(path) in err and "nothing was scored" in err
    assert "task 'pose_diff/embedded': 1 of" in err and "pose_to_text/embedded" not in err.split("scored")[1]
    assert not (out / "results").exists()


def test_coverage_is_checked_by_exact_task_name_across_the_whole_run(tmp_path):
    from types import SimpleNamespace

    path = write(tmp_path, [{"task": "text_to_pose/embedded", "id": "a", "poses": [POSE, POSE]},
                            {"task": "text_to_pose/embedded", "id": "b", "pose": POSE}])
    adapter = PredictionsFileAdapter(str(path), name="mine")
    request = lambda row, n=1: SimpleNamespace(row_id=row, n_samples=n)  # noqa: E731
    adapter.check_requests({"text_to_pose/embedded": [request("a", 2), request("b")]})  # complete: accepted
    with pytest.raises(InputError) as err:
        adapter.check_requests({"text_to_pose/embedded": [request("a"), request("b")],
                                "text_to_pose/posescript-h": [request("a")]})
    message = str(err.value)
    assert "task 'text_to_pose/posescript-h': no predictions (the file has text_to_pose/embedded)" in message
    assert "task 'text_to_pose/embedded' id 'a': 2 pose samples, the task asks for 1" in message
