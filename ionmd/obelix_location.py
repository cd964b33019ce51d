"""Where the local OBELiX copy is, for every layer that needs it (the campaign's
OBELiX ids, the analysis's experimental σ, the VASP bridge), without importing
the dataset code (pymatgen) or a layer above.

Order: ``obelix_data`` when given (a config file's value is taken relative to
that file: :func:`relative_to_config`); else the environment variable
``IONMD_OBELIX_DATA`` (returned as given, even if absent, so that errors name
it); else ``$IONMD_SHARED/data/obelix``; else ``<repo>/../shared/data/obelix``
if it exists; else None, and the comparison with experiment is skipped with its
reason in results.json.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ENV_VAR", "default_obelix_path", "relative_to_config"]

#: the environment variable naming the local OBELiX copy
ENV_VAR = "IONMD_OBELIX_DATA"


def default_obelix_path() -> Path | None:
    """The OBELiX copy found without ``obelix_data`` (see the module), or None."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    shared = os.environ.get("IONMD_SHARED")
    if shared and (Path(shared) / "data" / "obelix").is_dir():
        return Path(shared) / "data" / "obelix"
    repo_root = Path(__file__).resolve().parents[1]
    candidate = (repo_root / ".." / "shared" / "data" / "obelix").resolve()
    return candidate if candidate.is_dir() else None


def relative_to_config(value: str | None, *, config_path: str | Path) -> str | None:
    """A path written in a config file, as a path from anywhere: ``~`` expanded,
    a relative one taken from the config file's folder (not the working
    directory the command was started in)."""
    if value is None or not str(value).strip():
        return value
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = Path(config_path).resolve().parent / path
    return str(path)
