"""POTCAR or, without a licensed POTCAR library, ``POTCAR.spec``.

The symbols follow the Materials Project mapping of ``MPRelaxSet`` (e.g. Li → Li_sv),
which pymatgen knows without the POTCAR files. VASP's POTCARs are licensed, so the
library is configured by the user: point pymatgen at it once with::

    pmg config -p /path/to/VASP_PSP_unpacked /path/to/pmg_potcars
    pmg config --add PMG_VASP_PSP_DIR /path/to/pmg_potcars

(or set ``PMG_VASP_PSP_DIR`` in ``~/.config/.pmgrc.yaml``) and run ``ionmd vasp
prepare`` again: each run directory then gets a real POTCAR instead of POTCAR.spec.
``POTCAR.spec`` has one symbol per line, the format of pymatgen's own
``write_input(potcar_spec=True)``.
"""

from __future__ import annotations

from pathlib import Path

from ionmd.errors import InputError

CONFIGURE_HINT = (
    "no POTCAR library configured: set PMG_VASP_PSP_DIR (pmg config --add "
    "PMG_VASP_PSP_DIR <dir>) and run `ionmd vasp prepare --force` again"
)


def potcar_library() -> Path | None:
    """The POTCAR library pymatgen is configured with, or None."""
    from pymatgen.core import SETTINGS

    value = SETTINGS.get("PMG_VASP_PSP_DIR")
    return Path(value) if value else None


def write_potcar(
    directory: str | Path, *, symbols: tuple[str, ...] | list[str], functional: str = "PBE"
) -> Path:
    """Write POTCAR (library configured) or POTCAR.spec (not configured) into ``directory``.

    Returns the path written.
    """
    directory = Path(directory)
    if potcar_library() is None:
        spec = directory / "POTCAR.spec"
        spec.write_text("\n".join(symbols) + "\n")
        return spec
    from pymatgen.io.vasp.inputs import Potcar

    try:
        potcar = Potcar(list(symbols), functional=functional)
    except (OSError, RuntimeError, ValueError) as exc:
        raise InputError(
            f"cannot build POTCAR {list(symbols)} ({functional}): {exc}"
        ) from None
    path = directory / "POTCAR"
    potcar.write_file(path)
    return path


def read_potcar_spec(path: str | Path) -> list[str]:
    """The symbols listed in a POTCAR.spec."""
    return [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
