"""ImageScript / ImageDiff builders: farthest-point selection, pose-A mining constraints, texts, -R variants."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from benchmark.body.skeleton import SkeletonBody
from benchmark.errors import InputError
from benchmark.tasks.schema import features
from datasets_build.pair_mining import choose_pose_a, top_similar
from datasets_build.real.crops import CropOptions
from datasets_build.real.image_poses import camera_poses_to_amass
from datasets_build.real.image_rows import ImageSet
from datasets_build.real.imagediff import build_imagediff
from datasets_build.real.imagescript import build_imagescript
from datasets_build.sources.coco import read_coco
from datasets_build.sources.mpii import read_mpii
from datasets_build.sources.threedpw import read_3dpw
from datasets_build.sources.unipose_npz import read_unipose_npz
from tests.real.helpers import JointFeatureEvaluator, ToyRefiner

SIZES = {"h36m": 5, "mpi-inf-3dhp": 4, "coco": 10, "mpii": 3}
CROP = CropOptions(size=48)


@pytest.fixture(scope="module")
def image_sets(sources):
    train = {
        "h36m": ImageSet(read_unipose_npz(sources.unipose / "h36m.npz"), sources.unipose_images, box="full",
                         name="h36m"),
        "mpi-inf-3dhp": ImageSet(read_unipose_npz(sources.unipose / "mpi-inf.npz"), sources.unipose_images,
                                 box="full", name="mpi-inf-3dhp"),
        "coco": ImageSet(read_coco(sources.coco / "annotations" / "person_keypoints_train2014.json",
                                   eft_file=sources.eft / "COCO2014-All-ver01.json"), sources.coco),
        "mpii": ImageSet(read_mpii(sources.mpii / "mpii_human_pose_v1_u12_1.mat",
                                   eft_file=sources.eft / "MPII_ver01.json", progress=False), sources.mpii),
    }
    test = ImageSet(read_3dpw(sources.threedpw, "test", progress=False), sources.threedpw, name="3dpw")
    return train, test


class RecordingDescribe:
    """The suite's captioner, recording the joints it was given."""

    def __init__(self):
        from datasets_build.captioning import describe_poses

        self.describe_poses = describe_poses
        self.calls = []

    def __call__(self, joints, version, seed):
        self.calls.append((np.array(joints), version, seed))
        return self.describe_poses(joints, version, seed)


@pytest.fixture(scope="module")
def imagescript(image_sets, tmp_path_factory):
    train, test = image_sets
    describe = RecordingDescribe()
    result = build_imagescript(train, test, sizes=SIZES, test_size=6, refined_train_size=7, crop=CROP,
                               describe=describe, work_dir=tmp_path_factory.mktemp("is"), progress=False)
    return result, describe


@pytest.fixture(scope="module")
def imagediff(image_sets, tmp_path_factory):
    train, test = image_sets
    return build_imagediff(train, test, evaluator=JointFeatureEvaluator(), sizes=SIZES, test_size=6, top_k=5,
                           refined_train_size=4, refiner=ToyRefiner(), crop=CROP,
                           work_dir=tmp_path_factory.mktemp("id"), progress=False)


def zero_heading(rotvec):
    angles = Rotation.from_rotvec(rotvec).as_euler("xyz")
    angles[..., 2] = 0.0
    return Rotation.from_euler("xyz", angles).as_rotvec()


def normalised_amass(poses_camera):
    """Independent path: root R -> Rx(-90 deg) R, then zero the heading (scipy)."""
    out = np.array(poses_camera, dtype=np.float64)
    root = Rotation.from_euler("x", -90, degrees=True) * Rotation.from_rotvec(out[:, 0])
    out[:, 0] = zero_heading(root.as_rotvec())
    return out


def pool_rows(image_set):
    return np.flatnonzero(image_set.samples.has_pose)


def brute_force_fps(joints, start, k):
    chosen = [start]
    dist = np.linalg.norm(joints[:, None] - joints[None], axis=-1).mean(-1)
    while len(chosen) < k:
        nearest = dist[:, chosen].min(axis=1)
        nearest[chosen] = -1
        chosen.append(int(np.argmax(nearest)))
    return chosen


def test_camera_frame_upright_maps_to_amass_upright():
    pose = np.zeros((1, 22, 3))
    pose[0, 0] = [np.pi, 0, 0]                        # upright, facing a level camera (y down)
    got = Rotation.from_rotvec(camera_poses_to_amass(pose)[0, 0]).as_matrix()
    np.testing.assert_allclose(got, Rotation.from_euler("x", 90, degrees=True).as_matrix(), atol=1e-12)
    joints = SkeletonBody().joints(camera_poses_to_amass(pose).astype(np.float32))[0]
    assert joints[15, 2] > joints[0, 2] + 0.3           # the head is above the pelvis in the z-up frame


