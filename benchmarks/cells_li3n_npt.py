"""α-Li3N's NPT cell with a real model, per temperature, against the
experimental cell (issue 24), through ionmd's own stage
(:func:`ionmd.cells.npt_stage.stage_rows`: the campaign's 2x2x2 supercells,
32 atoms, ``min_cell_length_A = 6``, every temperature in one batch,
Nosé–Hoover MTK isotropic at 0 GPa, barostat τ = 1 ps, 2 fs, float64).

Per temperature: V/V_exp − 1 of the stage's second half (its mean ± a
standard error from ``--blocks`` blocks, and the first against the second
half of that half: how far the volume still drifts), a/a_exp and c/c_exp of
the mean cell (the barostat is isotropic: both are (V/V_exp)^(1/3), the
cell's shape kept), and the second half's mean pressure.

A CPU stage of a few ps is a few barostat times: the numbers say how far it
got, not a converged thermal expansion. Progress goes to the log (every
``LOG_EVERY`` steps) and the series seen so far to ``<out>.partial.json``, so a
run stopped early can still be analysed (``--from-json``); the stage's own
series (ionmd's record) go to ``<out>`` when it ends.

    OMP_NUM_THREADS=1 python -m benchmarks.cells_li3n_npt --model chgnet \
        --npt-ps 2 --out li3n-npt.json
    python -m benchmarks.cells_li3n_npt --from-json li3n-npt.json
    OMP_NUM_THREADS=1 python -m benchmarks.cells_li3n_npt --call-cost sevennet-0 chgnet

``--call-cost``: seconds per model call on the stage's batch (4 x 32 atoms),
with and without the stress, alternating (which model to use; what the
stress adds to the stage's cost beside ``ionmd plan``'s atom-steps).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

TEMPERATURES_K = (300.0, 800.0, 1000.0, 1200.0)
#: a progress line (and the partial series) every this many model calls
LOG_EVERY = 25


class Watched:
    """``model`` with a progress log and the series it sees (cell, volume,
    pressure per system, every ``every`` calls) written to ``partial``: the
    stage keeps its series until it ends; this keeps what a stopped run saw."""

    def __init__(
        self, model: Any, *, every: int, timestep_fs: float, partial: Path, meta: dict
    ):
        self.__dict__.update(inner=model, every=every, dt_fs=timestep_fs, partial=partial)
        self.__dict__.update(calls=0, t0=time.perf_counter(), rows=[], meta=meta)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["inner"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.inner, name, value)  # stress_on's switch: the model's own

    def __call__(self, state: Any) -> dict:
        from ionmd.cells.npt import observe

        out = self.inner(state)
        step = self.calls  # call 0: the integrator's init
        self.__dict__["calls"] += 1
        if step % self.every == 0 and step > 0 and "stress" in out:
            cell, vol, p = observe(state, stress=out["stress"])
            self.rows.append((step * self.dt_fs / 1000.0, cell, vol, p))
        if step % LOG_EVERY == 0 and self.rows:
            self._progress(step, self.rows[-1][2], self.rows[-1][3])
        return out

    def _progress(self, step: int, vol: np.ndarray, p: np.ndarray) -> None:
        wall = time.perf_counter() - self.t0
        vs = " ".join(f"{v:.2f}" for v in vol)
        ps = " ".join(f"{x:+.2f}" for x in p)
        print(
            f"step {step} ({step * self.dt_fs / 1000:.3f} ps), {wall:.0f} s "
            f"({wall / max(step, 1):.2f} s/step): V {vs} Å³, P {ps} GPa",
            flush=True,
        )
        series = {
            **self.meta,
            "time_ps": [r[0] for r in self.rows],
            "cell_A": [r[1].tolist() for r in self.rows],
            "volume_A3": [r[2].tolist() for r in self.rows],
            "pressure_GPa": [r[3].tolist() for r in self.rows],
        }
        self.partial.write_text(json.dumps(series))


def li3n_npt_systems(*, npt_ps: float, temperatures_K: tuple[float, ...]) -> tuple:
    """The campaign's α-Li3N systems (2x2x2) and its config for ``cell = "npt"``."""
    from ionmd.campaign.config import RunConfig
    from ionmd.campaign.materials import material_sources
    from ionmd.campaign.orderings import material_systems

    config = RunConfig(
        materials=("builtin:alpha-Li3N",),
        cell="npt",
        npt_ps=npt_ps,
        temperatures_K=temperatures_K,
        min_cell_length_A=6.0,
        timestep_fs=2.0,
    )
    systems = []
    for src in material_sources(config.materials, obelix_data=None):
        by_id, _ = material_systems(src, config=config)
        systems += [s for ss in by_id.values() for s in ss]
    return config, sorted(systems, key=lambda s: s.temperature_K)


