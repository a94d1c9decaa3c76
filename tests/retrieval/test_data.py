import numpy as np
import pytest
from datasets import Dataset, DatasetDict

from benchmark.errors import InputError
from benchmark.retrieval.data import extract_items, load_task_splits
from benchmark.tasks.schema import FEATURES


def _rows(texts, kinds, poses=None):
    n = len(texts)
    poses = np.arange(n * 66, dtype=np.float32).reshape(n, 22, 3) / 1000 if poses is None else poses
    return Dataset.from_dict({
        "id": [f"r{i}" for i in range(n)], "source_dataset": ["t"] * n, "source_id": [f"r{i}" for i in range(n)],
        "pose": poses, "texts": texts, "text_kinds": kinds, "text_versions": [["v"] * len(k) for k in kinds],
    }, features=FEATURES["pose_to_text"])


TEXTS = [["a0", "h0", "a0b"], ["h1"], [], ["a3"], ["  ", "h4", "a4"]]
KINDS = [["automatic", "human", "automatic"], ["human"], [], ["automatic"], ["automatic", "human", "automatic"]]


def test_items_keep_the_texts_of_the_stage_kinds():
    ds = _rows(TEXTS, KINDS)
    auto = extract_items(ds, "pose-text", ("automatic",))
    assert auto.texts == ("a0", "a0b", "a3", "a4")  # the blank automatic text of row 4 is dropped
    assert auto.rows.tolist() == [0, 3, 4]
    assert auto.offsets.tolist() == [0, 2, 3, 4]
    np.testing.assert_array_equal(auto.inputs[0], np.asarray(ds.with_format("numpy")[:]["pose"])[[0, 3, 4]])
    human = extract_items(ds, "pose-text", ("human",))
    assert human.texts == ("h0", "h1", "h4") and human.rows.tolist() == [0, 1, 4]
    both = extract_items(ds, "pose-text", ("human", "automatic"))
    assert both.texts == ("a0", "h0", "a0b", "h1", "a3", "h4", "a4")


def test_items_follow_a_selected_or_shuffled_dataset():
    ds = _rows(TEXTS, KINDS).select([4, 3, 0])
    items = extract_items(ds, "pose-text", ("automatic",))
    assert items.texts == ("a4", "a3", "a0", "a0b")
    assert items.inputs[0][0, 0, 0] == pytest.approx(4 * 66 / 1000)


def test_validation_texts_are_index_mod_n_and_training_texts_are_random():
    texts = [[f"t{i}-{k}" for k in range(i % 3 + 1)] for i in range(9)]
    kinds = [["automatic"] * len(t) for t in texts]
    items = extract_items(_rows(texts, kinds), "pose-text", ("automatic",))
    assert items.texts_at(items.validation_text_indices()) == [f"t{i}-{i % (i % 3 + 1)}" for i in range(9)]
    draws = np.stack([items.random_text_indices(np.random.default_rng(s)) for s in range(200)])
    owner = np.searchsorted(items.offsets, draws, side="right") - 1
    assert (owner == np.arange(9)).all()  # each item draws among its own texts only
    assert len(np.unique(draws)) == len(items.texts)  # and every text gets drawn
    np.testing.assert_array_equal(items.random_text_indices(np.random.default_rng(5)),
                                  items.random_text_indices(np.random.default_rng(5)))


def test_pair_items_read_both_poses():
    from benchmark.retrieval.synthetic import pose_diff_columns

    ds = Dataset.from_dict(pose_diff_columns(6, seed=0), features=FEATURES["pose_diff"])
    items = extract_items(ds, "pair-text", ("human",))
    assert len(items.inputs) == 2 and items.inputs[0].shape == items.inputs[1].shape == (6, 22, 3)
    assert not np.array_equal(items.inputs[0], items.inputs[1])


def test_bad_rows_are_named():
    with pytest.raises(InputError, match=r"row 1, field 'text_kinds'.*2 entries for 1 texts"):
        extract_items(_rows([["a"], ["b"]], [["automatic"], ["automatic", "human"]]), "pose-text", ("automatic",),
                      source="mine:train")
    poses = np.zeros((3, 22, 3), np.float32)
    poses[2, 5, 1] = np.nan
    with pytest.raises(InputError, match=r"mine:train, row 2, field 'pose'.*NaN"):
        extract_items(_rows([["a"], [], ["c"]], [["automatic"], [], ["automatic"]], poses), "pose-text",
                      ("automatic",), source="mine:train")
    with pytest.raises(InputError, match=r"field 'pose_a'"):
        extract_items(_rows([["a"]], [["automatic"]]), "pair-text", ("automatic",))


def _splits():
    return DatasetDict({"train": _rows(TEXTS, KINDS), "val": _rows(TEXTS[:2], KINDS[:2])})


def test_load_save_to_disk_folders(tmp_path):
    _splits().save_to_disk(str(tmp_path / "flat"))
    assert set(load_task_splits(tmp_path / "flat", "pose_to_text")) == {"train", "val"}
    _splits().save_to_disk(str(tmp_path / "world" / "pose_to_text"))
    loaded = load_task_splits(tmp_path / "world", "pose_to_text")
    assert loaded["train"].features == FEATURES["pose_to_text"]


def test_load_hub_layout_folder(tmp_path):
    for name, ds in _splits().items():
        ds.to_parquet(str(tmp_path / "pose_to_text" / f"{name}-00000-of-00001.parquet"))
    (tmp_path / "README.md").write_text(
        "---\nconfigs:\n- config_name: pose_to_text\n  data_files:\n  - split: train\n    path: pose_to_text/train-*\n"
        "  - split: val\n    path: pose_to_text/val-*\n---\n# test\n")
    loaded = load_task_splits(tmp_path, "pose_to_text")
    assert len(loaded["train"]) == 5 and len(loaded["val"]) == 2
    items = extract_items(loaded["train"], "pose-text", ("automatic",))
    assert items.texts == ("a0", "a0b", "a3", "a4") and items.inputs[0].shape == (3, 22, 3)
    with pytest.raises(InputError, match="pose_diff"):
        load_task_splits(tmp_path, "pose_diff")


def test_missing_dataset_folder(tmp_path):
    with pytest.raises(InputError, match="dataset folder not found"):
        load_task_splits(tmp_path / "nope", "pose_to_text")
