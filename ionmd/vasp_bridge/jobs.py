"""SLURM batch scripts for the segments of a run, and their submission as a chain.

Node rule of the study (Appendix A.4): ``n_nodes = max(1, n_atoms // 64)`` with 64
cores per node; both numbers are settings (``cores_per_node``, and the divisor follows
it). Every job runs ``cores_per_node`` MPI tasks per node.

Clean stop before the walltime: the script starts a background timer that, after
``walltime − stop_margin_s`` seconds, waits until the step VASP is computing is the
last of a frame block (``n + 1`` a multiple of NBLOCK, n = MD lines in OSZICAR) and
then writes ``LSTOP = .TRUE.`` to STOPCAR. VASP finishes that ionic step, writes
CONTCAR (positions and velocities) and the closing OUTCAR block, and exits 0: the
segment is ``partial`` and the next one continues from its CONTCAR. The margin must
cover one frame block of steps plus VASP's shutdown.

Segments are submitted as a chain (``--dependency=afterok:<previous job>``,
``--kill-on-invalid-dep=yes``): a crashed segment cancels the rest, and
``ionmd vasp submit`` resumes from the first unfinished segment.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from ionmd.errors import InputError
from ionmd.vasp_bridge.config import VaspSettings, parse_walltime_s
from ionmd.vasp_bridge.rundir import segment_name

JOB_SCRIPT = "job.sh"
JOBS_LOG = "jobs.json"


def n_nodes(*, n_atoms: int, cores_per_node: int = 64) -> int:
    """The study's node rule: ``max(1, n_atoms // cores_per_node)``."""
    if n_atoms < 1 or cores_per_node < 1:
        raise InputError(
            f"n_atoms and cores_per_node must be >= 1 ({n_atoms}, {cores_per_node})"
        )
    return max(1, n_atoms // cores_per_node)


def render_job_script(
    *,
    settings: VaspSettings,
    job_name: str,
    seg_dir: Path,
    index: int,
    n_atoms: int,
    walltime: str,
    stop_margin_s: float,
    cores_per_node: int,
) -> str:
    """The bash/SLURM script of segment ``index`` (run from ``seg_dir``)."""
    nodes = n_nodes(n_atoms=n_atoms, cores_per_node=cores_per_node)
    wall_s = parse_walltime_s(walltime)
    stop_after = max(0, int(wall_s - stop_margin_s))
    nblock = settings.sample_every_steps
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name={job_name}",
        f"#SBATCH --nodes={nodes}",
        f"#SBATCH --ntasks-per-node={cores_per_node}",
        f"#SBATCH --time={walltime}",
        f"#SBATCH --chdir={seg_dir.resolve()}",
        "#SBATCH --output=slurm-%j.out",
        "#SBATCH --kill-on-invalid-dep=yes",
    ]
    if settings.partition:
        lines.append(f"#SBATCH --partition={settings.partition}")
    if settings.account:
        lines.append(f"#SBATCH --account={settings.account}")
    lines += [f"#SBATCH {extra}" for extra in settings.extra_sbatch]
    start = "../POSCAR" if index == 0 else f"../{segment_name(index - 1)}/CONTCAR"
    lines += [
        "# written by `ionmd vasp prepare/submit`: segment "
        f"{index} ({nodes} node(s) x {cores_per_node} cores)",
        "set -u",
        *settings.modules,
        f'cd "{seg_dir.resolve()}"',
        "if [ -s ../POTCAR ]; then cp ../POTCAR POTCAR; else",
        '  echo "POTCAR missing in $(dirname "$PWD"): configure PMG_VASP_PSP_DIR and run '
        'ionmd vasp prepare --force" >&2; exit 3; fi',
        "cp ../KPOINTS KPOINTS",
        f'if [ ! -s {start} ]; then echo "start structure {start} missing" >&2; exit 3; fi',
        f"cp {start} POSCAR",
        "rm -f STOPCAR",
        f"# clean stop: after {stop_after} s, at the end of a {nblock}-step frame block",
        "(",
        f"  sleep {stop_after}",
        "  while true; do",
        "    n=$(grep -c ' T= ' OSZICAR 2>/dev/null); n=${n:-0}",
        f"    if [ $(( (n + 1) % {nblock} )) -eq 0 ]; then",
        '      echo "LSTOP = .TRUE." > STOPCAR; break; fi',
        "    sleep 1",
        "  done",
        ") &",
        "timer=$!",
        f"{settings.vasp_command} > vasp.out 2>&1",
        "rc=$?",
        "kill $timer 2>/dev/null",
        "exit $rc",
        "",
    ]
    return "\n".join(lines)


