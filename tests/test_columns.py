"""fixed_shape_array against datasets' own numpy formatter; the perf entry point runs."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.errors import InputError
from benchmark.columns import fixed_shape_array
from tests.hub.synthetic import make_task_dataset


def test_fixed_shape_array_equals_the_datasets_formatter_on_views():
    ds = make_task_dataset("pose_edit", sizes={"train": 9})["train"]
    views = {"all": ds, "selected": ds.select([7, 2, 5]), "range": ds.select(range(3, 8)),
             "shuffled": ds.shuffle(seed=1), "empty": ds.select([])}
    for name, view in views.items():
        for col in ("pose_a", "pose_b"):
            got = fixed_shape_array(view, col)
            want = np.asarray(view.with_format("numpy")[col], dtype=np.float32).reshape(-1, 22, 3)
            assert got.shape == (len(view), 22, 3) and got.dtype == np.float32, name
            np.testing.assert_array_equal(got, want, err_msg=f"{name} {col}")


def test_variable_shape_columns_are_refused():
    ds = make_task_dataset("pose_estimation", sizes={"train": 6})["train"]
    assert len({len(j) for j in ds["joints_3d"]}) > 1  # the synthetic rows mix 14-, 17- and 22-joint sets
    with pytest.raises(InputError, match="rows of different lengths"):
        fixed_shape_array(ds, "joints_3d")
    with pytest.raises(InputError, match="not an array column"):
        fixed_shape_array(ds, "id")


def test_run_benchmark_reports_equal_results():
    from datasets_build.hub.perf import run_benchmark

    figures = run_benchmark(n_rows=40, include_reference=True)
    assert figures["pose_column_equal"] is True
    assert {"describe_s", "validate_s", "export_s", "pose_column_speedup"} <= set(figures)