def run_stage(*, model_name: str, npt_ps: float, dtype: str, out: Path) -> dict:
    """ionmd's NPT stage of α-Li3N at every temperature in one batch; writes and
    returns ``{"meta": ..., "cells": campaign.json's rows}``."""
    from ionmd.calculators import load_model
    from ionmd.cells.npt import SERIES_EVERY_FS
    from ionmd.cells.npt_stage import stage_rows

    config, systems = li3n_npt_systems(npt_ps=npt_ps, temperatures_K=TEMPERATURES_K)
    meta = {
        "model": model_name,
        "dtype": dtype,
        "npt_ps": npt_ps,
        "timestep_fs": config.timestep_fs,
        "keys": [s.key for s in systems],
        "temperatures_K": [float(s.temperature_K) for s in systems],
        "n_atoms": [len(s.atoms) for s in systems],
        "experimental_cell_A": [np.asarray(s.atoms.cell[:]).tolist() for s in systems],
    }
    print(json.dumps({k: v for k, v in meta.items() if k != "experimental_cell_A"}))
    model = load_model(model_name, device="cpu", dtype=getattr(torch, dtype))
    every = round(SERIES_EVERY_FS / config.timestep_fs)
    watched = Watched(
        model,
        every=every,
        timestep_fs=config.timestep_fs,
        partial=out.with_suffix(".partial.json"),
        meta=meta,
    )
    t0 = time.perf_counter()
    cells = stage_rows(systems, model=watched, settings=config.cell_settings, md=config.md)
    meta["wall_s"] = time.perf_counter() - t0
    doc = {"meta": meta, "cells": cells}
    out.write_text(json.dumps(doc))
    return doc


def block_stats(v: np.ndarray, *, blocks: int) -> tuple[float, float]:
    """Mean of ``v`` and its standard error from ``blocks`` equal blocks (the
    samples are correlated: blocks shorter than the barostat time understate it)."""
    means = np.array([b.mean() for b in np.array_split(v, blocks)])
    return float(v.mean()), float(means.std(ddof=1) / np.sqrt(blocks))


