"""The names of a campaign's run files: batch 0 writes ``md.h5``, batch i
``md.i.h5`` (each with its checkpoint ``md[.i].ckpt.pt``)."""

from __future__ import annotations


def run_file_name(i: int) -> str:
    """The run file of batch ``i``."""
    return "md.h5" if i == 0 else f"md.{i}.h5"


def run_file_index(name: str) -> int:
    """0 for md.h5, i for md.i.h5 (the run-file order)."""
    parts = name.split(".")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 0


__all__ = ["run_file_index", "run_file_name"]
