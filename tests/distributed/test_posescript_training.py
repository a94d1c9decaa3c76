"""PoseScript / PoseFix training under a launcher: two CPU processes (gloo), one slice of each batch each, train the
weights that one process computing the same two slices trains (models/posescript/training.py), up to float
summation order; the main process alone writes. Plus the slices' loss weights, worked by hand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tests.distributed.test_launch import free_port

ROOT = Path(__file__).resolve().parents[2]


def train(n_processes: int, home: Path, *args: str) -> subprocess.CompletedProcess:
    command = ["-m", "benchmark.cli.main", "train-posescript", "--preset", "smoke", *args]
    if n_processes > 1:
        command = ["-m", "torch.distributed.run", "--nproc_per_node", str(n_processes), "--master_addr",
                   "127.0.0.1", "--master_port", str(free_port()), *command]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "UNIPOSE_BENCH_HOME": str(home)}
    done = subprocess.run([sys.executable, *command], env=env, capture_output=True, text=True, timeout=600,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


# posescript (a text-conditioned VAE and a captioner) in the default suite, about 25 s on 2 cores; posefix (TIRG's
# BatchNorm, the clamped KL) with the slow tests
@pytest.mark.parametrize("family", ["posescript", pytest.param("posefix", marks=pytest.mark.slow)])
def test_two_processes_train_the_weights_of_one_process_with_two_slices(small_world, tmp_path, family):
    from models.posescript.checkpoint import load_model
    from models.posescript.presets import get_preset
    from models.posescript.training import build_model

    data = ["--family", family, "--train", str(small_world.hub_dir)]
    one = train(1, tmp_path / "one", *data, "--slices", "2")
    two = train(2, tmp_path / "two", *data)
    assert two.stdout.count("checkpoint:") == 1  # only the main process prints (and writes)
    folders = [Path(done.stdout.split("checkpoint:")[1].split()[0]) for done in (one, two)]
    assert folders[0].name == folders[1].name and folders[0].name.endswith("-s2")  # the same key: the same slices
    tasks = sorted(p.name for p in folders[0].iterdir() if p.is_dir())
    assert len(tasks) == 2
    for task in tasks:
        a, b = (load_file(folder / task / "model.safetensors") for folder in folders)
        assert a.keys() == b.keys()
        assert max(float((a[k].float() - b[k].float()).abs().max()) for k in a) < 1e-5, task
        report = json.loads((folders[1] / task / "config.json").read_text())["report"]
        assert (report["slices"], report["processes"]) == (2, 2)
        # the tolerance is far below what the 6 steps moved the weights from their seeded start
        _, vocab, config = load_model(folders[0] / task)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            start = build_model(task, get_preset("smoke"), len(vocab)).state_dict()
        # (safetensors keeps one name of a tensor that is shared, as the text encoder's embedding)
        assert max(float((a[k].float() - v.float()).abs().max()) for k, v in start.items()
                   if k in a and v.is_floating_point()) > 1e-3
    assert not list(folders[1].parent.glob(".*.tmp"))  # no temporary folder (benchmark.atomic_files.temp_path)


def test_slice_weights_are_each_slices_share_of_the_batch_loss():
    from models.posescript.training import slice_weights

    pad = 0
    # 5 rows: target tokens (after the first, not padding) 3, 1, 2, 4, 0
    tokens = torch.tensor([[9, 5, 5, 5, 0], [9, 5, 0, 0, 0], [9, 5, 5, 0, 0], [9, 5, 5, 5, 5], [9, 0, 0, 0, 0]])
    bounds = [0, 2, 5]  # slices of 2 and 3 rows
    assert slice_weights("pose_to_text", bounds, tokens, pad) == [4 / 10, 6 / 10]
    assert slice_weights("pose_diff", bounds, tokens, pad) == [4 / 10, 6 / 10]
    assert slice_weights("text_to_pose", bounds, tokens, pad) == [2 / 5, 3 / 5]
    assert slice_weights("pose_edit", [0, 5], tokens, pad) == [1.0]


def test_slices_that_cannot_share_the_batches_are_refused(small_world):
    from benchmark.errors import InputError
    from models.baselines.training_data import TrainingData
    from models.posescript.presets import get_preset
    from models.posescript.training import family_vocabulary, train_model

    data = TrainingData(small_world.hub_dir)
    preset = get_preset("smoke")
    vocab = family_vocabulary(data, ("text_to_pose",))
    for slices in (0, preset.text_to_pose.batch_size // 2 + 1):  # a slice of one row: BatchNorm cannot train
        with pytest.raises(InputError, match="slices"):
            train_model("text_to_pose", data, preset, vocab, seed=0, log=None, slices=slices)
