"""Content fingerprints: the same rows give the same fingerprint however they were written; any change of a value,
a row's order, the schema or a pixel gives another."""

import io

import datasets
import numpy as np
import pytest
from PIL import Image

from benchmark.fingerprint import combined_fingerprint, dataset_fingerprint, shards_fingerprint, table_fingerprint

FEATURES = datasets.Features({"id": datasets.Value("string"), "pose": datasets.Array2D((22, 3), "float32"),
                              "texts": datasets.List(datasets.Value("string")), "image": datasets.Image()})


def png(pixels: np.ndarray, level: int) -> dict:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=level)
    return {"bytes": buffer.getvalue(), "path": None}


def rows(level: int = 1, pixel: int = 0) -> datasets.Dataset:
    rng = np.random.default_rng(0)
    poses = rng.normal(size=(3, 22, 3)).astype(np.float32)
    pixels = rng.integers(0, 255, size=(3, 8, 8, 3), dtype=np.uint8)
    pixels[0, 0, 0, 0] = pixel
    return datasets.Dataset.from_dict({"id": ["a", "b", "c"], "pose": list(poses), "texts": [["x"], ["y", "z"], []],
                                       "image": [png(p, level) for p in pixels]}, features=FEATURES)


def test_same_rows_same_fingerprint_whatever_the_png_encoder_wrote():
    fast, small = rows(level=1), rows(level=9)
    assert fast["image"][0] is not None
    assert fast.data.column("image")[0].as_py()["bytes"] != small.data.column("image")[0].as_py()["bytes"]
    assert dataset_fingerprint(fast) == dataset_fingerprint(small)


@pytest.mark.parametrize("change", ["pixel", "pose", "text", "order", "schema"])
def test_any_change_of_content_changes_the_fingerprint(change):
    base = rows()
    if change == "pixel":
        other = rows(pixel=1)
    elif change == "pose":
        poses = np.array(base["pose"], np.float32)
        poses[2, 21, 2] = np.nextafter(poses[2, 21, 2], np.float32(np.inf))  # one ulp
        other = datasets.Dataset.from_dict({**base.to_dict(), "pose": list(poses)}, features=FEATURES)
    elif change == "text":
        other = base.map(lambda r: {"texts": r["texts"] + ["w"] if r["id"] == "c" else r["texts"]})
    elif change == "order":
        other = base.select([1, 0, 2])
    else:
        other = base.cast_column("id", datasets.Value("large_string"))
    assert dataset_fingerprint(other) != dataset_fingerprint(base)


def test_parquet_shards_fingerprint_as_the_rows_they_hold(tmp_path):
    ds = rows()
    ds.select(range(2)).to_parquet(tmp_path / "train-00000-of-00002.parquet")
    ds.select(range(2, 3)).to_parquet(tmp_path / "train-00001-of-00002.parquet")
    shards = sorted(tmp_path.glob("train-*.parquet"))
    assert shards_fingerprint(shards) == dataset_fingerprint(ds)
    assert table_fingerprint(ds.with_format("arrow")[:]) == dataset_fingerprint(ds)  # schema from the metadata


def test_combined_fingerprint_depends_on_every_split_and_not_on_dict_order():
    a = {"pose_to_text": {"train": "1", "test": "2"}, "pose_diff": {"train": "3"}}
    b = {"pose_diff": {"train": "3"}, "pose_to_text": {"test": "2", "train": "1"}}
    assert combined_fingerprint(a) == combined_fingerprint(b)
    assert combined_fingerprint(a) != combined_fingerprint({**a, "pose_diff": {"train": "4"}})


def test_damaged_shards_and_images_are_named(tmp_path, monkeypatch):
    from benchmark.errors import InputError

    monkeypatch.setenv("UNIPOSE_BENCH_HOME", str(tmp_path / "home"))
    garbage = tmp_path / "train-00000-of-00001.parquet"
    garbage.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="cannot be read as parquet") as err:
        shards_fingerprint([garbage])
    assert err.value.file == str(garbage)
    ds = rows()
    broken = ds.cast_column("image", datasets.Image(decode=False)).map(
        lambda r, i: {"image": {"bytes": b"\x89PNG broken" if i == 1 else r["image"]["bytes"], "path": None}},
        with_indices=True)
    shard = tmp_path / "test-00000-of-00001.parquet"
    broken.cast_column("image", datasets.Image()).to_parquet(shard)
    with pytest.raises(InputError, match="cannot be decoded as an image") as err:
        shards_fingerprint([shard])
    assert (err.value.file, err.value.row, err.value.field) == (str(shard), 1, "image")


def test_shard_fingerprints_are_remembered_by_path_size_and_time(tmp_path, monkeypatch):
    import json

    from benchmark import fingerprint

    monkeypatch.setenv("UNIPOSE_BENCH_HOME", str(tmp_path / "home"))
    shard = tmp_path / "train-00000-of-00001.parquet"
    rows().to_parquet(shard)
    value = shards_fingerprint([shard])
    store = tmp_path / "home" / "cache" / "fingerprints.json"
    assert list(json.loads(store.read_text()).values()) == [value]
    fingerprint._shards_fingerprint.cache_clear()
    monkeypatch.setattr(fingerprint, "table_fingerprint", lambda *a: pytest.fail("recomputed"))
    assert shards_fingerprint([shard]) == value  # read back from the workspace
