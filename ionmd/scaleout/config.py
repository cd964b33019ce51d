"""Executor settings from the ``[executor]`` table of a campaign TOML.

Three kinds:

* ``local`` (default): a Parsl pool of worker processes on this machine;
* ``threads``: threads inside this process (debugging, or work that only waits on
  ``srun``);
* ``slurm``: Parsl blocks submitted as SLURM jobs (``sbatch``), workers inside them.

Only parsing and validation live here (unknown keys are refused by the one
checker of :mod:`ionmd.settings_file`, as for the campaign keys and ``[vasp]``);
:mod:`ionmd.scaleout.parsl_config` turns an :class:`ExecutorConfig` into a
``parsl.config.Config``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from ionmd.errors import InputError
from ionmd.settings_file import check_keys, nearest

KINDS = ("local", "threads", "slurm")

#: keys that only make sense for ``kind = "slurm"``
SLURM_ONLY = frozenset(
    {
        "partition",
        "account",
        "qos",
        "walltime",
        "nodes_per_block",
        "max_blocks",
        "worker_init",
        "scheduler_options",
        "mem_per_node_gb",
        "exclusive",
        "address",
    }
)

_WALLTIME = re.compile(r"^(\d+-)?\d{1,3}:\d{2}:\d{2}$")


@dataclass(frozen=True, kw_only=True)
class ExecutorConfig:
    """Where and how many tasks run at once. Field names are the TOML keys.

    ``max_workers``: workers per node (``local``/``slurm``) or threads (``threads``);
    default: ``gpus_per_node`` when set, else 1 for ``slurm`` and 2 for ``local``.
    ``gpus_per_node``: GPUs per node; each worker is pinned to one of them
    (``CUDA_VISIBLE_DEVICES``). ``cores_per_worker``: CPU cores a worker needs.
    ``heartbeat_period_s``/``heartbeat_threshold_s``: how fast a lost worker (a
    killed job, a dead node) is noticed and its task retried elsewhere.
    """

    kind: str = "local"
    max_workers: int | None = None
    gpus_per_node: int = 0
    cores_per_worker: float = 1.0
    # slurm only
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    walltime: str = "01:00:00"
    nodes_per_block: int = 1
    max_blocks: int = 1
    worker_init: str = ""
    scheduler_options: str = ""
    mem_per_node_gb: int | None = None
    exclusive: bool = False
    address: str | None = None
    # worker-loss detection (local and slurm)
    heartbeat_period_s: int = 30
    heartbeat_threshold_s: int = 120

    @property
    def workers_per_node(self) -> int:
        """Workers each node (or the local pool) runs at once."""
        if self.max_workers is not None:
            return self.max_workers
        if self.gpus_per_node:
            return self.gpus_per_node
        return 2 if self.kind == "local" else 1

    @property
    def total_workers(self) -> int:
        """Workers across all blocks: how many tasks run at once at most."""
        if self.kind == "slurm":
            return self.workers_per_node * self.nodes_per_block * self.max_blocks
        return self.workers_per_node


def _check_type(key: str, value: Any, expected: type | tuple[type, ...]) -> None:
    ok = isinstance(value, expected) and not (
        isinstance(value, bool) and expected in (int, (int, float))
    )
    if not ok:
        names = (
            " or ".join(t.__name__ for t in expected)
            if isinstance(expected, tuple)
            else expected.__name__
        )
        raise InputError(f"[executor] {key} must be {names}, got {value!r}")


_TYPES: dict[str, type | tuple[type, ...]] = {
    "kind": str,
    "max_workers": int,
    "gpus_per_node": int,
    "cores_per_worker": (int, float),
    "partition": str,
    "account": str,
    "qos": str,
    "walltime": str,
    "nodes_per_block": int,
    "max_blocks": int,
    "worker_init": str,
    "scheduler_options": str,
    "mem_per_node_gb": int,
    "exclusive": bool,
    "address": str,
    "heartbeat_period_s": int,
    "heartbeat_threshold_s": int,
}


def executor_config_from_table(
    table: Mapping[str, Any] | None = None, *, kind: str | None = None
) -> ExecutorConfig:
    """Parse the ``[executor]`` table (``None``: the defaults, ``kind = "local"``).

    ``kind`` overrides the table's kind (the CLI's ``--executor``; the table's
    slurm-only keys are then ignored when it is not ``slurm``). Unknown keys, wrong
    types and slurm-only keys under another kind raise :class:`InputError`.
    """
    table = dict(table or {})
    check_keys(
        table,
        [f.name for f in fields(ExecutorConfig)],
        where="[executor]",
        message="{where} unknown key '{key}'{hint}",
        hint="; did you mean '{match}'?",
        no_match="; valid keys: {valid}",
        cutoff=0.5,
    )
    for key, value in table.items():
        _check_type(key, value, _TYPES[key])
    if kind is not None and kind != table.get("kind", "local"):
        # --executor local on a cluster config: its slurm settings just do not apply
        if kind != "slurm":
            table = {k: v for k, v in table.items() if k not in SLURM_ONLY}
        table["kind"] = kind
    chosen = table.get("kind", "local")
    if chosen not in KINDS:
        match = nearest(str(chosen), KINDS, cutoff=0.5)
        hint = f"; did you mean '{match}'?" if match else ""
        raise InputError(
            f"[executor] kind must be one of {', '.join(KINDS)}, got '{chosen}'{hint}"
        )
    if chosen != "slurm":
        extra = sorted(k for k in table if k in SLURM_ONLY)
        if extra:
            raise InputError(
                f'[executor] {", ".join(extra)} only apply to kind = "slurm" '
                f'(kind is "{chosen}")'
            )
    config = ExecutorConfig(**table)
    _validate(config)
    return config


def _validate(c: ExecutorConfig) -> None:
    for key in ("max_workers", "nodes_per_block", "max_blocks", "heartbeat_period_s"):
        value = getattr(c, key)
        if value is not None and value < 1:
            raise InputError(f"[executor] {key} must be >= 1, got {value}")
    if c.gpus_per_node < 0:
        raise InputError(f"[executor] gpus_per_node must be >= 0, got {c.gpus_per_node}")
    if c.cores_per_worker <= 0:
        raise InputError(
            f"[executor] cores_per_worker must be > 0, got {c.cores_per_worker}"
        )
    if c.heartbeat_threshold_s <= c.heartbeat_period_s:
        raise InputError(
            "[executor] heartbeat_threshold_s must exceed heartbeat_period_s "
            f"({c.heartbeat_threshold_s} <= {c.heartbeat_period_s})"
        )
    if not _WALLTIME.match(c.walltime):
        raise InputError(
            f"[executor] walltime must look like HH:MM:SS or D-HH:MM:SS, got '{c.walltime}'"
        )
    if c.gpus_per_node and c.max_workers and c.max_workers > c.gpus_per_node:
        raise InputError(
            f"[executor] max_workers ({c.max_workers}) > gpus_per_node "
            f"({c.gpus_per_node}): one GPU task per GPU"
        )


def with_overrides(config: ExecutorConfig, **changes: Any) -> ExecutorConfig:
    """A copy with some fields changed, validated again."""
    new = replace(config, **changes)
    _validate(new)
    return new
