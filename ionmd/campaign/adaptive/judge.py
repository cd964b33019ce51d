"""The adaptive protocol's decisions, as pure functions of what is on the device.

Per system, after each chunk (:func:`judge_system`), from its MSD accumulator:
- the framework is mobile (:func:`ionmd.analysis.reliability.is_framework_mobile`,
  the analysis's one definition: its MSD reached 5 Å² *and* still grows by 5 Å²
  per 100 ps, so that a framework that only creeps is not called molten because
  the run is long): stop, *melted*;
- the Li MSD first reached ``target_msd_A2`` at t_r: from then on the run
  stops, *reliable*, at the first chunk where D's 95 % interval is narrower than
  ``target_D_log10_ci``, but not before (1 + :data:`RUN_ON_FRACTION`) t_r
  (whole chunks, at most ``max_duration_ps``). Why: stopping at the first chunk
  where a noisy MSD crosses a line picks runs at an upward fluctuation (D
  high); the run-on adds data the crossing did not look at, and what decides
  the stop after it is the interval, whose width hardly depends on D. The
  whole run's D (what the analysis reports) is then unbiased within the noise
  (measured: ``python -m benchmarks.adaptive_stopping_bias``, docs/adaptive.md);
- the run reached ``max_duration_ps``: stop, *reliable* if the Li MSD reached the
  target (its D may be wide), else *slow_diffusive* when its MSD still grows
  like diffusion over the upper lags (log-log slope ≥
  :data:`ionmd.numerics.msd_shape.CAGED_SLOPE`) or *caged* when it levels off;
- otherwise: continue, with the reason.

Per material (:func:`plan_material`), whenever one of its systems stops: queued
temperatures at or above a melt are cancelled; queued or running ones colder
than a *caged* one (colder ions do not leave the cage either), or colder than a
*slow_diffusive* one whose D's upper bound still needs longer than
``max_duration_ps`` to reach the target (t = target / 6D: colder ones are
slower still); while fewer than ``min_reliable_temperatures`` can still
enter the fit set (below), the missing ones are added (up by
``temperature_step_K`` when the hottest stable one is not enough, never to or
above a melt nor above ``max_temperature_K``; between the hottest stable one
and the melt; down, only below a reliable one, or below the lowest melt when
every temperature melted, and not under ``min_temperature_K``). With nothing
left to run it is *resolved*
when its fit set has enough temperatures and σ(300 K)'s 95 % interval from the
Arrhenius fit over them is narrower than ``target_sigma300_log10_ci``, else a
temperature is added if one may be, else it is *unresolved*, with the reason in
one line. The fit set (:func:`ionmd.analysis.fit_set.fit_set`, the analysis's
one definition too) is every *diffusive* temperature below any melt: reliable
or slow_diffusive, each with its own interval. Counting only the reliable ones
would select D's upward fluctuations (a run is reliable because its own MSD
reached the target); how many reached it is still kept (``reliable_K``).

``sub_diffusive`` is the name an adaptive.json written before this split gives
to both (it is read, and counts as caged).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ionmd.analysis.fit_set import FIT_OUTCOMES, fit_set
from ionmd.analysis.reliability import (
    FRAMEWORK_MSD_THRESHOLD_A2,
    framework_growth_A2,
    is_framework_mobile,
)
from ionmd.campaign.adaptive.settings import AdaptiveSettings
from ionmd.numerics.diffusion_estimate import default_fit_start_ps, estimate_diffusion
from ionmd.numerics.msd_shape import CAGED_SLOPE, upper_loglog_slope

#: outcomes of a system that no longer runs (``sub_diffusive``: an old file's)
FINISHED = (
    "reliable",
    "slow_diffusive",
    "caged",
    "sub_diffusive",
    "melted",
    "failed",
    "budget",
    "cancelled",
)
PENDING = ("queued", "running")
#: outcomes that do not make a temperature "stable" ground to add from or name
UNSTABLE = ("melted", "cancelled", "failed", "above_melt")
#: a decided stop runs on by this fraction of the time it took to decide
RUN_ON_FRACTION = 2.0
#: Å²/ps per cm²/s
_A2_PS_PER_CM2_S = 1e4


def system_numbers(
    msd: Mapping[str, np.ndarray], *, n_ions: int, run_ps: float, equilibration_ps: float
) -> dict[str, Any]:
    """What a decision looks at, from one system's MSD accumulator (its lag grid)."""
    run = max(run_ps - equilibration_ps, 0.0)
    lag = np.asarray(msd["lag_ps"])
    est = estimate_diffusion(
        lag_ps=lag,
        msd_A2=np.asarray(msd["mobile_A2"]),
        n_origins=np.asarray(msd["n_origins"]),
        n_ions=int(n_ions),
        run_ps=run,
    )
    fw_curve = np.asarray(msd["framework_A2"], dtype=np.float64)
    fw = fw_curve[np.isfinite(fw_curve)]
    # the largest MSD over the lag grid and the whole-run lag (one origin), as
    # the analysis checks the 20 Å² and the framework thresholds
    li = [
        x
        for x in (est.msd_max_A2, msd.get("mobile_whole_run_A2"))
        if _finite(x) is not None
    ]
    li_max = max(li) if li else math.nan
    fw_max = max([*fw.tolist(), msd.get("framework_whole_run_A2", 0.0), 0.0])
    start = default_fit_start_ps(run_ps=run)
    growth = framework_growth_A2(lag_ps=lag, framework_msd_A2=fw_curve, fit_start_ps=start)
    slope = upper_loglog_slope(
        lag_ps=lag, msd_A2=np.asarray(msd["mobile_A2"]), run_ps=run, fit_start_ps=start
    )
    return {
        "run_ps": float(run_ps),
        "msd_A2": _finite(float(li_max)),
        "framework_msd_A2": float(fw_max),
        "framework_growth_A2": None if growth is None else _finite(growth),
        "msd_loglog_slope": None if slope is None else _finite(slope),
        "D_cm2_s": _finite(est.D_cm2_s),
        "D_ci95_cm2_s": [_finite(est.ci95_cm2_s[0]), _finite(est.ci95_cm2_s[1])],
        "D_log10_ci": _finite(est.log10_ci_width),
    }


