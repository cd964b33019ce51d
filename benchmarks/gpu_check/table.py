"""The device check's printed table (also ``gpu_check.md``), from its JSON
(:mod:`benchmarks.gpu_check`): the quantities, then one row per part."""

from __future__ import annotations

from functools import partial
from typing import Any


def table(result: dict[str, Any]) -> str:
    """The printed summary (also ``gpu_check.md``)."""
    p = result["parts"]
    rows = _engine_rows(result) + _path_rows(p) + _model_rows(p)
    lines = ["| quantity | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    lines += ["", "| part | status | s | reason |", "|---|---|---|---|"]
    for name, e in p.items():
        lines.append(
            f"| {name} | {e['status']} | {e['wall_s']:.1f} | {e.get('reason', '')} |"
        )
    real = p.get("real_model", {})
    if real.get("resolves"):
        lines += ["", f"Real model: {real['resolves']}"]
    if real.get("note"):
        lines += [f"Real model: {real['note']}."]
    if result.get("dry_run"):
        lines += [
            "",
            "DRY RUN on the CPU: sizes are tiny, numbers say nothing about a GPU.",
        ]
    return "\n".join(lines) + "\n"


def _get(parts: dict[str, Any], part: str, *keys: str) -> Any:
    """``parts[part][k1][k2]...``, None where a level is missing."""
    v: Any = parts.get(part, {})
    for k in keys:
        v = v.get(k) if isinstance(v, dict) else None
    return v


def _f(x: Any, unit: str = "") -> str:
    if isinstance(x, float):
        return f"{x:.3g}{unit}"
    return "n/a" if x is None else f"{x}{unit}"


def _ratio(st: Any) -> str:
    """A median ratio with its spread, flagged when the spread is too large."""
    if not isinstance(st, dict) or st.get("median") is None:
        return "n/a"
    flag = "" if st.get("trusted") else " (NOT TRUSTED: spread too large)"
    return f"{st['median']:.3g} ±{st['spread']:.0%}{flag}"


def _engine_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    """Device, model, the engine against ASE and its throughput at two batches."""
    p = result["parts"]
    g = partial(_get, p)

    return [
        ("device", g("environment", "gpu") or result["device"]),
        ("model", f"{result['model']}: {result['model_note']}"),
        (
            "engine vs ASE one-by-one (ASE time / engine time)",
            f"{_ratio(g('engine_vs_ase', 'engine_speedup_vs_ase'))} "
            f"on {_f(g('engine_vs_ase', 'n_atoms'))} atoms",
        ),
        ("overhead (engine step / model step)", _ratio(g("engine_vs_ase", "overhead"))),
        (
            "µs/atom-step, study batch (stand-in)",
            f"{_f(g('study_batch', 'engine_us_per_atom_step'))} "
            f"({_f(g('study_batch', 'n_atoms'))} atoms; overhead "
            f"{_ratio(g('study_batch', 'overhead'))})",
        ),
        (
            "µs/atom-step, largest batch",
            f"{_f(g('largest_batch', 'engine_us_per_atom_step'))} "
            f"({_f(g('largest_batch', 'n_atoms'))} atoms)",
        ),
    ]


def _path_rows(p: dict[str, Any]) -> list[tuple[str, str]]:
    """Precision, the fast paths, memory, host reads and the adaptive loop."""
    g = partial(_get, p)

    return [
        ("float64 / float32 step time", _f(g("float64", "float64_over_float32"))),
        ("cuEquivariance speed-up", _fast(p.get("cueq", {}))),
        ("torch.compile speed-up", _fast(p.get("compile", {}))),
        ("neighbour skin speed-up", _fast(p.get("skin", {}))),
        (
            "peak bytes/atom vs memory model",
            f"{_f(g('study_batch', 'peak_bytes_per_atom'))} vs "
            f"{_f(g('study_batch', 'memory_model_bytes_per_atom'))}"
            if g("study_batch", "peak_bytes_per_atom")
            else str(g("study_batch", "memory") or "n/a"),
        ),
        (
            "host reads per ordinary step (ionmd / model+integrator)",
            f"{_f(g('host_syncs', 'python_reads_per_ordinary_step_ionmd'))} / "
            f"{_f(g('host_syncs', 'python_reads_per_ordinary_step_integrator+model'))}"
            + (
                f"; CUDA syncs/step {_f(g('host_syncs', 'cuda_sync_warnings_per_step'))}"
                if g("host_syncs", "cuda_sync_warnings_per_step") is not None
                else ""
            ),
        ),
        (
            "adaptive loop: µs/atom-step (MD only), batch occupancy",
            f"{_f(g('adaptive', 'us_per_atom_step'))} "
            f"({_f(g('adaptive', 'md_us_per_atom_step'))}), "
            f"{_f(g('adaptive', 'occupancy_mean'))} "
            f"({_f(g('adaptive', 'n_systems'))} systems into "
            f"{_f(g('adaptive', 'capacity_atoms'))} atoms)",
        ),
    ]


def _model_rows(p: dict[str, Any]) -> list[tuple[str, str]]:
    """The real model's D and run, and the study's protocol projected."""
    g = partial(_get, p)

    return [
        ("real model: D(Li), 95 % interval vs AIMD", _real_d(p.get("real_model", {}))),
        (
            "real model: Li MSD, run, atom-steps/s",
            f"{_f(g('real_model', 'li_msd_A2'), ' Å²')} over "
            f"{_f(g('real_model', 'duration_ps'), ' ps')} "
            f"({_f(g('real_model', 'n_atoms'))} atoms, <T> "
            f"{_f(g('real_model', 'mean_temperature_K'), ' K')}), "
            f"{_f(g('real_model', 'atom_steps_per_s'))}",
        ),
        (
            "full study protocol (h) at study batch / largest",
            f"{_f(g('projection', 'campaign_h_at_study_batch'))} / "
            f"{_f(g('projection', 'campaign_h_at_largest_batch'))} "
            f"(study's way ≈ {_f(g('projection', 'study_sequential_h'))} h)",
        ),
    ]


def _real_d(e: dict[str, Any]) -> str:
    """``real_model``'s D with its interval and the AIMD value, or why not."""
    if e.get("status") != "ok":
        return f"{e.get('status', 'n/a')}: {e.get('reason', '')}".strip(": ")
    ref = e["reference"]["D_cm2_s"]
    d, (lo, hi) = e.get("D_cm2_s"), e.get("D_ci95_cm2_s") or (None, None)
    what = f"({e['model']}, {e['material']} {e['temperature_K']:.0f} K)"
    if d is None:
        return f"no fit {what}; AIMD {ref:.2g} cm²/s"
    ci = f" [{lo:.2g}, {hi:.2g}]" if lo is not None and hi is not None else ""
    return f"{d:.2g}{ci} cm²/s {what} vs AIMD {ref:.2g} cm²/s"


def _fast(e: dict[str, Any]) -> str:
    if e.get("status") != "ok":
        return f"{e.get('status', 'n/a')}: {e.get('reason', '')}".strip(": ")
    return (
        f"{e['speedup']:.3g}x (forces differ by {e['force_max_abs_diff_eV_A']:.2g} eV/Å; "
        f"build {e['build_s']:.1f} s)"
    )


__all__ = ["table"]
