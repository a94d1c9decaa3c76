"""The hostile corpus: malformed predictions files, each built from a few lines of code, with where its refusal
must point (the line or row, and the field). Every case is a file a careless or hostile submitter could send:
wrong types, shapes, encodings, sizes, formats. They are generated, not stored, so the corpus documents itself."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

TEXT = "pose_to_text/embedded"
POSE_TASK = "text_to_pose/embedded"
POSE = np.zeros((22, 3)).tolist()


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], Path]  # folder -> the file (written there)
    row: str | None  # "line 2", "row 1", ... (None: the whole file)
    field: str | None
    says: str  # a piece of the message


def _jsonl(*records, raw: bytes | None = None, name: str = "preds.jsonl"):
    """A builder writing `records` (dicts are dumped, str/bytes lines kept) one per line."""

    def build(folder: Path) -> Path:
        path = folder / name
        if raw is not None:
            path.write_bytes(raw)
            return path
        lines = [r if isinstance(r, bytes) else (r if isinstance(r, str) else json.dumps(r)).encode("utf-8")
                 for r in records]
        path.write_bytes(b"\n".join(lines) + b"\n")
        return path

    return build


def _ok_text(i="a"):
    return {"task": TEXT, "id": i, "text": "The arms are raised."}


def _pose(value, field="pose", **extra):
    return {"task": POSE_TASK, "id": "p", field: value, **extra}


def _parquet(columns: dict, name="preds.parquet"):
    def build(folder: Path) -> Path:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = folder / name
        pq.write_table(pa.table(columns), path)
        return path

    return build


def _bytes(data: bytes, name: str):
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return build


def _safetensors(tensors: dict, metadata: dict | None = None, name="preds.safetensors"):
    def build(folder: Path) -> Path:
        from safetensors.numpy import save_file

        path = folder / name
        save_file(tensors, str(path), metadata=metadata)
        return path

    return build


def _directory(folder: Path) -> Path:
    path = folder / "preds.jsonl"
    path.mkdir()
    return path


def _sparse_over_1gib(folder: Path) -> Path:
    path = folder / "huge.jsonl"
    with open(path, "wb") as f:  # sparse: no gigabyte is written
        f.truncate((1 << 30) + 1)
    return path


def _long_line(folder: Path) -> Path:
    path = folder / "preds.jsonl"
    with open(path, "wb") as f:
        f.write(json.dumps(_ok_text()).encode() + b"\n")
        f.write(b'{"task": "' + TEXT.encode() + b'", "id": "b", "text": "' + b"a" * (10 << 20) + b'"}\n')
    return path


def _deep(folder: Path) -> Path:
    path = folder / "preds.jsonl"
    path.write_bytes(b'{"task": "text_to_pose/embedded", "id": "p", "pose": ' + b"[" * 200_000 + b"]" * 200_000
                     + b"}\n")
    return path


CASES: list[Case] = [
    # --- not JSON, not an object
    Case("not_json", _jsonl(_ok_text(), "{not json"), "line 2", None, "not valid JSON"),
    Case("truncated_json", _jsonl(_ok_text(), '{"task": "pose_to_text/embedded", "id": "b", "te'), "line 2", None,
         "not valid JSON"),
    Case("array_record", _jsonl("[1, 2, 3]"), "line 1", None, "not a JSON object"),
    Case("string_record", _jsonl('"hello"'), "line 1", None, "not a JSON object"),
    Case("null_record", _jsonl("null"), "line 1", None, "not a JSON object"),
    Case("deep_nesting_200k", _deep, "line 1", None, "200001 deep, over the limit of 8"),
    Case("nesting_9_levels", _jsonl('{"task": "text_to_pose/embedded", "id": "p", "pose": [[[[[[[[0]]]]]]]]}'),
         "line 1", None, "9 deep"),
    Case("brackets_inside_a_text_are_text", _jsonl({"task": TEXT, "id": "a", "text": "[" * 50, "extra": 1}),
         "line 1", "extra", "unknown field"),
    Case("huge_integer", _jsonl('{"task": "text_to_pose/embedded", "id": "p", "pose": ' + "9" * 5000 + "}"),
         "line 1", None, "not valid JSON"),
    Case("duplicate_key", _jsonl('{"task": "pose_to_text/embedded", "id": "a", "text": "x", "text": "y"}'),
         "line 1", "text", "given twice"),
    # --- encodings
    Case("latin1_bytes", _jsonl(_ok_text(), b'{"task": "pose_to_text/embedded", "id": "b", "text": "caf\xe9"}'),
         "line 2", None, "not UTF-8"),
    Case("utf16_file", _jsonl(raw=json.dumps(_ok_text()).encode("utf-16")), "line 1", None, "not UTF-8"),
    Case("lone_surrogate_text", _jsonl('{"task": "pose_to_text/embedded", "id": "a", "text": "x\\ud800y"}'),
         "line 1", "text", "lone surrogate"),
    Case("lone_surrogate_id", _jsonl('{"task": "pose_to_text/embedded", "id": "\\udfff", "text": "x"}'),
         "line 1", "id", "lone surrogate"),
    Case("nul_in_text", _jsonl({"task": TEXT, "id": "a", "text": "a\x00b"}), "line 1", "text", "NUL"),
    # --- fields
    Case("unknown_field", _jsonl({"task": TEXT, "id": "a", "txt": "typo"}), "line 1", "txt", "unknown field"),
    Case("missing_id", _jsonl({"task": TEXT, "text": "no id"}), "line 1", "id", "missing"),
    Case("id_is_number", _jsonl({"task": TEXT, "id": 7, "text": "x"}), "line 1", "id", "not a string"),
    Case("id_empty", _jsonl({"task": TEXT, "id": "", "text": "x"}), "line 1", "id", "empty"),
    Case("id_too_long", _jsonl({"task": TEXT, "id": "i" * 513, "text": "x"}), "line 1", "id", "over the limit"),
    Case("missing_task", _jsonl({"id": "a", "text": "x"}), "line 1", "task", "missing"),
    Case("unknown_task", _jsonl({"task": "pose_to_txt/embedded", "id": "a", "text": "x"}), "line 1", "task",
         "unknown task"),
    Case("mistyped_task_suffix", _jsonl(_ok_text(), {"task": "pose_to_text/embeded", "id": "a", "text": "x"}),
         "line 2", "task", "pose_to_text/embedded"),
    Case("duplicate_row", _jsonl(_ok_text(), _ok_text()), "line 2", "id", "duplicate"),
    # --- texts
    Case("text_is_number", _jsonl({"task": TEXT, "id": "a", "text": 5}), "line 1", "text", "not a string"),
    Case("text_is_list", _jsonl({"task": TEXT, "id": "a", "text": ["a", "b"]}), "line 1", "text", "not a string"),
    Case("text_blank", _jsonl({"task": TEXT, "id": "a", "text": "   "}), "line 1", "text", "empty"),
    Case("text_over_10k_chars", _jsonl({"task": TEXT, "id": "a", "text": "a" * 10_001}), "line 1", "text",
         "over the limit of 10,000"),
    Case("text_10_mb_line", _long_line, "line 2", None, "longer than 4 MiB"),
    Case("pose_in_text_task", _jsonl({"task": TEXT, "id": "a", "text": "x", "pose": POSE}), "line 1", "pose",
         "text task"),
    # --- poses: types (no coercion), shapes, values
    Case("pose_numbers_as_strings", _jsonl(_pose([["0.1", "0", "0"]] * 22)), "line 1", "pose", "str '0.1'"),
    Case("pose_booleans", _jsonl(_pose([[True, False, 0.0]] * 22)), "line 1", "pose", "bool"),
    Case("pose_nulls", _jsonl(_pose([[None, 0.0, 0.0]] * 22)), "line 1", "pose", "NoneType"),
    Case("pose_is_dict", _jsonl(_pose({"root": [0, 0, 0]})), "line 1", "pose", "nested list"),
    Case("pose_is_string", _jsonl(_pose("0 0 0")), "line 1", "pose", "nested list"),
    Case("pose_21_joints", _jsonl(_pose(np.zeros((21, 3)).tolist())), "line 1", "pose", "expected [n][22][3]"),
    Case("pose_2_coordinates", _jsonl(_pose(np.zeros((22, 2)).tolist())), "line 1", "pose", "entries at level 2"),
    Case("pose_ragged", _jsonl(_pose([[0.0, 0.0, 0.0]] * 21 + [[0.0, 0.0]])), "line 1", "pose", "ragged"),
    Case("pose_flat", _jsonl(_pose([0.0] * 66)), "line 1", "pose", "66 entries at level 1"),
    Case("pose_nan", _jsonl('{"task": "text_to_pose/embedded", "id": "p", "pose": [' + ",".join(
        ["[NaN, 0, 0]"] * 22) + "]}"), "line 1", "pose", "NaN or infinite"),
    Case("pose_infinity", _jsonl('{"task": "text_to_pose/embedded", "id": "p", "pose": [' + ",".join(
        ["[Infinity, 0, 0]"] * 22) + "]}"), "line 1", "pose", "NaN or infinite"),
    Case("pose_3e38", _jsonl(_pose([[3e38, 0.0, 0.0]] * 22)), "line 1", "pose", "over the limit"),
    Case("pose_1e400", _jsonl('{"task": "text_to_pose/embedded", "id": "p", "pose": [' + ",".join(
        ["[1e400, 0, 0]"] * 22) + "]}"), "line 1", "pose", "NaN or infinite"),
    Case("pose_big_int", _jsonl(_pose([[10 ** 300, 0, 0]] * 22)), "line 1", "pose", "over the limit"),
    Case("pose_and_poses", _jsonl(_pose(POSE, poses=[POSE])), "line 1", "poses", "exactly one"),
    Case("no_pose_field", _jsonl({"task": POSE_TASK, "id": "p"}), "line 1", "poses", "exactly one"),
    Case("text_in_pose_task", _jsonl(_pose(POSE, text="x")), "line 1", "text", "pose task"),
    Case("poses_1001_samples", _jsonl(_pose([POSE] * 1001, "poses")), "line 1", "poses", "1001 entries"),
    Case("joints_without_set", _jsonl(_pose([np.zeros((17, 3)).tolist()], "joints")), "line 1", "joint_set",
         "joint_set"),
    Case("joints_201", _jsonl(_pose([np.zeros((201, 3)).tolist()], "joints", joint_set="h36m-17")), "line 1",
         "joints", "201 entries"),
    Case("joint_set_with_poses", _jsonl(_pose([POSE], "poses", joint_set="h36m-17")), "line 1", "joint_set",
         "joints only"),
    # --- whole files
    Case("empty_file", _bytes(b"", "preds.jsonl"), None, None, "no predictions"),
    Case("blank_lines_only", _bytes(b"\n\n  \n", "preds.jsonl"), None, None, "no predictions"),
    Case("a_directory", _directory, None, None, "is a directory"),
    Case("over_1_gib", _sparse_over_1gib, None, None, "over the limit of 1 GiB"),
    Case("pickle_file", _bytes(b"\x80\x04K\x01.", "preds.pkl"), None, None, "unsupported predictions file type"),
    Case("npy_file", _bytes(b"\x93NUMPY", "preds.npy"), None, None, "unsupported predictions file type"),
    Case("json_not_jsonl", _bytes(b"[]", "preds.json"), None, None, "unsupported predictions file type"),
    # --- parquet
    Case("parquet_garbage", _bytes(b"PAR1 this is not parquet PAR1", "preds.parquet"), None, None,
         "not a readable parquet file"),
    Case("parquet_empty_bytes", _bytes(b"", "preds.parquet"), None, None, "not a readable parquet file"),
    Case("parquet_no_rows", _parquet({"task": [], "id": [], "text": []}), None, None, "no predictions"),
    Case("parquet_empty_text", _parquet({"task": [TEXT, TEXT], "id": ["a", "b"], "text": ["fine", ""]}), "row 1",
         "text", "empty"),
    Case("parquet_bool_text", _parquet({"task": [TEXT], "id": ["a"], "text": [True]}), "row 0", "text",
         "not a string"),
    Case("parquet_pose_strings", _parquet({"task": [POSE_TASK], "id": ["p"], "pose": [[["0"] * 3] * 22]}), "row 0",
         "pose", "str"),
    Case("parquet_int_ids", _parquet({"task": [TEXT], "id": [3], "text": ["x"]}), "row 0", "id", "not a string"),
    # --- safetensors
    Case("safetensors_garbage", _bytes(b"\xff" * 64, "preds.safetensors"), None, None,
         "not a readable safetensors file"),
    Case("safetensors_float64", _safetensors({f"poses:{POSE_TASK}:p": np.zeros((1, 22, 3))}),
         f"tensor 'poses:{POSE_TASK}:p'", "poses", "float32"),
    Case("safetensors_bad_name", _safetensors({"my_pose": np.zeros((1, 22, 3), np.float32)}), "tensor 'my_pose'",
         None, "FIELD:TASK:ID"),
    Case("safetensors_too_many_joints", _safetensors({f"joints:{POSE_TASK}:p": np.zeros((1, 1001, 3), np.float32)}),
         f"tensor 'joints:{POSE_TASK}:p'", "joints", "beyond"),
    Case("safetensors_text_in_pose", _safetensors({f"pose:{POSE_TASK}:p": np.zeros((22, 3), np.float32)},
                                                  {f"text:{POSE_TASK}:p": "x"}),
         f"tensor 'pose:{POSE_TASK}:p'", "text", "pose task"),
]
