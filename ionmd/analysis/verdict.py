"""The verdict on every σ(300 K): is it a prediction, and if not, why.

Computed once, as data, from the numbers of results.json (:func:`material_verdict`);
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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ionmd.analysis.reliability import LI_MSD_THRESHOLD_A2

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


def _study_reasons(m: Mapping[str, Any], width: float | None) -> list[str]:
    """Why a fitted σ(300 K) is not a prediction under the study's rule (empty:
    it is one)."""
    temps = m.get("temperatures") or []
    requested = m.get("temperatures_requested_K") or [t["temperature_K"] for t in temps]
    n_ok = sum(bool(t.get("reliable")) for t in temps)
    melted = [t["temperature_K"] for t in temps if t.get("framework_mobile")]
    aliased = [t for t in temps if t.get("unwrap_unreliable")]
    missing = m.get("temperatures_missing_K") or []
    reasons = []
    if not m.get("all_reliable"):
        reasons.append(
            f"{n_ok} of {len(requested)} requested temperatures reached the "
            f"{LI_MSD_THRESHOLD_A2:g} Å² Li MSD"
        )
        if melted:
            reasons.append(f"framework mobile (melting?) at {_temps(melted)} K")
        for t in aliased:
            why = t.get("unwrap_reason") or "frames too far apart to unwrap"
            reasons.append(f"{t['temperature_K']:g} K not in the fit: {why}")
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


def _adaptive_note(entry: Mapping[str, Any] | None) -> str:
    """``adaptive protocol: <status>: <reason>`` (empty without an entry)."""
    if not entry:
        return ""
    state = entry.get("status") or "?"
    return f"adaptive protocol: {state}: {entry.get('reason') or 'no reason given'}"


def _prediction_note(m: Mapping[str, Any], adaptive_note: str) -> str:
    """What a prediction's line adds: the protocol's word, or that every requested
    temperature reached 20 Å²; and a melted temperature left out of the fit."""
    why = adaptive_note or "every requested temperature reached the 20 Å² Li MSD"
    temps = m.get("temperatures") or []
    melted = [t["temperature_K"] for t in temps if t.get("framework_mobile")]
    if melted:
        why += f"; framework mobile at {_temps(melted)} K, left out of the fit"
    return why


def material_verdict(
    material_id: str,
    m: Mapping[str, Any],
    req: Mapping[str, Any],
    *,
    adaptive: Mapping[str, Any] | None = None,
    adaptive_target_decades: float | None = None,
) -> Verdict:
    """The verdict of one material (``m``: its ``materials`` entry in results.json,
    possibly empty; ``req``: its ``requested_materials`` entry, possibly empty;
    ``adaptive``: its entry in results.json's ``adaptive.materials`` when the
    adaptive protocol ran, whose status and ``adaptive_target_decades`` then decide)."""
    formula = m.get("formula") or req.get("formula") or ""
    head = f"{material_id} ({formula})" if formula else material_id
    exp = m.get("sigma_exp_mS_cm", req.get("sigma_exp_mS_cm"))
    exp_text = f"; experiment {_g(exp)} mS/cm" if _finite(exp) else ""
    status = req.get("status") or ("fitted" if m else "no_fit")
    note = _adaptive_note(adaptive)
    by = "adaptive protocol" if adaptive else "study"
    if status == "not_simulated":
        why = req.get("reason") or "could not be prepared"
        line = f"{head}: not simulated: {why}"
        return Verdict(
            material_id=material_id, status=status, reasons=(why,), line=line, decided_by=by
        )
    sigma = m.get("sigma_300K_mS_cm")
    if status == "no_fit" or not _finite(sigma):
        why = [req.get("reason") or "fewer than two usable temperatures"]
        why += [note] if note and adaptive.get("status") != "resolved" else []
        line = f"{head}: no σ(300 K), not a prediction: {'; '.join(why)}{exp_text}"
        return Verdict(
            material_id=material_id,
            status="no_fit",
            reasons=tuple(why),
            line=line,
            decided_by=by,
        )
    lo, hi = (m.get("sigma_300K_ci95_mS_cm") or [None, None])[:2]
    width = decades(lo, hi)
    value = f"σ(300 K) = {_g(sigma)} mS/cm [95 %: {_g(lo)}, {_g(hi)}]"
    limit = MAX_SIGMA300_CI95_DECADES
    if adaptive:  # the protocol's own status and target decide
        own = adaptive.get("sigma300_log10_ci")
        # the wider of the protocol's interval and the one reported beside it
        widths = [w for w in (width, own) if _finite(w)]
        width = max(widths) if widths else None
        limit = adaptive_target_decades or limit
        reasons = [] if adaptive.get("status") == "resolved" else [note]
        reasons += _width_reasons(width, limit)
    else:
        reasons = _study_reasons(m, width)
    if m.get("arrhenius_prediction") is False:  # too few temperatures in the fit
        reasons.insert(
            0, m.get("arrhenius_prediction_reason") or "too few temperatures in the fit"
        )
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
        decided_by=by,
    )


def pooled_verdict(base: str, p: Mapping[str, Any], *, word: str = "ordering") -> str:
    """One line for a material pooled over its orderings (a disordered material)
    or its replicas (``word``)."""
    temps = p.get("temperatures") or []
    n = len(p.get(f"{word}s") or [])
    head = f"{base} (pooled over {n} {word}s)"
    sigma = p.get("sigma_300K_mS_cm")
    if not _finite(sigma):
        return f"{head}: no σ(300 K), not a prediction"
    lo, hi = (p.get("sigma_300K_ci95_mS_cm") or [None, None])[:2]
    ok = sum(bool(t.get("reliable_all")) for t in temps)
    width = decades(lo, hi)
    reasons = (
        []
        if temps and ok == len(temps)
        else [f"{ok} of {len(temps)} temperatures diffusive in every {word}"]
    ) + _width_reasons(width, MAX_SIGMA300_CI95_DECADES)
    state = f"not a prediction ({'; '.join(reasons)})" if reasons else "prediction"
    exp = p.get("sigma_exp_mS_cm")
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
    its numbers (a results.json written before verdicts were kept)."""
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
                mid, m, r, adaptive=by_adaptive.get(mid), adaptive_target_decades=target
            )
        )
    return out


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
    lines = [
        pooled_verdict(base, p, word=word)
        for key, word in (("pooled_orderings", "ordering"), ("pooled_replicas", "replica"))
        for base, p in (doc.get(key) or {}).items()
    ]
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
]
