"""New-user and hostile pass after the wave-2 merges (docs/robustness.md, last
section): each case is one line (InputError / exit 2), never a traceback."""

import json
from pathlib import Path

import pytest

from ionmd.errors import InputError


@pytest.mark.parametrize(
    "state",
    [
        {"tasks": [1, 2]},
        {"tasks": {"a": 3}},
        {"tasks": {"a": {"state": "done", "attempts": "x"}}},
        {"tasks": {"a": {"state": "done"}}, "runner": 5},
        [1, 2],
    ],
)
def test_status_on_a_malformed_state_file_is_one_line(tmp_path, state):
    from ionmd.scaleout.task_status import campaign_status

    (tmp_path / "scaleout").mkdir()
    (tmp_path / "scaleout" / "state.json").write_text(json.dumps(state))
    with pytest.raises(InputError, match="state.json"):
        campaign_status(tmp_path).format()


def test_status_on_an_in_process_campaign_says_so(tmp_path):
    from ionmd.scaleout.task_status import campaign_status

    (tmp_path / "campaign.json").write_text(json.dumps({"status": "done"}))
    with pytest.raises(InputError, match="in-process.*done"):
        campaign_status(tmp_path)


def test_run_with_an_object_that_is_not_a_model_is_one_line(tmp_path):
    import ionmd

    class NotAModel:
        def __call__(self, *args, **kwargs):
            raise RuntimeError("never called")

    with pytest.raises(InputError, match="torch-sim model"):
        ionmd.run(
            ["builtin:toy-fast"],
            model=NotAModel(),
            out=tmp_path / "o",
            temperatures_K=[800],
            duration_ps=0.12,
            equilibration_ps=0.004,
            progress=False,
        )


@pytest.mark.parametrize("kind", ["root", "file", "foreign"])
def test_gpu_check_refuses_an_out_it_would_litter(tmp_path, kind, capsys):
    from benchmarks import gpu_check

    out = {"root": Path("/"), "file": tmp_path / "f", "foreign": tmp_path}[kind]
    if kind == "file":
        out.write_text("x")
    if kind == "foreign":
        (tmp_path / "notes.txt").write_text("mine")
    assert gpu_check.out_problem(out) is not None
    if kind != "root":  # never start a check aimed at /
        assert gpu_check.main(["--dry-run", "--out", str(out), "--only"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "gpu_check:" in err
        assert not (tmp_path / "gpu_check.json").exists()


def test_gpu_check_accepts_a_new_an_empty_or_its_own_out(tmp_path):
    from benchmarks import gpu_check

    assert gpu_check.out_problem(tmp_path / "new") is None
    assert gpu_check.out_problem(tmp_path) is None
    (tmp_path / "gpu_check.json").write_text("{}")
    assert gpu_check.out_problem(tmp_path) is None


def test_plan_names_batches_as_the_run_counts_them(tmp_path, capsys):
    from ionmd.cli import main

    cfg = tmp_path / "c.toml"
    cfg.write_text('materials = ["builtin:toy-fast"]\nmodel = "toy"\n')
    assert main(["plan", str(cfg)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "toy-fast" in line)
    # the run logs "batch 1/1"; a bare "0" under "batches" read as "no batch"
    assert row.rstrip().endswith("batch 1"), row


def test_partial_occupancy_refusal_names_occupancy_order(tmp_path):
    from pymatgen.core import Lattice, Structure

    from ionmd.structures.load import load_structure

    s = Structure(Lattice.cubic(4.0), [{"Li": 0.5}, "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    with pytest.raises(InputError, match='occupancy = "order"'):
        load_structure(s)


def test_run_where_every_system_failed_exits_1(tmp_path, monkeypatch, capsys):
    from types import SimpleNamespace

    import ionmd.api
    from ionmd.cli import main

    out = tmp_path / "o"
    out.mkdir()
    (out / "campaign.json").write_text(json.dumps({"plan": [["gvd_800K", "wyu_800K"]]}))
    failed = {"gvd_800K": "non-finite forces", "wyu_800K": "non-finite forces"}

    def fake_run_config(config, **kwargs):
        return SimpleNamespace(out_dir=out, run_files=[out / "md.h5"], failed=failed)

    monkeypatch.setattr(ionmd.api, "run_config", fake_run_config)
    cfg = tmp_path / "c.toml"
    cfg.write_text('materials = ["builtin:toy-fast"]\nmodel = "toy"\n')
    assert main(["run", str(cfg)]) == 1
    assert "every system failed" in capsys.readouterr().err
    failed.pop("wyu_800K")  # one of two ran: the campaign is a result, exit 0
    assert main(["run", str(cfg)]) == 0


def test_cli_hides_torchscript_annotation_warnings(capsys):
    import warnings

    from ionmd.cli import _quiet_third_party_warnings

    msg = (
        "The TorchScript type system doesn't support instance-level annotations on "
        "empty non-base types in `__init__`."
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _quiet_third_party_warnings()
        warnings.warn(msg, UserWarning, stacklevel=1)  # e3nn's, on every mace-tiny run
        warnings.warn("an ionmd warning", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["an ionmd warning"]


def test_plan_refuses_an_infinite_cost_per_atom_step(tmp_path, capsys):
    from ionmd.cli import main

    cfg = tmp_path / "c.toml"
    cfg.write_text('materials = ["builtin:toy-fast"]\nmodel = "toy"\n')
    assert main(["plan", str(cfg), "--us-per-atom-step", "inf"]) == 2
    assert "finite" in capsys.readouterr().err  # before: "inf GPU-hours", exit 0


def test_two_structures_whose_names_clash_on_disk_are_refused_naming_both(tmp_path):
    from pymatgen.core import Lattice, Structure

    import ionmd

    def li_kr(a):
        return Structure(Lattice.cubic(a), ["Li", "Kr"], [[0, 0, 0], [0.5, 0.5, 0.5]])

    with pytest.raises(InputError, match="'a b' and 'a_b'"):
        ionmd.run({"a b": li_kr(5.0), "a_b": li_kr(5.2)}, model="toy", out=tmp_path / "o")
    # before: the second overwrote the first's inputs/a_b.vasp, then "named twice: 'a_b'";
    # then the first's file stayed behind: now a refused call writes nothing
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("temps", [800, [True], ["800"], "800", [800, None]])
def test_api_temperatures_are_checked_like_the_toml_key(tmp_path, temps):
    import ionmd

    # before: 800 -> TypeError traceback; [True] ran at 1 K; ["800"] ran at 800 K
    with pytest.raises(InputError, match="temperatures_K must be a list of numbers"):
        ionmd.run(
            "builtin:toy-fast",
            model="toy",
            temperatures_K=temps,
            out=tmp_path / "o",
            duration_ps=0.12,
            equilibration_ps=0.004,
            progress=False,
        )
    assert not (tmp_path / "o").exists()


def test_api_takes_a_numpy_array_of_temperatures(tmp_path):
    import numpy as np

    from ionmd.api import _temperature_list

    assert _temperature_list(np.array([800, 1000])) == [800.0, 1000.0]
    assert _temperature_list((np.float32(900.0),)) == [900.0]


def test_empty_materials_string_says_no_materials(tmp_path):
    """``materials = ""`` said "unknown OBELiX id(s): ''"."""
    import pytest

    from ionmd.campaign.materials import material_sources
    from ionmd.errors import InputError

    with pytest.raises(InputError, match="no materials given"):
        material_sources("  ", obelix_data=None)
