"""The posecode arrays of a batch, the pair-mining count, the random skip, and the CLI."""

import json

import numpy as np
import pytest

from benchmark.cli.main import main
from benchmark.errors import InputError
from benchmark.posecodes import operators as ops
from benchmark.posecodes.extract import count_differing_posecodes, posecode_arrays
from benchmark.posecodes.inputs import prepare_joints
from benchmark.posecodes.table import OPERATORS, posecode_table
from datasets_build.captioning.selection import select
from tests.captioning.helpers import joints, upright


def random_poses(n, seed, scale=0.4):
    rng = np.random.default_rng(seed)
    poses = upright(n)
    poses[:, 1:] = rng.normal(0, scale, (n, 21, 3))
    return poses


def test_arrays_are_the_binned_operator_values():
    j = joints(random_poses(12, 0))
    a = posecode_arrays(j)
    table = posecode_table()
    j35 = prepare_joints(j)
    assert set(a.categories) == set(OPERATORS) - {"relativeRotX", "relativeRotY", "relativeRotZ"}
    dist = ops.distance(j35, table.joint_ids["distance"])
    np.testing.assert_array_equal(a.categories["distance"], ops.bin_values(dist, (0.2, 0.4, 0.8)))
    for kind, cats in a.categories.items():
        assert cats.shape == (12, table.kind_slices[kind].stop - table.kind_slices[kind].start)
        assert cats.dtype == np.int8
    assert a.super_posecodes.shape == (12, 150)
    # the per-pose view lists every elementary code with its interpretation
    rows = a.interpretations(3)
    assert len(rows) == sum(c.shape[1] for c in a.categories.values())
    assert ("angle", ("left_hip", "left_knee", "left_ankle"),
            OPERATORS["angle"].categories[a.categories["angle"][3, 0]]) == rows[0]


def test_count_differing_posecodes_matches_a_brute_force_count():
    a = posecode_arrays(joints(random_poses(10, 1)))
    b = posecode_arrays(joints(random_poses(10, 2)))
    got = count_differing_posecodes(a, b)
    for i in range(10):
        ia, ib = a.interpretations(i), b.interpretations(i)
        want = sum(x != y for x, y in zip(ia, ib)) + int((a.super_posecodes[i] != b.super_posecodes[i]).sum())
        assert got[i] == want
    np.testing.assert_array_equal(count_differing_posecodes(a, a), 0)
    np.testing.assert_array_equal(got, count_differing_posecodes(b, a))
    with pytest.raises(InputError):
        count_differing_posecodes(a, posecode_arrays(joints(random_poses(3, 1))))


def test_noisy_arrays_are_seeded():
    j = joints(random_poses(20, 3))
    x, y = posecode_arrays(j, noise=True, seed=5), posecode_arrays(j, noise=True, seed=5)
    assert all(np.array_equal(x.categories[k], y.categories[k]) for k in x.categories)
    z = posecode_arrays(j, noise=True, seed=6)
    assert count_differing_posecodes(x, z).sum() > 0


def test_random_skip_keeps_rare_codes_and_restores_empty_rows():
    elig = np.array([[2, 1, 1, 0], [1, 1, 0, 0], [0, 0, 0, 0]] * 400, np.int8)
    keep = select(elig, np.random.default_rng(0), True, 0.15)
    assert keep[elig == 2].all() and not keep[elig == 0].any()
    rate = 1 - keep[elig == 1].mean()
    assert 0.10 < rate < 0.17  # 0.15 minus the restored rows
    assert keep[1::3].any(axis=1).all()  # a row left empty gets its skipped codes back
    np.testing.assert_array_equal(select(elig, None, False, 0.15), elig > 0)


def test_cli_describes_poses_and_pairs(tmp_path, capsys):
    poses = random_poses(3, 4)
    np.save(tmp_path / "p.npy", poses)
    assert main(["caption", str(tmp_path / "p.npy"), "--version", "N2", "--seed", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["version"] == "N2" and len(out["texts"]) == 3 and all(out["texts"])
    from datasets_build.captioning import describe_poses_from_axis_angle
    assert out["texts"] == describe_poses_from_axis_angle(poses, version="N2", seed=1)
    np.savez(tmp_path / "pairs.npz", poses_a=poses, poses_b=poses[::-1], in_sequence=np.array([True, False, True]))
    target = tmp_path / "out" / "instr.json"
    assert main(["caption", str(tmp_path / "pairs.npz"), "--pairs", "--version", "pfB", "-o", str(target)]) == 0
    saved = json.loads(target.read_text())
    assert saved["version"] == "pfB" and len(saved["texts"]) == 3
    assert not list(target.parent.glob("*.partial"))


def test_cli_bad_inputs_name_the_file(tmp_path, capsys):
    bad = random_poses(3, 4)
    bad[2, 5, 1] = np.nan
    np.save(tmp_path / "bad.npy", bad)
    assert main(["caption", str(tmp_path / "bad.npy")]) == 2
    err = capsys.readouterr().err
    assert "bad.npy" in err and "row 2" in err
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object))
    assert main(["caption", str(tmp_path / "obj.npy")]) == 2
    assert "obj.npy" in capsys.readouterr().err
    np.save(tmp_path / "flat.npy", random_poses(2, 0))
    assert main(["caption", str(tmp_path / "flat.npy"), "--pairs"]) == 2
    assert "[N, 2, 22|52, 3]" in capsys.readouterr().err
    assert not (tmp_path / "never.json").exists()
