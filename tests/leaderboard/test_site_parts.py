"""The site's pieces on their own: per-sample numbers and their directions, families of keys, which samples a page
draws, skeleton SVGs and ranking figures."""

import json

import numpy as np
import pytest

from benchmark.errors import InputError
from benchmark.leaderboard.site import paths
from benchmark.leaderboard.site.figures import RankedItem, nice_ticks, ranking_svg
from benchmark.leaderboard.site.sample_metrics import describe_metric, metric_families, read_samples
from benchmark.leaderboard.site.skeleton_svg import Layer, skeleton_svg


def test_directions_come_from_the_declarations_then_the_record_keys_then_a_declared_prefix():
    assert describe_metric("mpjpe").higher_is_better is False
    assert describe_metric("rouge_l").higher_is_better is True
    assert describe_metric("rank_t2p").higher_is_better is False and describe_metric("gt_cosine").higher_is_better
    assert describe_metric("mpjpe_joint@left_hip").higher_is_better is False
    assert describe_metric("errors.pa_mpjpe").higher_is_better is False
    assert describe_metric("fidelity").higher_is_better is None  # not "fid": a prefix must end at a separator
    assert describe_metric("mystery").arrow == "↕"


def test_families_group_named_members_and_leave_at_k_keys_alone():
    singles, families = metric_families(["mpjpe", "recall_t2p@1", "recall_t2p@5", "recall_t2p@10", "j@a", "j@b",
                                         "j@c", "pair@x", "pair@y"])
    assert families == {"j": ["j@a", "j@b", "j@c"]}
    assert singles == ["mpjpe", "recall_t2p@1", "recall_t2p@5", "recall_t2p@10", "pair@x", "pair@y"]


def test_samples_flatten_nested_numbers_and_draw_the_worst_and_best_of_each_headline_number(tmp_path):
    path = tmp_path / "t.samples.jsonl"
    rows = [{"id": f"r{i}", "mpjpe": float(i), "rouge_l": float(10 - i), "part": {"arms": float(i)},
             "j@a": 1.0, "j@b": 2.0, "j@c": 3.0, "prediction": "text", "output_pose": [[0.0] * 3] * 22}
            for i in range(10)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    table = read_samples(path)
    assert [m.key for m in table.headline] == ["mpjpe", "rouge_l", "part.arms"]
    assert list(table.families) == ["j"]
    mpjpe = table.headline[0]
    assert table.ranked(mpjpe, "worst")[:2] == ["r9", "r8"] and table.ranked(mpjpe, "best")[:2] == ["r0", "r1"]
    assert table.drawn(1) == ["r0", "r9"]  # worst and best of each number, which coincide here
    path.write_text('{"id": "a"}\nnot json\n')
    with pytest.raises(InputError, match="row 2"):
        read_samples(path)


def test_overlaid_skeletons_share_one_scale_and_draw_error_lines():
    parents = (-1, 0, 1)
    truth = np.array([[0, 0, 0], [0, 0, 1], [0, 0, 2]], float)
    output = truth * 0.5
    svg = skeleton_svg([Layer(truth, parents, ("pelvis", "left_knee", "right_knee"), "truth"),
                        Layer(output, parents, ("pelvis", "left_knee", "right_knee"), "output")])
    assert svg.startswith("<svg") and svg.count("<rect") == 2  # front and side panels
    assert 'stroke="#e08a1e"' in svg  # per-joint error lines between output and truth
    assert skeleton_svg([]) == ""


def test_rankings_put_the_best_first_and_mark_reported_rows():
    svg = ranking_svg([RankedItem("a", "measured", 10.0, 9.0, 11.0, "x.html"),
                       RankedItem("paper", "reported", 5.0)], lower_is_better=True)
    assert svg.index(">paper<") < svg.index(">a<") and 'fill="#fff"' in svg and 'href="x.html"' in svg
    assert nice_ticks(0.0, 97.0) == [0, 50, 100] and nice_ticks(3.2, 8.1) == [2, 4, 6, 8, 10]


def test_page_paths_are_file_name_safe_and_links_relative():
    page = paths.model_page("pose_to_text/embedded", "gt", "705d+1e01")
    assert page == "models/pose_to_text__embedded/gt--705d_1e01.html"
    assert paths.relative(paths.board_page("embedded"), page) == "../../boards/embedded.html"


def test_page_data_cannot_end_or_hide_its_script_and_names_cannot_climb_folders():
    from benchmark.leaderboard.site.markup import json_script
    from benchmark.leaderboard.site.paths import slug

    hostile = {"id": "<!--<script>", "name": "</script><b>&amp;"}
    text = json_script(hostile)
    assert not set("<>&") & set(text)
    assert json.loads(text) == hostile  # the escapes are JSON's own: the page reads back the same strings
    assert [slug(s) for s in ("..", ".", "", "pose_to_text/embedded", "a:b")] == \
        ["_", "_", "_", "pose_to_text__embedded", "a_b"]
