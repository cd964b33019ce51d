"""The verdict on every σ(300 K): is it a prediction, and if not, why.

Computed once, as data, from the analysis's typed numbers (:func:`material_verdict`
on a :class:`ionmd.analysis.verdict_basis.VerdictBasis`; a results.json written
before verdicts were kept is read into the same types);
results.json keeps it per material (``materials.<id>.verdict`` and
``requested_materials.<id>.verdict``, written by :func:`attach_verdicts`), and the
report's first screen, ``ionmd run``/``ionmd analyze``'s closing lines,
:class:`ionmd.Results` and ``ionmd compare`` all read that one record.

``status`` is one of :data:`STATUSES`:

- ``prediction``: σ(300 K) with a finite 95 % interval no wider than
  :data:`MAX_SIGMA300_CI95_DECADES`, every requested temperature analysed and at
  the study's 20 Å² Li MSD (its "reliable at every temperature" subset). After an
  adaptive campaign the protocol decides instead: its status is ``resolved`` and
  the interval is within its own ``target_sigma300_log10_ci``.
- ``not_a_prediction``: there is a σ(300 K), but the reasons say why it is not one
  (temperatures below 20 Å², melting, frames too far apart to unwrap, missing
  temperatures, fewer than three temperatures in the Arrhenius fit
  (``arrhenius_prediction``, docs/analysis.md), interval width, the protocol's
  status).
- ``no_fit``: no σ(300 K) at all (fewer than two usable temperatures).
- ``not_simulated``: the material could not be prepared.

Why 2 decades: a 95 % interval wider than a factor 100 in σ no longer tells a
fast conductor (≳ 1 mS/cm) from a poor one (≲ 0.01 mS/cm), the distinction a
screen is run for, and is wider than the study's own error over its reliable
subset (MAE 1.55 decades for MACE): such a number says less than the study's
scatter. The adaptive protocol aims tighter (1 decade by default).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ionmd.analysis.pooled_types import PooledMaterial
from ionmd.analysis.reliability import LI_MSD_THRESHOLD_A2
from ionmd.analysis.results_file import (
    adaptive_decision_of_dict,
    pooled_of_document,
    requested_state_of_dict,
    verdict_basis_of_dict,
)
from ionmd.analysis.verdict_basis import (
    AdaptiveDecision,
    RequestedState,
    VerdictBasis,
    basis_of_summary,
)

if TYPE_CHECKING:
    from ionmd.analysis.material_summary import MaterialSummary

#: the widest 95 % interval of σ(300 K), in decades (log10 hi/lo), that counts as
#: a prediction (outside an adaptive campaign, whose own target decides)
MAX_SIGMA300_CI95_DECADES = 2.0
#: the closed set of verdict statuses
STATUSES = ("prediction", "not_a_prediction", "no_fit", "not_simulated")


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """One material's verdict: its status, the reasons (empty for a prediction),
    the one line a reader sees, and the numbers it was decided on."""

    material_id: str
    status: str
    reasons: tuple[str, ...]
    line: str
    #: width of σ(300 K)'s 95 % interval in decades (None: no interval); after an
    #: adaptive campaign the protocol's own (its ``sigma300_log10_ci``)
    sigma300_ci95_decades: float | None = None
    #: the widest interval that counted (the study's or the adaptive target)
    max_sigma300_ci95_decades: float = MAX_SIGMA300_CI95_DECADES
    #: "study" (the reliable-subset rule) or "adaptive protocol"
    decided_by: str = "study"

    @property
    def prediction(self) -> bool:
        return self.status == "prediction"

    def as_dict(self) -> dict[str, Any]:
        """The record as results.json keeps it."""
        return {
            "prediction": self.prediction,
            "status": self.status,
            "reasons": list(self.reasons),
            "line": self.line,
            "sigma300_ci95_decades": self.sigma300_ci95_decades,
            "max_sigma300_ci95_decades": self.max_sigma300_ci95_decades,
            "decided_by": self.decided_by,
        }

    @classmethod
    def from_dict(cls, material_id: str, d: Mapping[str, Any]) -> Verdict:
        width = d.get("sigma300_ci95_decades")
        limit = d.get("max_sigma300_ci95_decades")
        return cls(
            material_id=material_id,
            status=str(d.get("status") or "no_fit"),
            reasons=tuple(str(r) for r in d.get("reasons") or ()),
            line=str(d.get("line") or material_id),
            sigma300_ci95_decades=None if width is None else float(width),
            max_sigma300_ci95_decades=(
                MAX_SIGMA300_CI95_DECADES if limit is None else float(limit)
            ),
            decided_by=str(d.get("decided_by") or "study"),
        )


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _g(x: Any) -> str:
    return format(x, ".3g") if _finite(x) else "–"


def _temps(values: Any) -> str:
    return ", ".join(f"{t:g}" for t in values or [])


def decades(lo: Any, hi: Any) -> float | None:
    """log10(hi / lo), the width of an interval in decades (None when it is not
    a finite positive interval)."""
    if _finite(lo) and _finite(hi) and lo > 0 and hi >= lo:
        return math.log10(hi / lo)
    return None


def _study_reasons(m: VerdictBasis, width: float | None) -> list[str]:
    """Why a fitted σ(300 K) is not a prediction under the study's rule (empty:
    it is one)."""
    temps = m.temperatures
    n_ok = sum(t.reliable for t in temps)
    melted = [t.temperature_K for t in temps if t.framework_mobile]
    missing = m.temperatures_missing_K
    reasons = []
    if not m.all_reliable:
        reasons.append(
            f"{n_ok} of {len(m.temperatures_requested_K)} requested temperatures "
            f"reached the {LI_MSD_THRESHOLD_A2:g} Å² Li MSD"
        )
        if melted:
            reasons.append(f"framework mobile (melting?) at {_temps(melted)} K")
        for t in temps:
            if t.unwrap_unreliable:
                why = t.unwrap_reason or "frames too far apart to unwrap"
                reasons.append(f"{t.temperature_K:g} K not in the fit: {why}")
        if missing:
            reasons.append(f"no result at {_temps(missing)} K")
    reasons += _width_reasons(width, MAX_SIGMA300_CI95_DECADES)
    return reasons


def _width_reasons(width: float | None, limit: float) -> list[str]:
    if width is None:
        return ["σ(300 K) has no 95 % interval"]
    if width > limit + 1e-9:  # 2.0 decades from rounding still counts as 2
        return [f"the 95 % interval spans {width:.1f} decades (> {limit:g})"]
    return []


def _adaptive_target(doc_adaptive: Mapping[str, Any] | None) -> float | None:
    """The protocol's ``target_sigma300_log10_ci`` (None when not recorded)."""
    settings = (doc_adaptive or {}).get("settings") or {}
    target = settings.get("target_sigma300_log10_ci")
    return float(target) if _finite(target) else None


