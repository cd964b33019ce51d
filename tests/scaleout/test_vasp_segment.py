"""The VASP segment task kind (no SLURM needed)."""

from __future__ import annotations

import pytest

from ionmd.errors import InputError
from ionmd.scaleout.config import executor_config_from_table
from ionmd.scaleout.parsl_run import run_tasks
from ionmd.scaleout.vasp_segment import nodes_for, vasp_segment_task


@pytest.mark.parametrize(
    ("n_atoms", "nodes"), [(1, 1), (63, 1), (64, 1), (127, 1), (128, 2), (640, 10)]
)
def test_nodes_rule(n_atoms, nodes):
    assert nodes_for(n_atoms) == nodes == max(1, n_atoms // 64)


def test_segment_command_and_chain(tmp_path):
    seg = vasp_segment_task(
        key="vasp-1",
        directory=tmp_path / "s1",
        n_atoms=200,
        ranks_per_node=4,
        after="vasp-0",
    )
    assert seg.command == "srun -N 3 --ntasks-per-node=4 vasp_std"
    assert seg.cwd == tmp_path / "s1"
    assert seg.output == tmp_path / "s1" / "vasprun.xml"
    assert seg.depends_on == ("vasp-0",)


def test_segments_run_in_order_with_a_stand_in_launcher(tmp_path):
    """Two chained segments with a fake ``srun`` that records its node request:
    each runs in its directory, the second after the first (it reads its output)."""
    fake = tmp_path / "fake-srun"
    fake.write_text('#!/bin/sh\necho "$1 $2 $3" > srun-args.txt\nshift 3\nexec "$@"\n')
    fake.chmod(0o755)
    for i in (1, 2):
        (tmp_path / f"s{i}").mkdir()
    first = vasp_segment_task(
        key="seg-1",
        directory=tmp_path / "s1",
        n_atoms=130,
        srun=str(fake),
        program="sh -c 'sleep 0.3; echo one > vasprun.xml'",
    )
    second = vasp_segment_task(
        key="seg-2",
        directory=tmp_path / "s2",
        n_atoms=64,
        after="seg-1",
        srun=str(fake),
        program="sh -c 'cat ../s1/vasprun.xml > vasprun.xml'",
    )
    config = executor_config_from_table({"kind": "threads", "max_workers": 2})
    results = run_tasks([second, first], executor_config=config, out_dir=tmp_path)
    assert all(r.state == "done" for r in results.values()), results
    assert (tmp_path / "s2" / "vasprun.xml").read_text() == "one\n"
    assert (tmp_path / "s1" / "srun-args.txt").read_text() == "-N 2 --ntasks-per-node=1\n"
    assert (tmp_path / "s2" / "srun-args.txt").read_text() == "-N 1 --ntasks-per-node=1\n"


def test_bad_atom_counts_are_refused():
    with pytest.raises(InputError, match="n_atoms and atoms_per_node must be >= 1"):
        nodes_for(0)
