"""The report's Cells table: an NPT row has no FIRE steps, force or stress ("–",
not "nan"), and shows the mean pressure of its stage's second half instead; a
row the stage ended says what ended it."""

from ionmd.campaign.report import _cells_table
from ionmd.cells.stage import volume_rows

CELLS = {
    "ar_30K": {
        "cell_source": "npt",
        "volume_change_pct": 1.0,
        "converged": True,
        "mean_pressure_GPa": 0.0123,
    },
    "ar_60K": {  # ended before its stage's first sample: no mean
        "cell_source": "npt",
        "volume_change_pct": 0.0,
        "converged": False,
        "failed": "cell blew up during the NPT stage: volume ×2.03 at 0.03 ps",
        "mean_pressure_GPa": None,
    },
    "li3n": {
        "cell_source": "relaxed",
        "volume_change_pct": -2.5,
        "converged": True,
        "n_steps": 120,
        "fmax_eV_A": 0.0151,
        "max_stress_GPa": 0.0432,
    },
}


def test_npt_rows_show_dashes_and_the_mean_pressure():
    assert list(volume_rows(CELLS)) == [
        ["ar_30K", "npt", "+1.00", "–", "–", "0.012", "yes"],
        # found by a hostile test: a blown-up row's "+82.92 … no" read as a
        # cell that merely had not converged
        ["ar_60K", "npt", "+0.00", "–", "–", "–", "no (cell blew up during the NPT stage)"],
        ["li3n", "relaxed", "-2.50", "120", "0.015", "0.043", "yes"],
    ]


def test_the_table_names_the_npt_column_and_shows_no_nan():
    table = _cells_table(CELLS)
    text = repr(tuple(table))
    assert "nan" not in text
    assert "npt: mean pressure of the second half" in text
