"""The metric table, the light import of benchmark.metrics, and the R-precision benchmark's own checks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from benchmark.metrics import METRICS, get_metric
from benchmark.metrics.base import MetricInfo, Score
from benchmark.metrics.evaluate_modules import MODULES


def test_every_metric_has_info_a_function_and_an_evaluate_module():
    assert set(METRICS) == set(MODULES)
    for name, entry in METRICS.items():
        assert isinstance(entry.info, MetricInfo) and entry.info.name == name
        assert entry.info.description and entry.info.citation.startswith("@") and entry.info.protocol
        assert entry.info.unit in ("%", "mm", "deg", "")
        assert callable(get_metric(name))
    assert METRICS["mpjpe"].info.higher_is_better is False and METRICS["bleu"].info.higher_is_better is True
    with pytest.raises(KeyError, match="did you mean 'meteor'"):
        get_metric("meteo")


def test_importing_the_metrics_package_loads_no_backend():
    code = ("import sys, json, benchmark.metrics; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'scipy', 'sacrebleu', 'nltk', 'rouge_score', 'pycocoevalcap', 'evaluate', 'datasets', "
            "'transformers', 'matplotlib'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


def test_scores_serialise_without_their_arrays():
    import numpy as np

    score = Score("MPJPE", 12.5, "p", 3, details={"per_sample": np.ones(3), "metric": "MPJPE"}).with_ci(10, 15)
    assert json.loads(json.dumps(score.to_dict())) == {
        "name": "MPJPE", "value": 12.5, "protocol": "p", "n": 3, "ci_low": 10.0, "ci_high": 15.0,
        "details": {"metric": "MPJPE"}}
    assert score.to_dict(include_arrays=True)["details"]["per_sample"] == [1.0, 1.0, 1.0]


def test_r_precision_benchmark_reports_identical_ranks_and_a_speedup_ratio():
    from benchmark.metrics.perf import run_benchmark

    result = run_benchmark(n=300, dim=32, verbose=False)
    assert result["ranks_identical_on_same_pools"] is True
    assert result["speedup"] == pytest.approx(result["loop_s"] / result["vectorised_s"])
    assert set(result["vectorised_r_precision"]) == {1, 2, 3}
