"""``ionmd run CONFIG --model/--out`` override the file's keys before the
config's checks, as README says ("`--out`, `--model` override the config")."""

from __future__ import annotations

from pathlib import Path

import pytest

from ionmd.cli import main


class _CapturedError(Exception):
    pass


def test_model_override_is_checked_instead_of_the_files_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cell = "relaxed" with model = "sevennet-0" in the file and --model toy on
    the command line was refused for sevennet-0 (checked before the override)."""
    import ionmd.api

    seen = {}

    def fake_run_config(config, **kwargs):
        seen["config"] = config
        raise _CapturedError

    monkeypatch.setattr(ionmd.api, "run_config", fake_run_config)
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        'materials = ["builtin:toy-fast"]\nmodels = ["orb:orb-v3", "mace-tiny"]\n'
        'cell = "relaxed"\ntemperatures_K = [800]\nduration_ps = 0.2\n'
        f'equilibration_ps = 0.0\nout = "{tmp_path / "out"}"\n'
    )
    with pytest.raises(_CapturedError):
        main(["run", str(cfg), "--model", "toy", "--out", str(tmp_path / "o2")])
    config = seen["config"]
    assert config.model == "toy" and config.models == ()
    assert config.out == str(tmp_path / "o2") and config.cell == "relaxed"


def test_model_override_is_itself_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        'materials = ["builtin:toy-fast"]\nmodel = "toy"\ncell = "relaxed"\n'
        f'temperatures_K = [800]\nout = "{tmp_path / "out"}"\n'
    )
    assert main(["run", str(cfg), "--model", "orb:orb-v3"]) == 2
    err = capsys.readouterr().err
    assert "orb:orb-v3 does not" in err and len(err.strip().splitlines()) == 1
