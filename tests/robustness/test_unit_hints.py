"""An unknown key's suggestion says when it is in another unit, and a key that
extends a valid one is pointed to it: ``pressure_bar = 1`` was answered "did
you mean 'pressure_GPa'?" (renamed as told, the 1 is 10,000 bar) and
``cell_mode`` "did you mean 'compile_mode'?"."""

from __future__ import annotations

import pytest

import ionmd
from ionmd.campaign.config import load_config
from ionmd.errors import InputError
from ionmd.settings_file import nearest
from ionmd.unit_hint import unit_note


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (
            'cell = "npt"\npressure_bar = 1',
            "'pressure_GPa'? (pressure_GPa is in GPa: 1 bar = 0.0001 GPa)",
        ),
        ("duration_fs = 1000", "'duration_ps'? (duration_ps is in ps: 1 fs = 0.001 ps)"),
        ("timestep_ps = 0.002", "'timestep_fs'? (timestep_fs is in fs: 1 ps = 1000 fs)"),
        ("temperatures_C = [500]", "T[K] = T[°C] + 273.15"),
        ("min_cell_length_nm = 1", "1 nm = 10 Å"),
        ('cell_mode = "npt"', "did you mean 'cell'?"),
    ],
)
def test_config_typo_hints(tmp_path, line: str, words: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'materials = ["builtin:toy-fast"]\nmodel = "toy"\n{line}\n')
    with pytest.raises(InputError) as exc:
        load_config(cfg)
    assert words in str(exc.value) and len(str(exc.value).splitlines()) == 1


def test_api_keyword_gets_the_same_hint(tmp_path) -> None:
    with pytest.raises(InputError, match=r"1 bar = 0\.0001 GPa"):
        ionmd.run("builtin:toy-fast", model="toy", out=tmp_path / "o", pressure_bar=1.0)


def test_the_conversions_themselves() -> None:
    # independent: 1 atm = 101325 Pa, 1 Bohr = 0.529177 Å
    assert unit_note("pressure_atm", "pressure_GPa").endswith("1 atm = 0.000101325 GPa)")
    assert "1 bohr = 0.529177 Å" in unit_note("min_cell_length_bohr", "min_cell_length_A")
    assert unit_note("pressure_gpa", "pressure_GPa") == ""  # only the case differs
    assert unit_note("duration_K", "duration_ps") == ""  # not one quantity
    assert unit_note("npt_fs", "npt_cell") == ""


def test_nearest_prefers_the_key_a_name_extends() -> None:
    names = ["cell", "compile_mode", "out", "npt_cell", "seed"]
    assert nearest("cell_mode", names) == "cell"
    assert nearest("npt_cell_mode", names) == "npt_cell"  # the longest
    assert nearest("out_dir", names) == "out"
    assert nearest("seeds", names) == "seed"  # spelling as before
