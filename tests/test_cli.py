import subprocess
import sys

import numpy as np
from PIL import Image

from benchmark.body.frames import UPRIGHT_ROOT
from benchmark.cli.main import COMMANDS, main


def test_help_lists_exactly_the_registered_commands():
    out = subprocess.run([sys.executable, "-m", "benchmark.cli.main", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for name in COMMANDS:
        assert name in out
    # every listed command parses its own --help (i.e. its module imports and wires its arguments)
    for name in COMMANDS:
        res = subprocess.run([sys.executable, "-m", "benchmark.cli.main", name, "--help"], capture_output=True,
                             text=True)
        assert res.returncode == 0, res.stderr


def test_show_writes_a_png(tmp_path):
    poses = np.zeros((5, 22, 3), np.float32)
    poses[:, 0] = UPRIGHT_ROOT
    poses[1, 18] = [0, -1.4, 0]
    np.save(tmp_path / "p.npy", poses)
    out = tmp_path / "grid.png"
    assert main(["show", str(tmp_path / "p.npy"), "--out", str(out), "--cols", "3"]) == 0
    img = Image.open(out)
    assert img.size[0] > img.size[1] > 100
    # not blank: the skeleton's coloured limbs are there
    arr = np.asarray(img.convert("RGB")).astype(int)
    assert ((arr[..., 2] - arr[..., 0]) > 80).sum() > 50  # blue (left) limbs
    assert not list(tmp_path.glob("*.partial.png"))


def test_show_bad_input_is_a_clear_error(tmp_path, capsys):
    np.save(tmp_path / "bad.npy", np.zeros((3, 21, 3), np.float32))
    assert main(["show", str(tmp_path / "bad.npy"), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "bad.npy" in err and "shape [3, 21, 3]" in err
    assert not (tmp_path / "x.png").exists()
    assert main(["show", str(tmp_path / "missing.npy")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_ls_lists_what_is_registered(capsys):
    from benchmark.adapters import ADAPTERS
    from benchmark.metrics import METRICS
    from benchmark.tasks.catalog import task_registry

    for what, names in (("tasks", task_registry().names()), ("models", ADAPTERS.names()), ("metrics", list(METRICS)),
                        ("leaderboards", ["embedded", "paper-table-3-text-to-pose"])):
        assert main(["ls", what]) == 0
        out = capsys.readouterr().out
        for name in names:
            assert name in out
    assert main(["ls", "models"]) == 0
    assert "arguments: train, pose_text, pair_text" in capsys.readouterr().out


def test_unknown_names_get_did_you_mean(capsys):
    assert main(["evaluate", "--model", "random", "--tasks", "pose_to_txt/embedded"]) == 2
    assert "did you mean 'pose_to_text/embedded'" in capsys.readouterr().err
    assert main(["evaluate", "--model", "randm", "--tasks", "pose_to_text/embedded"]) == 2
    assert "did you mean 'random'" in capsys.readouterr().err


def test_show_draws_the_rows_of_a_dataset(tmp_path, capsys):
    from datasets_build.hub.card import CardMetadata
    from datasets_build.hub.export import export_to_dir
    from tests.hub.synthetic import make_task_dataset

    pairs = make_task_dataset("pose_diff", seed=2)
    export_to_dir({"pose_diff": pairs}, tmp_path / "hub", CardMetadata(
        pretty_name="t", summary="t", sources=("embedded-world",), command="test", suite_version="0"))
    out = tmp_path / "pairs.png"
    assert main(["show", str(tmp_path / "hub"), "--config", "pose_diff", "--split", "train", "--limit", "2",
                 "--out", str(out), "--views", "front"]) == 0
    printed = capsys.readouterr().out
    rows = pairs["train"].select(range(2))
    for row_id, texts in zip(rows["id"], rows["texts"]):
        assert f"{row_id}: {texts[0]}" in printed
    assert "(4 poses)" in printed and Image.open(out).size[0] > 0
    assert main(["show", str(tmp_path / "hub")]) == 2  # a dataset folder needs --config


def test_a_trained_baseline_without_a_built_world_says_how_to_build_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UNIPOSE_BENCH_HOME", str(tmp_path / "empty-home"))
    assert main(["evaluate", "--model", "nearest_neighbour", "--tasks", "text_to_pose/embedded",
                 "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "missing 3 required positional arguments" in err and "unipose-bench run" in err
    assert "Traceback" not in err and not (tmp_path / "out" / "results").exists()
