"""Wall-clock timing for the `perf` benchmarks: the best of a few runs, the one least disturbed by the rest of
the machine (what every benchmark of the suite reports, so their figures read the same way)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def best_time_and_result(fn: Callable[[], Any], repeats: int = 1) -> tuple[float, Any]:
    """(the best wall time in seconds of `repeats` calls of `fn`, the last call's result).

    >>> seconds, out = best_time_and_result(lambda: sum(range(10)), repeats=2)
    >>> out, seconds >= 0.0
    (45, True)
    """
    best, out = float("inf"), None
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def best_time(fn: Callable[[], Any], repeats: int = 3) -> float:
    """The best wall time in seconds of `repeats` calls of `fn`."""
    return best_time_and_result(fn, repeats)[0]