def _adaptive_note(entry: AdaptiveDecision | None) -> str:
    """``adaptive protocol: <status>: <reason>`` (empty without an entry)."""
    if entry is None:
        return ""
    state = entry.status or "?"
    return f"adaptive protocol: {state}: {entry.reason or 'no reason given'}"


def _prediction_note(m: VerdictBasis, adaptive_note: str) -> str:
    """What a prediction's line adds: the protocol's word, or that every requested
    temperature reached 20 Å²; and a melted temperature left out of the fit."""
    why = adaptive_note or "every requested temperature reached the 20 Å² Li MSD"
    melted = [t.temperature_K for t in m.temperatures if t.framework_mobile]
    if melted:
        why += f"; framework mobile at {_temps(melted)} K, left out of the fit"
    return why


def _head(material_id: str, formula: str) -> str:
    return f"{material_id} ({formula})" if formula else material_id


def _unfitted(
    material_id: str,
    *,
    head: str,
    status: str,
    req: RequestedState,
    adaptive: AdaptiveDecision | None,
    exp_text: str,
) -> Verdict:
    """The verdict of a material without a σ(300 K): not simulated, or no fit."""
    by = "adaptive protocol" if adaptive else "study"
    if status == "not_simulated":
        why = req.reason or "could not be prepared"
        line = f"{head}: not simulated: {why}"
        return Verdict(
            material_id=material_id, status=status, reasons=(why,), line=line, decided_by=by
        )
    note = _adaptive_note(adaptive)
    why = [req.reason or "fewer than two usable temperatures"]
    why += [note] if note and adaptive.status != "resolved" else []
    line = f"{head}: no σ(300 K), not a prediction: {'; '.join(why)}{exp_text}"
    return Verdict(
        material_id=material_id,
        status="no_fit",
        reasons=tuple(why),
        line=line,
        decided_by=by,
    )


