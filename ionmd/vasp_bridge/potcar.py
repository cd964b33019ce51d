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


def build_potcar(
    *, symbols: tuple[str, ...] | list[str], functional: str = "PBE"
) -> object | None:
    """The pymatgen ``Potcar`` (library configured), or None (POTCAR.spec will be
    written). InputError, before anything is written, when the library lacks one."""
    if potcar_library() is None:
        return None
    from pymatgen.io.vasp.inputs import Potcar

    try:
        return Potcar(list(symbols), functional=functional)
    except (OSError, RuntimeError, ValueError, KeyError) as exc:
        raise InputError(
            f"cannot build POTCAR {list(symbols)} ({functional}) from the library "
            f"{potcar_library()}: {str(exc).splitlines()[0] if str(exc) else exc!r}"
        ) from None


def write_potcar(
    directory: str | Path,
    *,
    symbols: tuple[str, ...] | list[str],
    functional: str = "PBE",
    potcar: object | None = None,
) -> Path:
    """Write POTCAR (library configured) or POTCAR.spec (not configured) into ``directory``.

    ``potcar``: one already built by :func:`build_potcar`. Returns the path written.
    """
    directory = Path(directory)
    if potcar is None:
        potcar = build_potcar(symbols=symbols, functional=functional)
    if potcar is None:
        spec = directory / "POTCAR.spec"
        spec.write_text("\n".join(symbols) + "\n")
        return spec
    path = directory / "POTCAR"
    potcar.write_file(path)  # type: ignore[attr-defined]
    return path


def read_potcar_spec(path: str | Path) -> list[str]:
    """The symbols listed in a POTCAR.spec."""
    return [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
