"""Compare campaigns run with different models (or DFT) against experiment.

Each run directory holds a results.json (``ionmd analyze`` / ``ionmd run``). Per
model: the MAE of log10 σ(300 K) against OBELiX over all materials with an error
and over the all-reliable subset, each with a bootstrap-over-materials 95 %
interval; the pairwise MAE difference over the materials both models have, with
its interval (0 outside it: the two models can be told apart); Ea per material;
a rank table; model-vs-model parity of log10 σ and Ea. Written to
``comparison.json``, ``comparison.md`` and ``comparison.html`` (figures inlined).
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ionmd.analysis.tables import Table, html_table, markdown_table
from ionmd.errors import InputError
from ionmd.outputs import write_text_atomic

#: bootstrap resamples (over materials) and their seed
N_BOOTSTRAP = 2000
BOOTSTRAP_SEED = 0
DFT_LABEL = "DFT (VASP)"


@dataclass(frozen=True, kw_only=True)
class ModelRun:
    """One run directory's results, under its model's label."""

    label: str
    run_dir: str
    #: material id -> its results.json entry
    materials: dict[str, dict[str, Any]]
    #: material id -> requested status ("fitted", "failed", ...) and reasons
    requested: dict[str, dict[str, Any]]
    #: campaign.json's cost summary (None for runs without one, e.g. DFT)
    cost: dict[str, Any] | None = None


def _read_record(run_dir: Path) -> dict[str, Any]:
    """campaign.json as a dict ({} when absent or unreadable)."""
    try:
        data = json.loads((run_dir / "campaign.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _cost(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """Wall time, atom-steps/s and peak memory over a campaign's finished batches."""
    batches = [
        b
        for b in record.get("batches") or []
        if isinstance(b, dict) and b.get("status") == "done"
    ]
    if not batches:
        return None
    model = record.get("model") if isinstance(record.get("model"), dict) else {}
    md_wall = sum(float(b.get("md_wall_s") or 0.0) for b in batches)
    atom_steps = sum(
        float(b.get("n_atoms") or 0) * float(b.get("steps") or 0) for b in batches
    )
    return {
        "device": record.get("device", ""),
        "model_version": model.get("model_version", ""),
        "n_batches": len(batches),
        "wall_s": sum(float(b.get("wall_s") or 0.0) for b in batches),
        "atom_steps_per_s": atom_steps / md_wall if md_wall > 0 else None,
        "peak_device_GB": max(float(b.get("peak_device_GB") or 0.0) for b in batches),
        "peak_host_GB": max(float(b.get("peak_host_GB") or 0.0) for b in batches),
    }


def _model_label(run_dir: Path, doc: Mapping[str, Any]) -> str:
    """The model name: campaign.json's, else a VASP source, else the folder name."""
    data = _read_record(run_dir)
    if data:
        model = data.get("model") or {}
        name = model.get("model_name") if isinstance(model, dict) else None
        name = name or (data.get("config") or {}).get("model")
        if name:
            return str(name)
    inputs = [str(p).lower() for p in doc.get("inputs") or []]
    for m in (doc.get("materials") or {}).values():
        inputs += [str(t.get("source", "")).lower() for t in m.get("temperatures") or []]
    if doc.get("source_kind") == "vasp" or any(
        "xdatcar" in p or "vasprun" in p for p in inputs
    ):
        return DFT_LABEL
    return run_dir.name or str(run_dir)


def load_run(run_dir: str | os.PathLike[str], *, label: str | None = None) -> ModelRun:
    """A run directory's results.json (InputError naming the path when missing)."""
    from ionmd.analysis.report import read_results_json

    path = Path(run_dir)
    doc = read_results_json(path)
    return ModelRun(
        label=label or _model_label(path, doc),
        run_dir=str(path),
        materials=dict(doc["materials"]),
        requested=dict(doc.get("requested_materials") or {}),
        cost=_cost(_read_record(path)),
    )


