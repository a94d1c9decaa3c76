import csv
import io

import pytest
import yaml

from benchmark.evaluation.results import (AdapterInfo, DatasetInfo, EvaluatorInfo, ScoreEntry, TaskResult,
                                          environment)
from benchmark.leaderboard.build import build_table
from benchmark.leaderboard.render import to_csv, to_html, to_latex, to_markdown, write_all
from benchmark.leaderboard.spec import LeaderboardSpec, load_specs

SPEC = LeaderboardSpec.model_validate(yaml.safe_load("""
name: t
version: 1
title: Test table
sections:
  - title: P2T
    task: pose_to_text/embedded
    columns: [{metric: "r_precision@1", label: "R-P@1"}, {metric: bleu, label: BLEU}]
  - title: Edit
    task: pose_edit/embedded
    columns: [{metric: mpjpe, label: MPJPE, lower_is_better: true}]
reported:
  - {label: Paper, source: "a paper", values: {P2T: {"r_precision@1": 91.6}}}
"""))


def result(task, adapter, values, *, version=1, fingerprint="f1", evaluator="e1", created="2026-01-01T00:00:00",
           reference=False):
    return TaskResult(
        task=task, task_id=task.split("/")[0], task_version=version,
        dataset=DatasetInfo(repo="r", config=task.split("/")[0], split="test", revision=None, fingerprint=fingerprint,
                            n_rows=10, n_evaluated=10),
        evaluators=[EvaluatorInfo(kind="pose-text", version=evaluator)],
        adapter=AdapterInfo(name=adapter, revision="1", reference=reference),
        scores={k: ScoreEntry(value=v, ci_low=v - 1, ci_high=v + 1) for k, v in values.items()},
        main_metric=next(iter(values)), seed=0, environment=environment(), created_at=created)


def test_cells_notes_and_order():
    results = [
        result("pose_to_text/embedded", "good", {"r_precision@1": 60.0, "bleu": 20.0}),
        result("pose_to_text/embedded", "bad", {"r_precision@1": 5.0, "bleu": 10.0}),
        result("pose_to_text/embedded", "ref", {"r_precision@1": 40.0, "bleu": 30.0}, reference=True),
        result("pose_edit/embedded", "good", {"mpjpe": 100.0}),
        # other task version, other data, other evaluator: never mixed in
        result("pose_to_text/embedded", "old", {"r_precision@1": 99.0, "bleu": 99.0}, version=0),
        result("pose_to_text/embedded", "stale", {"r_precision@1": 98.0, "bleu": 98.0}, fingerprint="f0",
               created="2025-01-01T00:00:00"),
        result("pose_to_text/embedded", "other-eval", {"r_precision@1": 97.0, "bleu": 97.0}, evaluator="e0",
               created="2025-01-01T00:00:00"),
    ]
    table = build_table(SPEC, results, {("bad", "pose_edit/embedded"): "crashed"})
    labels = [r.label for r in table.rows]
    assert labels == ["ref", "good", "bad", "Paper"]  # reference first, then by the first column, reported last
    good = table.rows[1]
    assert good.cells[("P2T", "r_precision@1")].value == 60.0
    assert table.rows[2].cells[("Edit", "mpjpe")].reason == "crashed"
    assert table.rows[0].cells[("Edit", "mpjpe")].reason == "not evaluated"
    assert table.rows[3].kind == "reported" and table.rows[3].cells[("P2T", "bleu")].reason == "not reported"
    assert any("task version" in n for n in table.notes)
    assert any("another dataset revision or with other evaluator versions" in n for n in table.notes)
    md = to_markdown(table)
    assert "| ref (reference) | 40.0 | 30.0 | – [" in md and "Paper (reported) | 91.6" in md
    assert "[1] not evaluated" in md or "not evaluated" in md
    assert "99.0" not in md and "98.0" not in md and "97.0" not in md


def test_unsupported_tasks_show_as_na():
    results = [result("pose_edit/embedded", "copy_source", {"mpjpe": 50.0})]
    md = to_markdown(build_table(SPEC, results))
    assert "| copy_source | n/a | n/a | 50.0 |" in md and "n/a: the model does not do this task" in md


def test_formats(tmp_path):
    table = build_table(SPEC, [result("pose_to_text/embedded", "m", {"r_precision@1": 12.5, "bleu": 3.0})])
    rows = list(csv.DictReader(io.StringIO(to_csv(table))))
    cell = next(r for r in rows if r["row"] == "m" and r["metric"] == "r_precision@1")
    assert float(cell["value"]) == 12.5 and float(cell["ci_low"]) == 11.5
    missing = next(r for r in rows if r["row"] == "m" and r["metric"] == "mpjpe")
    assert missing["value"] == "" and missing["missing_reason"]
    assert r"\toprule" in to_latex(table) and "12.5" in to_latex(table)
    assert "12.5 [11.5, 13.5]" in to_html(table)
    paths = write_all(table, tmp_path)
    assert set(paths) == {"md", "csv", "tex", "html", "png"} and all(p.stat().st_size > 0 for p in paths.values())


def test_shipped_specs_load_with_the_papers_numbers():
    specs = load_specs()
    assert {"paper-table-2-comprehension", "paper-table-3-text-to-pose", "paper-table-4-pose-estimation",
            "paper-table-5-pose-edit", "appendix-retrieval", "appendix-tokenizer", "embedded"} <= set(specs)
    t3 = specs["paper-table-3-text-to-pose"]
    unipose = next(r for r in t3.reported if r.label == "UniPose")
    assert unipose.values["Text-to-Pose (PoseScript)"]["mpjpe"] == pytest.approx(308.6)
    md = to_markdown(build_table(t3, []))
    assert "UniPose (reported) | 73.7" in md and "no measured results" in md


def test_a_value_that_rounds_to_zero_prints_without_a_sign():
    from benchmark.leaderboard.render import to_markdown

    table = build_table(SPEC, [result("pose_to_text/embedded", "m", {"r_precision@1": -2e-13, "bleu": -1.3})])
    assert "| m | 0.0 | -1.3 |" in to_markdown(table)  # a real negative keeps its sign
    assert "0.0 [-1.0, 1.0]" in to_html(table)
