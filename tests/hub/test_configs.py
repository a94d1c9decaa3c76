"""Config names: parsing, validation, publishing order, and the re-export in datasets_build.real.common."""

from __future__ import annotations

import re

import pytest

from benchmark.errors import InputError
from benchmark.tasks import schema as F
from benchmark.tasks.schema import TASKS, config_name, config_sort_key, parse_config, sorted_configs, task_of, \
    variant_of
from tests.hub.synthetic import VARIANT_ORDER

REAL_CONFIGS = (  # every config the real-source builders write
    "pose_to_text-A", "pose_to_text-H", "text_to_pose-A", "text_to_pose-H", "pose_diff-A", "pose_diff-H",
    "pose_edit-A", "pose_edit-H", "image_to_text-A", "image_to_text-R", "image_diff-A", "image_diff-R",
    "pose_estimation-3dpw", "pose_estimation-h36m", "pose_estimation-h36m17", "pose_estimation-mpii",
    "pose_estimation-coco", "pose_estimation-mpi-inf-3dhp",
)


@pytest.mark.parametrize("config", REAL_CONFIGS + TASKS)
def test_every_builder_config_and_task_id_parses_back(config):
    # expected by hand: the first "-" ends the task id (task ids hold no "-")
    task, sep, rest = config.partition("-")
    variant = rest if sep else None
    assert task in TASKS
    assert parse_config(config) == (task, variant) and task_of(config) == task and variant_of(config) == variant
    assert config_name(task, variant) == config


def test_variants_keep_their_hyphens():
    assert parse_config("pose_estimation-mpi-inf-3dhp") == ("pose_estimation", "mpi-inf-3dhp")
    assert parse_config("pose_to_text-H") == ("pose_to_text", "H")
    assert parse_config("pose_edit") == ("pose_edit", None)
    assert config_name("pose_edit") == "pose_edit"


@pytest.mark.parametrize("bad, message", [
    ("posescript-H", "does not start with a task id (unknown task 'posescript')"),
    ("pose2text", "does not start with a task id"),
    ("Pose_to_text-A", "does not start with a task id"),
    ("", "does not start with a task id"),
    ("pose_to_text-", "empty variant"),
    ("pose_to_text-A B", "characters other than letters, digits and '-'"),
    ("pose_to_text-A/B", "characters other than letters, digits and '-'"),
    ("pose_to_text-H_2", "characters other than letters, digits and '-'"),
    ("pose_to_text-é", "characters other than letters, digits and '-'"),
])
def test_bad_config_names_are_refused_clearly(bad, message):
    for fn in (parse_config, task_of, variant_of, config_sort_key):
        with pytest.raises(InputError, match=re.escape(message)) as err:
            fn(bad)
        assert err.value.field == "config" and repr(bad) in str(err.value)
    with pytest.raises(InputError, match="a task id, or a task id \\+ '-' \\+ a variant"):
        task_of(bad)
    with pytest.raises(ValueError):  # InputError is a ValueError: the builders' callers keep working
        task_of(bad)


def test_config_name_refuses_unknown_tasks_and_bad_variants():
    with pytest.raises(InputError, match="unknown task 'pose2text'"):
        config_name("pose2text", "A")
    with pytest.raises(InputError, match="empty variant"):
        config_name("pose_to_text", "")
    with pytest.raises(InputError, match="not a string"):
        task_of(("pose_to_text", "A"))


def test_the_file_is_named_in_errors_when_given():
    with pytest.raises(InputError) as err:
        parse_config("pose_to_text-", file="world/README.md")
    assert err.value.file == "world/README.md" and str(err.value).startswith("file world/README.md")


def test_publishing_order_is_task_order_then_variant():
    scrambled = ["pose_estimation-mpi-inf-3dhp", "image_diff-R", "pose_to_text-H", "pose_edit-A", "pose_to_text",
                 "pose_estimation-3dpw", "image_diff-A", "pose_to_text-A", "pose_estimation-h36m17",
                 "pose_estimation-h36m", "pose_diff-H"]
    assert sorted_configs(scrambled) == [
        "pose_to_text", "pose_to_text-A", "pose_to_text-H", "pose_diff-H", "image_diff-A", "image_diff-R",
        "pose_estimation-3dpw", "pose_estimation-h36m", "pose_estimation-h36m17", "pose_estimation-mpi-inf-3dhp",
        "pose_edit-A"]
    # independently: group by the task's position in TASKS, then sort the variants as strings
    by_task = {t: sorted(c.partition("-")[2] for c in scrambled if c.partition("-")[0] == t) for t in TASKS}
    expected = [t if v == "" else f"{t}-{v}" for t in TASKS for v in by_task[t]]
    assert sorted_configs(scrambled) == expected
    assert sorted_configs(list(reversed(VARIANT_ORDER))) == list(VARIANT_ORDER)
    assert sorted_configs(TASKS[::-1]) == list(TASKS)
    with pytest.raises(InputError, match="posescript"):
        sorted_configs(["pose_to_text-A", "posescript-A"])


def test_real_common_uses_the_same_functions():
    from datasets_build.real import common

    assert common.config_name is F.config_name and common.task_of is F.task_of
