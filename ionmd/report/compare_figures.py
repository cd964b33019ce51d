"""The comparison's parity plots (matplotlib, PNG): model vs model and, when a
"DFT (VASP)" row is present, each model vs DFT (the study's Figure 2), of
log10 σ(300 K) and of Ea. A plot with no point is not drawn: the page says why."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

QUANTITIES = (
    ("log10_sigma", "log10 σ(300 K) [mS/cm]", "log10_sigma"),
    ("Ea_eV", "Ea [eV]", "Ea"),
)


class Figure(NamedTuple):
    """A written PNG (``name``: file name in the comparison folder), or only a
    note (``name`` empty) saying why it was not drawn."""

    name: str
    caption: str


def value(cell: Mapping[str, Any], key: str) -> float | None:
    """A model's log10 σ(300 K) or Ea for one material, None without a fit."""
    if cell.get("status") != "fitted":
        return None
    if key == "Ea_eV":
        ea = cell.get("Ea_eV")
        return float(ea) if isinstance(ea, int | float) and math.isfinite(ea) else None
    s = cell.get("sigma_300K_mS_cm")
    return math.log10(s) if isinstance(s, int | float) and s > 0 else None


def _pairs(labels: Sequence[str], dft: str, *, vs_dft: bool) -> list[tuple[str, str]]:
    """(x, y) pairs: each model against ``dft``, or every two models but ``dft``."""
    models = [x for x in labels if x != dft]
    if vs_dft:
        return [(dft, m) for m in models] if dft in labels else []
    return [(a, b) for i, a in enumerate(models) for b in models[i + 1 :]]


def _points(doc: Mapping[str, Any], a: str, b: str, key: str) -> list[tuple[float, float]]:
    pts = []
    for row in doc["materials"].values():
        va, vb = value(row[a], key), value(row[b], key)
        if va is not None and vb is not None:
            pts.append((va, vb))
    return pts


def _draw(
    doc: Mapping[str, Any], pairs: list[tuple[str, str]], key: str, title: str, path: Path
) -> bool:
    """One scatter per pair on one axis with the diagonal; False when no point."""
    series = [(a, b, pts) for a, b in pairs if (pts := _points(doc, a, b, key))]
    if not series:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.6, 4.6))
    lim: list[float] = []
    for a, b, pts in series:
        xs, ys = zip(*pts, strict=True)
        ax.scatter(xs, ys, label=f"{b} vs {a}")
        lim += [*xs, *ys]
    lo, hi = min(lim), max(lim)
    pad = 0.1 * (hi - lo or 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "k--", lw=0.8)
    ax.legend(fontsize=7)
    one = len(series) == 1  # one pair with points: name the axes by its models
    ax.set_xlabel(f"{title}, {series[0][0] if one else 'model A (legend: B vs A)'}")
    ax.set_ylabel(f"{title}, {series[0][1] if one else 'model B'}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def parity_figures(doc: Mapping[str, Any], *, out: Path, dft: str) -> list[Figure]:
    """Model-vs-model parity (models other than ``dft``) and, when ``dft`` is one
    of the rows, model-vs-DFT parity; each of log10 σ and Ea."""
    labels = list(doc["models"])
    figures = []
    for kind in ("model", "dft"):
        pairs = _pairs(labels, dft, vs_dft=kind == "dft")
        if not pairs:
            continue
        for key, title, stem in QUANTITIES:
            what = f"Model vs {dft if kind == 'dft' else 'model'}: {title}"
            name = f"parity_{kind}_{stem}.png"
            (out / name).unlink(missing_ok=True)  # none left from an earlier run
            if _draw(doc, pairs, key, title, out / name):
                figures.append(Figure(name, what))
            else:
                figures.append(
                    Figure("", f"{what}: not drawn, no material has a value from both")
                )
    return figures


__all__ = ["Figure", "parity_figures", "value"]