def test_imagescript_configs_counts_and_farthest_point_selection(imagescript, image_sets):
    result, _ = imagescript
    train, test = image_sets
    assert set(result.datasets) == {"image_to_text-A"}
    assert any(what == "image_to_text-R" and "refiner" in reason for what, reason in result.info.not_built)
    dsd = result.datasets["image_to_text-A"]
    assert set(dsd) == {"train", "test"}
    for ds in dsd.values():
        assert ds.features == features("image_to_text")
    ds = dsd["train"]
    body = SkeletonBody()
    for name, image_set in train.items():
        rows = pool_rows(image_set)
        got = [sid for sid, src in zip(ds["source_id"], ds["source_dataset"]) if src == name]
        assert len(got) == min(SIZES[name], len(rows))            # FPS picks the expected count
        poses = image_set.samples.poses[rows].copy()
        poses[:, 0] = 0.0                                         # global orientation 0
        joints = body.joints(poses.astype(np.float32))
        ids = [image_set.samples.source_ids[r] for r in rows]
        start = ids.index(got[0])
        assert got == [ids[i] for i in brute_force_fps(joints, start, len(got))]
    assert len(dsd["test"]) == 6 and set(dsd["test"]["source_dataset"]) == {"3dpw"}


def test_imagescript_texts_come_from_the_normalised_pose(imagescript, image_sets):
    result, describe = imagescript
    ds = result.datasets["image_to_text-A"]["train"]
    assert all(k == ["automatic"] * 3 for k in ds["text_kinds"])
    assert all(v == ["N2", "N6", "N7"] for v in ds["text_versions"])
    assert all(len(set(t)) >= 2 for t in ds["texts"])
    # the joints given to the captioner: skeleton joints of the heading-normalised AMASS-frame pose, y-up
    train, _ = image_sets
    from benchmark.body.frames import amass_to_captioning

    mpii = train["mpii"].samples
    joints, version, _ = next(c for c in describe.calls if len(c[0]) == min(SIZES["mpii"], len(pool_rows(
        train["mpii"]))) and c[1] == "N2")
    picked = [mpii.source_ids.index(s) for s, src in zip(ds["source_id"], ds["source_dataset"]) if src == "mpii"]
    want = amass_to_captioning(SkeletonBody().joints(normalised_amass(mpii.poses[picked]).astype(np.float32)))
    np.testing.assert_allclose(joints, want, atol=1e-4)
    # the row keeps the camera-frame pose
    rows = [i for i, src in enumerate(ds["source_dataset"]) if src == "mpii"]
    np.testing.assert_allclose(np.asarray(ds.with_format("numpy")["pose"])[rows], mpii.poses[picked], atol=1e-6)


def test_imagescript_refined_variant_and_determinism(image_sets, imagescript, tmp_path):
    train, test = image_sets
    refiner = ToyRefiner()
    result = build_imagescript(train, test, sizes=SIZES, test_size=6, refined_train_size=7, crop=CROP,
                               refiner=refiner, work_dir=tmp_path, progress=False)
    a, r = result.datasets["image_to_text-A"], result.datasets["image_to_text-R"]
    same_seed, _ = imagescript
    assert a["train"]["id"] == same_seed.datasets["image_to_text-A"]["train"]["id"]
    assert a["train"]["texts"] == same_seed.datasets["image_to_text-A"]["train"]["texts"]
    assert len(r["train"]) == 7 and len(r["test"]) == len(a["test"])
    by_id = dict(zip(a["train"]["id"], a["train"]["texts"]))
    for row in r["train"]:
        assert row["text_kinds"] == ["refined", "automatic", "automatic", "automatic"]
        assert row["text_versions"][0] == "toy-refiner@1"
        assert row["texts"][1:] == by_id[row["id"]]
        assert row["texts"][0] == "[description] " + min(by_id[row["id"]], key=len)
    assert r["train"].features == features("image_to_text")
    assert refiner.seen == [("description", 7), ("description", 6)]
    other = build_imagescript(train, test, sizes=SIZES, test_size=6, crop=CROP, seed=1, work_dir=tmp_path,
                              progress=False)
    assert other.datasets["image_to_text-A"]["train"]["id"] != a["train"]["id"]


