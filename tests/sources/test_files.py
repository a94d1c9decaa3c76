"""Container readers: npz (plain and object members), pickles, MATLAB v5 / v7.3, JSON."""

import zipfile

import numpy as np
import pytest

from benchmark.errors import InputError
from datasets_build.sources.files import NpzFile, float_array, restricted_load, read_json, read_mat, string_column
from tests.sources.fixtures import evil_pickle_bytes, npy_bytes, object_scalar, pickle_bytes, write_npz


def test_npz_plain_and_object_members_round_trip(tmp_path):
    nested = {"S1": {"Directions 1": [np.arange(6, dtype=np.float32).reshape(2, 3) + c for c in range(4)]}}
    path = write_npz(tmp_path / "a.npz", {"positions_3d": object_scalar(nested), "x": np.arange(5.0)})
    with NpzFile(path) as npz:
        assert set(npz.keys) == {"positions_3d", "x"}
        np.testing.assert_array_equal(npz.array("x"), np.arange(5.0))
        got = npz.array("positions_3d").item()
    for c in range(4):
        np.testing.assert_array_equal(got["S1"]["Directions 1"][c], nested["S1"]["Directions 1"][c])
    # numpy itself refuses the object member without allow_pickle: our reader must not rely on it
    with pytest.raises(ValueError):
        np.load(path, allow_pickle=False)["positions_3d"]


def test_npz_object_member_with_code_is_refused(tmp_path):
    header = npy_bytes(object_scalar({"a": 1}))
    # keep the .npy header of an object array, replace the pickle payload by one that calls os.system
    payload_start = header.index(b"\n") + 1
    path = write_npz(tmp_path / "evil.npz", {}, raw_members={"positions_3d": header[:payload_start]
                                                            + evil_pickle_bytes()})
    with NpzFile(path) as npz, pytest.raises(InputError, match="refusing to unpickle .*system") as err:
        npz.array("positions_3d")
    assert str(path) in str(err.value)


def test_npz_missing_key_truncated_and_corrupt(tmp_path):
    path = write_npz(tmp_path / "a.npz", {"poses": np.zeros((3, 156))})
    with NpzFile(path) as npz, pytest.raises(InputError, match="missing key") as err:
        npz.array("betas")
    assert err.value.field == "betas" and err.value.file == str(path)

    truncated = tmp_path / "t.npz"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InputError, match="not a readable npz") as err:
        NpzFile(truncated)
    assert err.value.file == str(truncated)

    # a member whose bytes were damaged in place: the zip directory is intact, the CRC check fails
    raw = bytearray(path.read_bytes())
    start = raw.index(b"\x93NUMPY") + 200
    raw[start:start + 16] = b"\xff" * 16
    damaged = tmp_path / "d.npz"
    damaged.write_bytes(bytes(raw))
    with NpzFile(damaged) as npz, pytest.raises(InputError, match="corrupt member") as err:
        npz.array("poses")
    assert err.value.field == "poses"

    # an array member cut short (header promises more data than the member holds)
    with zipfile.ZipFile(tmp_path / "short.npz", "w") as z:
        z.writestr("poses.npy", npy_bytes(np.zeros((3, 156)))[:300])
    with NpzFile(tmp_path / "short.npz") as npz, pytest.raises(InputError, match="truncated or corrupt"):
        npz.array("poses")


def test_pickle_refuses_code_and_reads_py2_strings(tmp_path):
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(evil_pickle_bytes())
    with pytest.raises(InputError, match="os.system|posix.system") as err:
        restricted_load(evil)
    assert err.value.file == str(evil)
    good = tmp_path / "good.pkl"
    good.write_bytes(pickle_bytes({"sequence": "outdoors_x", "a": np.eye(2)}, protocol=2, py2_strings=True))
    out = restricted_load(good)
    assert out["sequence"] == "outdoors_x"
    np.testing.assert_array_equal(out["a"], np.eye(2))
    with pytest.raises(InputError, match="not found"):
        restricted_load(tmp_path / "missing.pkl")


def test_read_mat_corrupt(tmp_path):
    bad = tmp_path / "bad.mat"
    bad.write_bytes(b"MATLAB 5.0 MAT-file" + b"\x00" * 50)
    with pytest.raises(InputError, match="not a readable MATLAB file") as err:
        read_mat(bad)
    assert err.value.file == str(bad)


def test_read_mat_v73(tmp_path):
    h5py = pytest.importorskip("h5py")
    from tests.sources.fixtures import write_3dhp_test_v73

    arrays = {"annot3": np.arange(3 * 17 * 1 * 2, dtype=float).reshape(3, 17, 1, 2)}
    path = write_3dhp_test_v73(tmp_path / "v73.mat", arrays)
    assert path.read_bytes().startswith(b"MATLAB 7.3 MAT-file")
    with h5py.File(path) as f:        # stored reversed, as MATLAB does
        assert f["annot3"].shape == (2, 1, 17, 3)
    np.testing.assert_array_equal(read_mat(path)["annot3"], arrays["annot3"])


def test_read_json_and_column_helpers(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"a": [1, 2,]}')
    with pytest.raises(InputError, match="malformed JSON at line 1") as err:
        read_json(path)
    assert err.value.file == str(path)
    with pytest.raises(InputError, match=r"shape \[2, 2\] is not \[N, 3\]"):
        float_array([[1, 2], [3, 4]], shape=(None, 3), source="s", field="f")
    with pytest.raises(InputError, match="NaN") as err:
        float_array([[1, 2, 3], [1, np.nan, 3]], shape=(None, 3), source="s", field="f")
    assert err.value.row == 1
    with pytest.raises(InputError, match=r"shape \[2\] is not \[3\]") as err:
        float_array([[1, 2, 3], [1, 2]], shape=(None, 3), source="s", field="f")   # ragged: the row is named
    assert err.value.row == 1
    assert string_column(np.array([b"a", b"b"]), source="s", field="f") == ("a", "b")
    assert string_column(np.array(["a", "b"], dtype=object), source="s", field="f") == ("a", "b")
    with pytest.raises(InputError, match="expected a string"):
        string_column(np.array(["a", 3], dtype=object), source="s", field="f")


def test_v73_file_without_a_usable_reader_names_the_fix(tmp_path):
    path = tmp_path / "annot_data.mat"
    path.write_bytes(b"MATLAB 7.3 MAT-file, Platform: GLNXA64".ljust(512, b" ") + b"garbage")
    try:
        import h5py  # noqa: F401
        match = "not a readable MATLAB v7.3"
    except ImportError:
        match = "needs the h5py package"
    with pytest.raises(InputError, match=match) as err:
        read_mat(path)
    assert err.value.file == str(path)
