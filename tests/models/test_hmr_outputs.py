"""HMR2.0 / TokenHMR outputs (numpy dumps of `pred_smpl_params`) -> a predictions file scored by `predictions_file`."""

import json

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from benchmark.errors import InputError
from models.hmr_outputs import convert, read_hmr_outputs
from models.predictions_file import read_predictions

TASK = "pose_estimation/embedded"


def smpl_params(aa: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """HMR2's `pred_smpl_params` layout for poses aa [N, 22, 3]: the 22 joints given, the two hand joints random."""
    rng = np.random.default_rng(seed)
    n = len(aa)
    hands = Rotation.random(n * 2, random_state=seed).as_matrix().reshape(n, 2, 3, 3)
    mats = Rotation.from_rotvec(aa.reshape(-1, 3)).as_matrix().reshape(n, 22, 3, 3)
    return {"global_orient": mats[:, :1].astype(np.float32),
            "body_pose": np.concatenate([mats[:, 1:], hands], axis=1).astype(np.float32),
            "betas": rng.normal(size=(n, 10)).astype(np.float32)}


def known_poses(n: int, seed: int = 0) -> np.ndarray:
    """Axis-angle poses with angles below pi, so the axis-angle of their matrices is the same vector."""
    rng = np.random.default_rng(seed)
    axis = rng.normal(size=(n, 22, 3))
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    return axis * rng.uniform(0.05, 3.0, size=(n, 22, 1))


def save_stacked(path, params, ids, id_key="ids"):
    np.savez(path, **params, **{id_key: np.asarray(ids)})
    return path


def test_a_stacked_npz_round_trips_the_pose_it_came_from(tmp_path):
    aa = known_poses(4)
    src = save_stacked(tmp_path / "hmr2.npz", smpl_params(aa), ["a", "b", "c", "d"], id_key="imgname")
    out = convert(src, TASK, tmp_path / "preds.jsonl", known_ids={"a", "b", "c", "d", "e"})
    preds = read_predictions(out)
    assert sorted(preds) == [(TASK, i) for i in "abcd"]
    for i, row in enumerate("abcd"):
        np.testing.assert_allclose(preds[(TASK, row)].poses[0], aa[i], atol=1e-5)
    assert not list(tmp_path.glob("*.tmp"))


def test_a_folder_of_per_image_files_with_prefixed_keys_and_a_batch_axis(tmp_path):
    aa = known_poses(3, seed=1)
    params = smpl_params(aa, seed=1)
    folder = tmp_path / "outputs"
    folder.mkdir()
    for i, row in enumerate(["img-2", "img-0", "img-1"]):
        np.savez(folder / f"{row}.npz", **{f"pred_smpl_params/{k}": v[i:i + 1] for k, v in params.items()})
    ids, poses = read_hmr_outputs(folder)
    assert ids == ["img-0", "img-1", "img-2"] and poses.shape == (3, 22, 3) and poses.dtype == np.float32
    np.testing.assert_allclose(poses, aa[[1, 2, 0]], atol=1e-5)


def _broken(params, case):
    p = {k: v.copy() for k, v in params.items()}
    if case == "missing":
        del p["body_pose"]
    elif case == "shape":
        p["body_pose"] = p["body_pose"][:, :21]
    elif case == "nan":
        p["global_orient"][1, 0, 0, 0] = np.nan
    elif case == "scaled":
        p["body_pose"][2, 5] *= 1.1
    elif case == "reflection":
        p["body_pose"][1, 3] = -p["body_pose"][1, 3]
    elif case == "betas":
        p["betas"] = p["betas"][:, :6]
    return p


@pytest.mark.parametrize("case, row, field, words", [
    ("missing", None, "body_pose", "missing"),
    ("shape", None, "body_pose", "has shape [3, 21, 3, 3], expected [3, 23, 3, 3]"),
    ("nan", "1 (id b)", "global_orient", "NaN"),
    ("scaled", "2 (id c)", "body_pose", "joint 5 is not a rotation matrix"),
    ("reflection", "1 (id b)", "body_pose", "det = -1.0000"),
    ("betas", None, "betas", "expected [3, 10]"),
])
def test_malformed_stacked_files_name_the_file_row_and_field(tmp_path, case, row, field, words):
    src = save_stacked(tmp_path / "bad.npz", _broken(smpl_params(known_poses(3)), case), ["a", "b", "c"])
    out = tmp_path / "preds.jsonl"
    with pytest.raises(InputError) as err:
        convert(src, TASK, out)
    assert (err.value.file, err.value.row, err.value.field) == (str(src), row, field)
    assert words in str(err.value) and not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_ids_are_required_unique_and_known(tmp_path):
    params = smpl_params(known_poses(2))
    src = tmp_path / "no_ids.npz"
    np.savez(src, **params)
    with pytest.raises(InputError, match="no row ids") as err:
        convert(src, TASK, tmp_path / "p.jsonl")
    assert err.value.field == "ids"
    src = save_stacked(tmp_path / "dup.npz", params, ["a", "a"])
    with pytest.raises(InputError, match="duplicate row id 'a'") as err:
        convert(src, TASK, tmp_path / "p.jsonl")
    assert err.value.row == 1
    src = save_stacked(tmp_path / "ok.npz", params, ["a", "zz"])
    with pytest.raises(InputError, match="unknown id 'zz'") as err:
        convert(src, TASK, tmp_path / "p.jsonl", known_ids={"a", "b"})
    assert (err.value.file, err.value.row, err.value.field) == (str(src), 1, "ids")
    assert not (tmp_path / "p.jsonl").exists()


def test_a_bad_per_image_file_is_named_and_nothing_is_written(tmp_path):
    params = smpl_params(known_poses(2))
    folder = tmp_path / "outs"
    folder.mkdir()
    np.savez(folder / "good.npz", **{k: v[0] for k, v in params.items()})
    np.savez(folder / "img-9.npz", global_orient=params["global_orient"][1], body_pose=np.eye(3)[None].repeat(22, 0))
    with pytest.raises(InputError) as err:
        convert(folder, TASK, tmp_path / "p.jsonl")
    assert (err.value.file, err.value.row, err.value.field) == (str(folder / "img-9.npz"), "img-9", "body_pose")
    assert not (tmp_path / "p.jsonl").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no .npz files"):
        convert(tmp_path / "empty", TASK, tmp_path / "p.jsonl")


def test_converted_ground_truth_scores_zero_through_predictions_file(context, tmp_path, capsys):
    """The embedded pose_estimation split's poses, dumped as HMR2 would, converted by the command, then scored."""
    from benchmark.cli.main import main
    from benchmark.columns import pose_column
    from benchmark.tasks.catalog import get_task
    from models.predictions_file import PredictionsFileAdapter

    task = get_task(TASK, context)
    ds, _, _ = task.load()
    ids, truth = list(ds["id"]), pose_column(ds, "pose").astype(np.float64)
    src = save_stacked(tmp_path / "hmr2_out.npz", smpl_params(truth), ids)
    out = tmp_path / "hmr2.jsonl"
    assert main(["convert-hmr", str(src), "--task", TASK, "--output", str(out)]) == 0
    assert f"wrote {len(ids)} predictions" in capsys.readouterr().out
    assert json.loads(out.read_text().splitlines()[0]).keys() == {"task", "id", "pose"}
    adapter = PredictionsFileAdapter(str(out), name="hmr2")
    scores = task.score(ds, adapter.generate_pose(task.requests(ds))).scores
    assert scores["mpjpe"].value < 0.01 and scores["pa_mpjpe"].value < 0.01  # mm
    bad = save_stacked(tmp_path / "bad_ids.npz", smpl_params(truth[:1]), ["not-a-row"])
    assert main(["convert-hmr", str(bad), "--task", TASK, "--output", str(tmp_path / "x.jsonl")]) == 2
    assert "unknown id 'not-a-row'" in capsys.readouterr().err and not (tmp_path / "x.jsonl").exists()
