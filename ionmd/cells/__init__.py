"""The simulation cell of each material: the experimental one (the study) or
one the campaign's model believes (``cell = "relaxed"``: 0 K relaxation of
positions and cell, all materials in one batch). Data flow: structures →
:mod:`ionmd.cells.stage` (relax, :mod:`ionmd.cells.relax`) → the systems the
engine batches. Settings: :mod:`ionmd.cells.settings`."""
