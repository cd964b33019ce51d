"""docs/config.md documents every key of the flat TOML (the campaign's and its
protocol's) with its true default (the table
never drifts from the code), and ``ionmd run --model`` overrides the config's
model (the offline-weights message tells users to pass it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ionmd.campaign.config import flat_defaults

DOC = Path(__file__).resolve().parents[2] / "docs" / "config.md"
ROW = re.compile(r"^\| `(\w+)` \| (.+?) \| (.+?) \| (.+) \|$")


def _toml(value: object) -> str:
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, tuple | list):
        return "`[" + ", ".join(format(v, "g") for v in value) + "]`"
    if isinstance(value, float):
        return f"`{value:g}`"
    return f"`{value}`"


def _rows() -> dict[str, tuple[str, str, str]]:
    rows = {}
    for line in DOC.read_text().splitlines():
        m = ROW.match(line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3), m.group(4))
    return rows


def test_every_key_documented_with_its_default():
    keys = flat_defaults()  # the flat TOML: every layer's keys
    rows = _rows()
    assert sorted(rows) == sorted(keys), "docs/config.md drifted"
    for name, value in keys.items():
        default, unit, meaning = rows[name]
        assert default == _toml(value), f"{name}: {default} != {_toml(value)}"
        assert meaning.strip(), name
        if name.endswith("_eV_A"):  # a force: eV per Å
            assert unit == "eV/Å", f"{name}: unit {unit}"
            continue
        suffix = name.rsplit("_", 1)[-1]
        if suffix in ("K", "fs", "ps", "A", "s"):
            assert unit.replace("Å", "A") == suffix, f"{name}: unit {unit}"


def test_run_help_points_to_docs_that_exist(capsys):
    from ionmd.cli import main

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    assert "docs/config.md" in text and DOC.is_file()
    assert "--model" in text


def test_run_model_flag_overrides_config(tmp_path, monkeypatch, capsys):
    """``--model`` replaces the config's model (was: ``unrecognized arguments``)."""
    import ionmd.calculators
    from ionmd.cli import main

    seen = []

    def fake_load(name, **kwargs):
        seen.append(name)
        raise ionmd.calculators.ModelLoadError(f"stop after choosing {name}")

    monkeypatch.setattr(ionmd.calculators, "load_model", fake_load)
    cfg = tmp_path / "run.toml"
    cfg.write_text(
        'materials = ["builtin:alpha-Li3N"]\nmodel = "mace:medium-mpa-0"\n'
        "temperatures_K = [800]\nduration_ps = 0.02\nequilibration_ps = 0.004\n"
        "sample_every_fs = 4.0\nmsd_every_fs = 2.0\n"
    )
    monkeypatch.chdir(tmp_path)
    rc = main(["run", str(cfg), "--model", "mace:/weights/mpa.model", "--no-progress"])
    assert seen == ["mace:/weights/mpa.model"]
    assert (
        rc == 2 and "stop after choosing mace:/weights/mpa.model" in capsys.readouterr().err
    )