def _finite(x: float) -> float | None:
    """JSON-safe: None for nan/inf."""
    return float(x) if x is not None and math.isfinite(x) else None


@dataclass(frozen=True, kw_only=True)
class SystemVerdict:
    stop: bool
    outcome: str  # "running" while it goes on
    reason: str
    #: when the Li MSD first reached the target, ps (the loop keeps it)
    target_reached_ps: float | None = None


def earliest_stop_ps(*, target_reached_ps: float, settings: AdaptiveSettings) -> float:
    """The earliest a run whose Li MSD first reached the target at
    ``target_reached_ps`` may stop reliable: (1 + RUN_ON_FRACTION) × that, up to
    whole chunks, at most ``max_duration_ps``."""
    s = settings
    want = (1.0 + RUN_ON_FRACTION) * target_reached_ps
    chunks = math.ceil(want / s.chunk_ps - 1e-9)
    return min(chunks * s.chunk_ps, s.max_duration_ps)


def judge_system(
    numbers: Mapping[str, Any],
    *,
    settings: AdaptiveSettings,
    target_reached_ps: float | None = None,
) -> SystemVerdict:
    """Continue or stop one system after a chunk (see the module doc);
    ``target_reached_ps``: when an earlier chunk saw the Li MSD reach the target
    (that chunk's verdict's)."""
    s = settings
    run_ps = float(numbers["run_ps"])
    msd = numbers.get("msd_A2") or 0.0
    width = numbers.get("D_log10_ci")
    width = math.inf if width is None else float(width)
    melted = _melted(numbers)
    if melted is not None:
        return melted
    if target_reached_ps is None and msd >= s.target_msd_A2:
        target_reached_ps = run_ps
    if run_ps >= s.max_duration_ps - 1e-9:
        return _at_max(numbers, settings=s, target_reached_ps=target_reached_ps)
    if target_reached_ps is None:
        why = f"Li MSD {msd:.1f} Å² < {s.target_msd_A2:g} Å² after {run_ps:g} ps"
        return SystemVerdict(stop=False, outcome="running", reason=why)
    earliest = earliest_stop_ps(target_reached_ps=target_reached_ps, settings=s)
    reached = f"Li MSD ≥ {s.target_msd_A2:g} Å² since {target_reached_ps:g} ps"
    if run_ps < earliest - 1e-9:
        why = (
            f"{reached}: runs on to {earliest:g} ps at least (data the crossing "
            "did not see)"
        )
    elif width > s.target_D_log10_ci:
        why = f"{reached}; D's interval {width:.2f} > {s.target_D_log10_ci:g} decades"
    else:
        return SystemVerdict(
            stop=True,
            outcome="reliable",
            reason=f"{reached} and D's interval {width:.2f} ≤ {s.target_D_log10_ci:g} "
            f"decades after {run_ps:g} ps (Li MSD {msd:.1f} Å²)",
            target_reached_ps=target_reached_ps,
        )
    return SystemVerdict(
        stop=False,
        outcome="running",
        reason=f"{why} after {run_ps:g} ps",
        target_reached_ps=target_reached_ps,
    )


