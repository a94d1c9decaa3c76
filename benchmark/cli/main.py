"""Entry point of `unipose-bench`."""

from __future__ import annotations

import argparse
import importlib
import sys

from benchmark import __version__
from benchmark.errors import BenchmarkError

# The core's commands: name -> (module, one-line help). Installed packages add theirs as `unipose_bench.commands`
# entry points (this repo's datasets_build adds build, caption, publish and freeze-evaluators; see pyproject.toml);
# their help line is the first line of the module's docstring.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("benchmark.cli.run", "the main job: build the embedded world, load its frozen evaluators, evaluate "
                                 "every adapter on the seven tasks, write the leaderboards"),
    "evaluate": ("benchmark.cli.evaluate", "evaluate one model adapter on tasks (cached, resumable)"),
    "predict": ("benchmark.cli.predict", "write one model adapter's answers to tasks as a predictions file, unscored"),
    "compare": ("benchmark.cli.compare", "is model A better than model B: paired tests per metric on the same rows"),
    "leaderboard": ("benchmark.cli.leaderboard", "build the leaderboard tables from result files"),
    "ls": ("benchmark.cli.ls", "list tasks, models, metrics or leaderboards"),
    "perf": ("benchmark.cli.perf", "performance benchmarks (fast path vs reference, side by side)"),
    "show": ("benchmark.cli.show", "render poses to PNG (3D skeleton views; a grid for many poses)"),
    "train-retrieval": ("benchmark.cli.train_retrieval", "train a pose-text or pair-text retrieval evaluator"),
}


def all_commands() -> dict[str, tuple[str, str | None]]:
    """The core's commands, then the plugins' (help None: taken from the module's docstring)."""
    from benchmark.plugins import declared

    out: dict[str, tuple[str, str | None]] = dict(COMMANDS)
    for name, module_name in declared("unipose_bench.commands").items():
        if name in out:
            raise BenchmarkError(f"a plugin declares the command '{name}', which the core already has")
        out[name] = (module_name, None)
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="unipose-bench",
        description="Benchmark suite for the seven UniPose pose <-> language tasks.",
    )
    parser.add_argument("--version", action="version", version=f"unipose-bench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in all_commands().items():
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not take the other commands down
            if help_text is not None:  # the core's own commands are never skipped
                raise
            print(f"unipose-bench: warning: skipping the command '{name}' of a plugin ({module_name}): "
                  f"{type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        help_text = help_text or (module.__doc__ or name).strip().splitlines()[0].rstrip(".")
        cmd = sub.add_parser(name, help=help_text, description=(module.__doc__ or help_text).strip(),
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
    except BenchmarkError as exc:  # e.g. two installed packages declare one command
        print(f"unipose-bench: error: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 0
    try:
        return int(args._run(args) or 0)
    except BenchmarkError as exc:
        # Our own errors already say what to fix: no traceback, and one line (a message listing several problems
        # keeps them on it, so that a log grep or a CI annotation shows all of them)
        message = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
        print(f"unipose-bench {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
