"""The VASP-segment task kind: an MPI program started with ``srun`` in a directory.

``n_nodes = max(1, n_atoms // 64)``. The command runs ``srun -N <n_nodes>
--ntasks-per-node=<ranks_per_node> <program>`` in the segment directory, so:

* with the ``local`` or ``threads`` executor (the campaign driver on a login node),
  each ``srun`` asks SLURM for its own allocation of ``n_nodes`` nodes;
* with the ``slurm`` executor, ``srun`` starts a job step inside the worker's
  block, which must then have ``nodes_per_block >= n_nodes``.

A segment depends on the previous one (the next restarts from its CONTCAR); the
VASP bridge prepares the inputs, this module only launches.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from ionmd.errors import InputError
from ionmd.scaleout.task import Task

ATOMS_PER_NODE = 64


def nodes_for(n_atoms: int, *, atoms_per_node: int = ATOMS_PER_NODE) -> int:
    """Nodes for a VASP run of ``n_atoms`` atoms: one per 64 atoms, at least one."""
    if n_atoms < 1 or atoms_per_node < 1:
        raise InputError(
            f"n_atoms and atoms_per_node must be >= 1, got {n_atoms}, {atoms_per_node}"
        )
    return max(1, n_atoms // atoms_per_node)


def srun_command(
    *,
    program: str,
    n_nodes: int,
    ranks_per_node: int,
    srun: str = "srun",
    extra_srun_args: str = "",
) -> str:
    """``srun -N n --ntasks-per-node=r [extra] program`` (program as given)."""
    if n_nodes < 1 or ranks_per_node < 1:
        raise InputError(
            f"n_nodes and ranks_per_node must be >= 1, got {n_nodes}, {ranks_per_node}"
        )
    parts = [srun, f"-N {n_nodes}", f"--ntasks-per-node={ranks_per_node}"]
    if extra_srun_args:
        parts.append(extra_srun_args)
    parts.append(program)
    return " ".join(parts)


def vasp_segment_task(
    *,
    key: str,
    directory: Path,
    n_atoms: int,
    program: str = "vasp_std",
    ranks_per_node: int = 1,
    atoms_per_node: int = ATOMS_PER_NODE,
    output_name: str = "vasprun.xml",
    after: str | None = None,
    srun: str = "srun",
    extra_srun_args: str = "",
) -> Task:
    """A task running ``program`` under srun in ``directory`` (which holds the
    inputs); finished when ``directory/output_name`` exists. ``after``: the key of
    the previous segment. Program stdout/stderr: ``directory/<key>.stdout|.stderr``.
    """
    directory = Path(directory)
    command = srun_command(
        program=program,
        n_nodes=nodes_for(n_atoms, atoms_per_node=atoms_per_node),
        ranks_per_node=ranks_per_node,
        srun=srun,
        extra_srun_args=extra_srun_args,
    )
    return Task(
        key=key,
        output=directory / output_name,
        command=command,
        cwd=directory,
        depends_on=() if after is None else (after,),
    )


def sbatch_segment_task(
    *,
    key: str,
    script: Path,
    output_name: str = "vasprun.xml",
    after: str | None = None,
    sbatch: str = "sbatch",
) -> Task:
    """A task that submits a ready job script (e.g. the VASP bridge's ``job.sh``,
    which holds its own ``#SBATCH`` lines and ``srun``) with ``sbatch --wait`` from
    the script's directory: it ends when the job ends, failing when the job fails.

    Use it with the ``local``/``threads`` executor: the runner then drives the
    chain of segments (each after the previous one), with resume and status,
    while SLURM runs them.
    """
    script = Path(script)
    return Task(
        key=key,
        output=script.parent / output_name,
        command=f"{sbatch} --wait {shlex.quote(script.name)}",
        cwd=script.parent,
        depends_on=() if after is None else (after,),
    )