def _melted(numbers: Mapping[str, Any]) -> SystemVerdict | None:
    """The melted verdict when the framework is mobile, else None."""
    fw = numbers.get("framework_msd_A2") or 0.0
    growth = numbers.get("framework_growth_A2")
    if not is_framework_mobile(framework_msd_max_A2=fw, framework_growth_A2=growth):
        return None
    grows = "" if growth is None else f" and grows {growth:.1f} Å² per 100 ps"
    return SystemVerdict(
        stop=True,
        outcome="melted",
        reason=f"framework MSD {fw:.1f} Å² ≥ {FRAMEWORK_MSD_THRESHOLD_A2:g} Å²{grows} "
        f"after {numbers['run_ps']:g} ps: melted",
    )


def _at_max(
    numbers: Mapping[str, Any],
    *,
    settings: AdaptiveSettings,
    target_reached_ps: float | None,
) -> SystemVerdict:
    """The verdict at ``max_duration_ps``: reliable if the target was reached, else
    what the MSD did: still growing like diffusion (slow_diffusive) or levelling
    off (caged)."""
    s = settings
    run_ps = float(numbers["run_ps"])
    msd = numbers.get("msd_A2") or 0.0
    width = numbers.get("D_log10_ci")
    width = math.inf if width is None else float(width)
    if target_reached_ps is not None:
        return SystemVerdict(
            stop=True,
            outcome="reliable",
            reason=f"Li MSD {msd:.1f} Å² ≥ {s.target_msd_A2:g} Å² (since "
            f"{target_reached_ps:g} ps) at max_duration_ps ({run_ps:g} ps; D's "
            f"interval {width:.2f} decades)",
            target_reached_ps=target_reached_ps,
        )
    short = (
        f"Li MSD {msd:.1f} Å² < {s.target_msd_A2:g} Å² after {run_ps:g} ps "
        "(max_duration_ps)"
    )
    slope = numbers.get("msd_loglog_slope")
    if slope is None or slope < CAGED_SLOPE:
        shape = "shape unknown" if slope is None else f"log-log slope {slope:.2f}"
        return SystemVerdict(
            stop=True,
            outcome="caged",
            reason=f"{short}, levelling off ({shape} < {CAGED_SLOPE:g} over the upper "
            "lags): caged",
        )
    need = needed_ps(D_cm2_s=numbers.get("D_cm2_s"), settings=s)
    at = "" if need is None else f"; at its D it would need ~{need:.0f} ps"
    return SystemVerdict(
        stop=True,
        outcome="slow_diffusive",
        reason=f"{short}, still growing like diffusion (log-log slope {slope:.2f} ≥ "
        f"{CAGED_SLOPE:g}): slow but diffusive{at}",
    )


