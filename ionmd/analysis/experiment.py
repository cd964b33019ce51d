"""Comparison with experiment: OBELiX's measured room-temperature conductivity.

Values come from the ``obelix-data`` package's own loader
(``obelix.OBELiX(data_path=..., no_cifs=True)``), column
``Ionic conductivity (S cm-1)``, converted to mS/cm. OBELiX replaces the text
values ``"<1E-10"`` and ``"<1E-8"`` by ``unspecified_low_value`` = 1e-15 S/cm
(its default); ionmd keeps that default, which gives 1e-12 mS/cm for ``47i``
(Li4P2O7) — the value the study used. Without the package installed the csv is
read directly with the same replacement rule.

Errors are ``log10(sigma_pred / sigma_exp)``; the study's headline figure is the
mean absolute value over materials (all of them, and those reliable at all
temperatures).
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable
from pathlib import Path

from ionmd.caller import option
from ionmd.errors import InputError
from ionmd.obelix_location import ENV_VAR, default_obelix_path

#: Column of OBELiX holding the measured conductivity, S/cm.
CONDUCTIVITY_COLUMN = "Ionic conductivity (S cm-1)"
#: OBELiX's replacement for "<1E-10" / "<1E-8", S/cm (obelix.OBELiX default).
UNSPECIFIED_LOW_S_CM = 1e-15
_LOW_TEXT = ("<1E-10", "<1E-8")


def _parse(value: object) -> float:
    text = str(value).strip()
    if text in _LOW_TEXT:
        return UNSPECIFIED_LOW_S_CM
    return float(text)


def load_obelix_sigma_mS_cm(
    *, data_path: str | os.PathLike[str] | None = None
) -> dict[str, float]:
    """Measured conductivity per OBELiX ID, mS/cm (entries without a number omitted)."""
    path = Path(data_path) if data_path is not None else default_obelix_path()
    if path is None:
        raise InputError(
            f"no OBELiX data found (no {option('--obelix-data')} given, {ENV_VAR} not "
            "set, no shared copy)"
        )
    if not (path / "all.csv").is_file():
        raise InputError(f"OBELiX data not found in {path}: expected a folder with all.csv")
    out: dict[str, float] = {}
    try:
        import obelix
    except ImportError:
        with open(path / "all.csv", newline="") as fh:
            for row in csv.DictReader(fh):
                try:
                    out[row["ID"]] = 1e3 * _parse(row[CONDUCTIVITY_COLUMN])
                except (KeyError, ValueError):
                    continue
        return out
    import io
    from contextlib import redirect_stdout

    with redirect_stdout(io.StringIO()):  # the loader prints progress and warnings
        data = obelix.OBELiX(
            data_path=str(path), no_cifs=True, unspecified_low_value=UNSPECIFIED_LOW_S_CM
        )
    for idx, value in data.dataframe[CONDUCTIVITY_COLUMN].items():
        try:
            out[str(idx)] = 1e3 * float(value)
        except (TypeError, ValueError):
            continue
    return out


def log10_error(*, sigma_pred_mS_cm: float, sigma_exp_mS_cm: float) -> float:
    """log10(predicted / measured); NaN when either is missing or not positive."""
    if not (sigma_pred_mS_cm > 0 and sigma_exp_mS_cm > 0):
        return float("nan")
    return math.log10(sigma_pred_mS_cm) - math.log10(sigma_exp_mS_cm)


def mae_log10(errors: Iterable[float]) -> tuple[float, int]:
    """Mean absolute log10 error over the finite entries, and their count."""
    vals = [abs(e) for e in errors if e is not None and math.isfinite(e)]
    return (sum(vals) / len(vals) if vals else float("nan")), len(vals)
