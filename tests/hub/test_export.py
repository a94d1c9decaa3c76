"""export_to_dir: round trip through load_dataset, identity with push_to_hub, card YAML, atomicity, validation;
for plain task configs and for variant configs (`pose_to_text-H`, `pose_estimation-3dpw` ...)."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
import yaml

from benchmark.errors import InputError
from benchmark.tasks.schema import SPLITS, TASKS, features, task_of
from datasets_build.hub import export as export_mod
from datasets_build.hub.export import export_to_dir, read_layout, validate_datasets
from tests.hub.fake_hub import FakeHub
from tests.hub.synthetic import VARIANT_ORDER, make_task_dataset

SHARD = re.compile(r"^(?P<config>[a-z_]+(?:-[A-Za-z0-9-]+)?)/(?P<split>train|val|test)-(?P<i>\d{5})-of-(?P<n>\d{5})"
                   r"\.parquet$")


def front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


def files_of(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def assert_rows_equal(built, loaded, feats):
    """Every column of every row: arrays with numpy, images by pixels, the rest by value."""
    from datasets import Array2D, Image

    assert len(built) == len(loaded)
    for col, feat in feats.items():
        a, b = built[col], loaded[col]
        for i, (x, y) in enumerate(zip(a, b)):
            where = f"{col} row {i}"
            if isinstance(feat, Array2D):
                np.testing.assert_array_equal(np.asarray(x, np.float32), np.asarray(y, np.float32), err_msg=where)
            elif isinstance(feat, Image):
                assert x.size == y.size, where
                np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=where)
            elif isinstance(feat, dict):  # camera: K, R (3x3), t (3)
                for key in feat:
                    np.testing.assert_array_equal(np.asarray(x[key], np.float32), np.asarray(y[key], np.float32),
                                                  err_msg=f"{where}.{key}")
            else:
                assert x == y, where


@pytest.mark.parametrize("task", TASKS)
def test_load_dataset_returns_the_built_rows(task, exported, all_datasets):
    import datasets

    loaded = datasets.load_dataset(str(exported), task)
    built = all_datasets[task]
    assert list(loaded) == [s for s in SPLITS if s in built]
    for split in built:
        assert loaded[split].features == features(task)
        assert_rows_equal(built[split], loaded[split], features(task))


def test_shards_and_card_are_identical_to_push_to_hub(all_datasets, exported, tmp_path, monkeypatch):
    """The real datasets push_to_hub, run against an in-memory Hub, writes byte-identical shards and the same
    configs / dataset_info YAML."""
    hub = FakeHub(tmp_path).install(monkeypatch)
    for task in TASKS:
        all_datasets[task].push_to_hub("test-org/world", config_name=task)
    pushed = hub.snapshot("test-org/world")
    local = files_of(exported)
    assert sorted(k for k in pushed if k != "README.md") == sorted(k for k in local if k != "README.md")
    for path in pushed:
        if path.endswith(".parquet"):
            assert pushed[path] == local[path], path
    hub_yaml, local_yaml = front_matter(pushed["README.md"].decode()), front_matter(local["README.md"].decode())
    assert hub_yaml["configs"] == local_yaml["configs"]
    assert hub_yaml["dataset_info"] == local_yaml["dataset_info"]


def test_shard_naming_and_count_follow_push_to_hub_with_several_shards(tmp_path, monkeypatch, card_metadata):
    dd = make_task_dataset("image_to_text", seed=3, sizes={"train": 12, "test": 4})
    max_size = 1500  # bytes: forces several shards per split
    n_train = int(dd["train"]._estimate_nbytes() / max_size) + 1
    assert n_train >= 3
    out = export_to_dir({"image_to_text": dd}, tmp_path / "out", card_metadata, max_shard_size=max_size)
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet"))
    for name in names:
        m = SHARD.match(name)
        assert m and m["config"] == "image_to_text" and int(m["i"]) < int(m["n"]), name
    assert [n for n in names if "/train-" in n] == [
        f"image_to_text/train-{i:05d}-of-{n_train:05d}.parquet" for i in range(n_train)]
    hub = FakeHub(tmp_path / "hub").install(monkeypatch)
    dd.push_to_hub("test-org/sharded", config_name="image_to_text", max_shard_size=max_size)
    pushed = hub.snapshot("test-org/sharded")
    assert sorted(k for k in pushed if k.endswith(".parquet")) == names
    assert all(pushed[n] == (out / n).read_bytes() for n in names)
    # the shards still load back to the same rows, in order
    import datasets

    loaded = datasets.load_dataset(str(out), "image_to_text")
    assert loaded["train"]["id"] == dd["train"]["id"]


def test_readme_yaml_lists_all_seven_configs_with_complete_dataset_info(exported, all_datasets):
    meta = front_matter((exported / "README.md").read_text(encoding="utf-8"))
    assert [c["config_name"] for c in meta["configs"]] == sorted(TASKS)
    for config in meta["configs"]:
        task = config["config_name"]
        assert config["data_files"] == [{"split": s, "path": f"{task}/{s}-*"} for s in SPLITS]
    infos = {i["config_name"]: i for i in meta["dataset_info"]}
    assert sorted(infos) == sorted(TASKS)
    for task, info in infos.items():
        assert [f["name"] for f in info["features"]] == list(features(task))
        assert {s["name"]: s["num_examples"] for s in info["splits"]} == {
            s: len(ds) for s, ds in all_datasets[task].items()}
        assert info["download_size"] == sum(p.stat().st_size for p in (exported / task).glob("*.parquet"))
    for path in exported.rglob("*.parquet"):
        assert SHARD.match(path.relative_to(exported).as_posix())
    assert meta["license"] == "cc0-1.0" and meta["pretty_name"] == "unipose-bench test world"
    assert meta["unipose_bench"]["command"] == "pytest tests/hub"


def test_card_body_has_every_section(exported):
    text = (exported / "README.md").read_text(encoding="utf-8")
    for heading in ("## Configs", "## Tasks", "## Sources and licenses", "## How it was built", "### Not built",
                    "## Descriptive statistics", "## Citation"):
        assert heading in text
    for task in TASKS:
        assert f"### `{task}`" in text
    assert "**-R refined captions**: no refiner model was given" in text
    assert "@inproceedings{delmas2022posescript," in text and "@article{li2024unipose," in text
    assert "pytest tests/hub" in text and "CC0-1.0" in text


def test_read_layout_round_trips(exported, all_datasets):
    back, card = read_layout(exported)
    assert list(back) == list(TASKS)
    for task in TASKS:
        assert {s: len(d) for s, d in back[task].items()} == {s: len(d) for s, d in all_datasets[task].items()}
    assert card.data["pretty_name"] == "unipose-bench test world"


def test_failure_midway_leaves_nothing(all_datasets, card_metadata, tmp_path, monkeypatch):
    real = export_mod.write_split_shards
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(export_mod, "write_split_shards", failing)
    out = tmp_path / "world"
    with pytest.raises(OSError, match="disk full"):
        export_to_dir(all_datasets, out, card_metadata)
    assert calls["n"] == 5
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary folder left either

    # replacing an existing export: a failure keeps the old one intact
    monkeypatch.setattr(export_mod, "write_split_shards", real)
    export_to_dir({"pose_to_text": all_datasets["pose_to_text"]}, out, card_metadata)
    before = files_of(out)
    calls["n"] = 0
    monkeypatch.setattr(export_mod, "write_split_shards", failing)
    with pytest.raises(OSError):
        export_to_dir(all_datasets, out, card_metadata, overwrite=True)
    assert files_of(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["world"]


def test_existing_folder_needs_overwrite(all_datasets, card_metadata, tmp_path):
    out = tmp_path / "world"
    out.mkdir()
    with pytest.raises(InputError, match="already exists"):
        export_to_dir({"pose_to_text": all_datasets["pose_to_text"]}, out, card_metadata)
    export_to_dir({"pose_to_text": all_datasets["pose_to_text"]}, out, card_metadata, overwrite=True)
    assert (out / "README.md").is_file() and (out / "pose_to_text").is_dir()


def _with_column(ds, name, values, feature):
    import datasets

    feats = datasets.Features({**{k: v for k, v in ds.features.items() if k != name}, name: feature})
    data = {k: ds[k] for k in ds.column_names if k != name}
    data[name] = values
    return datasets.Dataset.from_dict(data, features=feats)


def test_wrong_schema_is_refused_naming_config_and_column(all_datasets, card_metadata, tmp_path):
    import datasets

    dd = all_datasets["pose_to_text"]
    bad_pose = _with_column(dd["train"], "pose", [np.zeros((21, 3), np.float32)] * len(dd["train"]),
                            datasets.Array2D((21, 3), "float32"))
    with pytest.raises(InputError) as err:
        export_to_dir({"pose_to_text": {"train": bad_pose}}, tmp_path / "a", card_metadata)
    assert "config 'pose_to_text'" in str(err.value) and "column 'pose'" in str(err.value)
    assert err.value.field == "pose"

    missing = dd["train"].remove_columns("text_versions")
    with pytest.raises(InputError, match="config 'pose_to_text'.*column 'text_versions' is missing"):
        export_to_dir({"pose_to_text": {"train": missing}}, tmp_path / "b", card_metadata)
    extra = dd["train"].add_column("note", ["x"] * len(dd["train"]))
    with pytest.raises(InputError, match="column 'note' is not in the schema"):
        export_to_dir({"pose_to_text": {"train": extra}}, tmp_path / "c", card_metadata)
    with pytest.raises(InputError, match="unknown task 'pose_to_image'"):
        export_to_dir({"pose_to_image": dd}, tmp_path / "d", card_metadata)
    assert list(tmp_path.iterdir()) == []


def _replace(ds, name, values):
    import datasets

    data = ds.to_dict()
    data[name] = values
    return datasets.Dataset.from_dict(data, features=ds.features)


def test_empty_split_duplicate_ids_and_bad_rows_are_refused(all_datasets, card_metadata, tmp_path):
    dd = all_datasets["pose_edit"]
    train = dd["train"]
    with pytest.raises(InputError, match="split 'val': the split is empty"):
        export_to_dir({"pose_edit": {"train": train, "val": dd["val"].select([])}}, tmp_path / "a", card_metadata)
    dup_ids = list(dd["test"]["id"])
    dup_ids[0] = train[0]["id"]
    with pytest.raises(InputError, match="id 'pose_edit-train-000' is not unique.*train row 0, test row 0"):
        export_to_dir({"pose_edit": {"train": train, "test": _replace(dd["test"], "id", dup_ids)}},
                      tmp_path / "b", card_metadata)
    poses = np.asarray(train.with_format("numpy")["pose_b"])
    poses[3, 5, 1] = np.nan
    with pytest.raises(InputError) as err:
        export_to_dir({"pose_edit": {"train": _replace(train, "pose_b", list(poses))}}, tmp_path / "c",
                      card_metadata)
    assert err.value.row == 3 and err.value.field == "pose_b" and "NaN" in str(err.value)
    kinds = [list(k) for k in train["text_kinds"]]
    kinds[2][0] = "machine"
    with pytest.raises(InputError, match="unknown text kind 'machine'") as err:
        export_to_dir({"pose_edit": {"train": _replace(train, "text_kinds", kinds)}}, tmp_path / "d", card_metadata)
    assert err.value.row == 2
    versions = [list(v) for v in train["text_versions"]]
    versions[1].append("N2")
    with pytest.raises(InputError, match="one entry per text") as err:
        export_to_dir({"pose_edit": {"train": _replace(train, "text_versions", versions)}}, tmp_path / "e",
                      card_metadata)
    assert err.value.row == 1
    assert list(tmp_path.iterdir()) == []


def test_column_order_and_index_mappings_do_not_change_the_shards(all_datasets, card_metadata, tmp_path):
    dd = all_datasets["pose_diff"]
    plain = export_to_dir({"pose_diff": dd}, tmp_path / "plain", card_metadata)
    reordered = {s: ds.select_columns(list(reversed(ds.column_names))) for s, ds in dd.items()}
    # a view through an index mapping (select) of a bigger table
    n = len(dd["train"])
    extended = dd["train"].add_item(dd["train"][0] | {"id": "extra"}).select([n, *range(n)])  # index mapping
    reordered["train"] = extended.select(range(1, n + 1))
    assert reordered["train"]._indices is not None
    other = export_to_dir({"pose_diff": reordered}, tmp_path / "other", card_metadata)
    a, b = files_of(plain), files_of(other)
    assert sorted(a) == sorted(b)
    assert all(a[k] == b[k] for k in a if k.endswith(".parquet"))
    assert front_matter(a["README.md"].decode()) == front_matter(b["README.md"].decode())


# ------------------------------------------------------------------------------------------------ variant configs
@pytest.mark.parametrize("config", VARIANT_ORDER)
def test_variant_configs_load_back_by_name(config, exported_variants, variant_world):
    import datasets

    loaded = datasets.load_dataset(str(exported_variants), config)
    built = variant_world[config]
    task = task_of(config)
    assert list(loaded) == [s for s in SPLITS if s in built]
    for split in built:
        assert loaded[split].features == features(task)
        # ids start with the config name: no row of a neighbouring config (pose_to_text vs pose_to_text-H,
        # pose_estimation-h36m vs -h36m17) leaks in
        assert loaded[split]["id"] == [f"{config}-{split}-{i:03d}" for i in range(len(built[split]))]
        assert_rows_equal(built[split], loaded[split], features(task))


def test_human_variant_round_trip(exported_variants, variant_world):
    import datasets

    loaded = datasets.load_dataset(str(exported_variants), "pose_to_text-H")
    assert {s: len(d) for s, d in loaded.items()} == {"train": 4, "test": 2}
    assert {k for kinds in loaded["train"]["text_kinds"] for k in kinds} == {"human"}
    np.testing.assert_array_equal(np.asarray(loaded["test"].with_format("numpy")["pose"]),
                                  np.asarray(variant_world["pose_to_text-H"]["test"].with_format("numpy")["pose"]))


def test_variant_layout_readme_and_shard_paths(exported_variants, variant_world):
    meta = front_matter((exported_variants / "README.md").read_text(encoding="utf-8"))
    assert [c["config_name"] for c in meta["configs"]] == sorted(VARIANT_ORDER)  # datasets' helpers sort by name
    for entry in meta["configs"]:
        config = entry["config_name"]
        assert entry["data_files"] == [{"split": s, "path": f"{config}/{s}-*"} for s in SPLITS
                                       if s in variant_world[config]]
    infos = {i["config_name"]: i for i in meta["dataset_info"]}
    assert sorted(infos) == sorted(VARIANT_ORDER)
    for config, info in infos.items():
        assert [f["name"] for f in info["features"]] == list(features(task_of(config)))
        assert {s["name"]: s["num_examples"] for s in info["splits"]} == {
            s: len(ds) for s, ds in variant_world[config].items()}
        assert info["download_size"] == sum(p.stat().st_size for p in (exported_variants / config).glob("*.parquet"))
    shards = sorted(p.relative_to(exported_variants).as_posix() for p in exported_variants.rglob("*.parquet"))
    expected = sorted(f"{c}/{s}-00000-of-00001.parquet" for c in VARIANT_ORDER for s in variant_world[c])
    assert shards == expected
    assert all(SHARD.match(name)["config"] == name.split("/")[0] for name in shards)


def test_variant_shards_and_card_are_identical_to_push_to_hub(variant_world, exported_variants, tmp_path,
                                                              monkeypatch):
    hub = FakeHub(tmp_path).install(monkeypatch)
    for config in VARIANT_ORDER:
        variant_world[config].push_to_hub("test-org/variants", config_name=config)
    pushed = hub.snapshot("test-org/variants")
    local = files_of(exported_variants)
    assert sorted(pushed) == sorted(local)
    assert all(pushed[k] == local[k] for k in local if k.endswith(".parquet"))
    hub_yaml, local_yaml = front_matter(pushed["README.md"].decode()), front_matter(local["README.md"].decode())
    assert hub_yaml["configs"] == local_yaml["configs"]
    assert hub_yaml["dataset_info"] == local_yaml["dataset_info"]


def test_read_layout_returns_configs_in_publishing_order(exported_variants, variant_world):
    back, _ = read_layout(exported_variants)
    assert list(back) == list(VARIANT_ORDER)  # task order of TASKS, then variant; the plain task id first
    for config, dd in back.items():
        assert {s: len(d) for s, d in dd.items()} == {s: len(d) for s, d in variant_world[config].items()}
        assert dd[next(iter(dd))].features == features(task_of(config))


@pytest.mark.parametrize("bad, message", [
    ("pose2text-A", "config name 'pose2text-A' does not start with a task id"),
    ("pose_to_text-", "config name 'pose_to_text-' has an empty variant"),
    ("pose_to_text-H v2", "characters other than letters, digits and '-'"),
])
def test_bad_config_names_are_refused_before_anything_is_written(bad, message, variant_world, card_metadata,
                                                                 tmp_path):
    given = {"pose_to_text-A": variant_world["pose_to_text-A"], bad: variant_world["pose_to_text-H"]}
    with pytest.raises(InputError, match=re.escape(message)) as err:
        export_to_dir(given, tmp_path / "out", card_metadata)
    assert err.value.field == "config"
    assert list(tmp_path.iterdir()) == []


def test_configs_differing_only_in_case_are_refused(variant_world, card_metadata, tmp_path):
    given = {"pose_to_text-H": variant_world["pose_to_text-H"], "pose_to_text-h": variant_world["pose_to_text-A"]}
    with pytest.raises(InputError, match="'pose_to_text-H' and 'pose_to_text-h' differ only in case"):
        export_to_dir(given, tmp_path / "out", card_metadata)
    assert list(tmp_path.iterdir()) == []


def test_a_variant_gets_its_task_schema(variant_world, card_metadata, tmp_path):
    with pytest.raises(InputError, match=re.escape("config 'pose_to_text-R', split 'train': column 'texts' is "
                                                   "missing (the schema is benchmark.tasks.schema.features("
                                                   "'pose_to_text')")):
        export_to_dir({"pose_to_text-R": variant_world["pose_estimation-h36m"]}, tmp_path / "out", card_metadata)
    dup = variant_world["pose_diff-A"]
    ids = list(dup["test"]["id"])
    ids[1] = dup["train"][2]["id"]
    with pytest.raises(InputError, match="config 'pose_diff-A': id 'pose_diff-A-train-002' is not unique"):
        export_to_dir({"pose_diff-A": {"train": dup["train"], "test": _replace(dup["test"], "id", ids)}},
                      tmp_path / "out", card_metadata)
    assert list(tmp_path.iterdir()) == []


def test_read_layout_refuses_a_card_listing_a_bad_config_name(exported_variants, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(exported_variants, copy)
    readme = copy / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert text.count("config_name: pose_to_text-H\n") == 2  # configs and dataset_info
    readme.write_text(text.replace("config_name: pose_to_text-H\n", "config_name: posescript-H\n"),
                      encoding="utf-8")
    with pytest.raises(InputError, match="config name 'posescript-H' does not start with a task id") as err:
        read_layout(copy)
    assert err.value.file == str(readme) and err.value.field == "config"


def test_empty_texts_are_refused(tmp_path):
    import datasets

    dd = make_task_dataset("pose_to_text", seed=5)
    rows = dd["train"].to_dict()
    rows["texts"][1] = ["a fine text", "  "]
    rows["text_kinds"][1] = ["automatic", "automatic"]
    rows["text_versions"][1] = ["N2", "N6"]
    broken = datasets.DatasetDict({**dd, "train": datasets.Dataset.from_dict(rows, features=dd["train"].features)})
    with pytest.raises(InputError, match="a text is empty") as err:
        validate_datasets({"pose_to_text": broken})
    assert err.value.row == 1 and err.value.field == "texts"