def needed_ps(*, D_cm2_s: float | None, settings: AdaptiveSettings) -> float | None:
    """The run time for the Li MSD to reach the target at ``D_cm2_s``:
    target / (6 D), ps; None when D is not positive."""
    if D_cm2_s is None or not D_cm2_s > 0:
        return None
    return settings.target_msd_A2 / (6.0 * D_cm2_s * _A2_PS_PER_CM2_S)


@dataclass(kw_only=True)
class MaterialPlan:
    """What to do for one material now."""

    add_K: list[float] = field(default_factory=list)
    add_reasons: list[str] = field(default_factory=list)
    cancel: dict[str, str] = field(default_factory=dict)  # key -> reason
    done: bool = False
    status: str = "running"  # resolved / unresolved when done
    reason: str = ""
    sigma300_log10_ci: float | None = None
    #: the temperatures fitted: diffusive (reliable or slow_diffusive), below any melt
    fit_K: list[float] = field(default_factory=list)
    #: those of them whose Li MSD reached the target (the study's count)
    reliable_K: list[float] = field(default_factory=list)


def plan_material(
    systems: Mapping[str, Mapping[str, Any]],
    *,
    settings: AdaptiveSettings,
    allow_add: bool = True,
    room: bool = False,
) -> MaterialPlan:
    """Decide for one material from its systems (key -> record with
    ``temperature_K``, ``outcome``, ``numbers``); see the module doc.
    ``allow_add=False`` (the budget is spent): conclude with what there is.
    ``room``: the batch has room nothing else would use; a material whose σ(300 K)
    is still too wide from what has finished gets its next temperature now (up or
    down) rather than after its last run (the idle slots cost nothing on a GPU)."""
    s = settings
    plan = MaterialPlan()
    by_T = {float(r["temperature_K"]): (k, r) for k, r in systems.items()}
    melted = sorted(T for T, (_, r) in by_T.items() if r["outcome"] == "melted")
    t_melt = melted[0] if melted else math.inf
    # the hottest temperature below which nothing can reach the target in time
    t_sub, why_sub = _colder_blocked(by_T, settings=s)
    plan.cancel = _cancellations(by_T, t_melt=t_melt, t_sub=t_sub, why_sub=why_sub)
    outcome = _outcomes(by_T, cancel=plan.cancel, t_melt=t_melt)
    members = fit_set(outcome)
    fitted, plan.reliable_K = list(members.fit_K), list(members.reached_K)
    plan.fit_K = fitted
    pending = [T for T, o in outcome.items() if o in PENDING]
    # a pending temperature can still enter the fit unless it is at or above a
    # melt, or colder than one that blocks the colder ones (caged, or too slow)
    can_still = len(fitted) + len([T for T in pending if t_sub < T < t_melt])
    if pending:
        if allow_add and can_still < s.min_reliable_temperatures:
            why = "a melt leaves too few" if melted else "too few can be fitted"
            orders = [_NEAREST] * (s.min_reliable_temperatures - can_still)
            _add(plan, outcome, orders=orders, t_melt=t_melt, settings=s, why=why)
        elif allow_add and room and len(fitted) >= 2:
            _add_early(plan, outcome, by_T=by_T, fitted=fitted, t_melt=t_melt, settings=s)
        return plan
    fit = sigma300_log10_ci(
        [
            (T, by_T[T][1]["numbers"])
            for T in fitted
            if (by_T[T][1].get("numbers") or {}).get("D_cm2_s")
        ]
    )
    plan.sigma300_log10_ci = fit
    enough = len(fitted) >= s.min_reliable_temperatures
    if enough and fit is not None and fit <= s.target_sigma300_log10_ci:
        plan.done, plan.status = True, "resolved"
        plan.reason = (
            f"{_fitted_words(fitted, plan.reliable_K)}; σ(300 K) interval {fit:.2f} "
            f"≤ {s.target_sigma300_log10_ci:g} decades"
        )
        return plan
    why = "too few temperatures to fit" if not enough else "σ(300 K) too uncertain"
    # as many as are missing at once, so the batch stays full: the nearest allowed
    # first (up, between, down); for a narrower σ(300 K) a wider range of 1/T, one
    # each way (up and down)
    if not enough:
        orders = [_NEAREST] * (s.min_reliable_temperatures - len(fitted))
    else:
        # never "between": a point inside the range cannot narrow the extrapolation
        orders = [("up", "down"), ("down", "up")]
    if allow_add and _add(plan, outcome, orders=orders, t_melt=t_melt, settings=s, why=why):
        return plan
    plan.done, plan.status = True, "unresolved"
    plan.reason = _unresolved_reason(
        by_T, outcome, fitted=fitted, fit=fit, settings=s, exhausted=allow_add
    )
    return plan


