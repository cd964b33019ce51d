"""Interleaved timing: A/B/A/B with several repeats, median ratio and its spread.

A benchmark ratio measured once (A then B) moves with whatever else the machine
does in between: ``ionmd bench --quick`` gave an overhead ratio of 2.78 on a loaded
machine and 1.13 on a quiet one. Timing the parts in turn, several times, gives a
ratio per repeat; we report the median and the relative spread
``(max − min) / median`` of those ratios, and call the result untrustworthy when
the spread is above ``MAX_TRUSTED_SPREAD``: the load changed during the
measurement by more than the effect we want to see.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

#: relative spread of the per-repeat ratios above which a ratio is not trusted
MAX_TRUSTED_SPREAD = 0.10


def interleave(
    parts: dict[str, Callable[[], float | None]], *, repeats: int
) -> dict[str, list[float]]:
    """Run every part once per repeat, in turn (A, B, A, B, ...).

    A part returns its own measured seconds, or None to be timed here (wall
    time of the call). Returns ``{name: [seconds per repeat]}``.
    """
    times: dict[str, list[float]] = {name: [] for name in parts}
    for _ in range(max(1, repeats)):
        for name, fn in parts.items():
            t0 = time.perf_counter()
            got = fn()
            times[name].append(float(got) if got is not None else time.perf_counter() - t0)
    return times


def ratio_stats(num: list[float], den: list[float]) -> dict[str, Any]:
    """Median, min, max and relative spread of the per-repeat ratios num/den,
    with ``trusted`` and, when not trusted, a one-line ``warning``."""
    ratios = [a / b for a, b in zip(num, den, strict=True) if b > 0]
    if not ratios:
        return {
            "median": None,
            "ratios": [],
            "spread": None,
            "trusted": False,
            "warning": "no valid repeat",
        }
    med = statistics.median(ratios)
    spread = (max(ratios) - min(ratios)) / med if med > 0 else float("inf")
    out: dict[str, Any] = {
        "median": med,
        "min": min(ratios),
        "max": max(ratios),
        "ratios": ratios,
        "repeats": len(ratios),
        "spread": spread,
        "trusted": len(ratios) >= 3 and spread <= MAX_TRUSTED_SPREAD,
    }
    if len(ratios) < 3:
        out["warning"] = f"only {len(ratios)} repeat(s): no spread to judge; use >= 3"
    elif spread > MAX_TRUSTED_SPREAD:
        out["warning"] = (
            f"spread {spread:.0%} of the median over {len(ratios)} repeats "
            f"(> {MAX_TRUSTED_SPREAD:.0%}): the machine's load changed during the "
            "measurement; do not trust this ratio (rerun on a quiet machine)"
        )
    return out
