import numpy as np
import pytest
import torch

from benchmark.body.skeleton import SkeletonBody
from benchmark.errors import InputError
from datasets_build.world.generator import generate_poses
from datasets_build.world.sampling import farthest_point_sampling, farthest_point_sampling_reference, \
    min_pairwise_mpje, mpje, pairwise_mpje


@pytest.fixture(scope="module")
def joints():
    return SkeletonBody().joints(generate_poses(600, seed=3).poses).astype(np.float64)


def test_mpje_is_the_mean_of_per_joint_distances():
    a = np.zeros((2, 3))
    b = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 1.0]])  # per-joint distances 5 and 1
    assert mpje(a, b) == pytest.approx(3.0)
    assert float(mpje(torch.as_tensor(a), torch.as_tensor(b))) == pytest.approx(3.0)
    x = np.random.default_rng(0).normal(size=(5, 22, 3))
    d = pairwise_mpje(x)
    loops = np.array([[np.mean([np.linalg.norm(x[i, j] - x[k, j]) for j in range(22)]) for k in range(5)]
                      for i in range(5)])
    np.testing.assert_allclose(d, loops, atol=1e-12)


def test_fast_fps_equals_the_brute_force_reference(joints):
    for start in (0, 17):
        fast = farthest_point_sampling(joints, 60, start=start)
        ref = farthest_point_sampling_reference(joints, 60, start=start)
        np.testing.assert_array_equal(fast, ref)
        assert fast[0] == start and len(set(fast.tolist())) == 60
    # chunking and float32 / torch input do not change the picks
    np.testing.assert_array_equal(farthest_point_sampling(joints, 60, start=17, chunk_rows=37), ref)
    np.testing.assert_array_equal(farthest_point_sampling(torch.from_numpy(joints), 60, start=17), ref)
    f32 = farthest_point_sampling(joints.astype(np.float32), 60, start=17)
    assert min_pairwise_mpje(joints, f32) == pytest.approx(min_pairwise_mpje(joints, ref), rel=1e-4)


def test_fps_spreads_the_set_more_than_random_subsets(joints):
    picked = farthest_point_sampling(joints, 50)
    spread = min_pairwise_mpje(joints, picked)
    rng = np.random.default_rng(0)
    random_spreads = [min_pairwise_mpje(joints, rng.choice(len(joints), 50, replace=False)) for _ in range(20)]
    assert spread > max(random_spreads)
    # the greedy criterion: each pick is the farthest pose from those picked before it
    d = pairwise_mpje(joints)
    for i in range(1, 50):
        nearest = d[:, picked[:i]].min(1)
        assert nearest[picked[i]] == pytest.approx(nearest.max())


def test_duplicates_are_never_picked_twice():
    x = np.repeat(np.random.default_rng(1).normal(size=(3, 22, 3)), 4, axis=0)  # 3 distinct poses, 4 copies each
    picked = farthest_point_sampling(x, 6)
    assert len(set(picked.tolist())) == 6
    assert len({tuple(x[i].ravel()) for i in picked[:3]}) == 3  # the 3 distinct poses come first


@pytest.mark.parametrize("k, start, message", [(0, 0, "k must"), (601, 0, "k must"), (5, 600, "start"),
                                               (5, -1, "start")])
def test_bad_arguments(joints, k, start, message):
    with pytest.raises(InputError, match=message):
        farthest_point_sampling(joints, k, start=start)


def test_bad_joints():
    with pytest.raises(InputError, match="shape"):
        farthest_point_sampling(np.zeros((10, 22)), 2)
    bad = np.zeros((10, 22, 3))
    bad[4, 2, 1] = np.nan
    with pytest.raises(InputError, match="row 4"):
        farthest_point_sampling(bad, 2)


def test_run_benchmark_reports_both_timings_side_by_side():
    from datasets_build.world.perf import run_benchmark

    before = torch.get_num_threads()
    out = run_benchmark(n=300, seed=0, fps_n=200, fps_k=20, ref_n=60, ref_k=10, torch_threads=1, verbose=False)
    assert out["same_selection"] and out["all_within_limits"]
    assert out["generate_s"] > 0 and out["fps_s"] > 0 and out["reference_over_fast"] > 0
    assert out["torch_threads"] == 1 and torch.get_num_threads() == before  # restored afterwards
