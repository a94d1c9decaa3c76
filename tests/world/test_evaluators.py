"""The retrieval evaluators shipped for the default embedded world: intact, pinned to the committed world, and
discriminating on it (the issue's bar: R-Precision@1 of the reference captions >= 80 % for descriptions and >= 60 %
for instructions; chance is 3.4-3.6 % for these splits). Their inference runs in float64, so these figures are the
same on every CPU."""

import json
import shutil

import numpy as np
import pytest

from benchmark.body.skeleton import SkeletonBody
from benchmark.columns import fixed_shape_array
from benchmark.errors import InputError
from benchmark.metrics.retrieval import r_precision, r_precision_chance
from benchmark.retrieval import load_evaluator
from datasets_build.world.build import WorldConfig
from datasets_build.world.ensure import World, committed_fingerprints
from datasets_build.world import evaluators as world_evaluators
from datasets_build.world.evaluators import KINDS, pinned_fingerprint, shipped_dir, verify_checksums

def rp1(texts_emb, gallery_emb) -> float:
    return r_precision(texts_emb, gallery_emb, (1,), "posescript", 32, 10, seed=0)["R-Precision@1"].value


@pytest.mark.parametrize("kind", KINDS)
def test_shipped_evaluators_are_intact_and_pinned_to_the_committed_world(kind):
    folder = shipped_dir(kind)
    verify_checksums(folder)
    assert pinned_fingerprint(folder) == committed_fingerprints(WorldConfig())["fingerprint"]
    config = json.loads((folder / "config.json").read_text())
    assert config["training"]["recipe"] == "frozen" and config["kind"] == kind
    evaluator = load_evaluator(folder)  # also checks the weights against their recorded SHA-256 and the version
    assert evaluator.version == (folder / "version.txt").read_text().strip()


def test_shipped_evaluators_fit_in_40_mb():
    total = sum(p.stat().st_size for kind in KINDS for p in shipped_dir(kind).iterdir())
    assert total <= 40e6


def test_a_damaged_file_is_named(tmp_path):
    copy = tmp_path / "pose-text"
    shutil.copytree(shipped_dir("pose-text"), copy)
    with open(copy / "model.safetensors", "r+b") as f:
        f.seek(-1, 2)
        last = f.read(1)
        f.seek(-1, 2)
        f.write(bytes([last[0] ^ 1]))
    with pytest.raises(InputError, match="model.safetensors") as err:
        verify_checksums(copy)
    assert "SHA256SUMS" in str(err.value)


def _descriptions(default_world, config):
    from datasets_build.captioning import describe_poses_from_axis_angle

    ds = default_world.datasets[config]["test"]
    poses = fixed_shape_array(ds, "pose")
    reference = describe_poses_from_axis_angle(poses, SkeletonBody(), "N7", seed=12345)  # a fresh pipeline draw
    return poses, [t[0] for t in ds["texts"]], reference


def _instructions(default_world, config):
    from datasets_build.captioning import describe_pose_pairs_from_axis_angle

    ds = default_world.datasets[config]["test"]
    a, b = fixed_shape_array(ds, "pose_a"), fixed_shape_array(ds, "pose_b")
    reference = describe_pose_pairs_from_axis_angle(a, b, SkeletonBody(), "pfA", seed=12345,
                                                    in_sequence=np.asarray(ds["in_sequence"]))
    reference = [t or "Keep the same pose." for t in reference]  # as the auto_captioner answers
    return (a, b), [t[0] for t in ds["texts"]], reference


@pytest.mark.parametrize("config,floor", [("pose_to_text", 80), ("image_to_text", 80), ("pose_diff", 60),
                                          ("image_diff", 60)])
def test_shipped_evaluators_tell_the_right_text_from_the_others(default_world, config, floor):
    """Ground-truth texts and a fresh draw of the captioning pipeline (the reference row) find their pose among 32
    at or above the floor; the same texts given to the wrong poses do not beat chance (they may fall below it: the
    pose a shuffled text describes can sit in the pool)."""
    if config.endswith("diff"):
        evaluator = load_evaluator(shipped_dir("pair-text"))
        (a, b), truth, reference = _instructions(default_world, config)
        gallery = evaluator.encode_pairs(a, b)
    else:
        evaluator = load_evaluator(shipped_dir("pose-text"))
        poses, truth, reference = _descriptions(default_world, config)
        gallery = evaluator.encode_poses(poses)
    assert gallery.dtype == np.float64
    shuffled = np.random.default_rng(0).permutation(len(truth))
    scores = {"truth": rp1(evaluator.encode_texts(truth), gallery),
              "reference": rp1(evaluator.encode_texts(reference), gallery),
              "shuffled": rp1(evaluator.encode_texts([truth[i] for i in shuffled]), gallery)}
    assert scores["truth"] >= floor and scores["reference"] >= floor, scores
    chance = r_precision_chance(len(truth))
    standard_error = 100 * np.sqrt(chance / 100 * (1 - chance / 100) / len(truth))  # binomial, over the rows
    assert scores["shuffled"] < chance + 4 * standard_error, scores