def _fitted_words(fitted: Sequence[float], reached: Sequence[float]) -> str:
    """The resolved line's count, e.g. "4 temperatures fitted (800, 900, 1000,
    1100 K; 3 reached the target)"."""
    return (
        f"{len(fitted)} temperatures fitted ({_temps(fitted)} K; {len(reached)} "
        "reached the target)"
    )


def _colder_blocked(
    by_T: Mapping[float, tuple[str, Mapping[str, Any]]], *, settings: AdaptiveSettings
) -> tuple[float, str]:
    """(The hottest temperature colder ones cannot be reliable below, why): a
    caged one (an old file's sub_diffusive too), or a slow_diffusive one whose
    D's upper bound still needs longer than max_duration_ps for the target
    (colder ones are slower still). -inf when none."""
    best, why = -math.inf, ""
    for T, (_, r) in sorted(by_T.items()):
        if r["outcome"] in ("caged", "sub_diffusive"):
            best, why = T, f"colder than {T:g} K, where the Li MSD levelled off (caged)"
        elif r["outcome"] == "slow_diffusive":
            slow = _too_slow(T, r.get("numbers") or {}, settings=settings)
            if slow:
                best, why = T, slow
    return best, why


def _too_slow(T: float, numbers: Mapping[str, Any], *, settings: AdaptiveSettings) -> str:
    """Why colder than ``T`` (slow_diffusive) cannot reach the target in time, or
    "" when D's upper bound says a run as long as max_duration_ps might."""
    s = settings
    hi = (numbers.get("D_ci95_cm2_s") or [None, None])[1]
    need = needed_ps(D_cm2_s=hi, settings=s)
    if need is None or need <= s.max_duration_ps:
        return ""
    return (
        f"colder than {T:g} K, slow-diffusive there: even at D's upper bound "
        f"{hi:.2g} cm²/s, {s.target_msd_A2:g} Å² needs {need:.0f} ps > "
        f"max_duration_ps ({s.max_duration_ps:g} ps), and colder is slower"
    )


def _cancellations(
    by_T: Mapping[float, tuple[str, Mapping[str, Any]]],
    *,
    t_melt: float,
    t_sub: float,
    why_sub: str,
) -> dict[str, str]:
    """Queued temperatures at or above a melt; queued or running ones colder than
    ``t_sub`` (:func:`_colder_blocked`)."""
    cancel: dict[str, str] = {}
    for T, (k, r) in by_T.items():
        if r["outcome"] == "queued" and T >= t_melt:
            cancel[k] = f"at or above {t_melt:g} K, where the framework melted"
        elif r["outcome"] in PENDING and T < t_sub:
            cancel[k] = why_sub
    return cancel


def _outcomes(
    by_T: Mapping[float, tuple[str, Mapping[str, Any]]],
    *,
    cancel: Mapping[str, str],
    t_melt: float,
) -> dict[float, str]:
    """Each temperature's outcome after the cancellations; a diffusive run that
    stayed crystalline above a temperature where the framework melted was too
    short to see the melt (it nucleates): ``above_melt``, it is not fitted."""
    outcome = {
        T: "cancelled" if k in cancel else r["outcome"] for T, (k, r) in by_T.items()
    }
    return {
        T: "above_melt" if o in FIT_OUTCOMES and T >= t_melt else o
        for T, o in outcome.items()
    }


