"""PoseScript V2 release reading: splits, texts, kinds, versions, the -H subset, malformed files."""

import json

import numpy as np
import pytest

from benchmark.errors import InputError
from datasets_build.sources.posescript import read_posescript
from datasets_build.sources.posescript_poses import load_poses, read_pose_info
from tests.sources.fixtures import write_json, write_posescript_release


@pytest.fixture()
def release(tmp_path):
    return write_posescript_release(tmp_path / "posescript", tmp_path / "amass", seed=3)


def test_reads_back_what_was_written(release):
    splits = read_posescript(release.root)
    assert set(splits) == {"train", "val", "test"}
    for name, split in splits.items():
        assert list(split.pose_ids) == release.splits[name]
        expected_ids = [i for i in release.splits[name] if i in release.human or i in release.auto]
        assert [p.pose_id for p in split.poses] == expected_ids
        for pose in split.poses:
            human = release.human.get(pose.pose_id, [])
            auto = release.auto.get(pose.pose_id, [])
            assert pose.texts.texts == tuple(human + auto)
            assert pose.texts.kinds == ("human",) * len(human) + ("automatic",) * len(auto)
            assert pose.texts.versions == ("human",) * len(human) + ("auto-0", "auto-1", "auto-2")[:len(auto)]
        # PoseScript-H: exactly the split's poses with a human text, human texts only
        assert [p.pose_id for p in split.human] == [i for i in release.splits[name] if i in release.human]
        assert all(set(p.texts.kinds) == {"human"} for p in split.human)
        assert [p.pose_id for p in split.automatic] == [i for i in release.splits[name] if i in release.auto]


def test_named_automatic_versions(release):
    splits = read_posescript(release.root, automatic_versions=("N2", "N6", "N7"))
    pose = next(p for p in splits["train"].poses if p.pose_id in release.auto)
    assert pose.texts.versions[-3:] == ("N2", "N6", "N7")
    with pytest.raises(InputError, match="3 captions, but 2 versions") as err:
        read_posescript(release.root, automatic_versions=("N2", "N6"))
    assert err.value.file.endswith("posescript_auto_100k.json")


def test_poses_from_amass(release):
    info = read_pose_info(release.root / "ids_2_dataset_sequence_and_frame_index_100k.json")
    poses = load_poses(info, release.amass_root, ids=[3, 10], n_joints=22, progress=False)
    raw = load_poses(info, release.amass_root, ids=[3, 10], normalize=False, progress=False)
    for i in (3, 10):
        np.testing.assert_allclose(raw[i], release.raw_poses[i].astype(np.float32), atol=1e-6)
        np.testing.assert_allclose(poses[i][1:], release.raw_poses[i][1:22], atol=1e-6)


def test_a_caption_of_a_pose_in_no_split_is_skipped_and_counted_as_upstream_does(release):
    """PoseScript reads captions by the split files' ids, so a caption of another pose is never used (the reader
    used to refuse the whole release)."""
    before = read_posescript(release.root)
    path = release.root / "posescript_human_6293.json"
    data = json.loads(path.read_text())
    data["99999"] = "a pose nobody has"
    write_json(path, data)
    skipped = {}
    after = read_posescript(release.root, skipped=skipped)
    assert skipped == {"posescript_human_6293.json": [99999]}
    assert after == before


@pytest.mark.parametrize("content,match", [
    ('{"0": 5}', "expected a caption or a list of captions"),
    ('{"zero": "x"}', "is not an integer"),
    ('["a list"]', "expected a JSON object"),
    ('{"0": "x"', "malformed JSON"),
])
def test_malformed_caption_files(release, content, match):
    path = release.root / "posescript_human_6293.json"
    path.write_text(content)
    with pytest.raises(InputError, match=match) as err:
        read_posescript(release.root)
    assert err.value.file == str(path)


def test_split_problems(release):
    val = release.root / "val_ids_100k.json"
    write_json(val, release.splits["val"] + [release.splits["train"][0]])
    with pytest.raises(InputError, match="in both the train and the val split"):
        read_posescript(release.root)
    write_json(val, release.splits["val"] + [12345])
    with pytest.raises(InputError, match="not in the pose-info file") as err:
        read_posescript(release.root)
    assert err.value.row == 12345
    write_json(val, release.splits["val"][:1] * 2)
    with pytest.raises(InputError, match="listed twice"):
        read_posescript(release.root)
    val.unlink()
    with pytest.raises(InputError, match="split file not found") as err:
        read_posescript(release.root)
    assert err.value.file == str(val)


def test_empty_texts_are_dropped_with_a_warning(release):
    path = release.root / "posescript_human_6293.json"
    data = json.loads(path.read_text())
    pose_id = next(iter(data))
    data[pose_id] = ["  "]
    write_json(path, data)
    with pytest.warns(UserWarning, match="dropped empty captions"):
        splits = read_posescript(release.root)
    assert all(int(pose_id) != p.pose_id for s in splits.values() for p in s.human)
