"""ionmd: batched molecular dynamics and analysis for Li-ion conductivity.

Layers (arrows point at what is used)::

    cli -> api -> campaign -> engine -> calculators
    campaign -> analysis, report, scaleout
    report -> analysis          (numbers in analysis, pages in report)
    engine, analysis, vasp_bridge -> fileformat
    analysis, vasp_bridge -> numerics
    campaign, vasp_bridge, scaleout -> settings (one TOML reader and key checker)

The engine gets a protocol (``ionmd.engine.md_settings.MDSettings``) and nothing else;
the campaign's config (``ionmd.campaign.config.CampaignConfig``) contains one.

The public API is :func:`ionmd.run`, :func:`ionmd.analyze` and
:class:`ionmd.Results` (``ionmd/api.py``, ``ionmd/results.py``; docs/python_api.md):
``cli -> api -> campaign``.

No import cycle between modules (``if TYPE_CHECKING:`` imports count) or between
these packages; imports between layers run one way (the table ``MAY_IMPORT``);
nothing below ``cli`` imports it (``python -m ionmd`` is command line; no other
package has a ``__main__``); ``analysis`` returns typed results and writes
nothing, ``report`` (results.json, tables, pages, figures) is the only layer that
renders and the only importer of matplotlib: tests/architecture/test_import_graph.py.

Nothing in ``analysis`` imports ``engine``; both meet at the HDF5 layout
documented in ``docs/hdf5_layout.md`` and implemented in ``ionmd.fileformat``, which
also holds the one VASP XDATCAR/vasprun.xml parser that analysis and vasp_bridge share
(with the numpy unwrapping and MSD of ``ionmd.numerics``).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ionmd")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["Results", "__version__", "analyze", "run"]


def __getattr__(name: str) -> object:
    """The public API, imported on first use so ``import ionmd`` stays light
    (and the engine runs where the analysis packages are not installed)."""
    if name in ("run", "analyze"):
        from ionmd import api

        return getattr(api, name)
    if name == "Results":
        from ionmd.results import Results

        return Results
    raise AttributeError(f"module 'ionmd' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names with the lazily imported API (``run``, ``analyze``,
    ``Results``), so ``dir(ionmd)`` and tab completion show them."""
    return sorted(set(globals()) | set(__all__))