def _add_early(
    plan: MaterialPlan,
    outcome: Mapping[float, str],
    *,
    by_T: Mapping[float, tuple[str, Mapping[str, Any]]],
    fitted: Sequence[float],
    t_melt: float,
    settings: AdaptiveSettings,
) -> None:
    """With idle room: the next temperature (up or down) now, when the finished
    ones of the fit set leave σ(300 K) too wide."""
    so_far = sigma300_log10_ci([(T, by_T[T][1]["numbers"]) for T in fitted])
    if so_far is not None and so_far <= settings.target_sigma300_log10_ci:
        return
    width = "?" if so_far is None else f"{so_far:.2f}"
    why = f"the batch has room and σ(300 K) from the finished ones spans {width} decades"
    _add(plan, outcome, orders=[("up", "down")], t_melt=t_melt, settings=settings, why=why)


_NEAREST = ("up", "between", "down")


def _add(
    plan: MaterialPlan,
    outcome: Mapping[float, str],
    *,
    orders: Sequence[Sequence[str]],
    t_melt: float,
    settings: AdaptiveSettings,
    why: str,
) -> bool:
    """Queue one temperature per entry of ``orders`` (its preference), each chosen
    as if the previous ones were queued."""
    seen = dict(outcome)
    for order in orders or [_NEAREST]:
        if not _add_one(plan, seen, t_melt=t_melt, settings=settings, why=why, order=order):
            continue
        seen[plan.add_K[-1]] = "queued"
    return bool(plan.add_K)


def _add_one(
    plan: MaterialPlan,
    outcome: Mapping[float, str],
    *,
    t_melt: float,
    settings: AdaptiveSettings,
    why: str,
    order: Sequence[str] = ("up", "between", "down"),
) -> bool:
    """Queue the first allowed temperature of ``order`` (see module doc)."""
    s = settings
    present = set(outcome)
    # a failed system (non-finite forces, runaway) says nothing about the framework
    stable = sorted(T for T, o in outcome.items() if o not in UNSTABLE)
    if not stable:  # every temperature melted (or failed): try one colder than the melt
        down = t_melt - s.temperature_step_K
        if not math.isfinite(t_melt) or down < s.min_temperature_K or down in present:
            return False
        plan.add_K.append(float(down))
        plan.add_reasons.append(
            f"{why}; below the melt at {t_melt:g} K (no stable temperature yet)"
        )
        return True
    options: dict[str, tuple[float, str]] = {}
    up = max(stable) + s.temperature_step_K
    if up <= s.max_temperature_K and up < t_melt:
        options["up"] = (up, f"{why}; the hottest stable temperature is {max(stable):g} K")
    if math.isfinite(t_melt):
        below = max((T for T in stable if T < t_melt), default=None)
        if below is not None:
            mid = round((below + t_melt) / 2.0 / 5.0) * 5.0
            if below + 10.0 <= mid <= t_melt - 10.0:
                options["between"] = (
                    mid,
                    f"{why}; between {below:g} K and the melt at {t_melt:g} K",
                )
    lowest = min(stable)
    down = lowest - s.temperature_step_K
    if outcome[lowest] == "reliable" and down >= s.min_temperature_K:
        options["down"] = (down, f"{why}; below the lowest reliable {lowest:g} K")
    candidates = [options[name] for name in order if name in options]
    for T, reason in candidates:
        if T not in present:
            plan.add_K.append(float(T))
            plan.add_reasons.append(reason)
            return True
    return False