def test_imagediff_pairs_satisfy_the_mining_constraints(imagediff, imagescript, image_sets):
    from benchmark.posecodes.extract import count_differing_posecodes, posecode_arrays
    from benchmark.posecodes.inputs import joints_from_poses

    dsd = imagediff.datasets["image_diff-A"]
    for ds in dsd.values():
        assert ds.features == features("image_diff")
    train, test = image_sets
    evaluator = JointFeatureEvaluator()
    checked = 0
    for split, sets in (("train", train), ("test", {"3dpw": test})):
        ds = dsd[split]
        # poses B are ImageScript's poses
        script = imagescript[0].datasets["image_to_text-A"][split]
        assert set(zip(ds["source_dataset"], ds["source_id_b"])) <= set(zip(script["source_dataset"],
                                                                             script["source_id"]))
        for name, image_set in sets.items():
            s = image_set.samples
            rows = pool_rows(image_set)
            ids = [s.source_ids[r] for r in rows]
            feats = evaluator.encode_poses(normalised_amass(s.poses[rows]).astype(np.float32))
            sims = feats @ feats.T
            pairs = [(ids.index(a), ids.index(b)) for a, b, src in zip(ds["source_id_a"], ds["source_id_b"],
                                                                        ds["source_dataset"]) if src == name]
            assert pairs
            for a, b in pairs:
                assert a != b
                order = [j for j in np.argsort(-sims[b], kind="stable") if j != b]
                assert order.index(a) < 5                           # among B's top-5 by the evaluator
            a_idx, b_idx = map(list, zip(*pairs))
            ja, _ = joints_from_poses(normalised_amass(s.poses[rows[a_idx]]).astype(np.float32))
            jb, _ = joints_from_poses(normalised_amass(s.poses[rows[b_idx]]).astype(np.float32))
            diff = count_differing_posecodes(posecode_arrays(ja), posecode_arrays(jb))
            assert (diff >= 10).all()
            checked += len(pairs)
        assert all(k == ["automatic"] * 3 for k in ds["text_kinds"])
        assert all(v == ["pfA", "pfB", "pfC"] for v in ds["text_versions"])
        assert not any(ds["in_sequence"])
        poses_b = np.asarray(ds.with_format("numpy")["pose_b"])
        src_b = [sets[n].samples.poses[sets[n].samples.source_ids.index(i)]
                 for n, i in zip(ds["source_dataset"], ds["source_id_b"])]
        np.testing.assert_allclose(poses_b, np.stack(src_b), atol=1e-6)
    assert checked > 10
    r = imagediff.datasets["image_diff-R"]
    assert len(r["train"]) == 4 and r["train"][0]["text_kinds"][0] == "refined"
    assert r["train"][0]["texts"][0].startswith("[instruction] ")


def test_imagediff_drops_poses_without_a_candidate(image_sets, tmp_path):
    train, test = image_sets
    result = build_imagediff({"mpii": train["mpii"]}, None, evaluator=JointFeatureEvaluator(), sizes={"mpii": 3},
                             min_differing_posecodes=10_000, crop=CROP, work_dir=tmp_path, progress=False)
    assert "image_diff-A" not in result.datasets
    assert list(result.info.counts.values()) == [3]
    with pytest.raises(InputError, match="evaluator"):
        build_imagediff({"mpii": train["mpii"]}, None, evaluator=None, sizes={"mpii": 3})
    with pytest.raises(InputError, match="sample size"):
        build_imagediff({"mpii": train["mpii"]}, None, evaluator=JointFeatureEvaluator(), sizes={})


def test_top_similar_and_choose_pose_a_by_hand():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(30, 4)).astype(np.float32)
    idx, sims = top_similar(f, np.array([3, 7]), 5, max_chunk_values=40)   # one query per chunk
    for q, row in zip((3, 7), idx):
        full = f @ f[q]
        full[q] = -np.inf
        assert list(row) == list(np.argsort(-full)[:5])
    candidates = np.array([[10, 11, 12, 13, 14], [20, 21, 22, 23, 24], [30, 31, 32, 33, 34]])
    differing = np.array([[3, 12, 15, 2, 30], [1, 2, 3, 4, 5], [50, 50, 50, 50, 50]])
    picks = [choose_pose_a(candidates, differing, 10, 2, np.random.default_rng(s)) for s in range(40)]
    assert {p[0] for p in picks} == {11, 12}        # the 2 most similar with >= 10 differing posecodes
    assert {p[1] for p in picks} == {-1}
    assert {p[2] for p in picks} == {30, 31}
