"""CONFIG.toml checking and the `ionmd vasp` command line end to end."""

from __future__ import annotations

import json

import pytest

from ionmd.cli import main
from ionmd.errors import InputError
from ionmd.fileformat import list_systems
from ionmd.vasp_bridge.config import campaign_from_dict, load_campaign
from tests.vasp_bridge import _segmented as sg

CONFIG = """
materials = ["gvd"]
temperatures_K = [800, 1000]
timestep_fs = 2.0
duration_ps = 100.0
min_cell_length_A = 10.0
obelix_data = "{obelix}"
model = "mace-mpa-0"   # an engine key: ignored by the bridge

[vasp]
partition = "cpu"
account = "def-lab"
walltime = "12:00:00"
modules = ["module load StdEnv/2023 vasp/6.4.2"]
vasp_command = "srun vasp_gam"
seconds_per_step = 20.0

[vasp.overrides.gvd]
supercell = [3, 3, 3]
"""


def test_campaign_keys_and_defaults(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(CONFIG.format(obelix="/nowhere"))
    c = load_campaign(path)
    assert c.materials == ("gvd",) and c.temperatures_K == (800.0, 1000.0)
    assert c.total_steps == 50_000 and c.equilibration_ps == 5.0
    assert c.vasp.walltime == "12:00:00" and c.vasp.cores_per_node == 64
    assert c.vasp.modules == ("module load StdEnv/2023 vasp/6.4.2",)
    assert c.vasp.for_material("gvd") == {"supercell": [3, 3, 3]}
    assert c.vasp.smass == 0.0 and c.vasp.encut_eV == 520.0


@pytest.mark.parametrize(
    ("vasp", "message"),
    [
        (
            {"walltim": "1:00:00"},
            "unknown key 'walltim' in \\[vasp\\] \\(did you mean 'walltime'",
        ),
        ({"core_per_node": 48}, "did you mean 'cores_per_node'"),
        (
            {"overrides": {"9zk": {"super_cell": "primitive"}}},
            "\\[vasp.overrides.9zk\\] \\(did you mean 'supercell'",
        ),
        ({"walltime": "a day"}, "walltime"),
    ],
)
def test_unknown_or_bad_vasp_keys_are_refused(vasp, message):
    with pytest.raises(InputError, match=message):
        campaign_from_dict({"materials": ["gvd"], "temperatures_K": [800], "vasp": vasp})


def test_missing_campaign_key_names_the_typo():
    with pytest.raises(InputError, match="no 'temperatures_K' \\(found 'temperature_K'\\)"):
        campaign_from_dict({"materials": ["gvd"], "temperature_K": [800]})
    with pytest.raises(InputError, match="not a multiple of \\[vasp\\] sample_every_steps"):
        campaign_from_dict(
            {
                "materials": ["gvd"],
                "temperatures_K": [800],
                "duration_ps": 0.01,
                "vasp": {"sample_every_steps": 3},
            }
        )


def test_cli_prepare_status_submit(tmp_path, shared, capsys):
    obelix = shared / "data" / "obelix"
    config = tmp_path / "c.toml"
    config.write_text(CONFIG.format(obelix=obelix))
    out = tmp_path / "runs"
    assert main(["vasp", "prepare", str(config), "--out", str(out)]) == 0
    rec = json.loads((out / "gvd_1000K" / "ionmd_vasp.json").read_text())
    assert rec["n_atoms"] == 4 * 27 and rec["supercell"] == [
        [3, 0, 0],
        [0, 3, 0],
        [0, 0, 3],
    ]
    assert (
        "#SBATCH --partition=cpu" in (out / "gvd_800K" / "seg_000" / "job.sh").read_text()
    )
    capsys.readouterr()
    assert main(["vasp", "status", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("gvd_1000K") and "0/50000" in lines[0]
    assert main(["vasp", "submit", str(out), "--dry-run"]) == 0
    assert "sbatch" in capsys.readouterr().out
    # a second prepare refuses to overwrite
    assert main(["vasp", "prepare", str(config), "--out", str(out)]) == 2
    assert "exists" in capsys.readouterr().err


def test_cli_unknown_key_is_one_line_exit_2(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text('materials = ["gvd"]\ntemperatures_K = [800]\n[vasp]\nsmas = 1\n')
    assert main(["vasp", "prepare", str(config), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert "did you mean 'smass'" in err and "\n" not in err


def test_cli_collect_writes_run_file_and_cost(tmp_path, shared, capsys):
    sg.build_run(tmp_path / "runs", shared, cuts=[(0, 70), (70, 140)])
    h5 = tmp_path / "vasp.h5"
    assert (
        main(
            [
                "vasp",
                "collect",
                str(tmp_path / "runs"),
                "--out",
                str(h5),
                "--equilibration-ps",
                "0",
            ]
        )
        == 0
    )
    assert list_systems(h5) == ["li6ps5cl_600K"]
    cost = json.loads(h5.with_suffix(".cost.json").read_text())
    assert cost[0]["wall_time_s"] == pytest.approx(3000.0) and cost[0]["n_cores"] == 64
    assert "140 frames, 7000 steps" in capsys.readouterr().out


def test_cli_collect_skips_new_runs_and_names_the_broken_one(tmp_path, shared, capsys):
    runs = tmp_path / "runs"
    good = sg.build_run(runs, shared, cuts=[(0, 70), (70, 140)])
    broken = sg.build_run(tmp_path / "b", shared, cuts=[(0, 50), (53, 140)], starts=[0, 52])
    broken.rename(runs / "broken_600K")
    new = runs / "new_800K"
    new.mkdir()
    (new / "ionmd_vasp.json").write_text((good / "ionmd_vasp.json").read_text())
    h5 = tmp_path / "v.h5"
    assert main(["vasp", "collect", str(runs), "--out", str(h5)]) == 2
    assert "broken_600K: gap between seg_000 and seg_001" in capsys.readouterr().err
    assert main(["vasp", "collect", str(runs), "--out", str(h5), "--keep-going"]) == 1
    captured = capsys.readouterr()
    assert "new_800K: no output yet, skipped" in captured.out
    assert "broken_600K: not collected: gap" in captured.err
    assert list_systems(h5) == ["li6ps5cl_600K"]
