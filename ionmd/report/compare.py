"""``ionmd compare``'s files: comparison.json (the document of
:func:`ionmd.analysis.compare.compare_runs`), comparison.md and comparison.html
with the model-vs-model parity figures of log10 σ and Ea inlined."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ionmd.analysis.compare import DFT_LABEL, compare_runs, load_run, merge_runs
from ionmd.analysis.compare_bootstrap import BOOTSTRAP_SEED, N_BOOTSTRAP
from ionmd.errors import InputError
from ionmd.outdir import check_output_dir
from ionmd.outputs import write_text_atomic


def write_comparison(
    *,
    run_dirs: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    labels: Mapping[str, str] | None = None,
    dft_dirs: Sequence[str | os.PathLike[str]] = (),
    figures: bool = True,
    n_bootstrap: int = N_BOOTSTRAP,
    seed: int = BOOTSTRAP_SEED,
) -> dict[str, Any]:
    """Read each run directory, write comparison.json/.md/.html into ``out_dir``
    (``labels``: run directory -> name, e.g. "DFT (VASP)"; ``dft_dirs``: analysed
    VASP AIMD directories, together one "DFT (VASP)" row); returns the document."""
    from ionmd.report.compare_figures import parity_figures
    from ionmd.report.compare_page import write_html, write_markdown

    if not run_dirs and not dft_dirs:
        raise InputError("compare needs at least one run directory")
    check_output_dir(out_dir, what="comparison directory (--out)")  # before reading
    labels = {str(Path(k)): v for k, v in (labels or {}).items()}
    runs = [load_run(d, label=labels.get(str(Path(d)))) for d in run_dirs]
    if dft_dirs:
        dft = [load_run(d, label=DFT_LABEL) for d in dft_dirs]
        runs.append(merge_runs(dft, label=DFT_LABEL))
    doc = compare_runs(runs, n_bootstrap=n_bootstrap, seed=seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "comparison.json", json.dumps(doc, indent=2))
    figs = parity_figures(doc, out=out, dft=DFT_LABEL) if figures else []
    write_markdown(doc, out=out, figures=figs)
    write_html(doc, out=out, figures=figs)
    return doc


__all__ = ["write_comparison"]
