"""The reference study's benchmark selection from OBELiX (its Appendix A.3).

Procedure, as the study describes it:

1. Keep entries with a CIF whose sites are all fully occupied (one species,
   occupancy within ``OCCUPANCY_TOL`` of 1) and that contains Li (added here: the
   public CIF of ``b4c``, Li4SiS4, holds no Li at all).
2. Split [sigma_min, sigma_max] (1e-7 mS/cm to the highest conductivity in the
   whole dataset, 25 mS/cm) into ``n_bins`` equal bins in log10 σ; draw one
   material from each non-empty bin.
3. Split ``low_range_mS_cm`` (1e-15 to 1e-7 mS/cm) into ``n_low_bins`` equal log
   bins; draw one material from each non-empty bin.

Conventions chosen here (the study does not state them): every bin is closed on
the left and open on the right, so the material *at* sigma_max (4p7, 25 mS/cm)
falls outside the last bin. This is what reproduces the study's count: with the
local copy the main bins then have 18 of 20 non-empty (the study: "two bins were
empty"); closing the last bin (``include_max=True``) gives 19. Then 4 + 18 = 22,
and the 21 fully occupied study materials fall in 21 distinct bins, the 22nd
non-empty bin being the one that holds joc's conductivity (joc is partially
occupied in the public copy, so it is not a candidate here);
conductivities are those of the study (``study_convention=True``: "<1E-10" S/cm ->
1e-12 mS/cm, which is how the study's 47i lands in the low bins); candidates in a
bin are sorted by id and one is drawn with ``numpy.random.default_rng(seed)``,
bins in ascending order (main bins first, then low bins), so a seed fixes the set.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ionmd.datasets.obelix import (
    CIF_DIRNAME,
    IC_COLUMN,
    _table,
    parse_conductivity_text,
    resolve_obelix_path,
)
from ionmd.errors import InputError

__all__ = ["BenchmarkBin", "benchmark_bins", "fully_occupied_ids", "select_benchmark_set"]


@dataclass(frozen=True)
class BenchmarkBin:
    """One log-σ bin: [lo_mS_cm, hi_mS_cm) and the candidate ids in it (sorted)."""

    lo_mS_cm: float
    hi_mS_cm: float
    members: tuple[str, ...]
    is_low_range: bool


def fully_occupied_ids(
    *, data_path: str | os.PathLike | None = None, require_li: bool = True
) -> list[str]:
    """Ids (``all.csv`` order) with a CIF whose sites are all fully occupied.

    ``require_li``: also drop CIFs without Li (only ``b4c`` in the local copy).

    A CIF with any ``_atom_site_occupancy`` below 1 - tol is partial without
    building the structure; the others are parsed with pymatgen and checked site
    by site (catches mixed sites). ~4 s for the local copy; cached per path.
    """
    found = _fully_occupied(str(resolve_obelix_path(data_path)))
    return [mid for mid, has_li in found if has_li or not require_li]


@lru_cache(maxsize=4)
def _fully_occupied(path_str: str) -> tuple[tuple[str, bool], ...]:
    """(id, contains Li) for every fully occupied CIF."""
    from pymatgen.io.cif import CifFile, CifParser

    from ionmd.structures.occupancy import OCCUPANCY_TOL, partial_sites

    cif_dir = Path(path_str) / CIF_DIRNAME
    keep = []
    for material_id, row in _table(path_str).items():
        cif = cif_dir / f"{material_id}.cif"
        if row.get("Cif ID") != "done" or not cif.is_file():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                text = cif.read_text()
                blocks = list(CifFile.from_str(text).data.values())
                occ = blocks[0].data.get("_atom_site_occupancy", []) if blocks else []
                if any(_cif_number(x) < 1.0 - OCCUPANCY_TOL for x in occ):
                    continue
                structure = CifParser.from_str(text).parse_structures(primitive=False)[0]
            except Exception:  # an unreadable CIF is simply not a candidate
                continue
        if not partial_sites(structure):
            keep.append((material_id, "Li" in structure.composition.element_composition))
    return tuple(keep)


def _cif_number(text: str) -> float:
    """'0.97(2)' -> 0.97; '.' or '?' -> 1 (unknown occupancy means full in CIF)."""
    head = text.split("(")[0].strip()
    try:
        return float(head)
    except ValueError:
        return 1.0


def _dataset_max_mS_cm(
    path_str: str,
) -> float:
    values = []
    for row in _table(path_str).values():
        raw = row.get(IC_COLUMN, "")
        if raw and not raw.startswith("<"):
            try:
                values.append(parse_conductivity_text(raw).sigma_mS_cm)
            except InputError:
                continue
    if not values:
        raise InputError("OBELiX table has no numeric conductivity")
    return max(values)


def _log_edges(lo: float, hi: float, n: int) -> np.ndarray:
    """(n + 1,) bin edges in log10(σ / mS/cm), equally spaced, endpoints exact."""
    if not (lo > 0 and hi > lo and n >= 1):
        raise InputError(f"bad bin range {lo}..{hi} mS/cm with {n} bins")
    return np.linspace(math.log10(lo), math.log10(hi), n + 1)


def _fill(
    log_edges: np.ndarray, sigma: dict[str, float], *, low: bool, close_last: bool
) -> list[BenchmarkBin]:
    bins = []
    for b in range(len(log_edges) - 1):
        lo, hi = float(log_edges[b]), float(log_edges[b + 1])
        last = close_last and b == len(log_edges) - 2
        members = sorted(
            mid
            for mid, s in sigma.items()
            if lo <= math.log10(s) < hi or (last and math.log10(s) == hi)
        )
        bins.append(BenchmarkBin(10.0**lo, 10.0**hi, tuple(members), low))
    return bins


def benchmark_bins(
    *,
    data_path: str | os.PathLike | None = None,
    n_bins: int = 20,
    sigma_min_mS_cm: float = 1e-7,
    sigma_max_mS_cm: float | None = None,
    n_low_bins: int = 4,
    low_range_mS_cm: tuple[float, float] = (1e-15, 1e-7),
    include_max: bool = False,
) -> list[BenchmarkBin]:
    """The study's bins with their fully occupied candidates (main bins, then low).

    ``sigma_max_mS_cm=None``: the highest numeric conductivity in the whole
    dataset (25 mS/cm in the local copy, as in the study). ``include_max=False``
    keeps every bin half-open, so the material *at* sigma_max (4p7, 25 mS/cm) falls
    outside the last bin, as it evidently did in the study (see module docstring).
    """
    path_str = str(resolve_obelix_path(data_path))
    sigma_max = _dataset_max_mS_cm(path_str) if sigma_max_mS_cm is None else sigma_max_mS_cm
    table = _table(path_str)
    sigma = {}
    for mid in fully_occupied_ids(data_path=path_str):
        try:
            value = parse_conductivity_text(
                table[mid].get(IC_COLUMN, ""), study_convention=True
            )
        except InputError:
            continue
        sigma[mid] = value.sigma_mS_cm
    main = _fill(
        _log_edges(sigma_min_mS_cm, sigma_max, n_bins),
        sigma,
        low=False,
        close_last=include_max,
    )
    lo, hi = low_range_mS_cm
    low = _fill(_log_edges(lo, hi, n_low_bins), sigma, low=True, close_last=False)
    return main + low


def select_benchmark_set(
    *,
    data_path: str | os.PathLike | None = None,
    seed: int,
    n_bins: int = 20,
    sigma_min_mS_cm: float = 1e-7,
    n_low_bins: int = 4,
    low_range_mS_cm: tuple[float, float] = (1e-15, 1e-7),
    include_max: bool = False,
) -> list[str]:
    """One fully occupied material per non-empty bin, drawn with ``seed``.

    Returns ids ordered by bin (ascending σ in the main bins, then the low bins);
    its length is the number of non-empty bins (the study: 18 + 4 = 22).
    """
    bins = benchmark_bins(
        data_path=data_path,
        n_bins=n_bins,
        sigma_min_mS_cm=sigma_min_mS_cm,
        n_low_bins=n_low_bins,
        low_range_mS_cm=low_range_mS_cm,
        include_max=include_max,
    )
    rng = np.random.default_rng(seed)
    return [b.members[int(rng.integers(len(b.members)))] for b in bins if b.members]
