"""The result object of :func:`ionmd.run` and :func:`ionmd.analyze`.

A typed, read-only view of ``results.json`` (the analysis layer's contract,
keys documented in ``docs/analysis.md``) plus the paths of what was written.
Units are in the names, as in results.json: D in cm²/s, σ in mS/cm, Ea in eV.
A value that could not be computed is ``nan`` (``None`` in results.json).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ionmd.results_entries import MaterialEntry, TemperatureEntry, _f
from ionmd.results_view import ResultsView

if TYPE_CHECKING:
    from ionmd.analysis.verdict import Verdict

#: the per-material and per-temperature entries (their own module, so that
#: :mod:`ionmd.results_view` reads them without importing this one). The
#: current names are MaterialEntry and TemperatureEntry; these two are
#: compatibility aliases of the same classes, kept for code written against them
TemperatureResult = TemperatureEntry
MaterialResult = MaterialEntry


@dataclass(frozen=True, kw_only=True, repr=False)  # repr: ResultsView's
class Results(ResultsView):
    """What a run or an analysis produced: per material and temperature results,
    each material's verdict (is σ(300 K) a prediction, and why not), the summary
    (MAE against experiment) and the paths written.

    ``results["gvd"]`` is one :class:`~ionmd.results_entries.MaterialEntry`
    (``MaterialResult`` here is a compatibility alias of it); iterating gives them all;
    ``verdicts`` covers every requested material, analysed or not. In a notebook
    the object shows as a table (:meth:`_repr_html_`); :meth:`to_dataframe` gives
    one row per (material, temperature). Every interval is the 95 % one.
    """

    out_dir: Path
    results_json: Path
    report_md: Path | None
    report_html: Path | None
    run_files: tuple[Path, ...]
    materials: Mapping[str, MaterialEntry]
    summary: Mapping[str, Any]
    skipped: tuple[str, ...] = ()
    failed: Mapping[str, str] = field(default_factory=dict)
    document: Mapping[str, Any] = field(default_factory=dict, repr=False)
    #: material id -> verdict, for every requested material (analysed or not)
    verdicts: Mapping[str, Verdict] = field(default_factory=dict)
    #: the figures written (PNG) in ``out_dir``, sorted by name
    figures: tuple[Path, ...] = ()

    def __getitem__(self, material_id: str) -> MaterialEntry:
        try:
            return self.materials[material_id]
        except KeyError:
            have = ", ".join(self.materials) or "none"
            verdict = self.verdicts.get(material_id)
            why = f": {verdict.line}" if verdict is not None else ""  # requested, no D
            raise KeyError(
                f"no material {material_id!r} in the results (have {have}){why}"
            ) from None

    def __iter__(self) -> Iterator[MaterialEntry]:
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
        from ionmd.analysis.results_file import read_results_json

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


__all__ = [
    "MaterialEntry",
    "MaterialResult",
    "Results",
    "TemperatureEntry",
    "TemperatureResult",
]