def summary(
    *, cell_exp: np.ndarray, cell: np.ndarray, volume: np.ndarray, pressure: np.ndarray,
    blocks: int,
) -> dict:  # fmt: skip
    """One system's numbers from its series (samples every 10 fs) and the mean
    cell of its second half: volumes in % of the experimental cell's."""
    v_exp = abs(np.linalg.det(cell_exp))
    half = volume[len(volume) // 2 :]
    mean_v, se_v = block_stats(half, blocks=blocks)
    q = len(half) // 2
    len_exp, length = np.linalg.norm(cell_exp, axis=1), np.linalg.norm(cell, axis=1)
    return {
        "volume_change_pct": 100 * (abs(np.linalg.det(cell)) / v_exp - 1),
        "mean_volume_change_pct": 100 * (mean_v / v_exp - 1),
        "mean_volume_se_pct": 100 * se_v / v_exp,
        "first_quarter_pct": 100 * (half[:q].mean() / v_exp - 1),
        "last_quarter_pct": 100 * (half[q:].mean() / v_exp - 1),
        "a_ratio": float(length[0] / len_exp[0]),
        "c_ratio": float(length[2] / len_exp[2]),
        "mean_pressure_GPa": float(pressure[len(pressure) // 2 :].mean()),
        "pressure_se_GPa": block_stats(pressure[len(pressure) // 2 :], blocks=blocks)[1],
        "sampled_ps": float(len(volume) * 0.01),
    }


def summaries(doc: dict, *, blocks: int) -> dict[float, dict]:
    """Per temperature: :func:`summary` of a finished stage (``cells`` rows) or
    of the series a stopped run left (``<out>.partial.json``)."""
    if "cells" in doc:
        meta, rows = doc["meta"], doc["cells"]
        return {
            t: summary(
                cell_exp=np.asarray(rows[k]["experimental_cell_A"]),
                cell=np.asarray(rows[k]["cell_A"]),
                volume=np.asarray(rows[k]["volume_A3"]),
                pressure=np.asarray(rows[k]["pressure_GPa"]),
                blocks=blocks,
            )
            for k, t in zip(meta["keys"], meta["temperatures_K"], strict=True)
        }
    cells = np.asarray(doc["cell_A"])  # (samples, systems, 3, 3)
    vols, press = np.asarray(doc["volume_A3"]), np.asarray(doc["pressure_GPa"])
    return {
        t: summary(
            cell_exp=np.asarray(doc["experimental_cell_A"][i]),
            cell=cells[len(cells) // 2 :, i].mean(axis=0),
            volume=vols[:, i],
            pressure=press[:, i],
            blocks=blocks,
        )
        for i, t in enumerate(doc["temperatures_K"])
    }


def show(doc: dict, *, blocks: int) -> None:
    meta = doc.get("meta", doc)
    print(
        f"α-Li3N 2x2x2 ({meta['n_atoms'][0]} atoms per system, "
        f"{len(meta['keys'])} systems in one batch), {meta['model']}, {meta['dtype']}, "
        f"{meta['timestep_fs']:g} fs, npt_ps = {meta['npt_ps']:g}"
        + (f", {meta['wall_s']:.0f} s" if "wall_s" in meta else " (partial series)")
    )
    print(
        "| T (K) | ΔV/V_exp (mean cell) | second-half mean ± SE | first / second "
        "quarter | a/a_exp | c/c_exp | mean P (GPa) ± SE | sampled (ps) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for t, s in summaries(doc, blocks=blocks).items():
        print(
            f"| {t:g} | {s['volume_change_pct']:+.2f} % | "
            f"{s['mean_volume_change_pct']:+.2f} ± {s['mean_volume_se_pct']:.2f} % | "
            f"{s['first_quarter_pct']:+.2f} / {s['last_quarter_pct']:+.2f} % | "
            f"{s['a_ratio']:.4f} | {s['c_ratio']:.4f} | "
            f"{s['mean_pressure_GPa']:+.3f} ± {s['pressure_se_GPa']:.3f} | "
            f"{s['sampled_ps']:.2f} |"
        )


def call_cost(*, model_name: str, dtype: str, calls: int = 4) -> None:
    """Seconds per call of ``model_name`` on the stage's batch, with and
    without the stress, alternating (after one warm-up call)."""
    import torch_sim as ts

    from ionmd.calculators import load_model

    _, systems = li3n_npt_systems(npt_ps=1.0, temperatures_K=TEMPERATURES_K)
    model = load_model(model_name, device="cpu", dtype=getattr(torch, dtype))
    state = ts.io.atoms_to_state(
        [s.atoms for s in systems], device="cpu", dtype=model.dtype
    )
    model(state)
    seconds: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(calls):
        for on in (False, True):
            model._compute_stress = on
            t0 = time.perf_counter()
            model(state)
            seconds[on].append(time.perf_counter() - t0)
    model._compute_stress = False
    show = {k: " ".join(f"{x:.2f}" for x in v) for k, v in seconds.items()}
    print(
        f"{model_name} {dtype}, {sum(len(s.atoms) for s in systems)} atoms: "
        f"s per call without stress {show[False]}, with {show[True]}, ratio of "
        f"medians {np.median(seconds[True]) / np.median(seconds[False]):.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="chgnet")
    ap.add_argument("--npt-ps", type=float, default=2.0)
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    ap.add_argument("--blocks", type=int, default=4)
    ap.add_argument("--out", type=Path, default=Path("cells-li3n-npt.json"))
    ap.add_argument("--from-json", type=Path, help="analyse a finished or partial run")
    ap.add_argument("--call-cost", nargs="+", metavar="MODEL", help="time model calls")
    a = ap.parse_args()
    if a.call_cost:
        for name in a.call_cost:
            call_cost(model_name=name, dtype=a.dtype)
        return
    if a.from_json:
        doc = json.loads(a.from_json.read_text())
    else:
        doc = run_stage(model_name=a.model, npt_ps=a.npt_ps, dtype=a.dtype, out=a.out)
    show(doc, blocks=a.blocks)


if __name__ == "__main__":
    main()
