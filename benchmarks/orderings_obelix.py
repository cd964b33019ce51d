"""Place the orderings of every disordered OBELiX material of an ``ionmd plan``
JSON and check them independently of the ordering code (issue 21, docs/disorder.md).

    ionmd plan all.toml --json plan.json   # obelix-cif, occupancy = "order"
    PYTHONPATH=. python -m benchmarks.orderings_obelix plan.json rows.jsonl

One JSON line per material (resumable: materials already in ``rows.jsonl`` are
skipped): the orderings made (``n``) or the refusal, and three checks that use
only pymatgen, not ionmd's own bookkeeping, so the same command measures the
code before and after the issue (run it with ``PYTHONPATH`` at either checkout):

- ``distinct``: how many of the orderings are different structures
  (pymatgen ``StructureMatcher``, default tolerances, on pairs of equal Ewald
  energy as recorded, ``energy_above_lowest_eV`` to 1e-5 eV);
- ``close``: the pair furthest below 0.65 x (R_A + R_B) (Slater radii) over all
  orderings, or None;
- ``off``: elements whose placed count is more than 5 % from the CIF's count
  scaled to the supercell (e.g. a dopant rounded to 0).
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np


def _checks(orderings: list, structure: object) -> dict:
    from pymatgen.analysis.structure_matcher import StructureMatcher
    from pymatgen.core import Element

    matcher = StructureMatcher(primitive_cell=False, scale=False, attempt_supercell=False)
    kept: list = []
    for o in orderings:
        e = o.record["energy_above_lowest_eV"]
        if not any(abs(e - e2) < 1e-5 and matcher.fit(o.structure, s2) for e2, s2 in kept):
            kept.append((e, o.structure))
    worst = None
    for o in orderings:
        st = o.structure
        sym = [x.specie.symbol for x in st]
        radius = np.array([Element(x).atomic_radius or 1.0 for x in sym])
        d = st.distance_matrix
        np.fill_diagonal(d, np.inf)
        q = d / (0.65 * (radius[:, None] + radius[None, :]))
        i, j = np.unravel_index(np.argmin(q), q.shape)
        if q[i, j] < 1 and (worst is None or q[i, j] < worst[0]):
            worst = (float(q[i, j]), f"{sym[i]}-{sym[j]} {d[i, j]:.2f}")
    k = int(round(np.prod(np.diag(orderings[0].scaling))))
    cif = structure.composition.element_composition  # type: ignore[attr-defined]
    placed = orderings[0].structure.composition
    off = [
        f"{el.symbol} {k * n:.4g}->{int(placed[el.symbol])}"
        for el, n in cif.items()
        if abs(placed[el.symbol] - k * n) > 0.05 * k * n
    ]
    return {
        "n": len(orderings),
        "distinct": len(kept),
        "close": worst[1] if worst else None,
        "off": off,
    }


def main(argv: list[str]) -> int:
    from ionmd.structures.load import load_structure
    from ionmd.structures.ordering import make_orderings

    warnings.simplefilter("ignore")
    plan, out = json.loads(Path(argv[0]).read_text()), Path(argv[1])
    cifs = Path(
        argv[2] if len(argv) > 2 else "/work/shared/data/obelix/all_randomized_cifs"
    )
    done = (
        {json.loads(x)["material"] for x in out.read_text().splitlines()}
        if out.exists()
        else set()
    )
    with out.open("a") as f:
        for row in plan["materials"]:
            mid = row["material"]
            if "charge" not in row or mid in done:
                continue
            structure = load_structure(cifs / f"{mid}.cif", allow_partial=True)
            start = time.perf_counter()
            try:
                orderings = make_orderings(structure, n_orderings=4, material_id=mid)
                result = {"material": mid} | _checks(orderings, structure)
                result["record"] = {
                    k: orderings[0].record.get(k)
                    for k in ("n_symmetry_distinct_found", "symmetry_check_s", "n_atoms")
                }
            except Exception as exc:  # a refusal is a result
                result = {"material": mid, "error": str(exc)}
            result["s"] = round(time.perf_counter() - start, 2)
            f.write(json.dumps(result) + "\n")
            f.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
