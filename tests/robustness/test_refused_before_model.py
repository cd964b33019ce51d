"""Hostile configs and files through ``ionmd run``: each is refused in one line,
exit 2, **before the model loads** (``load_model`` is replaced by a tripwire) and
with **nothing written** (no ``out/`` either; the directory tree is unchanged).

Shapes a value fuzzer does not produce are here too: depth (TOML nested 1,000
deep), size (a 50,000-site CIF or POSCAR, a CIF whose symmetry expands past the
limit), repetition (40,000 unknown ids, 100,000 copies of one id) and
well-formed but inconsistent content (a POSCAR whose counts disagree with its
positions)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from ionmd.cli import main
from ionmd.structures.builders import alpha_li3n
from tests.robustness.test_cli_hostile import BASE, _cif, _snapshot


@pytest.fixture
def no_model(monkeypatch):
    """A tripwire: any attempt to load a force model fails the test."""
    import ionmd.calculators

    def tripwire(*args, **kwargs):
        raise AssertionError("the model was loaded before the input was refused")

    monkeypatch.setattr(ionmd.calculators, "load_model", tripwire)


def _li3n(tmp_path: Path) -> str:
    return _cif(tmp_path / "li3n.cif", alpha_li3n())


def _big_cif(path: Path, n: int, *, symops: list[str] | None = None) -> str:
    """A P1 (or given-symmetry) CIF of ``n`` atom_site rows, written as text."""
    rng = np.random.default_rng(0)
    xyz = rng.uniform(0, 1, (n, 3))
    ops = symops or ["x, y, z"]
    lines = [
        "data_big",
        "_cell_length_a 100.0",
        "_cell_length_b 100.0",
        "_cell_length_c 100.0",
        "_cell_angle_alpha 90",
        "_cell_angle_beta 90",
        "_cell_angle_gamma 90",
        "loop_",
        " _symmetry_equiv_pos_site_id",
        " _symmetry_equiv_pos_as_xyz",
        *(f"  {i + 1} '{op}'" for i, op in enumerate(ops)),
        "loop_",
        " _atom_site_type_symbol",
        " _atom_site_label",
        " _atom_site_fract_x",
        " _atom_site_fract_y",
        " _atom_site_fract_z",
        " _atom_site_occupancy",
        *(
            f"  Li Li{i} {x:.6f} {y:.6f} {z:.6f} 1.0"
            for i, (x, y, z) in enumerate(xyz.tolist())
        ),
    ]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _big_poscar(path: Path, n: int) -> str:
    rng = np.random.default_rng(0)
    xyz = rng.uniform(0, 1, (n, 3))
    head = f"big\n1.0\n100 0 0\n0 100 0\n0 0 100\nLi\n{n}\nDirect\n"
    path.write_text(head + "\n".join(f"{x:.6f} {y:.6f} {z:.6f}" for x, y, z in xyz) + "\n")
    return str(path)


def _toml_list(items) -> str:
    return "[" + ", ".join(f'"{x}"' for x in items) + "]"


LI3N_POSCAR = """Li3N
1.0
3.65 0 0
-1.825 3.161 0
0 0 3.87
Li N
{counts}
Direct
0 0 0
0.3333 0.6667 0.5
0.6667 0.3333 0.5
0 0 0.5
"""


def _case(tmp_path: Path, name: str, monkeypatch) -> str:
    """The TOML of one case (files it needs are written next to it)."""
    ok = f'materials = ["{_li3n(tmp_path)}"]\n'
    base = BASE
    if name.startswith("out_"):
        base = BASE.replace('out = "out"\n', "")
    if name == "out_root":
        return ok + base + 'out = "/"\n'
    if name == "out_etc":
        return ok + base + 'out = "/etc"\n'
    if name == "out_usr":
        return ok + base + 'out = "/usr"\n'
    if name == "out_home":
        home = tmp_path / "home"
        home.mkdir()
        monkeypatch.setenv("HOME", str(home))
        return ok + base + f'out = "{home}"\n'
    if name == "out_file":
        (tmp_path / "afile").write_text("x")
        return ok + base + 'out = "afile"\n'
    if name == "out_under_file":
        (tmp_path / "afile").write_text("x")
        return ok + base + 'out = "afile/run1"\n'
    if name == "out_symlink_loop":
        os.symlink("loop_b", tmp_path / "loop_a")
        os.symlink("loop_a", tmp_path / "loop_b")
        return ok + base + 'out = "loop_a/run"\n'
    if name == "out_long_name":
        return ok + base + f'out = "{"x" * 300}"\n'
    if name == "out_path_max":
        return ok + base + f'out = "{"/".join(["y" * 200] * 25)}"\n'
    if name == "zero_steps":  # 1 fs of 2 fs steps: round(0.5) = 0 steps
        return ok + BASE.replace("duration_ps = 0.02", "duration_ps = 0.001").replace(
            "equilibration_ps = 0.004", "equilibration_ps = 0.0"
        )
    if name == "zero_production":  # equilibration rounds to all 10 steps
        return ok + BASE.replace("equilibration_ps = 0.004", "equilibration_ps = 0.019")
    if name == "production_under_stride":  # 8 production steps, 50-step frames
        return ok + BASE.replace("sample_every_fs = 4.0", "sample_every_fs = 100.0")
    if name == "min_cell_length_0":  # was accepted, then every material failed
        return ok + BASE + "min_cell_length_A = 0\n"
    if name == "duplicate_T":
        return ok + BASE.replace("[800]", "[800, 900, 800]")
    if name == "toml_deep_array":
        return ok + BASE + "x = " + "[" * 1000 + "]" * 1000 + "\n"
    if name == "toml_deep_table":
        return ok + BASE + "x = " + "{a = " * 1000 + "1" + "}" * 1000 + "\n"
    if name == "same_id_100000":
        return f"materials = {_toml_list(['builtin:alpha-Li3N'] * 100_000)}\n" + BASE
    if name == "cif_50000_sites":
        return f'materials = ["{_big_cif(tmp_path / "big.cif", 50_000)}"]\n' + BASE
    if name == "cif_symmetry_expands":  # 60 rows x 192 operations of Fm-3m
        from pymatgen.symmetry.groups import SpaceGroup

        ops = [op.as_xyz_str() for op in SpaceGroup("Fm-3m").symmetry_ops]
        cif = _big_cif(tmp_path / "sym.cif", 60, symops=ops)
        return f'materials = ["{cif}"]\n' + BASE
    if name == "poscar_50000_sites":
        return f'materials = ["{_big_poscar(tmp_path / "big.vasp", 50_000)}"]\n' + BASE
    if name == "poscar_counts_short":  # 3 atoms declared, 4 positions listed
        (tmp_path / "bad.vasp").write_text(LI3N_POSCAR.format(counts="2 1"))
        return f'materials = ["{tmp_path / "bad.vasp"}"]\n' + BASE
    if name == "poscar_count_1e20":  # the fuzzers' suspected hang
        text = LI3N_POSCAR.format(counts="99999999999999999999 1")
        (tmp_path / "huge.vasp").write_text(text)
        return f'materials = ["{tmp_path / "huge.vasp"}"]\n' + BASE
    if name == "material_path_too_long":  # was an OSError traceback
        return f'materials = ["{tmp_path}/{"a" * 300}.cif"]\n' + BASE
    if name == "cif_two_structures":  # pymatgen silently took the first
        text = Path(_li3n(tmp_path)).read_text()
        (tmp_path / "two.cif").write_text(text + "\n" + text.replace("data_", "data_b"))
        return f'materials = ["{tmp_path / "two.cif"}"]\n' + BASE
    if name == "material_dev_zero":  # reading it would never end
        return 'materials = ["/dev/zero"]\n' + BASE
    if name.startswith("adaptive_"):  # the adaptive protocol's contradictory settings
        extra = {
            "adaptive_negative_target": "target_msd_A2 = -5.0\n",
            "adaptive_max_T_below_lowest": "max_temperature_K = 700.0\n",
            "adaptive_chunk_over_max": "chunk_ps = 50.0\nmax_duration_ps = 20.0\n",
            "adaptive_chunk_off_stride": "chunk_ps = 0.014\nmax_duration_ps = 0.14\n",
            "adaptive_key_without_adaptive": None,
            "adaptive_max_not_whole_chunks": "chunk_ps = 0.03\nmax_duration_ps = 0.1\n",
        }[name]
        if extra is None:
            return ok + BASE + "chunk_ps = 10.0\n"
        return ok + BASE + 'protocol = "adaptive"\n' + extra
    if name == "temperatures_10000":
        temps = ", ".join(str(300 + i * 0.1) for i in range(10_000))
        return ok + BASE.replace("[800]", f"[{temps}]")
    if name == "config_17_MiB":
        return ok + BASE + "# " + "x" * (17 * 2**20) + "\n"
    raise ValueError(name)


CASES = {
    "out_root": "system directory",
    "out_etc": "system directory",
    "out_usr": "system directory",
    "out_home": "home directory",
    "out_file": "existing file",
    "out_under_file": "which is a file",
    "out_symlink_loop": "symlink loop",
    "out_long_name": "300 bytes",
    "out_path_max": "path is",
    "zero_steps": "zero steps",
    "zero_production": "production step",
    "production_under_stride": "production step",
    "min_cell_length_0": "min_cell_length_A must be positive, got 0",
    "duplicate_T": "800 K twice",
    "toml_deep_array": "nested too deeply",
    "toml_deep_table": "nested too deeply",
    "same_id_100000": "named twice",
    "cif_50000_sites": "50,000 sites",
    "cif_symmetry_expands": "11,520 sites",
    "poscar_50000_sites": "50,000 sites",
    "poscar_counts_short": "declares 3 atoms but 4 positions",
    "poscar_count_1e20": "100,000,000,000,000,000,000 sites",
    "material_path_too_long": "file name too long",
    "cif_two_structures": "holds 2 structures",
    "material_dev_zero": "not a regular file",
    "temperatures_10000": "10000 temperatures",
    "config_17_MiB": "is not a run config",
    "adaptive_negative_target": "target_msd_A2 must be > 0, got -5",
    "adaptive_max_T_below_lowest": "max_temperature_K (700) is below the temperature 800 K",
    "adaptive_chunk_over_max": "chunk_ps (50.0) is longer than max_duration_ps (20.0)",
    "adaptive_chunk_off_stride": "must be a multiple of",
    "adaptive_key_without_adaptive": 'add protocol = "adaptive"',
    "adaptive_max_not_whole_chunks": "must be a whole number of chunks",
}


def _refused(rc: int, err: str, match: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert rc == 2, err[-2000:]
    assert "Traceback" not in err, err[-2000:]
    assert len(lines) == 1 and lines[0].startswith("ionmd run: error: "), err[-2000:]
    assert len(lines[0]) < 600, lines[0][:600]
    assert match.lower() in lines[0].lower(), lines[0]


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused_early(tmp_path, monkeypatch, capsys, no_model, name):
    cfg = tmp_path / "run.toml"
    monkeypatch.chdir(tmp_path)
    cfg.write_text(_case(tmp_path, name, monkeypatch))
    before = _snapshot(tmp_path)
    t0 = time.perf_counter()
    rc = main(["run", str(cfg), "--no-progress"])
    elapsed = time.perf_counter() - t0
    _refused(rc, capsys.readouterr().err, CASES[name])
    assert _snapshot(tmp_path) == before, "something was written"
    assert elapsed < 20, f"refusal took {elapsed:.1f} s"


def test_40000_unknown_ids_one_line(tmp_path, monkeypatch, capsys, no_model, obelix_dir):
    """Was: 40,002 lines (one `skipping` line per id, then all reasons joined)."""
    ids = ["jqcc"] + [f"zz{i:05d}" for i in range(39_999)] + ["jqc"]
    cfg = tmp_path / "run.toml"
    cfg.write_text(
        f"materials = {_toml_list(ids)}\nobelix_data = {str(obelix_dir)!r}\n" + BASE
    )
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    rc = main(["run", str(cfg), "--no-progress"])
    err = capsys.readouterr().err
    _refused(rc, err, "40000 unknown OBELiX id(s) of 40001")
    assert "'jqcc'" in err and "and 39995 more" in err and "nearest: 'jqcc': jqc?" in err
    assert _snapshot(tmp_path) == before


def test_materials_fail_before_model(tmp_path, monkeypatch, capsys, no_model):
    """A structure that cannot be used is refused before the model loads (was:
    the model loaded first, ~minutes for a foundation model on a cold node)."""
    from pymatgen.core import Lattice, Structure

    nacl = Structure(Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5] * 3])
    cfg = tmp_path / "run.toml"
    cfg.write_text(f'materials = ["{_cif(tmp_path / "nacl.cif", nacl)}"]\n' + BASE)
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    rc = main(["run", str(cfg), "--no-progress"])
    _refused(rc, capsys.readouterr().err, "contains no Li")
    assert _snapshot(tmp_path) == before


def test_force_removes_nothing_when_refused(tmp_path, monkeypatch, capsys, no_model):
    """``--force`` with a config that is then refused leaves the old run files."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "md.h5").write_bytes(b"old run")
    cfg = tmp_path / "run.toml"
    cfg.write_text(f'materials = ["{tmp_path / "missing.cif"}"]\n' + BASE)
    monkeypatch.chdir(tmp_path)
    rc = main(["run", str(cfg), "--no-progress", "--force"])
    _refused(rc, capsys.readouterr().err, "does not exist")
    assert (out / "md.h5").read_bytes() == b"old run"


@pytest.mark.parametrize(
    "argv",
    [
        ["analyze", "a" * 300, "--out", "res", "--no-compare", "--quiet"],
        ["vasp", "prepare", "--materials", "/" + "a" * 300 + ".cif"]
        + ["--temperatures-K", "800", "--out", "vr"],
    ],
    ids=["analyze", "vasp_prepare"],
)
def test_input_path_the_os_refuses(tmp_path, monkeypatch, capsys, argv):
    """Any command given a path the OS refuses (name > 255 bytes, symlink loop,
    a file used as a directory) says so in one line (was: OSError traceback)."""
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    rc = main(argv)
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert rc == 2 and len(lines) == 1 and "File name too long" in lines[0], err
    assert lines[0].startswith(f"ionmd {argv[0]}: error: ") and len(lines[0]) < 200
    assert _snapshot(tmp_path) == before
