"""The node rule, the segment split, the SLURM script and its clean stop (STOPCAR)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ionmd.errors import InputError
from ionmd.vasp_bridge.config import VaspSettings, parse_walltime_s
from ionmd.vasp_bridge.jobs import n_nodes, render_job_script
from ionmd.vasp_bridge.segments import max_steps_per_segment, plan_segments


@pytest.mark.parametrize(
    ("n_atoms", "nodes"), [(1, 1), (63, 1), (64, 1), (127, 1), (128, 2), (416, 6)]
)
def test_node_rule_of_the_study(n_atoms, nodes):
    assert n_nodes(n_atoms=n_atoms) == nodes == max(1, n_atoms // 64)


def test_node_rule_follows_cores_per_node():
    assert n_nodes(n_atoms=416, cores_per_node=48) == 8
    with pytest.raises(InputError):
        n_nodes(n_atoms=0)


def test_walltime_formats():
    assert parse_walltime_s("24:00:00") == 86400
    assert parse_walltime_s("1-12:00:00") == 129600
    assert parse_walltime_s("90") == 5400
    assert parse_walltime_s("02:30") == 9000
    with pytest.raises(InputError, match="walltime"):
        parse_walltime_s("one day")


def test_segment_split_covers_the_run_on_the_frame_grid():
    # 24 h, 30 min margin, 30 s/step: 2820 steps per job (a multiple of NBLOCK = 10)
    m = max_steps_per_segment(
        walltime_s=86400, stop_margin_s=1800, seconds_per_step=30, sample_every_steps=10
    )
    assert m == 2820
    plan = plan_segments(total_steps=50_000, max_steps=m)
    assert sum(plan) == 50_000
    assert len(plan) == -(-50_000 // 2820) == 18
    assert all(n % 10 == 0 for n in plan) and max(plan) == m
    # NBLOCK 50: 2850 steps fit, floored to 2800
    assert (
        max_steps_per_segment(
            walltime_s=86400, stop_margin_s=900, seconds_per_step=30, sample_every_steps=50
        )
        == 2850 - 2850 % 50
    )
    with pytest.raises(InputError, match="no room"):
        max_steps_per_segment(
            walltime_s=600, stop_margin_s=600, seconds_per_step=1, sample_every_steps=10
        )


def test_job_script_has_the_configured_resources(tmp_path):
    settings = VaspSettings(
        partition="cpu64",
        account="def-lab",
        modules=("module load vasp",),
        vasp_command="srun vasp_gam",
        extra_sbatch=("--mem=0",),
    )
    text = render_job_script(
        settings=settings,
        job_name="gvd_800K-seg_001",
        seg_dir=tmp_path / "seg_001",
        index=1,
        n_atoms=192,
        walltime="24:00:00",
        stop_margin_s=1800,
        cores_per_node=64,
    )
    for line in (
        "#SBATCH --nodes=3",
        "#SBATCH --ntasks-per-node=64",
        "#SBATCH --time=24:00:00",
        "#SBATCH --partition=cpu64",
        "#SBATCH --account=def-lab",
        "#SBATCH --mem=0",
        "module load vasp",
        "cp ../seg_000/CONTCAR POSCAR",
        "srun vasp_gam > vasp.out 2>&1",
        "sleep 84600",
    ):
        assert line in text.splitlines() or f"  {line}" in text.splitlines(), line
    path = tmp_path / "job.sh"
    path.write_text(text)
    assert subprocess.run(["bash", "-n", str(path)]).returncode == 0


FAKE_VASP = """#!/bin/bash
# A stand-in for VASP's MD loop: one ionic step per 0.4 s; LSTOP in STOPCAR is read
# during a step, which is finished, then the run ends cleanly (CONTCAR, OUTCAR).
n=0
while true; do
  n=$((n + 1))
  sleep 0.4
  echo "$n T=   800. E= -.10E+03 F= -.11E+03 E0= -.11E+03  EK= 0.1E+01" >> OSZICAR
  if grep -q "LSTOP *= *.TRUE." STOPCAR 2>/dev/null; then break; fi
  if [ $n -ge 60 ]; then break; fi
done
cp POSCAR CONTCAR
printf " General timing and accounting informations for this job:\\n" > OUTCAR
printf "  Elapsed time (sec):  1.0\\n" >> OUTCAR
"""


def test_clean_stop_ends_on_a_frame_block(tmp_path):
    """Run the real job script with a fake VASP: the timer's STOPCAR stops it after a
    whole number of NBLOCK steps, long before the fake's own 60-step end."""
    fake = tmp_path / "fake_vasp"
    fake.write_text(FAKE_VASP)
    fake.chmod(0o755)
    run = tmp_path / "run"
    seg = run / "seg_000"
    seg.mkdir(parents=True)
    for name in ("POSCAR", "KPOINTS", "POTCAR"):
        (run / name).write_text(f"{name}\n")
    settings = VaspSettings(vasp_command=str(fake), sample_every_steps=3)
    text = render_job_script(
        settings=settings,
        job_name="t",
        seg_dir=seg,
        index=0,
        n_atoms=8,
        walltime="00:01:00",
        stop_margin_s=59,
        cores_per_node=64,
    )
    (seg / "job.sh").write_text(text)
    proc = subprocess.run(
        ["bash", str(seg / "job.sh")], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "LSTOP = .TRUE." in (seg / "STOPCAR").read_text()
    n_steps = (seg / "OSZICAR").read_text().count(" T= ")
    assert 0 < n_steps < 60
    assert n_steps % 3 == 0


def test_job_script_refuses_to_run_without_potcar(tmp_path):
    run = tmp_path / "run"
    seg = run / "seg_000"
    seg.mkdir(parents=True)
    (run / "POSCAR").write_text("x\n")
    text = render_job_script(
        settings=VaspSettings(vasp_command="true"),
        job_name="t",
        seg_dir=seg,
        index=0,
        n_atoms=8,
        walltime="00:10:00",
        stop_margin_s=60,
        cores_per_node=64,
    )
    (seg / "job.sh").write_text(text)
    proc = subprocess.run(["bash", str(seg / "job.sh")], capture_output=True, text=True)
    assert proc.returncode == 3
    assert "POTCAR missing" in proc.stderr
    assert not Path(seg / "OSZICAR").exists()
