"""List what the suite has registered: tasks (with their dataset and whether it is available here), models
(adapters and the tasks they do), metrics (with their protocol), leaderboards (with their sections)."""

from __future__ import annotations


def add_arguments(parser):
    parser.add_argument("what", choices=("tasks", "models", "metrics", "leaderboards"))


def _tasks() -> list[str]:
    from benchmark.cli.evaluate import default_context
    from benchmark.errors import BenchmarkError
    from benchmark.tasks.catalog import get_task, task_registry

    ctx = default_context()
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
    import importlib

    from benchmark.adapters import ADAPTERS

    lines = []
    for name in ADAPTERS.names():
        target = ADAPTERS._entries[name]
        module, _, attr = target.partition(":") if isinstance(target, str) else (None, None, None)
        cls = getattr(importlib.import_module(module), attr) if module else target
        args = ", ".join(getattr(cls, "ARGUMENTS", ())) or "none"
        lines.append(f"{name:18s} {ADAPTERS.help(name)}\n{'':18s} arguments: {args}")
    return lines


def _metrics() -> list[str]:
    from benchmark.metrics import METRICS

    return [f"{name:20s} {'higher' if e.info.higher_is_better else 'lower'} is better, {e.info.unit or 'no unit'}: "
            f"{e.info.protocol}" for name, e in METRICS.items()]


def _leaderboards() -> list[str]:
    from benchmark.leaderboard.spec import load_specs

    return [f"{name:34s} {spec.title}\n{'':34s} tasks: {', '.join(s.task for s in spec.sections)}; "
            f"{len(spec.reported)} reported rows" for name, spec in load_specs().items()]


def run(args) -> int:
    lines = {"tasks": _tasks, "models": _models, "metrics": _metrics, "leaderboards": _leaderboards}[args.what]()
    print("\n".join(lines))
    return 0
