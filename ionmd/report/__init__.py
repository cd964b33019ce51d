"""The report layer: the only one that renders. From the analysis's typed results
(:mod:`ionmd.analysis`) it writes results.json (:mod:`~ionmd.report.results_json`),
the figures (the only importer of matplotlib), report.md/html
(:mod:`~ionmd.report.pages`, one table renderer :mod:`~ionmd.report.tables`), the
campaign's section of the report (:mod:`~ionmd.campaign.report`) and
``ionmd compare``'s page (:mod:`~ionmd.report.compare`).

Imports run one way: report imports analysis, never the engine, the campaign,
the scale-out layer, the API or the command line; analysis never imports report
(``tests/architecture/test_import_graph.py``). Submodules are imported where
used, so importing the package loads no plotting library."""
