"""Properties of the source readers (datasets_build/sources), checked with hypothesis: valid data round-trips, and
damaged files (bytes flipped, cut, inserted) are refused with an InputError naming the file, never another
exception. Derandomized for CI, no example database, no deadline."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from benchmark.errors import InputError
from datasets_build.sources.amass import read_amass_sequence
from datasets_build.sources.files import float_array, read_json, string_column
from tests.sources.fixtures import pickle_bytes, random_amass_poses, write_amass_npz

PROPERTY = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def mutate(data: bytes, draw) -> bytes:
    at = draw(st.integers(0, len(data) - 1))
    kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
    if kind == "cut":
        return data[:at]
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
    return data[:at] + data[at + draw(st.integers(1, 64)):]


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), fps=st.floats(1.0, 500.0),
       fps_key=st.sampled_from(["mocap_framerate", "mocap_frame_rate"]), gender=st.sampled_from(["male", "female"]))
def test_an_amass_sequence_round_trips(tmp_path_factory, seed, n, fps, fps_key, gender):
    poses = random_amass_poses(np.random.default_rng(seed), n)
    path = write_amass_npz(tmp_path_factory.mktemp("amass") / "seq.npz", poses, fps=fps, fps_key=fps_key,
                           gender=gender)
    seq = read_amass_sequence(path)
    np.testing.assert_array_equal(seq.poses, poses.reshape(n, 52, 3).astype(np.float32))
    assert seq.fps == fps and seq.gender == gender


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_a_damaged_amass_file_is_refused_by_name_or_still_read(tmp_path_factory, seed, data):
    path = write_amass_npz(tmp_path_factory.mktemp("amass") / "seq.npz",
                           random_amass_poses(np.random.default_rng(seed), 3))
    path.write_bytes(mutate(path.read_bytes(), data.draw))
    try:
        seq = read_amass_sequence(path)
    except InputError as exc:
        assert exc.file == str(path)
    else:  # the damage missed everything the reader checks: what it returns is still well-formed
        assert seq.poses.shape[1:] == (52, 3) and np.isfinite(seq.poses).all() and seq.fps > 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=30)


@PROPERTY
@given(value=json_values, data=st.data())
def test_json_round_trips_and_damage_is_named(tmp_path_factory, value, data):
    path = tmp_path_factory.mktemp("json") / "captions.json"
    raw = json.dumps(value, ensure_ascii=data.draw(st.booleans())).encode("utf-8")
    path.write_bytes(raw)
    assert read_json(path) == value
    path.write_bytes(mutate(raw, data.draw))
    try:
        read_json(path)
    except InputError as exc:
        assert exc.file == str(path)


def test_deeply_nested_json_is_refused_by_name(tmp_path):
    path = tmp_path / "captions.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match="nested") as err:
        read_json(path)
    assert err.value.file == str(path)


finite = st.floats(-1e6, 1e6, allow_nan=False)


@PROPERTY
@given(rows=st.lists(st.lists(finite, min_size=3, max_size=3), min_size=1, max_size=8), bad=st.data())
def test_float_array_keeps_values_and_names_the_bad_row(rows, bad):
    got = float_array(rows, shape=(None, 3), source="src", field="f")
    np.testing.assert_array_equal(got, np.asarray(rows, np.float32))
    row = bad.draw(st.integers(0, len(rows) - 1))
    damaged = [list(r) for r in rows]
    damaged[row][bad.draw(st.integers(0, 2))] = bad.draw(st.sampled_from([float("nan"), float("inf"), -float("inf")]))
    with pytest.raises(InputError) as err:
        float_array(damaged, shape=(None, 3), source="src", field="f")
    assert err.value.row == row and err.value.field == "f"


@PROPERTY
@given(texts=st.lists(st.text(st.characters(codec="utf-8"), max_size=12), min_size=1, max_size=8),
       kind=st.sampled_from(["unicode", "object", "bytes"]))
def test_string_columns_round_trip(texts, kind):
    if kind == "unicode":
        texts = [t.rstrip("\x00") for t in texts]  # numpy's fixed-width strings drop trailing NULs
        arr = np.array(texts, dtype=str)
    elif kind == "object":
        arr = np.array(texts + [None], dtype=object)[:-1]
    else:
        arr = np.array([t.encode("utf-8") for t in texts] + [None], dtype=object)[:-1]
    assert string_column(arr, source="src", field="names") == tuple(texts)


@PROPERTY
@given(value=json_values, data=st.data())
def test_a_damaged_pickle_is_refused_by_name(value, data):
    from benchmark.safe_pickle import restricted_loads

    raw = pickle_bytes({"key": value, "array": np.arange(4.0)}, protocol=2)
    try:
        restricted_loads(mutate(raw, data.draw), source="labels.pkl")
    except InputError as exc:
        assert exc.file == "labels.pkl"
