"""A real SLURM chain (marker ``slurm``, off by default): prepare → submit → two
segments run one after the other with a stand-in for VASP → status ``done``.

Needs a running SLURM cluster (``sinfo``) with a node of at least 2 CPUs.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from ionmd.vasp_bridge.config import campaign_from_dict
from ionmd.vasp_bridge.prepare import prepare_run
from ionmd.vasp_bridge.submit import progress_of, submit_run

pytestmark = pytest.mark.slurm

FAKE_VASP = """#!/bin/bash
# stand-in for VASP: NSW MD steps from INCAR, then CONTCAR and the closing OUTCAR block
nsw=$(grep -i '^ *NSW' INCAR | sed 's/.*= *//')
for k in $(seq 1 "$nsw"); do
  echo "$k T=   800. E= -.10E+03 F= -.11E+03 E0= -.11E+03  EK= 0.1E+01" >> OSZICAR
done
cp POSCAR CONTCAR
echo " running on    2 total cores" > OUTCAR
echo " General timing and accounting informations for this job:" >> OUTCAR
echo "                          Elapsed time (sec):        1.000" >> OUTCAR
"""

POSCAR = """Li2
1.0
3.5 0.0 0.0
0.0 3.5 0.0
0.0 0.0 3.5
Li
2
Direct
0.0 0.0 0.0
0.5 0.5 0.5
"""


def test_chain_runs_in_order_under_slurm(tmp_path):
    if (
        shutil.which("sbatch") is None
        or subprocess.run(["sinfo"], capture_output=True).returncode != 0
    ):
        pytest.skip("no running SLURM cluster")
    fake = tmp_path / "fake_vasp"
    fake.write_text(FAKE_VASP)
    fake.chmod(0o755)
    structure = tmp_path / "li2.vasp"
    structure.write_text(POSCAR)
    # 5 steps; (60 s - 30 s) / 10 s per step = 3 steps per segment: plan [3, 2]
    campaign = campaign_from_dict(
        {
            "materials": [str(structure)],
            "temperatures_K": [800],
            "duration_ps": 0.01,
            "vasp": {
                "cores_per_node": 2,
                "walltime": "00:01:00",
                "stop_margin_s": 30,
                "seconds_per_step": 10.0,
                "sample_every_steps": 1,
                "vasp_command": str(fake),
                "overrides": {"li2": {"supercell": "as_is"}},
            },
        }
    )
    run = prepare_run(
        campaign, material_id=str(structure), temperature_K=800, out_dir=tmp_path / "runs"
    )
    assert run.name == "li2_800K"
    (run / "POTCAR").write_text("fake\n")
    result = submit_run(run)
    assert len(result.job_ids) == 2
    deadline = time.time() + 120
    while time.time() < deadline:
        q = subprocess.run(
            ["squeue", "-h", "-j", ",".join(result.job_ids)], capture_output=True, text=True
        ).stdout.strip()
        if not q:
            break
        time.sleep(1)
    p = progress_of(run)
    assert [s.state for s in p.segments] == ["done", "done"], [
        (s.path / f).read_text() for s in p.segments for f in ("job.sh",)
    ]
    assert p.steps_done == 5 and p.state == "done"
    # segment 1 started from segment 0's CONTCAR
    assert (run / "seg_001" / "POSCAR").read_text() == (
        run / "seg_000" / "CONTCAR"
    ).read_text()
