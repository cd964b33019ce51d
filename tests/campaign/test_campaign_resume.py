"""``ionmd run`` killed (SIGKILL) mid-run and re-run gives the same results.json
as an uninterrupted run with the same seed; a finished campaign is never
overwritten silently."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ase.build import bulk

from .test_executor import strip as _strip

CONFIG = """
materials = ["{cif}"]
model = "lj"
temperatures_K = [30, 60]
min_cell_length_A = 10
timestep_fs = 5
duration_ps = {duration_ps}
equilibration_ps = 0.5
sample_every_fs = 50
msd_every_fs = 10
thermo_every_fs = 50
flush_every_ps = 0.25
progress = false
seed = 7
out = "{out}"
"""


def _write_config(tmp_path: Path, name: str, duration_ps: float = 3.0) -> Path:
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True)  # 4 atoms, LJ argon
    atoms.set_chemical_symbols(["Li", "Ar", "Ar", "Ar"])
    cif = tmp_path / "lj_li.cif"
    atoms.write(cif)
    cfg = tmp_path / f"{name}.toml"
    cfg.write_text(CONFIG.format(cif=cif, out=tmp_path / name, duration_ps=duration_ps))
    return cfg


def _ionmd(*args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "ionmd", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def _results(out: Path) -> dict:
    doc = _strip(json.loads((out / "results.json").read_text()))
    assert doc["materials"]["lj_li"]["temperatures"][0]["D_cm2_s"] > 0
    return doc


@pytest.mark.timeout(600)
def test_kill_and_resume_gives_same_results(tmp_path):
    ref_cfg = _write_config(tmp_path, "ref")
    p = _ionmd("run", str(ref_cfg))
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-2000:]

    # the report: self-contained HTML with the campaign tables
    page = (tmp_path / "ref" / "report.html").read_text()
    assert "Supercells" in page and "the study" in page
    assert "data:image/png;base64" in page and "src='msd_" not in page
    assert "| lj_li | 2×2×2 | 32 |" in (tmp_path / "ref" / "report.md").read_text()

    cfg = _write_config(tmp_path, "run")
    ckpt = tmp_path / "run" / "md.ckpt.pt"
    p = _ionmd("run", str(cfg))
    deadline = time.time() + 200
    while not ckpt.exists() and time.time() < deadline and p.poll() is None:
        time.sleep(0.2)
    time.sleep(1.0)
    assert p.poll() is None, "the run finished before it could be killed"
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert not (tmp_path / "run" / "results.json").exists()

    p = _ionmd("run", str(cfg))
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-2000:]
    assert "resuming" in err
    assert _results(tmp_path / "run") == _results(tmp_path / "ref")

    # a finished campaign is not overwritten without --force: its results again
    before = (tmp_path / "run" / "results.json").read_bytes()
    p = _ionmd("run", str(cfg))
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0 and "already complete" in err and "--force" in err
    assert (tmp_path / "run" / "results.json").read_bytes() == before
