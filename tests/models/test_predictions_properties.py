"""Properties of the predictions reader, checked with hypothesis: any valid file round-trips in each format, and
any mutation of a valid file (bytes flipped, cut, inserted; a field replaced by any JSON value) is either still a
valid file or refused with a BenchmarkError naming the file, never another exception.

Derandomized (CI sees the same examples every run), no example database, no deadline (2 busy cores).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from benchmark.errors import BenchmarkError, InputError
from benchmark.requests import PoseResponse
from models.predictions_file import read_predictions

PROPERTY = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
MUTATIONS = settings(PROPERTY, max_examples=50)
TEXT_TASKS = ("pose_to_text/embedded", "pose_diff/embedded")
POSE_TASKS = ("text_to_pose/embedded", "pose_edit/embedded")

# ids and texts: any Unicode that UTF-8 can write (no lone surrogates) but NUL, with something visible
visible = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40).filter(
    lambda s: s.strip())
value = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, width=32)
pose = st.lists(st.lists(value, min_size=3, max_size=3), min_size=22, max_size=22)


@st.composite
def submissions(draw, text=True):
    """Valid records: distinct ids per task, texts for text tasks, one pose or several for pose tasks."""
    records = []
    for task in (TEXT_TASKS if text else ()) + POSE_TASKS:
        for row_id in draw(st.lists(visible, max_size=4, unique=True)):
            if task in TEXT_TASKS:
                records.append({"task": task, "id": row_id, "text": draw(visible)})
            elif draw(st.booleans()):
                records.append({"task": task, "id": row_id, "pose": draw(pose)})
            else:
                records.append({"task": task, "id": row_id, "poses": draw(st.lists(pose, min_size=1, max_size=3))})
    if not records:
        records.append({"task": POSE_TASKS[0], "id": "only", "pose": draw(pose)})
    return records


def write_jsonl(path: Path, records, ensure_ascii=True) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=ensure_ascii) + "\n" for r in records), encoding="utf-8")
    return path


def write_parquet(path: Path, records) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = sorted({k for r in records for k in r})
    types = {"task": pa.string(), "id": pa.string(), "text": pa.string(), "pose": pa.list_(pa.list_(pa.float64())),
             "poses": pa.list_(pa.list_(pa.list_(pa.float64())))}
    pq.write_table(pa.table({c: pa.array([r.get(c) for r in records], types[c]) for c in columns}), path)
    return path


def write_safetensors(path: Path, records) -> Path:
    from safetensors.numpy import save_file

    tensors, metadata = {}, {}
    for r in records:
        if "text" in r:
            metadata[f"text:{r['task']}:{r['id']}"] = r["text"]
        else:
            field = "pose" if "pose" in r else "poses"
            tensors[f"{field}:{r['task']}:{r['id']}"] = np.asarray(r[field], np.float32)
    save_file(tensors, str(path), metadata=metadata or None)
    return path


def expected(records) -> dict:
    out = {}
    for r in records:
        if "text" in r:
            out[(r["task"], r["id"])] = r["text"]
        else:
            out[(r["task"], r["id"])] = np.asarray(r["pose"] if "pose" in r else r["poses"], np.float32).reshape(
                -1, 22, 3)
    return out


def assert_same(read, records):
    want = expected(records)
    assert set(read) == set(want)
    for key, answer in read.items():
        if isinstance(answer, PoseResponse):
            assert answer.poses.dtype == np.float32
            np.testing.assert_array_equal(answer.poses, want[key])
        else:
            assert answer.text == want[key]


@PROPERTY
@given(records=submissions(), fmt=st.sampled_from(["jsonl", "jsonl-utf8", "parquet", "safetensors"]))
def test_any_valid_file_round_trips(tmp_path_factory, records, fmt):
    folder = tmp_path_factory.mktemp("roundtrip")
    if fmt.startswith("jsonl"):
        path = write_jsonl(folder / "p.jsonl", records, ensure_ascii=fmt == "jsonl")
    elif fmt == "parquet":
        path = write_parquet(folder / "p.parquet", records)
    else:
        path = write_safetensors(folder / "p.safetensors", records)
    assert_same(read_predictions(path), records)


def _mutate_bytes(data: bytes, draw) -> bytes:
    kind = draw(st.sampled_from(["flip", "cut", "insert", "delete", "duplicate_line", "swap_lines"]))
    if not data:
        return draw(st.binary(max_size=64))
    at = draw(st.integers(0, len(data) - 1))
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
    if kind == "cut":
        return data[:at]
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
    if kind == "delete":
        return data[:at] + data[at + draw(st.integers(1, 32)):]
    lines = data.split(b"\n")
    i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
    if kind == "duplicate_line":
        lines.insert(j, lines[i])
    else:
        lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def _refused_or_valid(path: Path):
    try:
        read_predictions(path)
    except BenchmarkError as exc:
        assert str(path) in str(exc)
        if isinstance(exc, InputError):
            assert exc.file == str(path)


@MUTATIONS
@given(records=submissions(), data=st.data(), fmt=st.sampled_from(["jsonl", "parquet", "safetensors"]))
def test_any_byte_mutation_is_refused_with_a_message_or_still_valid(tmp_path_factory, records, data, fmt):
    folder = tmp_path_factory.mktemp("mutated")
    write = {"jsonl": write_jsonl, "parquet": write_parquet, "safetensors": write_safetensors}[fmt]
    path = write(folder / f"p.{fmt}", records)
    path.write_bytes(_mutate_bytes(path.read_bytes(), data.draw))
    _refused_or_valid(path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=30)


@MUTATIONS
@given(records=submissions(), data=st.data(), replacement=json_values)
def test_any_field_replaced_by_any_json_value_is_refused_or_valid(tmp_path_factory, records, data, replacement):
    record = data.draw(st.sampled_from(records))
    field = data.draw(st.sampled_from(sorted(record) + ["joints", "joint_set", "extra"]))
    record[field] = replacement
    path = tmp_path_factory.mktemp("field") / "p.jsonl"
    # NaN and infinities are written as JSON's NaN / Infinity literals, which the reader must refuse as values
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    _refused_or_valid(path)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "safetensors"])
def test_a_mutated_file_with_a_wrong_value_names_its_place(tmp_path, fmt):
    """A control for the properties above: the refusal is specific, not a blanket failure."""
    records = [{"task": POSE_TASKS[0], "id": "a", "pose": np.zeros((22, 3)).tolist()},
               {"task": POSE_TASKS[0], "id": "b", "pose": np.full((22, 3), 2e4).tolist()}]
    write = {"jsonl": write_jsonl, "parquet": write_parquet, "safetensors": write_safetensors}[fmt]
    with pytest.raises(InputError, match="over the limit of 10000") as err:
        read_predictions(write(tmp_path / f"p.{fmt}", records))
    assert err.value.field == "pose" and err.value.row == {"jsonl": "line 2", "parquet": "row 1",
                                                          "safetensors": f"tensor 'pose:{POSE_TASKS[0]}:b'"}[fmt]