def material_verdict(
    material_id: str,
    m: VerdictBasis | None,
    req: RequestedState | None = None,
    *,
    adaptive: AdaptiveDecision | None = None,
    adaptive_target_decades: float | None = None,
) -> Verdict:
    """The verdict of one material (``m``: its analysed numbers, None when it has
    none; ``req``: its requested status, None when not listed; ``adaptive``: the
    adaptive protocol's decision on it when that protocol ran, whose status and
    ``adaptive_target_decades`` then decide)."""
    req = req or RequestedState()
    head = _head(material_id, (m.formula if m else "") or req.formula or "")
    own_exp = m.sigma_exp_mS_cm if m is not None else None
    exp = own_exp if own_exp is not None else req.sigma_exp_mS_cm
    exp_text = f"; experiment {_g(exp)} mS/cm" if _finite(exp) else ""
    status = req.status or ("fitted" if m is not None else "no_fit")
    sigma = m.sigma_300K_mS_cm if m is not None else None
    if status in ("not_simulated", "no_fit") or not _finite(sigma):
        return _unfitted(
            material_id,
            head=head,
            status=status,
            req=req,
            adaptive=adaptive,
            exp_text=exp_text,
        )
    note = _adaptive_note(adaptive)
    lo, hi = (m.sigma_300K_ci95_mS_cm or (None, None))[:2]
    width = decades(lo, hi)
    value = f"σ(300 K) = {_g(sigma)} mS/cm [95 %: {_g(lo)}, {_g(hi)}]"
    limit = MAX_SIGMA300_CI95_DECADES
    if adaptive:  # the protocol's own status and target decide
        own = adaptive.sigma300_log10_ci
        # the wider of the protocol's interval and the one reported beside it
        widths = [w for w in (width, own) if _finite(w)]
        width = max(widths) if widths else None
        limit = adaptive_target_decades or limit
        reasons = [] if adaptive.status == "resolved" else [note]
        reasons += _width_reasons(width, limit)
    else:
        reasons = _study_reasons(m, width)
    if m.arrhenius_prediction is False:  # too few temperatures in the fit
        why = m.arrhenius_prediction_reason or "too few temperatures in the fit"
        reasons.insert(0, why)
        if adaptive and note and note not in reasons:
            reasons.append(note)  # the protocol's own word, even when it resolved
    if reasons:
        line = f"{head}: not a prediction: {value} ({'; '.join(reasons)}){exp_text}"
    else:
        why = _prediction_note(m, note)
        span = f", {width:.1f} decades" if width is not None and not adaptive else ""
        line = f"{head}: prediction: {value}{span} ({why}){exp_text}"
    return Verdict(
        material_id=material_id,
        status="not_a_prediction" if reasons else "prediction",
        reasons=tuple(reasons),
        line=line,
        sigma300_ci95_decades=width,
        max_sigma300_ci95_decades=limit,
        decided_by="adaptive protocol" if adaptive else "study",
    )


def pooled_verdict(base: str, p: PooledMaterial) -> str:
    """One line for a material pooled over its orderings (a disordered material)
    or its replicas (``p.word``)."""
    word = p.word
    head = f"{base} (pooled over {len(p.members)} {word}s)"
    sigma = p.sigma_300K_mS_cm
    if not _finite(sigma):
        return f"{head}: no σ(300 K), not a prediction"
    lo, hi = p.sigma_300K_ci95_mS_cm or (None, None)
    temps = p.temperatures
    ok = sum(t.reliable_all for t in temps)
    width = decades(lo, hi)
    reasons = (
        []
        if temps and ok == len(temps)
        else [f"{ok} of {len(temps)} temperatures diffusive in every {word}"]
    ) + _width_reasons(width, MAX_SIGMA300_CI95_DECADES)
    state = f"not a prediction ({'; '.join(reasons)})" if reasons else "prediction"
    exp = p.sigma_exp_mS_cm
    exp_text = f"; experiment {_g(exp)} mS/cm" if _finite(exp) else ""
    value = f"σ(300 K) = {_g(sigma)} mS/cm [95 %: {_g(lo)}, {_g(hi)}]"
    return f"{head}: {state}: {value}{exp_text}"


def material_ids(doc: Mapping[str, Any]) -> list[str]:
    """Every material of a results.json: requested, then analysed, then the
    adaptive protocol's, each once."""
    ids = list(doc.get("requested_materials") or {})
    ids += [mid for mid in doc.get("materials") or {} if mid not in ids]
    adaptive = (doc.get("adaptive") or {}).get("materials") or {}
    return ids + [mid for mid in adaptive if mid not in ids]


