"""The result object of :func:`ionmd.run` and :func:`ionmd.analyze`.

A typed, read-only view of ``results.json`` (the analysis layer's contract,
keys documented in ``docs/analysis.md``) plus the paths of what was written.
Units are in the names, as in results.json: D in cm²/s, σ in mS/cm, Ea in eV.
A value that could not be computed is ``nan`` (``None`` in results.json).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ionmd.analysis.verdict import Verdict

NAN = float("nan")


def _f(x: Any) -> float:
    return NAN if x is None else float(x)


def _pair(x: Any) -> tuple[float, float]:
    if not x:
        return (NAN, NAN)
    return (_f(x[0]), _f(x[1]))


@dataclass(frozen=True, kw_only=True)
class TemperatureResult:
    """One (material, temperature) system."""

    temperature_K: float
    D_cm2_s: float
    D_ci95_cm2_s: tuple[float, float]
    sigma_mS_cm: float
    sigma_ci95_mS_cm: tuple[float, float]
    msd_max_A2: float
    reliable: bool
    used_in_fit: bool
    notes: tuple[str, ...] = ()
    #: the framework (non-Li) tracer MSD's maximum, and whether it melted (≥ 5 Å²)
    framework_msd_max_A2: float = NAN
    framework_mobile: bool = False
    #: the Haven ratio D_tracer / D_σ with its 95 % interval (nan: not computed)
    haven_ratio: float = NAN
    haven_ratio_ci95: tuple[float, float] = (NAN, NAN)
    #: the collective (charge) diffusivity with its 95 % interval
    D_sigma_cm2_s: float = NAN
    D_sigma_ci95_cm2_s: tuple[float, float] = (NAN, NAN)
    duration_ps: float = NAN
    partial: bool = False

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> TemperatureResult:
        return cls(
            temperature_K=_f(d.get("temperature_K")),
            D_cm2_s=_f(d.get("D_cm2_s")),
            D_ci95_cm2_s=_pair(d.get("D_ci95_cm2_s")),
            sigma_mS_cm=_f(d.get("sigma_mS_cm")),
            sigma_ci95_mS_cm=_pair(d.get("sigma_ci95_mS_cm")),
            msd_max_A2=_f(d.get("msd_max_A2")),
            reliable=bool(d.get("reliable", False)),
            used_in_fit=bool(d.get("used_in_fit", False)),
            notes=tuple(str(n) for n in d.get("notes") or ()),
            framework_msd_max_A2=_f(d.get("framework_msd_max_A2")),
            framework_mobile=bool(d.get("framework_mobile", False)),
            haven_ratio=_f(d.get("haven_ratio")),
            haven_ratio_ci95=_pair(d.get("haven_ratio_ci95")),
            D_sigma_cm2_s=_f(d.get("D_sigma_cm2_s")),
            D_sigma_ci95_cm2_s=_pair(d.get("D_sigma_ci95_cm2_s")),
            duration_ps=_f(d.get("duration_ps")),
            partial=bool(d.get("partial", False)),
        )


@dataclass(frozen=True, kw_only=True)
class MaterialResult:
    """One material: its temperatures, the Arrhenius fit and σ at 300 K."""

    material_id: str
    formula: str
    temperatures: tuple[TemperatureResult, ...]
    Ea_eV: float
    Ea_sigma_eV: float
    #: the activation energy's 95 % interval (the one every report shows)
    Ea_ci95_eV: tuple[float, float]
    D0_cm2_s: float
    D_300K_cm2_s: float
    D_300K_ci95_cm2_s: tuple[float, float]
    sigma_300K_mS_cm: float
    sigma_300K_ci95_mS_cm: tuple[float, float]
    sigma_exp_mS_cm: float
    log10_error: float
    n_reliable: int
    all_reliable: bool
    status: str
    #: is σ(300 K) a prediction, and why not (:mod:`ionmd.analysis.verdict`)
    verdict: Verdict
    notes: tuple[str, ...] = ()
    #: this material's figures that exist (Li MSD, Arrhenius)
    msd_figure: Path | None = None
    arrhenius_figure: Path | None = None

    @property
    def prediction(self) -> bool:
        """σ(300 K) is a prediction (``verdict.status == "prediction"``)."""
        return self.verdict.prediction

    def at(self, temperature_K: float) -> TemperatureResult:
        """The result at one temperature (KeyError naming the ones there are)."""
        for t in self.temperatures:
            if abs(t.temperature_K - temperature_K) < 1e-6:
                return t
        have = ", ".join(f"{t.temperature_K:g}" for t in self.temperatures)
        raise KeyError(
            f"{self.material_id}: no result at {temperature_K:g} K (have {have})"
        )

    @property
    def D_cm2_s(self) -> dict[float, float]:
        """D per temperature (K → cm²/s)."""
        return {t.temperature_K: t.D_cm2_s for t in self.temperatures}

    @classmethod
    def from_json(
        cls,
        material_id: str,
        d: Mapping[str, Any],
        *,
        status: str | None = None,
        verdict: Verdict | None = None,
        out_dir: Path | None = None,
    ) -> MaterialResult:
        """``status``: the material's ``requested_materials`` status in results.json
        (fitted, no_fit, not_simulated); derived the same way when absent.
        ``verdict``: its verdict (default: computed from ``d``); ``out_dir``: where
        its figures are looked for."""
        from ionmd.analysis.verdict import material_verdict

        temps = tuple(TemperatureResult.from_json(t) for t in d.get("temperatures") or ())
        if status is None:
            fitted = math.isfinite(_f(d.get("sigma_300K_mS_cm")))
            status = "fitted" if fitted else "no_fit"
        return cls(
            material_id=material_id,
            formula=str(d.get("formula") or ""),
            temperatures=temps,
            Ea_eV=_f(d.get("Ea_eV")),
            Ea_sigma_eV=_f(d.get("Ea_sigma_eV")),
            Ea_ci95_eV=_pair(d.get("Ea_ci95_eV")),
            D0_cm2_s=_f(d.get("D0_cm2_s")),
            D_300K_cm2_s=_f(d.get("D_300K_cm2_s")),
            D_300K_ci95_cm2_s=_pair(d.get("D_300K_ci95_cm2_s")),
            sigma_300K_mS_cm=_f(d.get("sigma_300K_mS_cm")),
            sigma_300K_ci95_mS_cm=_pair(d.get("sigma_300K_ci95_mS_cm")),
            sigma_exp_mS_cm=_f(d.get("sigma_exp_mS_cm")),
            log10_error=_f(d.get("log10_error")),
            n_reliable=int(d.get("n_reliable") or 0),
            all_reliable=bool(d.get("all_reliable", False)),
            status=str(status),
            verdict=verdict or material_verdict(material_id, d, {"status": status}),
            notes=tuple(str(n) for n in d.get("notes") or ()),
            msd_figure=_figure(out_dir, material_id, 0),
            arrhenius_figure=_figure(out_dir, material_id, 1),
        )


def _figure(out_dir: Path | None, material_id: str, which: int) -> Path | None:
    """A material's figure in ``out_dir`` (0: Li MSD, 1: Arrhenius) when it exists."""
    if out_dir is None:
        return None
    from ionmd.analysis.figures import figure_names

    path = out_dir / figure_names([material_id])[which]
    return path if path.is_file() else None


