"""An :class:`~ionmd.scaleout.config.ExecutorConfig` → a ``parsl.config.Config``.

Parsl is imported here only, so the rest of ionmd imports without it.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ionmd.errors import InputError
from ionmd.scaleout.config import ExecutorConfig

#: the one Parsl executor label every ionmd task is sent to
EXECUTOR_LABEL = "ionmd"
INTERCHANGE_MODULE = "parsl.executors.high_throughput.interchange"


def _import_parsl() -> Any:
    try:
        import parsl
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
        raise InputError(
            "the scale-out layer needs Parsl: pip install 'ionmd[scaleout]'"
        ) from exc
    return parsl


def _initial_blocks(config: ExecutorConfig, n_ready: int | None) -> int:
    """Blocks to queue at start: enough for the tasks ready now, at most max_blocks."""
    if n_ready is None:
        return config.max_blocks
    per_block = config.workers_per_node * config.nodes_per_block
    return max(0, min(config.max_blocks, math.ceil(n_ready / per_block)))


def build_parsl_config(
    config: ExecutorConfig,
    *,
    run_dir: Path,
    retries: int,
    retry_handler: Callable[[BaseException, Any], float] | None = None,
    n_ready: int | None = None,
) -> Any:
    """The ``parsl.config.Config`` for ``config``; Parsl logs under ``run_dir``.

    ``n_ready`` (tasks ready to run at start) sizes the first SLURM request so a
    small campaign does not queue ``max_blocks`` jobs for nothing.
    """
    _import_parsl()
    from parsl.config import Config

    run_dir.mkdir(parents=True, exist_ok=True)
    common: dict[str, Any] = {
        "run_dir": str(run_dir),
        "retries": retries,
        "retry_handler": retry_handler,
        "usage_tracking": 0,
        "strategy_period": 2,
        "max_idletime": 30.0,
    }
    if config.kind == "threads":
        from parsl.executors import ThreadPoolExecutor

        executor = ThreadPoolExecutor(
            label=EXECUTOR_LABEL,
            max_threads=config.workers_per_node,
            working_dir=str(run_dir),
        )
        return Config(executors=[executor], strategy=None, **common)

    from parsl.executors import HighThroughputExecutor

    if config.kind == "local":
        from parsl.providers import LocalProvider

        # the workers must find process_worker_pool.py: this interpreter's bin first
        bin_dir = Path(sys.executable).parent
        provider: Any = LocalProvider(
            init_blocks=1,
            min_blocks=0,
            max_blocks=1,
            worker_init=f'export PATH="{bin_dir}:$PATH"',
        )
        address = "127.0.0.1"
    else:
        provider = _slurm_provider(config, n_ready=n_ready)
        address = config.address
    executor = HighThroughputExecutor(
        label=EXECUTOR_LABEL,
        # the interchange runs here: this interpreter, whatever PATH says
        interchange_launch_cmd=[sys.executable, "-m", INTERCHANGE_MODULE],
        provider=provider,
        address=address,
        max_workers_per_node=config.workers_per_node,
        cores_per_worker=config.cores_per_worker,
        available_accelerators=config.gpus_per_node or (),
        heartbeat_period=config.heartbeat_period_s,
        heartbeat_threshold=config.heartbeat_threshold_s,
        poll_period=100,
        worker_logdir_root=str(run_dir),
        # CurveZMQ between login and compute nodes; loopback only when local
        encrypted=config.kind == "slurm",
    )
    return Config(executors=[executor], strategy="htex_auto_scale", **common)


def _slurm_provider(config: ExecutorConfig, *, n_ready: int | None) -> Any:
    from parsl.launchers import SingleNodeLauncher, SrunLauncher
    from parsl.providers import SlurmProvider

    cores_per_node = math.ceil(config.cores_per_worker * config.workers_per_node)
    init_blocks = _initial_blocks(config, n_ready)
    return SlurmProvider(
        partition=config.partition,
        account=config.account,
        qos=config.qos,
        nodes_per_block=config.nodes_per_block,
        cores_per_node=cores_per_node,
        mem_per_node=config.mem_per_node_gb,
        gpus_per_node=config.gpus_per_node or None,
        init_blocks=init_blocks,
        min_blocks=0,
        max_blocks=config.max_blocks,
        walltime=config.walltime,
        scheduler_options=sbatch_lines(config.scheduler_options),
        worker_init=config.worker_init,
        exclusive=config.exclusive,
        # one worker pool per node: srun across the block's nodes, else run directly
        launcher=SrunLauncher() if config.nodes_per_block > 1 else SingleNodeLauncher(),
    )


def sbatch_lines(options: str) -> str:
    """``scheduler_options`` as ``#SBATCH`` lines: a bare ``--flag`` line gets the
    ``#SBATCH`` prefix, other lines are kept as they are."""
    lines = []
    for line in options.splitlines():
        line = line.strip()
        if line.startswith("-"):
            line = f"#SBATCH {line}"
        if line:
            lines.append(line)
    return "\n".join(lines)
