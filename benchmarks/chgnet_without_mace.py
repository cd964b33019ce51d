"""ionmd with mace, sevenn and e3nn unimportable (as in environments B and C of
docs/models.md): a short CHGNet campaign (MD only) through ionmd.run.

Usage: python -m benchmarks.chgnet_without_mace [OUT]
"""

import sys
import time

BLOCKED = ("mace", "sevenn", "e3nn")


def main(out: str) -> None:
    for name in BLOCKED:
        sys.modules[name] = None  # import fails, as where it is not installed
    import ionmd

    start = time.time()
    ionmd.run(
        ["builtin:alpha-Li3N"],
        model="chgnet",
        out=out,
        temperatures_K=[800, 1000],
        duration_ps=0.1,
        equilibration_ps=0.0,
        min_cell_length_A=5.0,
        analyze=False,
        force=True,
    )
    loaded = [m for m in BLOCKED if sys.modules.get(m) is not None]
    print(f"ok: {time.time() - start:.1f} s; blocked modules loaded: {loaded}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "chgnet-nomace")