def _unresolved_reason(
    by_T: Mapping[float, tuple[str, Mapping[str, Any]]],
    outcome: Mapping[float, str],
    *,
    fitted: Sequence[float],
    fit: float | None,
    settings: AdaptiveSettings,
    exhausted: bool,
) -> str:
    """One line: what the material lacks (``exhausted``: and no temperature was
    left to add; else the budget stopped it)."""
    s = settings
    n = len(fitted)
    parts = [
        f"{n} of {s.min_reliable_temperatures} temperatures to fit (diffusive)"
        if n < s.min_reliable_temperatures
        else f"{n} temperatures fitted ({_temps(fitted)} K)"
    ]
    melted = sorted(T for T, o in outcome.items() if o == "melted")
    stable = [T for T, o in outcome.items() if o not in UNSTABLE]
    if stable:
        hot = max(stable)
        n = by_T[hot][1].get("numbers") or {}
        msd, run = n.get("msd_A2") or 0.0, n.get("run_ps") or 0.0
        if outcome[hot] != "reliable":
            parts.insert(
                0,
                f"hottest stable temperature {hot:g} K: Li MSD {_a2(msd)} Å² after "
                f"{run:g} ps",
            )
    if not stable or outcome[max(stable)] == "reliable":
        parts += _short_parts(by_T, outcome)
    if melted:
        parts.append(f"melted at {_temps(melted)} K")
    above = sorted(T for T, o in outcome.items() if o == "above_melt")
    if above:
        parts.append(
            f"not counted: {_temps(above)} K, above the melt (too short to see it)"
        )
    if exhausted:
        parts.append(
            f"no temperature left to add within [{s.min_temperature_K:g}, "
            f"{s.max_temperature_K:g}] K"
        )
    failed = sorted(T for T, o in outcome.items() if o in ("failed", "budget"))
    if failed:
        parts.append(f"stopped (failed or budget) at {_temps(failed)} K")
    if len(fitted) >= s.min_reliable_temperatures:
        parts.append(
            "σ(300 K) interval "
            + ("not computable" if fit is None else f"{fit:.2f} decades")
            + f" > {s.target_sigma300_log10_ci:g}"
        )
    return "; ".join(parts)


def _short_parts(
    by_T: Mapping[float, tuple[str, Mapping[str, Any]]], outcome: Mapping[float, str]
) -> list[str]:
    """One part per kind of run that fell short of the target: caged (an old
    file's sub-diffusive), slow-diffusive; each with its hottest run's numbers."""
    parts = []
    names = {"caged": "caged", "sub_diffusive": "sub-diffusive",
             "slow_diffusive": "slow-diffusive"}  # fmt: skip
    for kind, name in names.items():
        temps = sorted(T for T, o in outcome.items() if o == kind)
        if temps:
            n = by_T[max(temps)][1].get("numbers") or {}
            parts.append(
                f"{name} at {_temps(temps)} K (at {max(temps):g} K: Li MSD "
                f"{_a2(n.get('msd_A2') or 0.0)} Å² after {(n.get('run_ps') or 0.0):g} ps)"
            )
    return parts


def _a2(msd: float) -> str:
    """An MSD for a reason line: whole Å² from 1 Å² up, else one digit (0.8, not 1)."""
    return f"{msd:.0f}" if msd >= 1.0 else f"{msd:.1g}"


def sigma300_log10_ci(points: Sequence[tuple[float, Mapping[str, Any]]]) -> float | None:
    """Width in decades of the 95 % interval of D(300 K) (hence of σ(300 K), ∝ D/T
    at a fixed T) from the Arrhenius fit of the systems' estimates, by the report's
    own definition (:func:`ionmd.analysis.extrapolation.extrapolate_D`); None when
    that is not a prediction (fewer than three temperatures: nothing checks the
    per-point errors) or not finite."""
    from ionmd.analysis.extrapolation import ArrheniusPoint, extrapolate_D

    ex = extrapolate_D(
        points=[
            ArrheniusPoint(
                temperature_K=float(T),
                D_cm2_s=float(n.get("D_cm2_s") or math.nan),
                D_ci95_cm2_s=tuple(n.get("D_ci95_cm2_s") or (None, None)),
            )
            for T, n in points
        ],
        temperature_K=300.0,
    )
    return ex.log10_ci if ex.prediction else None


def _temps(values: Sequence[float]) -> str:
    return ", ".join(f"{t:g}" for t in sorted(values))