def write_job_scripts(
    run_dir: Path, *, record: dict, settings: VaspSettings, first: int = 0
) -> list[Path]:
    """Write ``seg_XXX/job.sh`` for the planned segments from index ``first`` on."""
    over = record.get("overrides", {})
    cores = int(over.get("cores_per_node", settings.cores_per_node))
    walltime = str(over.get("walltime", settings.walltime))
    paths = []
    for i in range(first, len(record["segments"])):
        seg_dir = run_dir / segment_name(i)
        seg_dir.mkdir(parents=True, exist_ok=True)
        script = render_job_script(
            settings=settings,
            job_name=f"{record['key']}-{segment_name(i)}",
            seg_dir=seg_dir,
            index=i,
            n_atoms=int(record["n_atoms"]),
            walltime=walltime,
            stop_margin_s=settings.stop_margin_s,
            cores_per_node=cores,
        )
        path = seg_dir / JOB_SCRIPT
        path.write_text(script)
        path.chmod(0o755)
        paths.append(path)
    return paths


def submit_chain(
    scripts: list[Path], *, sbatch: str = "sbatch", after_job: str | None = None
) -> list[str]:
    """Submit scripts in order, each after the previous succeeds. Returns job ids."""
    if shutil.which(sbatch) is None:
        raise InputError(
            f"{sbatch!r} not found: submit from a SLURM login node "
            "(or use `ionmd vasp submit --dry-run`)"
        )
    ids: list[str] = []
    previous = after_job
    for script in scripts:
        cmd = [sbatch, "--parsable"]
        if previous:
            cmd.append(f"--dependency=afterok:{previous}")
        cmd.append(str(script))
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise InputError(f"sbatch failed for {script}: {proc.stderr.strip()}")
        previous = proc.stdout.strip().split(";")[0]
        ids.append(previous)
    return ids


def log_jobs(run_dir: Path, entries: dict[str, str]) -> None:
    """Append ``segment -> job id`` to the run's ``jobs.json``."""
    path = run_dir / JOBS_LOG
    log = json.loads(path.read_text()) if path.exists() else {}
    log.update(entries)
    path.write_text(json.dumps(log, indent=1, sort_keys=True) + "\n")


def active_jobs(run_dir: Path, *, squeue: str = "squeue") -> list[str]:
    """Job ids of this run still known to SLURM (queued or running); [] without squeue."""
    path = run_dir / JOBS_LOG
    if not path.exists() or shutil.which(squeue) is None:
        return []
    ids = [str(i) for i in json.loads(path.read_text()).values()]
    if not ids:
        return []
    proc = subprocess.run(
        [squeue, "-h", "-o", "%i", "-j", ",".join(ids)],
        capture_output=True,
        text=True,
        check=False,
    )
    alive = set(proc.stdout.split())
    return [i for i in ids if i in alive]


def queued_job_names(*, squeue: str = "squeue") -> set[str]:
    """Names of this user's jobs SLURM still knows (empty without squeue)."""
    import getpass

    if shutil.which(squeue) is None:
        return set()
    proc = subprocess.run(
        [squeue, "-h", "-u", getpass.getuser(), "-o", "%j"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return set(proc.stdout.split())
