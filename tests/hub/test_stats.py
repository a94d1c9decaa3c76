"""Descriptive statistics against hand-computed values; compare_stats; the stats files; per variant config."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from benchmark.body.frames import UPRIGHT_ROOT
from benchmark.body.joints import SMPL_BODY_PARENTS
from benchmark.body.skeleton import skeleton_data
from benchmark.errors import InputError
from benchmark.tasks.schema import features
from datasets_build.hub.stats import compare_stats, describe, load_stats, words_per_text, write_stats
from tests.hub.synthetic import tiny_png

ELBOW_L, HIP_L, HIP_R = 18, 1, 2
ROTATIONS = {  # hand-made poses: {joint: axis-angle}
    "rest": {},
    "elbow": {ELBOW_L: [0.0, 0.0, math.pi / 2]},                        # 90 degrees
    "hips": {HIP_L: [math.pi / 3, 0.0, 0.0], HIP_R: [math.pi / 3, 0.0, 0.0]},  # 60 + 60 degrees
}


HEADING_DEG = {"rest": 0.0, "elbow": 90.0, "hips": -150.0}  # global orientation differs and must not count


def pose(name: str) -> np.ndarray:
    p = np.zeros((22, 3), np.float32)
    root = Rotation.from_euler("z", HEADING_DEG[name], degrees=True) * Rotation.from_rotvec(UPRIGHT_ROOT)
    p[0] = root.as_rotvec()
    for j, aa in ROTATIONS[name].items():
        p[j] = aa
    return p


def descendants(j: int) -> list[int]:
    out = []
    for k in range(22):
        a = SMPL_BODY_PARENTS[k]
        while a != -1:
            if a == j:
                out.append(k)
                break
            a = SMPL_BODY_PARENTS[a]
    return out


def joints_by_hand(name: str) -> np.ndarray:
    """Body-frame joints when no rotated joint is an ancestor of another: descendants swing about their joint."""
    rest = np.asarray(skeleton_data()["rest_joints"], np.float64)
    pos = rest - rest[0]
    out = pos.copy()
    for j, aa in ROTATIONS[name].items():
        r = Rotation.from_rotvec(aa).as_matrix()
        for d in descendants(j):
            out[d] = pos[j] + r @ (pos[d] - pos[j])
    return out


def mpje_by_hand(a: str, b: str) -> float:
    ja, jb = joints_by_hand(a), joints_by_hand(b)
    return float(np.mean([np.linalg.norm(ja[k] - jb[k]) for k in range(22)])) * 1000.0


def pairwise_by_hand(names: list[str]) -> float:
    vals = [mpje_by_hand(names[i], names[k]) for i in range(len(names)) for k in range(i + 1, len(names))]
    return float(np.mean(vals))


def _dd(task, rows):
    import datasets

    return datasets.DatasetDict({"train": datasets.Dataset.from_dict(rows, features=features(task))})


def hand_pose_to_text():
    return _dd("pose_to_text", {
        "id": ["a", "b", "c"], "source_dataset": ["embedded-world"] * 3, "source_id": ["1", "2", "3"],
        "pose": [pose("rest"), pose("elbow"), pose("hips")],
        "texts": [["The man stands.", "Arms up!"], ["the person's arms, up"], ["'Kneel' down", "kneel", "Stands"]],
        "text_kinds": [["human", "automatic"], ["automatic"], ["automatic", "automatic", "paraphrase"]],
        "text_versions": [["human", "N2"], ["N2"], ["N6", "N6", "N2"]],
    })


def test_text_and_pose_statistics_equal_hand_computed_values():
    st = describe({"pose_to_text": hand_pose_to_text()})["pose_to_text"]["train"]
    assert st["num_rows"] == 3
    t = st["texts"]
    # words per text: 3, 2, 4 ("the", "person's", "arms", "up"), 2 ("kneel", "down"), 1, 1
    assert t["num_texts"] == 6
    assert t["per_row"] == {"mean": 2.0, "min": 1, "max": 3}
    assert t["words"]["mean"] == pytest.approx(13 / 6)
    assert t["words"]["median"] == 2.0
    assert t["words"]["p95"] == pytest.approx(3.75)  # sorted 1,1,2,2,3,4: position 0.95*5 = 4.75 -> 3 + 0.75
    # the man stands arms up person's kneel down
    assert t["vocabulary_size"] == 8
    assert t["kinds"] == pytest.approx({"automatic": 4 / 6, "human": 1 / 6, "paraphrase": 1 / 6})
    assert t["versions"] == pytest.approx({"N2": 3 / 6, "N6": 2 / 6, "human": 1 / 6})
    p = st["poses"]
    assert p["num_poses"] == 3 and p["mpje_sample_size"] == 3
    assert p["mean_joint_angle_deg"] == pytest.approx((90 + 60 + 60) / (3 * 21), rel=1e-6)
    assert p["pairwise_mpje_mm"] == pytest.approx(pairwise_by_hand(["rest", "elbow", "hips"]), rel=1e-4)
    assert p["pairwise_mpje_mm"] > 10  # the hand-made poses really differ


def test_words_keep_inner_apostrophes_and_drop_punctuation():
    counts, words = words_per_text(["It's the person's 'left' arm,  bent 90 degrees!", "", "--"])
    assert counts.tolist() == [8, 0, 0]
    assert words.to_pylist() == ["it's", "the", "person's", "left", "arm", "bent", "90", "degrees"]


def test_pair_image_and_estimation_statistics():
    import datasets

    pairs = _dd("pose_diff", {
        "id": ["p1", "p2"], "source_dataset": ["x", "x"], "source_id": ["1", "2"],
        "pose_a": [pose("rest"), pose("hips")], "pose_b": [pose("elbow"), pose("hips")],
        "source_id_a": ["a", "b"], "source_id_b": ["c", "d"], "in_sequence": [True, False],
        "texts": [["raise your arm"], ["stay"]], "text_kinds": [["human"], ["human"]],
        "text_versions": [["human"], ["human"]],
    })
    st = describe({"pose_diff": pairs})["pose_diff"]["train"]
    assert st["pairs"]["in_sequence_share"] == 0.5
    assert st["pairs"]["mean_pair_mpje_mm"] == pytest.approx(mpje_by_hand("rest", "elbow") / 2, rel=1e-4)
    assert st["poses"]["num_poses"] == 4  # pose A and pose B of every pair
    assert st["poses"]["pairwise_mpje_mm"] == pytest.approx(pairwise_by_hand(["rest", "hips", "elbow", "hips"]),
                                                            rel=1e-4)

    rng = np.random.default_rng(0)
    cam = {"K": np.eye(3, dtype=np.float32), "R": np.eye(3, dtype=np.float32), "t": [0.0, 0.0, 3.0]}
    images = [{"bytes": tiny_png(rng, w, h), "path": None} for w, h in ((8, 6), (5, 7), (8, 6))]
    est = datasets.DatasetDict({"test": datasets.Dataset.from_dict({
        "id": ["e1", "e2", "e3"], "source_dataset": ["3dpw"] * 3, "source_id": ["1", "2", "3"], "image": images,
        "camera": [cam] * 3, "keypoints_2d": [np.zeros((14, 2), np.float32)] * 2 + [np.zeros((22, 2), np.float32)],
        "joint_set": ["lsp14", "lsp14", "smpl22"], "pose": [pose("elbow"), pose("rest"), pose("hips")],
        "has_pose": [True, False, True], "joints_3d": [np.zeros((14, 3), np.float32)] * 2 + [
            np.zeros((22, 3), np.float32)], "action": ["walking", "", "walking"],
    }, features=features("pose_estimation"))})
    st = describe({"pose_estimation": est})["pose_estimation"]["test"]
    assert st["images"]["sizes"] == {"image": {"8x6": 2, "5x7": 1}}
    assert st["images"]["joint_sets"] == {"lsp14": 2, "smpl22": 1}
    assert st["pose_estimation"]["has_pose_share"] == pytest.approx(2 / 3)
    assert st["pose_estimation"]["actions"] == {"walking": 2, "": 1}
    # only the rows with an SMPL fit count as poses
    assert st["poses"]["num_poses"] == 2
    assert st["poses"]["mean_joint_angle_deg"] == pytest.approx((90 + 120) / (2 * 21), rel=1e-6)
    assert st["poses"]["pairwise_mpje_mm"] == pytest.approx(mpje_by_hand("elbow", "hips"), rel=1e-4)
    assert "texts" not in st


def test_pose_sample_is_seeded():
    dd = hand_pose_to_text()
    a = describe({"pose_to_text": dd}, seed=7, max_pose_sample=2)["pose_to_text"]["train"]["poses"]
    b = describe({"pose_to_text": dd}, seed=7, max_pose_sample=2)["pose_to_text"]["train"]["poses"]
    assert a == b and a["mpje_sample_size"] == 2 and a["mpje_sample_seed"] == 7
    names = ["rest", "elbow", "hips"]
    picked = sorted(np.random.default_rng(7).choice(3, size=2, replace=False))
    assert a["pairwise_mpje_mm"] == pytest.approx(mpje_by_hand(names[picked[0]], names[picked[1]]), rel=1e-4)


def test_compare_stats_flags_changed_counts_and_drifting_floats():
    committed = describe({"pose_to_text": hand_pose_to_text()})
    fresh = json.loads(json.dumps(committed))
    assert compare_stats(committed, fresh) == []
    fresh["pose_to_text"]["train"]["num_rows"] = 4
    fresh["pose_to_text"]["train"]["texts"]["words"]["mean"] *= 1 + 1e-7  # within the tolerance
    diffs = compare_stats(committed, fresh)
    assert diffs == ["pose_to_text.train.num_rows: committed 3, now 4"]
    fresh["pose_to_text"]["train"]["poses"]["pairwise_mpje_mm"] *= 1.01
    del fresh["pose_to_text"]["train"]["texts"]["kinds"]["human"]
    diffs = compare_stats(committed, fresh, rel_tol=1e-3)
    assert len(diffs) == 3
    assert any(d.startswith("pose_to_text.train.poses.pairwise_mpje_mm: committed") for d in diffs)
    assert any(d.startswith("pose_to_text.train.texts.kinds.human: committed") and "missing" in d for d in diffs)
    # a count is never compared with a tolerance
    assert compare_stats({"n": 1000000}, {"n": 1000001}, rel_tol=0.5) == ["n: committed 1000000, now 1000001"]


def test_stats_files_round_trip(tmp_path, all_datasets):
    stats = describe({t: all_datasets[t] for t in ("pose_diff", "image_to_text")})
    paths = write_stats(stats, tmp_path / "stats")
    assert sorted(p.name for p in paths) == ["image_to_text.json", "pose_diff.json"]
    back = load_stats(tmp_path / "stats")
    assert compare_stats(back, stats) == []  # 6 significant digits are well within the default tolerance
    assert back["pose_diff"]["train"]["num_rows"] == len(all_datasets["pose_diff"]["train"])
    assert not list((tmp_path / "stats").glob("*.partial"))


# ------------------------------------------------------------------------------------------------ variant configs
def test_describe_is_per_config_with_the_task_specific_parts(variant_world):
    from datasets_build.hub.stats import describe_split
    from tests.hub.synthetic import VARIANT_ORDER

    stats = describe(variant_world)
    assert list(stats) == list(VARIANT_ORDER)  # publishing order, whatever the insertion order
    for config, splits in stats.items():
        assert {s: st["num_rows"] for s, st in splits.items()} == {
            s: len(ds) for s, ds in variant_world[config].items()}
    # each config is described on its own rows: the -A and -H variants hold different texts
    assert stats["pose_to_text-H"]["train"]["texts"]["kinds"] == {"human": 1.0}
    assert stats["pose_to_text-A"]["train"]["texts"]["kinds"] == {"automatic": 1.0}
    assert stats["pose_to_text-A"]["train"] != stats["pose_to_text"]["train"]
    # the task's parts: pairs for pose_diff-A, images / has_pose for pose_estimation-*, no texts there
    assert "pairs" in stats["pose_diff-A"]["train"] and "pairs" not in stats["pose_to_text-H"]["train"]
    est = stats["pose_estimation-h36m17"]["train"]
    assert "texts" not in est and "images" in est and "pose_estimation" in est
    has_pose = variant_world["pose_estimation-h36m17"]["train"]["has_pose"]
    assert est["poses"]["num_poses"] == sum(has_pose)
    # a config name and its plain task id describe the same rows the same way
    ds = variant_world["pose_estimation-3dpw"]["test"]
    assert describe_split("pose_estimation-3dpw", ds) == describe_split("pose_estimation", ds)


def test_describe_refuses_bad_config_names(variant_world):
    with pytest.raises(InputError, match="config name 'pose_estimation-' has an empty variant"):
        describe({"pose_estimation-": variant_world["pose_estimation-3dpw"]})
    with pytest.raises(InputError, match="'posescript-H' does not start with a task id"):
        describe({"posescript-H": variant_world["pose_to_text-H"]})


def test_stats_files_are_named_by_config(tmp_path, variant_world):
    stats = describe({c: variant_world[c] for c in ("pose_estimation-h36m17", "pose_to_text-H", "pose_to_text")})
    folder = tmp_path / "stats"
    paths = write_stats(stats, folder)
    assert sorted(p.name for p in paths) == ["pose_estimation-h36m17.json", "pose_to_text-H.json",
                                             "pose_to_text.json"]
    payload = json.loads((folder / "pose_to_text-H.json").read_text())
    assert payload["config"] == "pose_to_text-H" and payload["task"] == "pose_to_text"
    back = load_stats(folder)
    assert list(back) == ["pose_to_text", "pose_to_text-H", "pose_estimation-h36m17"]
    assert compare_stats(back, stats) == []
    assert list(load_stats(folder, ["pose_to_text-H"])) == ["pose_to_text-H"]
    # a change in one config is reported under that config's name
    fresh = json.loads(json.dumps(stats))
    fresh["pose_to_text-H"]["train"]["num_rows"] += 1
    n = stats["pose_to_text-H"]["train"]["num_rows"]
    assert compare_stats(back, fresh) == [f"pose_to_text-H.train.num_rows: committed {n}, now {n + 1}"]


def test_stats_files_with_wrong_names_or_contents_are_refused(tmp_path, variant_world):
    folder = tmp_path / "stats"
    write_stats(describe({"pose_to_text-H": variant_world["pose_to_text-H"]}), folder)
    (folder / "pose_to_text-H.json").rename(folder / "pose_to_text-A.json")
    with pytest.raises(InputError, match="named for config 'pose_to_text-A' but holds config 'pose_to_text-H'") \
            as err:
        load_stats(folder)
    assert err.value.file == str(folder / "pose_to_text-A.json")
    (folder / "pose_to_text-A.json").rename(folder / "posescript-A.json")
    with pytest.raises(InputError, match="'posescript-A' does not start with a task id") as err:
        load_stats(folder)
    assert err.value.file == str(folder / "posescript-A.json")
    with pytest.raises(InputError, match="statistics file not found"):
        load_stats(folder, ["pose_to_text-H"])
    with pytest.raises(InputError, match="empty variant"):
        write_stats({"pose_to_text-": {}}, folder)
