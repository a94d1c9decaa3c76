"""PoseScript and PoseFix builders on sample releases in the real formats."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from benchmark.errors import InputError
from benchmark.tasks.schema import features
from datasets_build.real.posefix import build_posefix, build_posefix_from_files
from datasets_build.real.posescript import build_posescript, build_posescript_from_files
from datasets_build.sources.posescript import read_posescript


def zero_heading(root_rotvec: np.ndarray) -> np.ndarray:
    """Independent heading normalisation: intrinsic-free scipy Euler 'xyz' (R = Rz Ry Rx), z angle set to 0."""
    angles = Rotation.from_rotvec(root_rotvec).as_euler("xyz")
    angles[..., 2] = 0.0
    return Rotation.from_euler("xyz", angles).as_rotvec()


@pytest.fixture(scope="module")
def posescript(sources):
    return build_posescript_from_files(sources.posescript, sources.posescript_amass, progress=False)


@pytest.fixture(scope="module")
def posefix(sources):
    return build_posefix_from_files(sources.posefix, sources.posefix_amass, progress=False)


def test_posescript_configs_and_schema(posescript):
    assert set(posescript.datasets) == {"pose_to_text-A", "pose_to_text-H", "text_to_pose-A", "text_to_pose-H"}
    for name, dsd in posescript.datasets.items():
        task = name.split("-")[0]
        for split, ds in dsd.items():
            assert ds.features == features(task), (name, split)
            assert set(ds["source_dataset"]) == {"posescript"}
    # the two tasks of a variant hold the same rows
    assert posescript.datasets["pose_to_text-H"]["test"]["id"] == posescript.datasets["text_to_pose-H"]["test"]["id"]
    assert posescript.info.built["pose_to_text-A"] == {s: len(d) for s, d in
                                                       posescript.datasets["pose_to_text-A"].items()}
    assert {"posescript", "amass"} <= set(posescript.info.sources)


def test_posescript_split_membership_and_text_order(posescript, sources):
    rel = sources.posescript_release
    for variant, first, second in (("H", rel.human, rel.auto), ("A", rel.auto, rel.human)):
        dsd = posescript.datasets[f"pose_to_text-{variant}"]
        for split, ids in rel.splits.items():
            want = [i for i in ids if i in first]                 # split-file order, rows with the variant's kind
            got = dsd[split]["source_id"] if split in dsd else []
            assert got == [str(i) for i in want], (variant, split)
            for row, pose_id in zip(dsd[split] if split in dsd else [], want):
                assert row["id"] == f"posescript-{pose_id}"
                human, auto = rel.human.get(pose_id, []), rel.auto.get(pose_id, [])
                groups = [(human, "human", ["human"] * len(human)),
                          (auto, "automatic", [f"auto-{k}" for k in range(len(auto))])]
                if variant == "A":
                    groups.reverse()
                assert row["texts"] == first[pose_id] + second.get(pose_id, [])
                assert row["texts"] == [t for texts, _, _ in groups for t in texts]
                assert row["text_kinds"] == [k for texts, kind, _ in groups for k in [kind] * len(texts)]
                assert row["text_versions"] == [v for _, _, versions in groups for v in versions]
    # -H: only rows with a human text, and the human texts come first
    for split, ds in posescript.datasets["pose_to_text-H"].items():
        for kinds in ds["text_kinds"]:
            assert kinds[0] == "human"
            assert kinds == sorted(kinds, key=lambda k: k != "human")


def test_posescript_poses_are_heading_normalised_amass_poses(posescript, sources):
    rel = sources.posescript_release
    ds = posescript.datasets["pose_to_text-A"]["train"].with_format("numpy")
    for pose_id, pose in zip(ds["source_id"], ds["pose"]):
        raw = rel.raw_poses[int(pose_id)]
        np.testing.assert_allclose(pose[1:], raw[1:22], atol=1e-6)
        got, want = Rotation.from_rotvec(pose[0]).as_matrix(), Rotation.from_rotvec(zero_heading(raw[0])).as_matrix()
        np.testing.assert_allclose(got, want, atol=1e-5)
        assert abs(Rotation.from_rotvec(pose[0]).as_euler("xyz")[2]) < 1e-5


def test_posescript_missing_pose_is_an_error(sources):
    splits = read_posescript(sources.posescript)
    with pytest.raises(InputError, match="were not loaded"):
        build_posescript(splits, {})


def test_posefix_configs_split_membership_and_texts(posefix, sources):
    rel = sources.posefix_release
    assert set(posefix.datasets) == {"pose_diff-A", "pose_diff-H", "pose_edit-A", "pose_edit-H"}
    for name, dsd in posefix.datasets.items():
        for ds in dsd.values():
            assert ds.features == features(name.split("-")[0])
    for split in ("train", "val", "test"):
        order = rel.pair_splits[(split, "in")] + rel.pair_splits[(split, "out")]
        h = posefix.datasets["pose_diff-H"][split] if split in posefix.datasets["pose_diff-H"] else None
        want_h = [i for i in order if i in rel.human]
        assert (h["source_id"] if h is not None else []) == [str(i) for i in want_h]
        a = posefix.datasets["pose_edit-A"][split]
        assert a["source_id"] == [str(i) for i in order if i in rel.auto]
        for row in (h or []):
            pair_id = int(row["source_id"])
            paraphrases = rel.paraphrases.get(pair_id, []) if split == "train" else []
            assert row["texts"] == rel.human[pair_id] + paraphrases + rel.auto[pair_id]
            assert row["text_kinds"][0] == "human"
            assert ("paraphrase" in row["text_kinds"]) == bool(paraphrases)
            a_id, b_id = rel.pairs[pair_id]
            assert (row["source_id_a"], row["source_id_b"]) == (str(a_id), str(b_id))
            assert row["in_sequence"] == (pair_id in rel.pair_splits[(split, "in")])
    # the paraphrases of the release are train-only here, and reach the -H train rows
    train_h = posefix.datasets["pose_diff-H"]["train"]
    assert sum(k.count("paraphrase") for k in train_h["text_kinds"]) == sum(
        len(v) for i, v in rel.paraphrases.items() if i in rel.pair_splits[("train", "in")] + rel.pair_splits[
            ("train", "out")])
    for split in ("val", "test"):
        if split in posefix.datasets["pose_diff-H"]:
            assert not any("paraphrase" in k for k in posefix.datasets["pose_diff-H"][split]["text_kinds"])


def test_posefix_in_sequence_pairs_keep_their_relative_rotation(posefix, sources):
    rel = sources.posefix_release
    checked = {True: 0, False: 0}
    for dsd in (posefix.datasets["pose_edit-A"],):
        for ds in dsd.values():
            ds = ds.with_format("numpy")
            for pair_id, a, b, in_seq in zip(ds["source_id"], ds["pose_a"], ds["pose_b"], ds["in_sequence"]):
                raw_a, raw_b = (rel.raw_poses[i] for i in rel.pairs[int(pair_id)])
                ra, rb = Rotation.from_rotvec(a[0]).as_matrix(), Rotation.from_rotvec(b[0]).as_matrix()
                raw_ra, raw_rb = Rotation.from_rotvec(raw_a[0]).as_matrix(), Rotation.from_rotvec(raw_b[0]).as_matrix()
                np.testing.assert_allclose(ra, Rotation.from_rotvec(zero_heading(raw_a[0])).as_matrix(), atol=1e-5)
                if in_seq:   # B turned by A's correction: A's frame sees the same B, R_A^T R_B unchanged
                    np.testing.assert_allclose(ra.T @ rb, raw_ra.T @ raw_rb, atol=1e-5)
                else:        # B normalised on its own
                    np.testing.assert_allclose(rb, Rotation.from_rotvec(zero_heading(raw_b[0])).as_matrix(),
                                               atol=1e-5)
                np.testing.assert_allclose(b[1:], raw_b[1:22], atol=1e-6)
                checked[bool(in_seq)] += 1
    assert checked[True] > 0 and checked[False] > 0
    # the in-sequence B is not simply heading-normalised: its own heading survives relative to A
    ds = posefix.datasets["pose_edit-A"]["train"].with_format("numpy")
    in_seq = np.flatnonzero(ds["in_sequence"])
    headings = [abs(Rotation.from_rotvec(ds["pose_b"][i][0]).as_euler("xyz")[2]) for i in in_seq]
    assert max(headings) > 1e-3


def test_posefix_missing_pair_poses_is_an_error(sources):
    from datasets_build.sources.posefix import read_posefix

    with pytest.raises(InputError, match="were not loaded"):
        build_posefix(read_posefix(sources.posefix), {})


def test_the_build_report_counts_captions_of_poses_in_no_split(sources, tmp_path):
    import json
    import shutil

    release = tmp_path / "release"
    shutil.copytree(sources.posescript, release)
    human = next(release.glob("posescript_human_*.json"))
    data = json.loads(human.read_text())
    human.write_text(json.dumps({**data, "99998": "a pose of no split", "99999": "another"}))
    built = build_posescript_from_files(release, sources.posescript_amass, progress=False)
    key = f"captions skipped in {human.name} (poses in no split file, as upstream skips them)"
    assert built.info.counts[key] == 2 and f"{key}: 2" in built.info.summary()
