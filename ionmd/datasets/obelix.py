"""The OBELiX dataset (local copy): ids, structures and experimental conductivities.

OBELiX (Therrien et al., arXiv:2502.14234, CC-BY 4.0) lists synthesized Li solid
electrolytes with their room-temperature ionic conductivity. ionmd reads a local
copy laid out as the ``obelix-data`` package expects (``all.csv``, ``test.csv``,
``all_randomized_cifs/<ID>.cif``) and never downloads: every entry point checks
that the directory and its ``all.csv`` exist before the package is called (the
package downloads only when ``data_path`` does not exist).

Benchmark selection (Appendix A.3 of the reference study) lives in
:mod:`ionmd.datasets.selection`.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pymatgen.core import Structure

from ionmd.errors import InputError
from ionmd.obelix_location import default_obelix_path

if TYPE_CHECKING:
    from obelix import OBELiX  # type: ignore[import-untyped]

    from ionmd.structures.occupancy import RoundingRule

__all__ = [
    "CIF_DIRNAME",
    "IC_COLUMN",
    "OBELIX21",
    "OBELIX22",
    "PACKAGE_UNSPECIFIED_LOW_S_CM",
    "ExperimentalValue",
    "default_obelix_path",
    "experimental_sigma_mS_cm",
    "load_obelix",
    "obelix_cif_ids",
    "obelix_cif_path",
    "obelix_ids",
    "obelix_structure",
    "parse_conductivity_text",
    "resolve_obelix_path",
]

#: The 21 materials of the reference study, in the order of its Table 2 (without goi).
OBELIX21: tuple[str, ...] = (
    "qa9", "t0h", "ur9", "uu4", "9zk", "bv2", "x2i", "5bz", "joc", "ipo", "wyu",
    "be9", "2uv", "rr5", "fft", "gvd", "mdp", "dth", "clt", "47i", "kfp",
)  # fmt: skip
#: The 22 selected materials, Table 2 order: goi (LiClC3H7NO, dropped by the study
#: because MD with MACE failed on it) sits between rr5 and fft.
OBELIX22: tuple[str, ...] = (*OBELIX21[:14], "goi", *OBELIX21[14:])

#: Conductivity column of ``all.csv``, S/cm (some entries are text like "<1E-10").
IC_COLUMN = "Ionic conductivity (S cm-1)"
#: Folder of the public (randomized) CIFs inside the data directory.
CIF_DIRNAME = "all_randomized_cifs"
#: What ``obelix.OBELiX`` (``unspecified_low_value``) substitutes for "<1E-10" and
#: "<1E-8", S/cm; = 1e-12 mS/cm, the value the study used for 47i.
PACKAGE_UNSPECIFIED_LOW_S_CM = 1e-15
#: The text values that the package replaces (``obelix.utils.replace_text_IC``).
_PACKAGE_REPLACED_TEXT = ("<1E-10", "<1E-8")
_S_CM_TO_MS_CM = 1e3


@dataclass(frozen=True)
class ExperimentalValue:
    """A room-temperature conductivity from OBELiX.

    Attributes:
        sigma_mS_cm: conductivity, mS/cm (for an upper bound: the value used).
        raw_text: the ``all.csv`` cell as written, S/cm (e.g. "1.6e-10", "<1E-10").
        is_upper_bound: True when the literature only gives an upper bound.
    """

    sigma_mS_cm: float
    raw_text: str
    is_upper_bound: bool


def resolve_obelix_path(data_path: str | os.PathLike | None) -> Path:
    """Validated data directory (None: :func:`default_obelix_path`), else InputError."""
    if data_path is None:
        found = default_obelix_path()
        if found is None:
            raise InputError(
                "no local OBELiX data: pass data_path or set IONMD_OBELIX_DATA "
                "(ionmd never downloads it)"
            )
        data_path = found
    path = Path(data_path)
    if not path.is_dir():
        raise InputError(
            f"OBELiX data directory not found: {path} (ionmd never downloads it)"
        )
    if not (path / "all.csv").is_file():
        raise InputError(f"OBELiX data directory {path} has no all.csv")
    return path


def load_obelix(
    *, data_path: str | os.PathLike | None = None, no_cifs: bool = False
) -> OBELiX:
    """The ``obelix.OBELiX`` dataset read from a local copy (never downloads).

    Text conductivities are kept as written (``unspecified_low_value=None``); use
    :func:`experimental_sigma_mS_cm` for numbers. Reading all CIFs (``no_cifs=False``)
    takes ~15 s; the package's progress output is silenced.
    """
    from obelix import OBELiX  # type: ignore[import-untyped]

    path = resolve_obelix_path(data_path)
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        return OBELiX(data_path=str(path), no_cifs=no_cifs, unspecified_low_value=None)


@lru_cache(maxsize=4)
def _table(path_str: str) -> dict[str, dict[str, str]]:
    """id -> row (all values as text), via the package without CIFs."""
    dataset = load_obelix(data_path=path_str, no_cifs=True)
    frame = dataset.dataframe
    table: dict[str, dict[str, str]] = {}
    for material_id, row in frame.iterrows():
        table[str(material_id)] = {
            key: ("" if _is_missing(value) else str(value)) for key, value in row.items()
        }
    return table


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def obelix_ids(*, data_path: str | os.PathLike | None = None) -> list[str]:
    """All entry ids of the local copy, in ``all.csv`` order."""
    return list(_table(str(resolve_obelix_path(data_path))))


def _row(material_id: str, path: Path) -> dict[str, str]:
    table = _table(str(path))
    key = str(material_id).strip().lower()
    if key not in table:
        close = difflib.get_close_matches(key, list(table), n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise InputError(f"unknown OBELiX id {material_id!r}{hint}")
    return table[key]


def obelix_cif_path(
    material_id: str, *, data_path: str | os.PathLike | None = None
) -> Path:
    """Path of the randomized CIF of an entry; InputError if the entry has none."""
    path = resolve_obelix_path(data_path)
    row = _row(material_id, path)
    key = str(material_id).strip().lower()
    cif = path / CIF_DIRNAME / f"{key}.cif"
    if row.get("Cif ID") != "done" or not cif.is_file():
        raise InputError(f"OBELiX entry {key!r} has no CIF in {path / CIF_DIRNAME}")
    return cif


def obelix_cif_ids(
    *, data_path: str | os.PathLike | None = None, element: str = "Li"
) -> list[str]:
    """Ids (``all.csv`` order) of every entry with a CIF whose atoms include
    ``element`` (``materials = "obelix-cif"``). Read from the CIF text: the
    ``_chemical_formula_sum`` line when present, else the atom-site symbols."""
    import re

    path = resolve_obelix_path(data_path)
    table = _table(str(path))
    pattern = re.compile(rf"(?<![A-Za-z]){re.escape(element)}(?![a-z])")
    out = []
    for key, row in table.items():
        cif = path / CIF_DIRNAME / f"{key}.cif"
        if row.get("Cif ID") != "done" or not cif.is_file():
            continue
        text = cif.read_text(errors="replace")
        formula = re.search(r"^_chemical_formula_sum\s+(.+)$", text, re.MULTILINE)
        where = formula.group(1) if formula else text
        if pattern.search(where):
            out.append(key)
    return out


def obelix_structure(
    material_id: str,
    *,
    data_path: str | os.PathLike | None = None,
    round_occupancies: bool = False,
    rounding_rule: RoundingRule = "composition",
) -> Structure:
    """The structure of an OBELiX entry from ``all_randomized_cifs/<ID>.cif``.

    Read with :func:`ionmd.structures.load.load_structure` (pymatgen's CIF parser,
    conventional cell, as the package's ``Structure.from_file``), so partially
    occupied entries (e.g. ``joc`` in the public copy) raise InputError unless
    ``round_occupancies=True``.
    """
    from ionmd.structures.load import load_structure

    cif = obelix_cif_path(material_id, data_path=data_path)
    return load_structure(
        cif, round_occupancies=round_occupancies, rounding_rule=rounding_rule
    )


def experimental_sigma_mS_cm(
    material_id: str,
    *,
    data_path: str | os.PathLike | None = None,
    study_convention: bool = False,
) -> ExperimentalValue:
    """Experimental room-temperature conductivity of an entry, mS/cm.

    ``all.csv`` gives S/cm; numbers are multiplied by 1000. Text entries:

    - The obelix package (``obelix.utils.replace_text_IC``, applied by
      ``OBELiX(unspecified_low_value=1e-15)``) replaces exactly "<1E-10" and
      "<1E-8" by 1e-15 S/cm (= 1e-12 mS/cm) and leaves other text unchanged.
    - Here, by default (``study_convention=False``), an entry "<X" gives the bound
      itself, X S/cm, with ``is_upper_bound=True`` (47i: "<1E-10" -> 1e-7 mS/cm).
    - With ``study_convention=True``, "<1E-10"/"<1E-8" take the package's value,
      1e-12 mS/cm (still flagged as a bound). This is the value the study used for
      47i (Li4P2O7), whose literature value is only "< 1e-7 mS/cm".

    Raises InputError for unknown ids, empty cells and unparseable text.
    """
    path = resolve_obelix_path(data_path)
    raw = _row(material_id, path).get(IC_COLUMN, "").strip()
    return parse_conductivity_text(raw, study_convention=study_convention, what=material_id)


def parse_conductivity_text(
    raw_text: str, *, study_convention: bool = False, what: str = "value"
) -> ExperimentalValue:
    """Parse one ``all.csv`` conductivity cell (S/cm text) as described above."""
    raw = raw_text.strip()
    if not raw:
        raise InputError(f"OBELiX entry {what!r} has no ionic conductivity")
    if raw.startswith("<"):
        if study_convention and raw in _PACKAGE_REPLACED_TEXT:
            sigma_s_cm = PACKAGE_UNSPECIFIED_LOW_S_CM
        else:
            sigma_s_cm = _to_float(raw[1:], raw=raw, what=what)
        return ExperimentalValue(sigma_s_cm * _S_CM_TO_MS_CM, raw, True)
    return ExperimentalValue(
        _to_float(raw, raw=raw, what=what) * _S_CM_TO_MS_CM, raw, False
    )


def _to_float(text: str, *, raw: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(
            f"OBELiX entry {what!r}: cannot read conductivity {raw!r} (S/cm)"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"OBELiX entry {what!r}: conductivity {raw!r} is not positive")
    return value
