"""Training under a launcher: the same global batches split between two CPU processes (gloo) give the weights one
process gives, up to float summation order (tolerance 1e-5, against changes of about 1e-3 from the training)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file

from tests.distributed.test_launch import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def run(n_processes: int, *args: str) -> subprocess.CompletedProcess:
    command = ["-m", "benchmark.cli.main", *args]
    if n_processes > 1:
        command = ["-m", "torch.distributed.run", "--nproc_per_node", str(n_processes), "--master_addr",
                   "127.0.0.1", "--master_port", str(free_port()), *command]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1",
           "HF_DATASETS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, *command], env=env, capture_output=True, text=True, timeout=900,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def max_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k].float() - b[k].float()).abs().max()) for k in a)


def test_an_instruction_stage_on_two_processes_gives_the_weights_of_one(small_world, tmp_path):
    train = str(small_world.hub_dir)
    smoke = ["train-unipose", "--preset", "smoke", "--train", train]
    run(1, *smoke, "--steps", "2", "--stages", "tokenizer", "alignment", "projector", "--output",
        str(tmp_path / "base"))
    for name in ("one", "two"):
        shutil.copytree(tmp_path / "base", tmp_path / name)
    # 4 steps of batch 8 (LoRA, embeddings, output head and projector train): 4 sequences a process
    run(1, *smoke, "--steps", "4", "--stages", "instruction", "--output", str(tmp_path / "one"))
    done = run(2, *smoke, "--steps", "4", "--stages", "instruction", "--output", str(tmp_path / "two"))
    assert done.stdout.count("checkpoint:") == 1  # only the main process prints (and writes)
    start = load_file(tmp_path / "base" / "3-projector" / "non_lora_trainables.safetensors")
    for file in ("adapter_model.safetensors", "non_lora_trainables.safetensors", "vision/vision.safetensors"):
        one = load_file(tmp_path / "one" / "4-instruction" / file)
        two = load_file(tmp_path / "two" / "4-instruction" / file)
        assert max_difference(one, two) < 1e-5, file
    trained = load_file(tmp_path / "one" / "4-instruction" / "non_lora_trainables.safetensors")
    assert max_difference(trained, start) > 1e-4  # the tolerance is far below what the steps changed
    assert not list((tmp_path / "two").glob("*.tmp"))


def test_the_tokenizer_on_two_processes_gives_the_weights_and_codebook_of_one(tmp_path):
    # 3 steps of 16 random poses (tests/distributed/tokenizer_worker.py), 8 a process; the EMA statistics (and the
    # dead codes' resets, drawn from the whole batch) are summed across the processes
    worker = str(ROOT / "tests" / "distributed" / "tokenizer_worker.py")
    for n, name in ((1, "one"), (2, "two")):
        command = [worker, str(tmp_path / f"{name}.safetensors")]
        if n > 1:
            command = ["-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
                       "--master_port", str(free_port()), *command]
        done = subprocess.run([sys.executable, *command], env={**os.environ, "OMP_NUM_THREADS": "1"}, cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
    one, two = (load_file(tmp_path / f"{name}.safetensors") for name in ("one", "two"))
    assert max_difference(one, two) < 1e-4
    # one latent assigned to another code would move its count by (1 - decay) = 0.01
    assert max_difference({"c": one["quantizer.code_count"]}, {"c": two["quantizer.code_count"]}) < 1e-5
    assert 0 < float(one["quantizer.code_count"].max()) and float(one["quantizer.codebook"].abs().max()) > 0


def run_worker(worker: str, output: Path, n_processes: int) -> None:
    command = [str(ROOT / "tests" / "distributed" / worker), str(output)]
    if n_processes > 1:
        command = ["-m", "torch.distributed.run", "--nproc_per_node", str(n_processes), "--master_addr",
                   "127.0.0.1", "--master_port", str(free_port()), *command]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, *command], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def test_retrieval_evaluators_on_two_processes_give_the_weights_of_one(tmp_path):
    # tests/distributed/retrieval_worker.py: both stages of a pose-text and a pair-text evaluator, 3 batches each
    # (SGD); the contrastive loss sees the whole batch in every process (texts gathered with their gradients).
    # Measured 1.2e-7 apart; the weights move by more than 1e-3
    for n, name in ((1, "one"), (2, "two")):
        run_worker("retrieval_worker.py", tmp_path / f"{name}.safetensors", n)
    one, two = (load_file(tmp_path / f"{name}.safetensors") for name in ("one", "two"))
    assert max_difference(one, two) < 1e-5
    # the tolerance is far below what training moved: the same worker's initial weights, for comparison
    from benchmark.retrieval.backbone import load_backbone
    from benchmark.retrieval.models import build_model
    from benchmark.retrieval.training import seeded_torch
    from tests.retrieval.conftest import small_config

    with seeded_torch(0):
        start = build_model(small_config("pose-text").architecture, load_backbone().word_embeddings).state_dict()
    moved = max(float((one[f"pose-text.{k}"].float() - v.float()).abs().max()) for k, v in start.items()
                if v.is_floating_point())
    assert moved > 1e-3
