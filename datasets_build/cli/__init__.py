"""The commands this package adds to `unipose-bench` (declared as `unipose_bench.commands` entry points)."""