def _world(fingerprint: str) -> World:
    return World("world-test", shipped_dir("pose-text").parent, {"fingerprint": fingerprint, "fingerprints": {}},
                 cached=True)


def test_the_committed_world_gets_the_shipped_evaluators_and_nothing_is_trained(monkeypatch, tmp_path):
    monkeypatch.setenv("UNIPOSE_BENCH_HOME", str(tmp_path))
    monkeypatch.setattr(world_evaluators, "train_world_evaluator", lambda *a, **k: pytest.fail("trained"))
    logged = []
    provided = world_evaluators.provide_evaluators(_world(committed_fingerprints(WorldConfig())["fingerprint"]),
                                                   log=logged.append)
    assert {k: (p.shipped, p.path) for k, p in provided.items()} == {k: (True, shipped_dir(k)) for k in KINDS}
    assert not logged


def test_another_world_gets_its_own_evaluators_and_says_why(monkeypatch, tmp_path):
    monkeypatch.setenv("UNIPOSE_BENCH_HOME", str(tmp_path))
    calls = []

    class Trained:
        def __init__(self, folder):
            self.checkpoint_dir = folder

    def fake_training(world, kind, output_dir, **kwargs):
        from benchmark.retrieval.checkpoint import FORMAT

        calls.append((kind, kwargs))
        folder = output_dir / f"{kind}-{kwargs['recipe']}"
        folder.mkdir(parents=True)
        config = {"format": FORMAT, "name": kind, "kind": kind, "architecture": {}, "backbone": {},
                  "weights_sha256": "0" * 64, "training": {"recipe": kwargs["recipe"]},
                  "dataset": {"world_fingerprint": world.fingerprint, "caption_draws": kwargs["caption_draws"]}}
        (folder / "config.json").write_text(json.dumps(config))
        return Trained(folder)

    monkeypatch.setattr(world_evaluators, "train_world_evaluator", fake_training)
    logged = []
    provided = world_evaluators.provide_evaluators(_world("0123456789abcdef"), log=logged.append)
    assert [k for k, _ in calls] == list(KINDS) and calls[0][1]["recipe"] == "embedded"
    assert all(not p.shipped and "0123456789abcdef" in p.reason for p in provided.values())
    assert len(logged) == 2 and all("this world is 0123456789abcdef" in line for line in logged)
    again = world_evaluators.provide_evaluators(_world("0123456789abcdef"), log=logged.append)  # cached: no training
    assert len(calls) == 2 and {k: p.path for k, p in again.items()} == {k: p.path for k, p in provided.items()}
    assert "trained for it earlier" in logged[-1]
    # other quick settings are another evaluator: trained again, not reused
    world_evaluators.provide_evaluators(_world("0123456789abcdef"), log=logged.append,
                                        quick={"recipe": "smoke", "caption_draws": 0})
    assert len(calls) == 4 and calls[-1][1]["recipe"] == "smoke"


def test_random_training_captions_sit_at_chance_on_average(default_world):
    """The random baseline's expected R-Precision@1 is chance (a random text favours no candidate): over 40 draws of
    random training captions the mean is within 3 standard errors of the protocol's exact chance level (3.36 % for
    300 rows), whatever one draw's luck."""
    evaluator = load_evaluator(shipped_dir("pose-text"))
    train, test = default_world.datasets["pose_to_text"]["train"], default_world.datasets["pose_to_text"]["test"]
    captions = evaluator.encode_texts([t[0] for t in train["texts"]])
    gallery = evaluator.encode_poses(fixed_shape_array(test, "pose"))
    draws = [rp1(captions[np.random.default_rng(s).integers(len(captions), size=len(test))], gallery)
             for s in range(40)]
    assert abs(np.mean(draws) - r_precision_chance(len(test))) < 3 * np.std(draws) / np.sqrt(len(draws)), draws
