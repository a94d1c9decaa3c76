"""The main job's closing line of where its time went (benchmark.pipeline.time_summary)."""

import doctest
import itertools

import benchmark.pipeline as pipeline


def test_time_summary_orders_parts_and_names_the_rest():
    assert doctest.testmod(pipeline).failed == 0
    line = pipeline.time_summary({"a": 2.0, "b": 10.4, "tiny": 0.2}, 20.0)
    assert line == "time by part: b 10 s, a 2 s, other 8 s; total 20 s"  # tiny (under 0.5 s) falls into other
    assert pipeline.time_summary({"a": 5.0}, 5.2) == "time by part: a 5 s; total 5 s"


def test_loading_times_are_recorded_for_the_adapters_kept(monkeypatch):
    ticks = itertools.count(0.0, 1.5)  # every clock reading 1.5 s after the one before
    monkeypatch.setattr(pipeline.time, "perf_counter", lambda: next(ticks))
    monkeypatch.setattr(pipeline, "load_adapter", lambda spec, **_: spec.upper())
    seconds = {}
    models, adapters = pipeline.installed_adapters(("mean_pose", "random"), {}, seconds=seconds)
    assert models == ("mean_pose", "random") and seconds == {"mean_pose": 1.5, "random": 1.5}


def test_evaluation_times_are_named_after_the_adapters_meta(monkeypatch):
    from types import SimpleNamespace

    ticks = itertools.count(0.0, 2.0)
    monkeypatch.setattr(pipeline.time, "perf_counter", lambda: next(ticks))
    calls = []
    monkeypatch.setattr(pipeline, "evaluate", lambda adapter, tasks, *a, **k: calls.append((adapter, tasks)))
    tasks = [SimpleNamespace(spec=SimpleNamespace(task_id=t)) for t in ("pose_to_text", "text_to_pose")]
    # adapters carry their name in `meta` only (as the registered adapters do)
    adapter = SimpleNamespace(meta=SimpleNamespace(name="mean_pose", supports=lambda t: t == "text_to_pose"))
    seconds = pipeline.evaluate_adapters([adapter], tasks, None, None)
    assert seconds == {"mean_pose (evaluate)": 2.0} and calls == [(adapter, tasks[1:])]