def _errors(run: ModelRun, *, reliable_only: bool) -> dict[str, float]:
    """material -> |log10 σ_pred − log10 σ_exp| where both exist."""
    out = {}
    for mid, m in run.materials.items():
        err = m.get("log10_error")
        if err is None or not math.isfinite(err):
            continue
        if reliable_only and not m.get("all_reliable"):
            continue
        out[mid] = abs(float(err))
    return out


def bootstrap_mae(
    errors: Sequence[float], *, n: int = N_BOOTSTRAP, seed: int = BOOTSTRAP_SEED
) -> tuple[float | None, list[float | None]]:
    """MAE of absolute errors and its 95 % percentile interval (materials resampled
    with replacement); (None, [None, None]) when there are none."""
    e = np.asarray(errors, dtype=float)
    if e.size == 0:
        return None, [None, None]
    idx = np.random.default_rng(seed).integers(0, e.size, size=(n, e.size))
    means = e[idx].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(e.mean()), [float(lo), float(hi)]


def bootstrap_difference(
    a: Mapping[str, float],
    b: Mapping[str, float],
    *,
    n: int = N_BOOTSTRAP,
    seed: int = BOOTSTRAP_SEED,
) -> dict[str, Any]:
    """MAE(a) − MAE(b) over the materials both have, paired bootstrap interval."""
    common = sorted(set(a) & set(b))
    if not common:
        return {"n_materials": 0, "difference": None, "ci95": [None, None]}
    d = np.array([a[k] - b[k] for k in common])
    mean, ci = bootstrap_mae(d, n=n, seed=seed)
    return {
        "n_materials": len(common),
        "difference": mean,
        "ci95": ci,
        "distinguishable": bool(ci[0] > 0 or ci[1] < 0),
    }


def compare_runs(
    runs: Sequence[ModelRun], *, n_bootstrap: int = N_BOOTSTRAP, seed: int = BOOTSTRAP_SEED
) -> dict[str, Any]:
    """The comparison document (what comparison.json holds)."""
    labels = [r.label for r in runs]
    if len(set(labels)) != len(labels):
        dup = next(x for x in labels if labels.count(x) > 1)
        raise InputError(f"two run directories are both labelled {dup!r}: use --label")
    models: dict[str, Any] = {}
    errs_all = {}
    for r in runs:
        errs_all[r.label] = _errors(r, reliable_only=False)
        rel = _errors(r, reliable_only=True)
        mae, ci = bootstrap_mae(list(errs_all[r.label].values()), n=n_bootstrap, seed=seed)
        mae_r, ci_r = bootstrap_mae(list(rel.values()), n=n_bootstrap, seed=seed)
        models[r.label] = {
            "run_dir": r.run_dir,
            "mae_log10_all": mae,
            "mae_log10_all_ci95": ci,
            "n_all": len(errs_all[r.label]),
            "mae_log10_reliable": mae_r,
            "mae_log10_reliable_ci95": ci_r,
            "n_reliable": len(rel),
            "cost": r.cost,
        }
    pairs = []
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            diff = bootstrap_difference(errs_all[a], errs_all[b], n=n_bootstrap, seed=seed)
            pairs.append({"a": a, "b": b, **diff})
    material_ids = sorted({mid for r in runs for mid in (*r.materials, *r.requested)})
    per_material: dict[str, dict[str, Any]] = {}
    for mid in material_ids:
        row = {}
        for r in runs:
            m = r.materials.get(mid) or {}
            req = r.requested.get(mid) or {}
            row[r.label] = {
                "status": req.get("status", "fitted" if m else "absent"),
                "reason": req.get("reason") or "",
                "sigma_300K_mS_cm": m.get("sigma_300K_mS_cm"),
                "sigma_300K_ci95_mS_cm": m.get("sigma_300K_ci95_mS_cm"),
                "sigma_exp_mS_cm": m.get("sigma_exp_mS_cm"),
                "log10_error": m.get("log10_error"),
                "Ea_eV": m.get("Ea_eV"),
                "n_reliable": m.get("n_reliable"),
                "n_temperatures": m.get("n_temperatures"),
                "all_reliable": m.get("all_reliable"),
            }
        per_material[mid] = row
    ranked = sorted(
        labels,
        key=lambda x: (models[x]["mae_log10_all"] is None, models[x]["mae_log10_all"] or 0),
    )
    return {
        "bootstrap": {"n_resamples": n_bootstrap, "seed": seed, "over": "materials"},
        "models": models,
        "pairwise_mae_difference": pairs,
        "materials": per_material,
        "rank": ranked,
    }


