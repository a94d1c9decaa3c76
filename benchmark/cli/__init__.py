"""The `unipose-bench` command line. Each sub-command is a module with `add_arguments(parser)` and `run(args)`;
modules keep heavy imports inside `run` so that `--help` is instant."""