@dataclass(frozen=True, kw_only=True)
class Results:
    """What a run or an analysis produced: per material and temperature results,
    each material's verdict (is σ(300 K) a prediction, and why not), the summary
    (MAE against experiment) and the paths written.

    ``results["gvd"]`` is one :class:`MaterialResult`; iterating gives them all;
    ``verdicts`` covers every requested material, analysed or not. In a notebook
    the object shows as a table (:meth:`_repr_html_`); :meth:`to_dataframe` gives
    one row per (material, temperature). Every interval is the 95 % one.
    """

    out_dir: Path
    results_json: Path
    report_md: Path | None
    report_html: Path | None
    run_files: tuple[Path, ...]
    materials: Mapping[str, MaterialResult]
    summary: Mapping[str, Any]
    skipped: tuple[str, ...] = ()
    failed: Mapping[str, str] = field(default_factory=dict)
    document: Mapping[str, Any] = field(default_factory=dict, repr=False)
    #: material id -> verdict, for every requested material (analysed or not)
    verdicts: Mapping[str, Verdict] = field(default_factory=dict)
    #: the figures written (PNG) in ``out_dir``, sorted by name
    figures: tuple[Path, ...] = ()

    def __getitem__(self, material_id: str) -> MaterialResult:
        try:
            return self.materials[material_id]
        except KeyError:
            have = ", ".join(self.materials) or "none"
            raise KeyError(
                f"no material {material_id!r} in the results (have {have})"
            ) from None

    def __iter__(self) -> Iterator[MaterialResult]:
        return iter(self.materials.values())

    def __len__(self) -> int:
        return len(self.materials)

    @property
    def mae_log10_predictions(self) -> float:
        """Mean absolute log10 error of σ(300 K) against experiment over the
        materials whose value is a prediction (the headline; nan: none)."""
        return _f(self.summary.get("mae_log10_predictions"))

    @property
    def n_predictions_with_error(self) -> int:
        """How many materials :attr:`mae_log10_predictions` is taken over."""
        return int(self.summary.get("n_materials_predictions_with_error") or 0)

    @property
    def predictions(self) -> tuple[str, ...]:
        """The materials whose σ(300 K) is a prediction."""
        return tuple(mid for mid, v in self.verdicts.items() if v.prediction)

    @property
    def mae_log10_all(self) -> float:
        """The study's "all" figure: over every material with σ(300 K) and an
        experimental value, predictions or not."""
        return _f(self.summary.get("mae_log10_all"))

    @property
    def mae_log10_reliable(self) -> float:
        """The study's "reliable" figure: over the materials reliable at every
        requested temperature."""
        return _f(self.summary.get("mae_log10_all_reliable"))

    def __repr__(self) -> str:
        from ionmd.results_view import text_repr

        return text_repr(self)

    def _repr_html_(self) -> str:
        from ionmd.results_view import html_repr

        return html_repr(self)

    def to_dataframe(self) -> Any:
        """One row per (material, temperature), units in the column names
        (pandas.DataFrame; pandas is optional: InputError naming it when absent)."""
        from ionmd.results_view import to_dataframe

        return to_dataframe(self)

    @property
    def adaptive(self) -> Mapping[str, Any] | None:
        """The adaptive protocol's section of results.json (per system its
        decisions with their numbers, per material its status and reason); None for
        a study campaign (docs/adaptive.md)."""
        section = self.document.get("adaptive")
        return section if isinstance(section, Mapping) else None

    @classmethod
    def from_dir(
        cls,
        out_dir: str | Path,
        *,
        run_files: tuple[Path, ...] = (),
        failed: Mapping[str, str] | None = None,
    ) -> Results:
        """Read ``out_dir/results.json`` (written by ``ionmd run`` or ``ionmd
        analyze``) with the reports and figures next to it: the same object
        :func:`ionmd.run` and :func:`ionmd.analyze` return, for a finished run read
        again later. ``run_files`` and ``failed``: what the caller knows of the
        run (not in results.json)."""
        from ionmd.analysis.report import read_results_json

        doc = read_results_json(out_dir)
        return cls.from_document(doc, out_dir=out_dir, run_files=run_files, failed=failed)

    @classmethod
    def from_document(
        cls,
        doc: Mapping[str, Any],
        *,
        out_dir: str | Path,
        run_files: tuple[Path, ...] = (),
        failed: Mapping[str, str] | None = None,
    ) -> Results:
        from ionmd.analysis.verdict import verdicts_of

        out = Path(out_dir).absolute()  # still right after the caller's chdir
        mats = doc.get("materials") or {}
        requested = doc.get("requested_materials") or {}
        verdicts = verdicts_of(doc)
        materials = {
            str(mid): MaterialResult.from_json(
                str(mid),
                m,
                status=(requested.get(mid) or {}).get("status"),
                verdict=verdicts.get(mid),
                out_dir=out,
            )
            for mid, m in mats.items()
            if isinstance(m, Mapping)
        }
        md, html = out / "report.md", out / "report.html"
        return cls(
            out_dir=out,
            results_json=out / "results.json",
            report_md=md if md.is_file() else None,
            report_html=html if html.is_file() else None,
            run_files=tuple(Path(p).absolute() for p in run_files),
            materials=materials,
            summary=dict(doc.get("summary") or {}),
            skipped=tuple(str(s) for s in doc.get("skipped") or ()),
            failed=dict(failed or {}),
            document=doc,
            verdicts=verdicts,
            figures=tuple(sorted(out.glob("*.png"))),
        )


__all__ = ["MaterialResult", "Results", "TemperatureResult"]