def _f(x: Any, fmt: str = ".2f") -> str:
    return "–" if x is None else format(x, fmt)


def _ci(pair: Sequence[Any] | None, fmt: str = ".2f") -> str:
    if not pair or pair[0] is None:
        return "–"
    return f"[{_f(pair[0], fmt)}, {_f(pair[1], fmt)}]"


def _tables(doc: Mapping[str, Any]) -> list[Table]:
    return [_rank_table(doc), _pairs_table(doc), _per_material_table(doc), _cost_table(doc)]


def _rank_table(doc: Mapping[str, Any]) -> Table:
    models = doc["models"]
    return Table(
        "Rank (MAE of log10 σ(300 K) vs OBELiX, 95 % bootstrap interval over materials)",
        ["rank", "model", "MAE all", "interval", "n", "MAE reliable", "interval", "n"],
        [
            [
                str(i + 1),
                label,
                _f(models[label]["mae_log10_all"]),
                _ci(models[label]["mae_log10_all_ci95"]),
                str(models[label]["n_all"]),
                _f(models[label]["mae_log10_reliable"]),
                _ci(models[label]["mae_log10_reliable_ci95"]),
                str(models[label]["n_reliable"]),
            ]
            for i, label in enumerate(doc["rank"])
        ],
    )


def _pairs_table(doc: Mapping[str, Any]) -> Table:
    return Table(
        "Pairwise MAE difference (A − B, paired bootstrap; 0 outside the interval: "
        "told apart)",
        ["A", "B", "n", "MAE(A) − MAE(B)", "interval", "told apart"],
        [
            [
                p["a"],
                p["b"],
                str(p["n_materials"]),
                _f(p["difference"]),
                _ci(p["ci95"]),
                "yes" if p.get("distinguishable") else "no",
            ]
            for p in doc["pairwise_mae_difference"]
        ],
    )


def _per_material_table(doc: Mapping[str, Any]) -> Table:
    labels = list(doc["models"])
    per = Table(
        "Per material: log10 σ(300 K) [mS/cm] and Ea [eV] per model",
        [
            "material",
            "log10 σ exp",
            *[f"{x}: log10 σ / Ea (reliable T)" for x in labels],
        ],
        [],
    )
    for mid, row in doc["materials"].items():
        exp = next(
            (v["sigma_exp_mS_cm"] for v in row.values() if v["sigma_exp_mS_cm"]), None
        )
        cells = [mid, _f(math.log10(exp)) if exp else "–"]
        for x in labels:
            v = row[x]
            s = v["sigma_300K_mS_cm"]
            if v["status"] != "fitted" or s is None or s <= 0:
                reason = v["reason"]
                cells.append(f"{v['status']}" + (f" ({reason})" if reason else ""))
                continue
            rel = (
                f" ({v['n_reliable']}/{v['n_temperatures']})" if v["n_temperatures"] else ""
            )
            cells.append(f"{math.log10(s):.2f} / {_f(v['Ea_eV'], '.3f')}{rel}")
        per.rows.append(cells)  # type: ignore[attr-defined]
    return per


