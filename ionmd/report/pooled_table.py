"""The report's table of disordered materials (a page: the numbers are
:func:`ionmd.analysis.pooling.pool_orderings`'s, in results.json's
``pooled_orderings``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ionmd.report.tables import Table


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def pooled_table(pooled: Mapping[str, Any], *, word: str = "ordering") -> Table:
    """The report's table of pooled materials (``word``: "ordering" for
    disordered materials, "replica" for replicas): per material and temperature,
    D pooled over its members with the random-effects interval, the spread
    between members, then σ(300 K) of the pooled Arrhenius fit."""

    def g(x: Any, fmt: str = ".3g") -> str:
        return format(x, fmt) if _finite(x) else "–"

    rows: list[list[str]] = []
    for base, p in pooled.items():
        ci300 = p.get("sigma_300K_ci95_mS_cm") or [None, None]
        for t in p.get("temperatures") or []:
            lo, hi = t.get("D_ci95_cm2_s") or [None, None]
            rows.append(
                [
                    base,
                    f"{t['temperature_K']:g}",
                    str(t.get(f"n_{word}s", "")),
                    f"{g(t.get('D_cm2_s'))} [{g(lo)}, {g(hi)}]",
                    g(t.get("D_spread_cm2_s")),
                    "yes" if t.get("reliable_all") else "no",
                    f"{g(p.get('sigma_300K_mS_cm'))} [{g(ci300[0])}, {g(ci300[1])}]",
                    g(p.get("sigma_exp_mS_cm")),
                ]
            )
    title = (
        "Disordered materials: D pooled over the orderings (each ordering is also a "
        "row of the tables above)"
        if word == "ordering"
        else "Replicas: D pooled over the replicas of each material (each replica is "
        "also a row of the tables above)"
    )
    return Table(
        title,
        [
            "material",
            "T (K)",
            f"{word}s",
            "D (cm²/s) [95 %]",
            f"spread between {word}s",
            "all reliable",
            "σ(300 K) pooled (mS/cm) [95 %]",
            "σ exp (mS/cm)",
        ],
        rows,
    )
