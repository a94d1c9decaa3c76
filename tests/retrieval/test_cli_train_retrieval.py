import re

import numpy as np
import pytest

from benchmark.cli.main import main
from benchmark.retrieval.checkpoint import load_evaluator
from tests.retrieval.conftest import make_splits


def test_train_retrieval_on_a_save_to_disk_folder(tmp_path, capsys):
    make_splits("pose-text", 48, 16, seed=0).save_to_disk(str(tmp_path / "world" / "pose_to_text"))
    code = main(["train-retrieval", "--kind", "pose-text", "--dataset", str(tmp_path / "world"), "--output",
                 str(tmp_path / "ev"), "--seed", "1", "--recipe", "smoke", "--epochs", "1", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    folder = re.search(r"checkpoint: (\S+)", out).group(1)
    mrecall = float(re.search(r"validation mRecall: ([\d.]+) \(stage finetune, epoch 1\)", out).group(1))
    evaluator = load_evaluator(folder)
    assert evaluator.config["seed"] == 1 and evaluator.config["dataset"]["config"] == "pose_to_text"
    assert round(evaluator.config["selected"]["val_metrics"]["mRecall"], 2) == pytest.approx(mrecall)  # printed to 2 dp
    assert evaluator.config["training"]["pretrain"]["epochs"] == 1
    assert evaluator.encode_poses(np.zeros((2, 22, 3), np.float32)).shape == (2, 512)  # the default architecture


def test_train_retrieval_on_a_hub_layout_folder_skips_missing_human_texts(tmp_path, capsys):
    splits = make_splits("pair-text", 48, 16, seed=0, n_human=0)
    for name, ds in splits.items():
        ds.to_parquet(str(tmp_path / "hub" / "pose_diff" / f"{name}-00000-of-00001.parquet"))
    (tmp_path / "hub" / "README.md").write_text(
        "---\nconfigs:\n- config_name: pose_diff\n  data_files:\n  - split: train\n    path: pose_diff/train-*\n"
        "  - split: val\n    path: pose_diff/val-*\n---\n")
    code = main(["train-retrieval", "--kind", "pair-text", "--dataset", str(tmp_path / "hub"), "--output",
                 str(tmp_path / "ev"), "--recipe", "smoke", "--epochs", "1", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "skipped finetune (human texts): the train split has no human texts" in out
    assert re.search(r"validation mRecall: [\d.]+ \(stage pretrain, epoch 1\)", out)
    assert re.search(r"version: pairtext-minilm-A-[0-9a-f]{12}", out)


def test_train_retrieval_reports_bad_datasets(tmp_path, capsys):
    assert main(["train-retrieval", "--kind", "pose-text", "--dataset", str(tmp_path / "none"), "--output",
                 str(tmp_path / "ev"), "--quiet"]) == 2
    assert "dataset folder not found" in capsys.readouterr().err
    splits = make_splits("pose-text", 8, 8, seed=0)
    del splits["val"]
    splits.save_to_disk(str(tmp_path / "noval"))
    assert main(["train-retrieval", "--kind", "pose-text", "--dataset", str(tmp_path / "noval"), "--output",
                 str(tmp_path / "ev"), "--quiet"]) == 2
    assert "no 'val' split" in capsys.readouterr().err
    assert not (tmp_path / "ev").exists() or not any((tmp_path / "ev").iterdir())
