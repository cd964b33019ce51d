"""GPU batch packing and the VASP segment task kind (no SLURM needed)."""

from __future__ import annotations

import itertools

import pytest

from ionmd.errors import InputError
from ionmd.scaleout.config import executor_config_from_table
from ionmd.scaleout.packing import pack_batches
from ionmd.scaleout.runner import run_tasks
from ionmd.scaleout.vasp_segment import nodes_for, vasp_segment_task


def test_packing_respects_budget_and_keeps_every_system():
    atoms = {"Li3N": 192, "LGPS": 400, "LLZO": 960, "Li3PS4": 256, "LiBH4": 324}
    systems = [(m, t) for m in atoms for t in (500, 600, 700, 800, 900)]
    budget = 4000.0
    batches = pack_batches(systems, cost=lambda s: atoms[s[0]], budget=budget)
    assert sorted(itertools.chain(*batches)) == sorted(systems)
    assert all(sum(atoms[m] for m, _ in b) <= budget for b in batches)
    lower_bound = -(-sum(atoms[m] for m, _ in systems) // budget)
    assert lower_bound <= len(batches) <= lower_bound + 1
    again = pack_batches(list(reversed(systems)), cost=lambda s: atoms[s[0]], budget=budget)
    assert again == batches  # independent of input order: resumable batch keys


def test_packing_refuses_a_system_larger_than_a_batch():
    with pytest.raises(InputError, match="more than one batch holds"):
        pack_batches(["big"], cost=lambda s: 10.0, budget=5.0)


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
