"""The side-by-side performance table of `unipose-bench perf`: each row times a fast path against the reference it
replaces (or that it must match) in the same process, interleaved, best of n, checks that the two give the same
output, and records the peak memory of each.

Rows come from the packages that own the code measured (the core never names them; see benchmark.plugins): a
`unipose_bench.perf` entry point whose module defines `perf_table(size: str, seed: int) -> list[Row]` contributes
rows, `size` one of SIZES: "full" (the figures to quote), "quick" (a minute or two for the whole table on two cores)
or "tiny" (seconds: what the tests run). Modules without it are reports only (`unipose-bench perf --report NAME`).

Peak memory is measured in a separate, untimed call of each side (tracing slows Python code down), by one of
* "tracemalloc": the peak of Python's traced allocations during the call (numpy registers its buffers with it), exact
  for numpy and Python code, blind to torch's CPU allocator;
* "rss": the growth of the process's resident high-water mark (VmHWM in /proc/self/status, reset through
  /proc/self/clear_refs, Linux >= 4.0, see proc(5)) during the call, after glibc's malloc_trim(3) has handed freed
  memory back: sees every allocator, but what an allocator keeps in its own pools (torch's, Python's small-object
  arenas) is reused without growing it, so it can read low;
* "ru_maxrss": the largest resident set of a child process and the children it waited for (getrusage(2)), for
  rows that run whole commands.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from benchmark.timing import best_time_and_result

PEAK_METHODS = ("tracemalloc", "rss", "ru_maxrss")
SIZES = ("tiny", "quick", "full")


def pick(size: str, tiny, quick, full):
    """The value for `size` (one of SIZES)."""
    if size not in SIZES:
        raise ValueError(f"unknown perf size {size!r} (one of {', '.join(SIZES)})")
    return {"tiny": tiny, "quick": quick, "full": full}[size]


@dataclass
class Row:
    """One side-by-side measurement. Times are the best of `repeats` interleaved runs, in seconds; `gap` is the
    largest difference between the two outputs, in `gap_unit`, and must be <= `tolerance`."""

    entry: str
    measured: str
    size: str
    fast: str = ""
    reference: str = ""
    fast_s: float | None = None
    reference_s: float | None = None
    gap: float | None = None
    gap_unit: str = ""
    tolerance: float = 0.0
    peak_fast_mib: float | None = None
    peak_reference_mib: float | None = None
    peak_method: str = ""
    repeats: int = 0
    skipped: str | None = None  # why the row was not measured (a missing model, no distributed evaluation ...)
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """reference time / fast time (> 1: the fast path is faster)."""
        if self.fast_s is None or self.reference_s is None or self.fast_s <= 0:
            return None
        return self.reference_s / self.fast_s

    @property
    def agree(self) -> bool | None:
        return None if self.gap is None else bool(self.gap <= self.tolerance)

    def to_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio, "agree": self.agree}


def skipped(entry: str, measured: str, reason: str) -> Row:
    return Row(entry=entry, measured=measured, size="-", skipped=reason)


# ---------------------------------------------------------------------------------------------- peak memory

def _proc_status_kib(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        return int(re.search(rf"^{key}:\s+(\d+)", f.read(), re.M).group(1))


def rss_peak_available() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        _proc_status_kib("VmHWM")
        return True
    except (OSError, AttributeError):
        return False


def _release_free_memory() -> None:
    """Give the allocator's free memory back to the system (glibc's malloc_trim(3)), so that a call reusing what an
    earlier one freed still shows as resident growth."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def peak_memory_mib(fn: Callable[[], Any], method: str = "tracemalloc") -> float:
    """Peak memory in MiB that one call of `fn` adds over what the process held before it (see the module doc)."""
    if method == "rss":
        _release_free_memory()
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")  # the high-water mark drops to the current resident set
        before = _proc_status_kib("VmRSS")
        fn()
        return max(0, _proc_status_kib("VmHWM") - before) / 1024
    if method != "tracemalloc":
        raise ValueError(f"unknown peak-memory method {method!r} (in-process: tracemalloc or rss)")
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        fn()
        return max(0, tracemalloc.get_traced_memory()[1] - before) / 2**20
    finally:
        if not was_tracing:
            tracemalloc.stop()


# ---------------------------------------------------------------------------------------------- measuring

