"""The embedded world build: every task, the schema, splits without leaks, determinism, and the Hub export."""

import json
from pathlib import Path

import numpy as np
import pytest

from benchmark.columns import fixed_shape_array
from benchmark.tasks.schema import TASKS, features
from datasets_build.world.build import WorldConfig, build_world

TINY = WorldConfig(n_candidates=600, n_poses=200, n_sequences=60, n_in_sequence_pairs=80, n_out_sequence_pairs=80,
                   n_image_candidates=200, n_images=80, image_size=48, n_image_pairs=40)
STATS_DIR = Path(__file__).resolve().parents[2] / "datasets_build" / "world" / "stats"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_world(TINY, progress=False, log=lambda *_: None)


def test_all_seven_tasks_with_their_schema(tiny):
    assert set(tiny.datasets) == set(TASKS)
    for task, dd in tiny.datasets.items():
        assert set(dd) == {"train", "val", "test"}, task
        for ds in dd.values():
            assert ds.features == features(task)
            assert len(set(ds["id"])) == len(ds)
            if "texts" in ds.column_names:
                assert all(len(t) == 3 and all(x.strip() for x in t) for t in ds["texts"])


def test_pairs_never_cross_splits_and_poses_are_valid(tiny):
    from datasets_build.world.limits import check_limits

    split_of_pose = {row_id: split for split, ds in tiny.datasets["pose_to_text"].items() for row_id in ds["id"]}
    for split, ds in tiny.datasets["pose_diff"].items():
        for a, b, in_seq in zip(ds["source_id_a"], ds["source_id_b"], ds["in_sequence"]):
            if not in_seq:
                assert split_of_pose[a] == split_of_pose[b] == split
    for split, ds in tiny.datasets["pose_to_text"].items():
        poses = fixed_shape_array(ds, "pose")
        assert np.isfinite(poses).all() and check_limits(poses).all_within


def test_image_rows_agree_with_their_camera(tiny):
    from benchmark.body.skeleton import SkeletonBody

    ds = tiny.datasets["pose_estimation"]["test"]
    joints = fixed_shape_array(ds, "joints_3d")
    np.testing.assert_allclose(SkeletonBody().joints(fixed_shape_array(ds, "pose")), joints, atol=1e-5)
    K = np.stack([np.asarray(c["K"]) for c in ds["camera"]])
    t = np.stack([np.asarray(c["t"]) for c in ds["camera"]])
    # camera-frame joints (pelvis at the origin) + t, projected with K, are the stored 2D keypoints
    cam = joints + t[:, None]
    uv = np.einsum("nij,nkj->nki", K, cam)
    np.testing.assert_allclose(uv[..., :2] / uv[..., 2:], fixed_shape_array(ds, "keypoints_2d"), atol=0.05)


def test_same_seed_same_data(tiny):
    from benchmark.fingerprint import dataset_fingerprint

    again = build_world(TINY, progress=False, log=lambda *_: None)
    assert again.info["fingerprints"] == tiny.info["fingerprints"]
    assert tiny.info["fingerprints"]["pose_diff"]["test"] == dataset_fingerprint(tiny.datasets["pose_diff"]["test"])
    other = TINY.model_copy(update={"seed": 1})
    different = build_world(other, progress=False, log=lambda *_: None)
    assert fixed_shape_array(different.datasets["pose_to_text"]["train"], "pose").tobytes() != \
        fixed_shape_array(tiny.datasets["pose_to_text"]["train"], "pose").tobytes()


def test_stored_numbers_are_snapped_to_their_grids(tiny):
    """Every stored pose is a multiple of 2^-16 rad and every derived coordinate of 2^-20: the snapping that makes
    the bytes the same on every CPU (datasets_build/world/canonical.py)."""
    # (keypoints and camera intrinsics are left out: in the hundreds of pixels, float32 is coarser than the grid)
    for task, column, bits in (("pose_to_text", "pose", 16), ("pose_diff", "pose_a", 16), ("pose_diff", "pose_b", 16),
                               ("pose_estimation", "pose", 16), ("pose_estimation", "joints_3d", 20)):
        values = fixed_shape_array(tiny.datasets[task]["train"], column).astype(np.float64) * 2.0 ** bits
        assert np.array_equal(values, np.rint(values)), (task, column)
    camera = tiny.datasets["pose_estimation"]["train"][0]["camera"]
    assert all(float(v) * 2 ** 20 == round(float(v) * 2 ** 20) for v in np.ravel(camera["R"]))


def test_exported_layout_loads_back_equal(tiny, tmp_path):
    import datasets

    from datasets_build.hub.export import export_to_dir, split_fingerprints
    from datasets_build.world.ensure import _card_metadata

    export_to_dir(tiny.datasets, tmp_path / "hub", _card_metadata(TINY, tiny.info, "test"))
    for task in TASKS:
        loaded = datasets.load_dataset(str(tmp_path / "hub"), task)
        for split, ds in tiny.datasets[task].items():
            assert loaded[split]["id"] == ds["id"]
            column = "pose_a" if "pose_a" in ds.column_names else "pose"
            np.testing.assert_array_equal(fixed_shape_array(loaded[split], column), fixed_shape_array(ds, column))
            if "texts" in ds.column_names:
                assert loaded[split]["texts"] == ds["texts"]
    # the fingerprints the build reports are those of the exported shards, which results record
    assert split_fingerprints(tmp_path / "hub", TASKS) == tiny.info["fingerprints"]
    card = (tmp_path / "hub" / "README.md").read_text()
    assert "-H and -R variants" in card and "CC0" in card


def test_the_default_world_is_the_committed_one(default_world):
    """The default world rebuilt here has the committed content fingerprints, split by split, and the committed
    statistics: the world is the same bytes on every machine (and a change of its code shows up here)."""
    from datasets_build.hub.stats import compare_stats, describe, load_stats
    from datasets_build.world.ensure import committed_fingerprints, fingerprint_differences

    assert committed_fingerprints(WorldConfig()) is not None
    differences = fingerprint_differences(WorldConfig(), default_world.info["fingerprints"])
    assert not differences, "\n".join(differences)
    problems = compare_stats(load_stats(STATS_DIR), describe(default_world.datasets, seed=0), rel_tol=0.02)
    assert not problems, "\n".join(problems)


def test_the_small_world_is_the_same_on_another_cpu():
    """The small preset built with the numeric kernels of another CPU (tests/world/conftest.py) has the committed
    fingerprints."""
    from datasets_build.world.build import SMALL
    from datasets_build.world.ensure import committed_fingerprints
    from tests.world.conftest import run_as_other_cpu

    committed = committed_fingerprints(SMALL)
    assert committed is not None, "no committed fingerprints for the small preset"
    script = ("import json; from datasets_build.world.build import SMALL, build_world; "
              "print(json.dumps(build_world(SMALL, progress=False, log=lambda *_: None).info['fingerprints']))")
    done = run_as_other_cpu(script)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == committed["splits"]


def test_committed_statistics_describe_all_tasks():
    names = {json.loads(p.read_text())["config"] for p in STATS_DIR.glob("*.json")}
    assert names == set(TASKS)
