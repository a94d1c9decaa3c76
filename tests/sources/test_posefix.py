"""PoseFix release reading and the pair-pose rotation rule (in-sequence pairs share pose A's correction)."""

import json

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from benchmark.errors import InputError
from datasets_build.sources.posefix import load_pair_poses, pair_poses_from_raw, read_posefix
from datasets_build.sources.posescript_poses import read_pose_info
from tests.sources.fixtures import random_amass_poses, write_json, write_posefix_release


@pytest.fixture()
def release(tmp_path):
    return write_posefix_release(tmp_path / "posefix", tmp_path / "amass", seed=5)


def heading(rotvec):
    return Rotation.from_rotvec(np.asarray(rotvec, np.float64)).as_euler("xyz")[..., 2]


def test_reads_back_pairs_texts_and_kinds(release):
    splits = read_posefix(release.root)
    for name, split in splits.items():
        expected = release.pair_splits[(name, "in")] + release.pair_splits[(name, "out")]
        assert list(split.pair_ids) == expected
        for pair in split.pairs:
            a, b = release.pairs[pair.pair_id]
            assert (pair.pose_a_id, pair.pose_b_id) == (a, b)
            assert pair.in_sequence == (pair.pair_id in release.pair_splits[(name, "in")])
            human = release.human.get(pair.pair_id, [])
            auto = release.auto.get(pair.pair_id, [])
            para = release.paraphrases.get(pair.pair_id, [])
            assert pair.texts.texts == tuple(human + auto + para)
            assert pair.texts.kinds == ("human",) * len(human) + ("automatic",) * len(auto) + ("paraphrase",) * len(
                para)
        assert [p.pair_id for p in split.human] == [i for i in expected if i in release.human]
        hpp = split.with_kinds("human", "paraphrase")
        assert all(set(p.texts.kinds) <= {"human", "paraphrase"} for p in hpp)


def test_in_sequence_rule_on_loaded_poses(release):
    splits = read_posefix(release.root)
    info = read_pose_info(release.root / "ids_2_dataset_sequence_and_frame_index_100k.json")
    pairs = [p for s in splits.values() for p in s.pairs]
    assert {p.in_sequence for p in pairs} == {True, False}
    poses_a, poses_b = load_pair_poses(pairs, info, release.amass_root, n_joints=22, progress=False)
    assert poses_a.shape == poses_b.shape == (len(pairs), 22, 3) and poses_a.dtype == np.float32
    raw_a = np.stack([release.raw_poses[p.pose_a_id] for p in pairs])
    raw_b = np.stack([release.raw_poses[p.pose_b_id] for p in pairs])
    np.testing.assert_allclose(heading(poses_a[:, 0]), 0, atol=1e-5)          # A is always heading-free
    for k, pair in enumerate(pairs):
        ra_old, rb_old = (Rotation.from_rotvec(x[0]) for x in (raw_a[k], raw_b[k]))
        ra_new, rb_new = (Rotation.from_rotvec(x[0].astype(np.float64)) for x in (poses_a[k], poses_b[k]))
        if pair.in_sequence:
            # the relative global rotation A -> B is preserved; B keeps its heading relative to A
            rel_old = (ra_old.inv() * rb_old).as_matrix()
            rel_new = (ra_new.inv() * rb_new).as_matrix()
            np.testing.assert_allclose(rel_new, rel_old, atol=1e-5)
            # and B's root was moved by A's correction R_norm = R_A,new R_A,old^-1
            np.testing.assert_allclose(rb_new.as_matrix(), (ra_new * ra_old.inv() * rb_old).as_matrix(), atol=1e-5)
        else:
            assert abs(heading(poses_b[k, 0])) < 1e-5
        np.testing.assert_allclose(poses_b[k, 1:], raw_b[k, 1:22], atol=1e-6)   # body joints untouched


def test_in_sequence_b_is_not_renormalised():
    rng = np.random.default_rng(0)
    raw = random_amass_poses(rng, 2)[:, :22]
    a, b = raw[:1], raw[1:]
    _, b_in = pair_poses_from_raw(a, b, [True])
    _, b_out = pair_poses_from_raw(a, b, [False])
    assert abs(heading(b_out[0, 0])) < 1e-6
    assert abs(heading(b_in[0, 0])) > 1e-3     # B shares A's correction, so its own heading generally remains


def test_listed_kind_must_match_the_pose_files(release):
    path = release.root / "train_in_sequence_pair_ids.json"
    out_pair = release.pair_splits[("train", "out")][0]
    write_json(release.root / "train_out_sequence_pair_ids.json", release.pair_splits[("train", "out")][1:])
    write_json(path, release.pair_splits[("train", "in")] + [out_pair])
    with pytest.raises(InputError, match="listed as in-sequence but its poses come from different AMASS files") as e:
        read_posefix(release.root)
    assert e.value.file == str(path)


def test_unknown_ids_and_malformed_pair_file(release):
    path = release.root / "test_out_sequence_pair_ids.json"
    write_json(path, release.pair_splits[("test", "out")] + [len(release.pairs) + 4])
    with pytest.raises(InputError, match="unknown pair id") as err:
        read_posefix(release.root)
    assert err.value.file == str(path)
    write_json(path, release.pair_splits[("test", "out")])
    pairs_path = release.root / "pair_id_2_pose_ids.json"
    data = json.loads(pairs_path.read_text())
    data[2] = [data[2][0]]
    write_json(pairs_path, data)
    with pytest.raises(InputError, match=r"expected \[pose_A_id, pose_B_id\]") as err:
        read_posefix(release.root)
    assert err.value.row == 2
    data[2] = [0, 777]
    write_json(pairs_path, data)
    with pytest.raises(InputError, match="unknown pose id 777"):
        read_posefix(release.root)


def test_a_caption_of_an_unlisted_pair_is_skipped_and_counted_as_upstream_does(release):
    path = release.root / "posefix_paraphrases_4284.json"
    before = read_posefix(release.root)
    data = json.loads(path.read_text())
    write_json(path, {**data, "4000": "raise the left arm"})
    skipped = {}
    assert read_posefix(release.root, skipped=skipped) == before
    assert skipped == {"posefix_paraphrases_4284.json": [4000]}