def _cost_table(doc: Mapping[str, Any]) -> Table:
    models = doc["models"]
    return Table(
        "Cost (finished batches, from each campaign.json)",
        ["model", "device", "atom-steps/s", "wall time (s)", "peak device GB",
         "peak host GB", "model version"],
        [
            [
                label,
                c["device"],
                _f(c["atom_steps_per_s"], ".4g"),
                _f(c["wall_s"], ".1f"),
                _f(c["peak_device_GB"], ".2f"),
                _f(c["peak_host_GB"], ".2f"),
                _short(str(c["model_version"])),
            ]
            for label, m in models.items()
            if (c := m["cost"]) is not None
        ],
    )  # fmt: skip


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _parity_figures(doc: Mapping[str, Any], *, out: Path) -> list[str]:
    """One PNG per quantity: every pair of models, log10 σ and Ea (matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(doc["models"])
    if len(labels) < 2:
        return []
    names = []
    for key, title, fname in (
        ("log10_sigma", "log10 σ(300 K) [mS/cm]", "parity_log10_sigma.png"),
        ("Ea_eV", "Ea [eV]", "parity_Ea.png"),
    ):
        fig, ax = plt.subplots(figsize=(5, 5))
        lim: list[float] = []
        for i, a in enumerate(labels):
            for b in labels[i + 1 :]:
                xs, ys = [], []
                for row in doc["materials"].values():
                    va, vb = _value(row[a], key), _value(row[b], key)
                    if va is not None and vb is not None:
                        xs.append(va)
                        ys.append(vb)
                if xs:
                    ax.scatter(xs, ys, label=f"{b} vs {a}")
                    lim += xs + ys
        if lim:
            lo, hi = min(lim), max(lim)
            pad = 0.1 * (hi - lo or 1.0)
            ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "k--", lw=0.8)
            ax.legend(fontsize=7)
        ax.set_xlabel(f"{title}, model A")
        ax.set_ylabel(f"{title}, model B")
        ax.set_title(f"Model vs model: {title}")
        fig.tight_layout()
        fig.savefig(out / fname, dpi=90)
        plt.close(fig)
        names.append(fname)
    return names


def _value(v: Mapping[str, Any], key: str) -> float | None:
    if v["status"] != "fitted":
        return None
    if key == "Ea_eV":
        return v["Ea_eV"]
    s = v["sigma_300K_mS_cm"]
    return math.log10(s) if s is not None and s > 0 else None


def write_comparison(
    *,
    run_dirs: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    labels: Mapping[str, str] | None = None,
    figures: bool = True,
    n_bootstrap: int = N_BOOTSTRAP,
    seed: int = BOOTSTRAP_SEED,
) -> dict[str, Any]:
    """Read each run directory, write comparison.json/.md/.html into ``out_dir``
    (``labels``: run directory -> name, e.g. "DFT (VASP)"); returns the document."""
    if not run_dirs:
        raise InputError("compare needs at least one run directory")
    labels = {str(Path(k)): v for k, v in (labels or {}).items()}
    runs = [load_run(d, label=labels.get(str(Path(d)))) for d in run_dirs]
    doc = compare_runs(runs, n_bootstrap=n_bootstrap, seed=seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "comparison.json", json.dumps(doc, indent=2))
    names = _parity_figures(doc, out=out) if figures else []
    tables = _tables(doc)
    md = ["# ionmd model comparison", ""]
    for t in tables:
        md += markdown_table(t)
    md += [f"![{n}]({n})" for n in names]
    write_text_atomic(out / "comparison.md", "\n".join(md) + "\n")
    from ionmd.analysis.report_text import _image_src

    h = [
        "<!doctype html><meta charset='utf-8'><title>ionmd model comparison</title>",
        "<style>body{font-family:sans-serif;max-width:70em}td,th{padding:2px 8px;"
        "border-bottom:1px solid #ddd}</style><h1>ionmd model comparison</h1>",
    ]
    for t in tables:
        h += html_table(t)
    for n in names:
        src = html.escape(_image_src(n, folder=out, embed=True))
        h.append(f"<p><img src='{src}' alt='{html.escape(n)}'></p>")
    write_text_atomic(out / "comparison.html", "\n".join(h) + "\n")
    return doc


__all__ = [
    "DFT_LABEL",
    "ModelRun",
    "bootstrap_difference",
    "bootstrap_mae",
    "compare_runs",
    "load_run",
    "write_comparison",
]
