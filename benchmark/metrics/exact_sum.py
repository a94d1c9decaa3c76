"""An exact, mergeable sum of float64 values (the state of the streaming pose metrics).

Why by hand: a float running sum depends on the order of the additions, so summing shards and merging them would
differ in the last bits from one pass over the whole set. numpy and math.fsum return floats, so they cannot be
merged exactly. Every finite double is an integer multiple of 2**-1074, so we keep the sum as that integer (a Python
int, unbounded); merging is integer addition, and the value is rounded once, correctly, when read.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

_SCALE_BITS = 1074  # 2**-1074 is the smallest positive double
_HALF_BITS = 26     # split the 53-bit mantissas so that int64 sums of up to 2**36 values cannot overflow


class ExactSum:
    """The exact sum of the float64 values added so far; `add` is vectorised (no Python loop over the values)."""

    __slots__ = ("total",)

    def __init__(self, total: int = 0):
        self.total = int(total)  # the sum, in units of 2**-1074

    def add(self, values) -> ExactSum:
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        if values.size == 0:
            return self
        if not np.isfinite(values).all():
            raise ValueError("ExactSum only adds finite values")
        fraction, exponent = np.frexp(values)  # value = fraction * 2**exponent, 0.5 <= |fraction| < 1
        mantissa = np.ldexp(fraction, 53).astype(np.int64)  # exact: a double has 53 significant bits
        order = np.argsort(exponent, kind="stable")
        exponent, mantissa = exponent[order], mantissa[order]
        starts = np.flatnonzero(np.r_[True, exponent[1:] != exponent[:-1]])
        high = np.add.reduceat(mantissa >> _HALF_BITS, starts)
        low = np.add.reduceat(mantissa & ((1 << _HALF_BITS) - 1), starts)
        for e, h, lo in zip(exponent[starts].tolist(), high.tolist(), low.tolist()):
            group = (h << _HALF_BITS) + lo  # the exact integer sum of this exponent's mantissas
            shift = e - 53 + _SCALE_BITS
            self.total += group << shift if shift >= 0 else group >> -shift  # exact: values are multiples of 2**-1074
        return self

    def merge(self, other: ExactSum) -> ExactSum:
        self.total += other.total
        return self

    def value(self) -> float:
        return float(Fraction(self.total, 1 << _SCALE_BITS))

    def mean(self, count: int) -> float:
        """The sum divided by `count`, correctly rounded (NaN for count 0)."""
        return float(Fraction(self.total, count << _SCALE_BITS)) if count else float("nan")

    def __eq__(self, other) -> bool:
        return isinstance(other, ExactSum) and self.total == other.total

    def __repr__(self) -> str:
        return f"ExactSum({self.value()!r})"