def verdicts_of(doc: Mapping[str, Any]) -> dict[str, Verdict]:
    """Material id → its verdict: the one results.json holds, else computed from
    its numbers read into the verdict's types (a results.json written before
    verdicts were kept)."""
    mats = doc.get("materials") or {}
    req = doc.get("requested_materials") or {}
    adaptive = doc.get("adaptive") if isinstance(doc.get("adaptive"), Mapping) else None
    by_adaptive = (adaptive or {}).get("materials") or {}
    target = _adaptive_target(adaptive)
    out = {}
    for mid in material_ids(doc):
        m, r = mats.get(mid) or {}, req.get(mid) or {}
        kept = m.get("verdict") or r.get("verdict")
        out[mid] = (
            Verdict.from_dict(mid, kept)
            if isinstance(kept, Mapping)
            else material_verdict(
                mid,
                verdict_basis_of_dict(m),
                requested_state_of_dict(r),
                adaptive=adaptive_decision_of_dict(by_adaptive.get(mid)),
                adaptive_target_decades=target,
            )
        )
    return out


def verdicts_of_summaries(
    *,
    materials: Sequence[MaterialSummary],
    requested: Mapping[str, Mapping[str, Any]],
    adaptive: Mapping[str, Any] | None = None,
) -> dict[str, Verdict]:
    """Material id → its verdict, from the analysis's typed summaries (how an
    analysis decides them; :func:`verdicts_of` is the same over a results.json):
    ``requested``: the requested materials with their status
    (:mod:`ionmd.analysis.requested`); ``adaptive``: the adaptive protocol's
    section (:func:`ionmd.analysis.adaptive.adaptive_results`), when it ran. In
    :func:`material_ids`' order."""
    by_id = {m.material_id: m for m in materials}
    by_adaptive = (adaptive or {}).get("materials") or {}
    target = _adaptive_target(adaptive)
    ids = list(requested)
    ids += [mid for mid in by_id if mid not in ids]
    ids += [mid for mid in by_adaptive if mid not in ids]
    return {
        mid: material_verdict(
            mid,
            basis_of_summary(by_id[mid]) if mid in by_id else None,
            requested_state_of_dict(requested.get(mid)),
            adaptive=adaptive_decision_of_dict(by_adaptive.get(mid)),
            adaptive_target_decades=target,
        )
        for mid in ids
    }


#: under the verdicts of a campaign without replicas (measured:
#: ``python -m benchmarks.calibration``, docs/uncertainty.md)
SINGLE_RUN_NOTE = (
    "The intervals above come from one run per temperature (kinisi's statistical "
    "interval of that run): they do not hold the scatter between independent runs. "
    "Against the mean of 16 replicas of the toy conductor, kinisi's D intervals "
    "covered {kinisi} (an exact interval: 0.96). Run with n_replicas >= 4 for a pooled "
    "interval that includes the run-to-run scatter (measured coverage >= 0.95; "
    "docs/uncertainty.md)."
)
#: the measured coverage quoted in :data:`SINGLE_RUN_NOTE`
KINISI_D_COVERAGE_TOY = "0.90 of 5 ps runs and 0.94 of 10 ps runs"


def interval_note(doc: Mapping[str, Any]) -> str | None:
    """The caveat under the verdicts when materials were fitted from single runs
    and no replicas were pooled (None otherwise)."""
    if doc.get("pooled_replicas") or not doc.get("materials"):
        return None
    return SINGLE_RUN_NOTE.format(kinisi=KINISI_D_COVERAGE_TOY)


def verdict_lines(doc: Mapping[str, Any]) -> list[str]:
    """One verdict line per requested (else analysed) material of a results.json;
    a disordered material first pooled over its orderings, a material with
    replicas pooled over them, then each ordering and replica."""
    lines = [pooled_verdict(base, p) for base, p in pooled_of_document(doc)]
    return lines + [v.line for v in verdicts_of(doc).values()]


__all__ = [
    "MAX_SIGMA300_CI95_DECADES",
    "STATUSES",
    "Verdict",
    "decades",
    "material_ids",
    "material_verdict",
    "pooled_verdict",
    "verdict_lines",
    "verdicts_of",
    "verdicts_of_summaries",
]
