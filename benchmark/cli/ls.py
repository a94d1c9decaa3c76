"""List what the suite has registered: tasks (with their dataset and whether it is available here), models
(adapters and the tasks they do), metrics (with their protocol), leaderboards (with their sections), worlds (datasets
built on any machine)."""

from __future__ import annotations


def add_arguments(parser):
    parser.add_argument("what", choices=("tasks", "models", "metrics", "leaderboards", "worlds"))


def _tasks() -> list[str]:
    from benchmark.pipeline import latest_context
    from benchmark.errors import BenchmarkError
    from benchmark.tasks.catalog import get_task, task_registry

    ctx = latest_context()
    lines = []
    for name in task_registry().names():
        task = get_task(name, ctx)
        spec = task.spec
        try:
            here = task.fingerprint() is not None
        except BenchmarkError:
            here = False
        where = "built here" if here else (f"Hub revision {spec.dataset.revision[:12]}" if spec.dataset.revision
                                           else "not built here")
        lines.append(f"{name:28s} v{spec.version}  {spec.dataset.repo} [{spec.dataset.config}/{spec.dataset.split}]"
                     f"  main: {spec.main_metric}  ({where})")
    return lines


def _models() -> list[str]:
    from benchmark.adapters import ADAPTERS

    lines = []
    for name in sorted(ADAPTERS.names()):
        try:
            cls = ADAPTERS.get(name)
        except (ImportError, AttributeError) as exc:  # a plugin whose package is broken: say so, list the rest
            lines.append(f"{name:18s} (cannot be imported: {exc})")
            continue
        args = ", ".join(getattr(cls, "ARGUMENTS", ())) or "none"
        lines.append(f"{name:18s} {getattr(cls, 'SUMMARY', '')}\n{'':18s} arguments: {args}")
    return lines


def _metrics() -> list[str]:
    from benchmark.metrics import METRICS
    from benchmark.metrics.specs import METRIC_SPECS

    functions = [f"{name:22s} {'higher' if e.info.higher_is_better else 'lower'} is better, "
                 f"{e.info.unit or 'no unit'}: {e.info.protocol}" for name, e in METRICS.items()]
    keys = []
    for key in METRIC_SPECS.names():
        spec = METRIC_SPECS.get(key)
        keys.append(f"{key:22s} {spec.unit or 'no unit'}, {'higher' if spec.higher_is_better else 'lower'} is better "
                    f"({spec.function}): {spec.protocol}")
    return ["metric functions:", *functions, "", "result keys (what results and boards show):", *keys]


def _leaderboards() -> list[str]:
    from benchmark.leaderboard.spec import load_specs

    return [f"{name:34s} {spec.title}\n{'':34s} tasks: {', '.join(s.task for s in spec.sections)}; "
            f"{len(spec.reported)} reported rows" for name, spec in load_specs().items()]


def _worlds() -> list[str]:
    from benchmark.worlds import WORLDS

    lines = []
    for name in WORLDS.names():
        try:
            provider = WORLDS.get(name)
        except (ImportError, AttributeError) as exc:
            lines.append(f"{name:18s} (cannot be imported: {exc})")
            continue
        lines.append(f"{name:18s} dataset {provider.repo}; presets {', '.join(provider.presets)}")
    return lines


def run(args) -> int:
    lines = {"tasks": _tasks, "models": _models, "metrics": _metrics, "leaderboards": _leaderboards,
             "worlds": _worlds}[args.what]()
    print("\n".join(lines))
    return 0
