"""Diffusion of one (material, temperature): tracer D from the Einstein relation
(kinisi's Bayesian fit with its 95 % interval, and a plain least-squares slope
for comparison), the charge (collective) D (kinisi's ConductivityAnalyzer, and
least squares) and the Haven ratio, the maximum
MSDs and the reliability flags.

    D = slope of MSD(t) / (2 d),   D_sigma = slope of <|Σ Δr|²>(t) / (2 d M),
    H_R = D / D_sigma,             d = number of axes (3 for 'xyz').
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ionmd.analysis.reliability import (
    framework_growth_A2,
    is_framework_mobile,
    is_reliable,
)
from ionmd.analysis.skips import TooFewFramesError
from ionmd.analysis.trajectory import MobileTrajectory
from ionmd.errors import InputError
from ionmd.numerics.host_msd import linear_lag_grid, msd_on_lag_grid

#: Frames a trajectory needs for a diffusion fit.
MIN_FRAMES = 10
#: Å²/ps → cm²/s.
_A2_PS_TO_CM2_S = 1e-4
_AXES = {
    "x": [0],
    "y": [1],
    "z": [2],
    "xy": [0, 1],
    "xz": [0, 2],
    "yz": [1, 2],
    "xyz": [0, 1, 2],
}


@dataclass(kw_only=True)
class DiffusionSettings:
    """How D is obtained; recorded in results.json.

    ``fit_start_ps``: start of the diffusive regime; None = kinisi's documented
    3 ps, or a quarter of the run when the run is shorter than 12 ps.
    ``max_frames``: frames analysed at most (uniform thinning beyond).
    ``max_lags``: lags of the linear lag grid at most.
    """

    fit_start_ps: float | None = None
    dimension: str = "xyz"
    max_frames: int = 2000
    max_lags: int = 200
    use_kinisi: bool = True
    seed: int = 42
    discard_ps: float = 0.0

    def start_for(self, *, duration_ps: float) -> float:
        if self.fit_start_ps is not None:
            return float(self.fit_start_ps)
        return 3.0 if duration_ps >= 12.0 else duration_ps / 4.0


@dataclass(kw_only=True)
class DiffusionResult:
    """Everything derived from one trajectory. Arrays: ``lag_ps (L,)``,
    ``msd_A2 (L,)`` tracer (all three axes), ``msd_collective_A2 (L,)``,
    ``framework_msd_A2 (L',)`` on ``framework_lag_ps (L',)`` or None."""

    material_id: str
    temperature_K: float
    D_cm2_s: float
    D_ci95_cm2_s: tuple[float, float]
    D_method: str
    D_ols_cm2_s: float
    D_sigma_cm2_s: float
    D_sigma_ci95_cm2_s: tuple[float, float]
    D_sigma_ols_cm2_s: float
    haven_ratio: float
    haven_ratio_ci95: tuple[float, float]
    msd_max_A2: float
    framework_msd_max_A2: float | None
    reliable: bool
    framework_mobile: bool
    n_mobile: int
    n_atoms: int
    volume_A3: float
    formula: str
    source: str
    duration_ps: float
    frame_interval_ps: float
    fit_start_ps: float
    n_lags: int
    dimension: str
    lag_ps: np.ndarray
    msd_A2: np.ndarray
    msd_collective_A2: np.ndarray
    framework_lag_ps: np.ndarray | None = None
    framework_msd_A2: np.ndarray | None = None
    D_samples_cm2_s: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    #: why the trajectory ends before its protocol ("" if it does not): a cut
    #: vasprun.xml, an engine run still running or killed
    partial: str = ""
    #: frames read from the input (before any discard or thinning)
    n_frames_read: int = 0
    #: why the frames were too far apart to unwrap ("" if they were not): D is
    #: then not trusted (:mod:`ionmd.numerics.unwrap_check`)
    unwrap_unreliable: str = ""
    #: what the stride check measured (None: the reader did not check)
    unwrap_check: dict[str, object] | None = None
    #: the framework MSD's growth per 100 ps (ionmd.analysis.reliability), Å²
    framework_growth_A2: float | None = None
    #: how the simulated cell was obtained ("experimental", "relaxed"; None: the
    #: reader does not say) and its volume against the experimental cell, %
    cell_source: str | None = None
    volume_change_pct: float | None = None

    @property
    def used_in_fit(self) -> bool:
        return (
            (not self.framework_mobile)
            and not self.unwrap_unreliable
            and np.isfinite(self.D_cm2_s)
            and self.D_cm2_s > 0
        )


def fit_window(*, lag_ps: np.ndarray, start_ps: float) -> np.ndarray:
    """``(L,)`` bool: the lags the least-squares D is fitted on (from ``start_ps``
    to the longest lag; kinisi fits the same lags, from ``start_dt_ps``)."""
    return np.asarray(lag_ps) >= start_ps - 1e-12


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    if x.size < 2:
        return float("nan")
    return float(np.polyfit(x, y, 1)[0])


def thin(*, traj: MobileTrajectory, max_frames: int) -> MobileTrajectory:
    """Keep every k-th frame so that at most ``max_frames`` remain."""
    if traj.n_frames <= max_frames:
        return traj
    k = int(np.ceil(traj.n_frames / max_frames))
    fw = None if traj.framework_positions_A is None else traj.framework_positions_A[::k]
    return replace(
        traj,
        positions_A=traj.positions_A[::k],
        time_ps=traj.time_ps[::k],
        framework_positions_A=fw,
        meta={**traj.meta, "analysis_stride": k},
    )


def _prepared(*, traj: MobileTrajectory, s: DiffusionSettings) -> MobileTrajectory:
    """Discard the start, remove drift, thin; refuse too short a trajectory."""
    if s.dimension not in _AXES:
        raise InputError(f"dimension must be one of {sorted(_AXES)}, got {s.dimension!r}")
    tr = thin(
        traj=traj.discard_start(discard_ps=s.discard_ps).drift_corrected(),
        max_frames=s.max_frames,
    )
    if tr.n_frames < MIN_FRAMES:
        raise TooFewFramesError(
            f"{tr.source}: {tr.n_frames} frames after thinning/discarding; "
            f"a diffusion fit needs at least {MIN_FRAMES}"
        )
    return tr


def _frame_note(tr: MobileTrajectory) -> list[str]:
    """The bias note for positions stored in the total-momentum frame."""
    if tr.meta.get("position_frame") == "as_simulated" and tr.framework_positions_A is None:
        return [
            "positions in the total-momentum frame (a run file from before ionmd "
            "stored them relative to the framework): the Li MSD is biased low by "
            "about (2c + c^2)/(N_Li H_R), c = M_Li/M_framework"
        ]
    return []


def _framework_msd(
    *, tr: MobileTrajectory, lags: np.ndarray, lag_ps: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray | None, float | None]:
    """(lag_ps, MSD, max MSD) of the framework, from positions or a stored curve."""
    fw_lag, fw_msd = None, None
    if tr.framework_positions_A is not None:
        fw_msd, _, _ = msd_on_lag_grid(
            positions_A=tr.framework_positions_A, lag_frames=lags
        )
        fw_lag = lag_ps
    elif tr.framework_msd_A2 is not None and tr.framework_lag_ps is not None:
        fw_lag, fw_msd = np.asarray(tr.framework_lag_ps), np.asarray(tr.framework_msd_A2)
    fw_max = float(np.nanmax(fw_msd)) if fw_msd is not None and fw_msd.size else None
    return fw_lag, fw_msd, fw_max


@dataclass
class _Fit:
    """The chosen estimates of D, D_sigma and the Haven ratio."""

    D: float
    ci: tuple[float, float]
    method: str
    samples: np.ndarray | None
    D_sig: float
    D_sig_ci: tuple[float, float]
    haven: float
    haven_ci: tuple[float, float]


def _haven_interval(samples: np.ndarray, sigma_samples: np.ndarray) -> tuple[float, float]:
    """95 % interval of the Haven ratio from paired posterior samples."""
    n = min(samples.size, sigma_samples.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = samples[:n] / sigma_samples[:n]
    ratio = ratio[np.isfinite(ratio)]
    if not ratio.size:
        return (float("nan"), float("nan"))
    lo, hi = np.percentile(ratio, [2.5, 97.5])
    return (float(lo), float(hi))


def _kinisi_fit(
    *,
    tr: MobileTrajectory,
    s: DiffusionSettings,
    lags: np.ndarray,
    start: float,
    ols: _Fit,
    notes: list[str],
) -> _Fit:
    """D (and, if it converges, D_sigma and the Haven ratio) from kinisi."""
    from ionmd.analysis.kinisi_fit import kinisi_charge_diffusion, kinisi_diffusion

    common = {
        "positions_A": tr.positions_A,
        "cell_A": tr.cell_A,
        "frame_interval_ps": tr.frame_interval_ps,
        "lag_frames": lags,
        "start_dt_ps": start,
        "dimension": s.dimension,
        "seed": s.seed,
    }
    kd = kinisi_diffusion(**common)
    fit = replace(
        ols, D=kd.D_cm2_s, ci=kd.D_ci95_cm2_s, method="kinisi", samples=kd.samples_cm2_s
    )
    try:
        kc = kinisi_charge_diffusion(temperature_K=tr.temperature_K, **common)
    except Exception as exc:
        notes.append(
            f"kinisi charge-diffusion fit failed ({type(exc).__name__}); "
            "D_sigma from least squares"
        )
        return fit
    return replace(
        fit,
        D_sig=kc.D_cm2_s,
        D_sig_ci=kc.D_ci95_cm2_s,
        haven_ci=_haven_interval(kd.samples_cm2_s, kc.samples_cm2_s),
        haven=kd.D_cm2_s / kc.D_cm2_s if kc.D_cm2_s > 0 else float("nan"),
    )


def _ols_fit(
    *,
    tr: MobileTrajectory,
    dimension: str,
    lags: np.ndarray,
    lag_ps: np.ndarray,
    start_ps: float,
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """3D tracer and collective MSDs, and least-squares D and D_sigma in cm^2/s."""
    axes = _AXES[dimension]
    tracer3, coll3, _ = msd_on_lag_grid(positions_A=tr.positions_A, lag_frames=lags)
    if dimension == "xyz":
        tracer, coll = tracer3, coll3
    else:
        tracer, coll, _ = msd_on_lag_grid(
            positions_A=tr.positions_A[..., axes], lag_frames=lags
        )
    d = len(axes)
    sel = fit_window(lag_ps=lag_ps, start_ps=start_ps)
    D_ols = _slope(lag_ps[sel], tracer[sel]) / (2 * d) * _A2_PS_TO_CM2_S
    D_sigma = _slope(lag_ps[sel], coll[sel]) / (2 * d * tr.n_mobile) * _A2_PS_TO_CM2_S
    return tracer3, coll3, D_ols, D_sigma


def _framework(
    *,
    tr: MobileTrajectory,
    lags: np.ndarray,
    lag_ps: np.ndarray,
    start_ps: float,
    notes: list[str],
) -> tuple[np.ndarray | None, np.ndarray | None, float | None, float | None]:
    """The framework's MSD curve, its maximum and its growth per 100 ps
    (:func:`ionmd.analysis.reliability.framework_growth_A2`)."""
    fw_lag, fw_msd, fw_max = _framework_msd(tr=tr, lags=lags, lag_ps=lag_ps)
    if fw_max is None:
        notes.append("no framework data: framework mobility not checked")
        return fw_lag, fw_msd, fw_max, None
    if fw_msd is None:
        return fw_lag, fw_msd, fw_max, None
    growth = framework_growth_A2(
        lag_ps=fw_lag, framework_msd_A2=fw_msd, fit_start_ps=start_ps
    )
    return fw_lag, fw_msd, fw_max, growth


def analyse_trajectory(
    *, traj: MobileTrajectory, settings: DiffusionSettings | None = None
) -> DiffusionResult:
    """Diffusion, reliability and the MSD curves of one trajectory."""
    s = settings or DiffusionSettings()
    tr = _prepared(traj=traj, s=s)
    notes = _frame_note(tr)
    lags = linear_lag_grid(n_frames=tr.n_frames, max_lags=s.max_lags)
    lag_ps = lags * tr.frame_interval_ps
    start = min(s.start_for(duration_ps=tr.duration_ps), float(lag_ps[-1]))
    tracer3, coll3, D_ols, D_sigma = _ols_fit(
        tr=tr, dimension=s.dimension, lags=lags, lag_ps=lag_ps, start_ps=start
    )
    if tr.n_mobile < 20:
        notes.append(
            "fewer than 20 mobile ions: the collective D and Haven ratio are noisy"
        )
    fw_lag, fw_msd, fw_max, fw_growth = _framework(
        tr=tr, lags=lags, lag_ps=lag_ps, start_ps=start, notes=notes
    )
    nan2 = (float("nan"), float("nan"))
    fit = _Fit(
        D=D_ols,
        ci=nan2,
        method="ols",
        samples=None,
        D_sig=D_sigma,
        D_sig_ci=nan2,
        haven=D_ols / D_sigma if D_sigma > 0 else float("nan"),
        haven_ci=nan2,
    )
    if s.use_kinisi:
        fit = _kinisi_fit(tr=tr, s=s, lags=lags, start=start, ols=fit, notes=notes)
    else:
        notes.append("kinisi not used: no uncertainty on D")
    msd_max = float(np.max(tracer3))
    return DiffusionResult(
        material_id=tr.material_id,
        temperature_K=tr.temperature_K,
        D_cm2_s=float(fit.D),
        D_ci95_cm2_s=(float(fit.ci[0]), float(fit.ci[1])),
        D_method=fit.method,
        D_ols_cm2_s=D_ols,
        D_sigma_cm2_s=fit.D_sig,
        D_sigma_ci95_cm2_s=(float(fit.D_sig_ci[0]), float(fit.D_sig_ci[1])),
        D_sigma_ols_cm2_s=D_sigma,
        haven_ratio=fit.haven,
        haven_ratio_ci95=fit.haven_ci,
        msd_max_A2=msd_max,
        framework_msd_max_A2=fw_max,
        reliable=is_reliable(msd_max_A2=msd_max),
        framework_mobile=is_framework_mobile(
            framework_msd_max_A2=fw_max, framework_growth_A2=fw_growth
        ),
        framework_growth_A2=fw_growth,
        n_mobile=tr.n_mobile,
        n_atoms=tr.n_atoms,
        volume_A3=tr.volume_A3,
        formula=tr.formula,
        source=tr.source,
        duration_ps=tr.duration_ps,
        frame_interval_ps=tr.frame_interval_ps,
        fit_start_ps=start,
        n_lags=int(lags.size),
        dimension=s.dimension,
        lag_ps=lag_ps,
        msd_A2=tracer3,
        msd_collective_A2=coll3,
        framework_lag_ps=fw_lag,
        framework_msd_A2=fw_msd,
        D_samples_cm2_s=fit.samples,
        notes=notes,
        partial=str(traj.meta.get("partial", "")),
        n_frames_read=traj.n_frames,
        unwrap_unreliable=str(traj.meta.get("unwrap_unreliable", "")),
        unwrap_check=_dict_or_none(traj.meta.get("unwrap_check")),
        **_cell_of(traj.meta),
    )


def _cell_of(meta: dict[str, object]) -> dict[str, object]:
    """``cell_source`` and ``volume_change_pct`` as the reader gave them."""
    change = meta.get("volume_change_pct")
    return {
        "cell_source": None
        if meta.get("cell_source") is None
        else str(meta["cell_source"]),
        "volume_change_pct": None if change is None else float(change),  # type: ignore[arg-type]
    }


def _dict_or_none(x: object) -> dict[str, object] | None:
    return dict(x) if isinstance(x, dict) else None