def side_by_side(entry: str, measured: str, size: str, fast: Callable[[], Any], reference: Callable[[], Any],
                 gap: Callable[[Any, Any], float], *, fast_label: str, reference_label: str, gap_unit: str,
                 tolerance: float = 0.0, repeats: int = 3, peak: str = "tracemalloc", notes: str = "") -> Row:
    """Time `fast` and `reference` alternately `repeats` times in this process (each round runs both, so a burst of
    load elsewhere on the machine hits both sides alike) and keep each side's best; the first round also warms
    both up and gives the outputs whose `gap(fast_out, reference_out)` is recorded. Peak memory comes from one
    more, untimed call of each side."""
    if peak == "rss" and not rss_peak_available():
        peak = "tracemalloc"  # not Linux, or /proc/self/clear_refs not writable: the portable measure
    fast_out, reference_out = fast(), reference()  # warm-up (lazy imports, caches, thread pools)
    difference = float(gap(fast_out, reference_out))
    del fast_out, reference_out
    best_fast = best_reference = math.inf
    for _ in range(max(1, repeats)):
        best_fast = min(best_fast, best_time_and_result(fast, 1)[0])
        best_reference = min(best_reference, best_time_and_result(reference, 1)[0])
    return Row(entry=entry, measured=measured, size=size, fast=fast_label, reference=reference_label,
               fast_s=best_fast, reference_s=best_reference, gap=difference, gap_unit=gap_unit, tolerance=tolerance,
               peak_fast_mib=peak_memory_mib(fast, peak), peak_reference_mib=peak_memory_mib(reference, peak),
               peak_method=peak, repeats=max(1, repeats), notes=notes)


# ---------------------------------------------------------------------------------------------- the machine

def cpu_info() -> dict:
    """CPU model (from /proc/cpuinfo where there is one), logical CPU count, load average: what moves timings."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            found = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
        model = found.group(1).strip() if found else model
    except OSError:
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    try:
        import torch

        threads = torch.get_num_threads()
    except ImportError:
        threads = None
    return {"cpu_model": model, "cpu_count": os.cpu_count(), "load_average": load, "torch_threads": threads,
            "python": platform.python_version(), "time_utc": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())}


# ---------------------------------------------------------------------------------------------- running, output

def run_table(entries: Sequence[tuple[str, Callable[..., list[Row]]]], size: str = "full", seed: int = 0,
              progress: Callable[[str], None] | None = None) -> dict:
    """Run every entry's `perf_table(size, seed)`; an entry that fails becomes a skipped row naming the error
    (one broken entry does not lose the others' figures)."""
    machine = cpu_info()
    rows: list[Row] = []
    for name, table in entries:
        if progress:
            progress(name)
        start = time.perf_counter()
        try:
            produced = table(size=size, seed=seed)
        except Exception as e:  # noqa: BLE001 - reported in the table, the others still run
            produced = [skipped(name, "-", f"failed: {type(e).__name__}: {e}")]
        for row in produced:
            row.extra.setdefault("entry_seconds", round(time.perf_counter() - start, 2))
        rows += produced
    machine["load_average_end"] = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else []
    return {"schema": "unipose-bench/perf-table/1", "size": size, "seed": seed, "machine": machine,
            "rows": [r.to_dict() for r in rows]}


def _num(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    if abs(value) >= 1000 or abs(value) < 10 ** -digits:
        return f"{value:.2e}"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if "." in f"{value:.{digits}f}" else f"{value}"


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def markdown(table: dict) -> str:
    m = table["machine"]
    load = " / ".join(f"{x:.2f}" for x in m.get("load_average", []))
    load_end = " / ".join(f"{x:.2f}" for x in m.get("load_average_end", []))
    lines = [
        f"CPU: {m['cpu_model']}, {m['cpu_count']} logical CPUs, torch threads {m.get('torch_threads')}; "
        f"load average (1/5/15 min) {load} at the start, {load_end} at the end; {m['time_utc']}"
        f"; sizes: {table.get('size')}.",
        "",
        "| entry | measured | size | fast | reference | fast time | reference time | ratio | max gap (tolerance) "
        "| peak fast / reference (MiB, method) |",
        "|---|---|---|---|---|---:|---:|---:|---|---|",
    ]
    for r in table["rows"]:
        if r["skipped"]:
            lines.append(f"| {r['entry']} | {r['measured']} | - | - | - | - | - | - | - | {r['skipped']} |")
            continue
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        gap = f"{_num(r['gap'], 4)} {r['gap_unit']} (<= {_num(r['tolerance'], 4)})".replace("  ", " ")
        if r["agree"] is False:
            gap = f"**{gap} DISAGREE**"
        peak = f"{_num(r['peak_fast_mib'], 1)} / {_num(r['peak_reference_mib'], 1)} ({r['peak_method']})"
        lines.append(f"| {r['entry']} | {r['measured']} | {r['size']} | {r['fast']} | {r['reference']} | "
                     f"{_time(r['fast_s'])} | {_time(r['reference_s'])} | {ratio} | {gap} | {peak} |")
    notes = [f"- {r['entry']}, {r['measured']}: {r['notes']}" for r in table["rows"] if r["notes"]]
    lines += ["", *notes, "", "Times: best of n interleaved runs in one process; ratio = reference / fast. Peak: memory one call "
              "adds (tracemalloc: traced Python/numpy allocations; rss: resident high-water growth; ru_maxrss: "
              "largest process of the command)."]
    return "\n".join(lines) + "\n"


def to_json(table: dict) -> str:
    return json.dumps(table, indent=2, allow_nan=False, default=str) + "\n"
