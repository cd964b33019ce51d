"""[executor] parsing, and what Parsl gets from it."""

from __future__ import annotations

import tomllib

import pytest

from ionmd.errors import InputError
from ionmd.scaleout.config import executor_config_from_table
from ionmd.scaleout.parsl_config import build_parsl_config

CLUSTER_TOML = """
[executor]
kind = "slurm"
partition = "gpu"
account = "proj123"
walltime = "12:00:00"
nodes_per_block = 1
max_blocks = 8
gpus_per_node = 4
cores_per_worker = 8
worker_init = "module load cuda/12.4; source ~/ionmd/.venv/bin/activate"
scheduler_options = "#SBATCH --constraint=a100"
"""


def test_default_is_local():
    config = executor_config_from_table(None)
    assert config.kind == "local"
    assert config.workers_per_node == 2


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"partiton": "gpu", "kind": "slurm"},
            "unknown key 'partiton'; did you mean 'partition'?",
        ),
        ({"max_worker": 2}, "did you mean 'max_workers'?"),
        ({"kind": "slrum"}, "did you mean 'slurm'?"),
        ({"partition": "gpu"}, 'partition only apply to kind = "slurm"'),
        ({"max_workers": "2"}, "max_workers must be int"),
        ({"max_workers": True}, "max_workers must be int"),
        ({"max_workers": 0}, "max_workers must be >= 1"),
        ({"kind": "slurm", "walltime": "2h"}, "walltime must look like HH:MM:SS"),
        ({"gpus_per_node": 2, "max_workers": 4}, "one GPU task per GPU"),
        ({"heartbeat_period_s": 10, "heartbeat_threshold_s": 5}, "must exceed"),
    ],
)
def test_bad_tables_are_refused_in_one_line(table, message):
    with pytest.raises(InputError, match=None) as err:
        executor_config_from_table(table)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_cli_kind_overrides_table():
    config = executor_config_from_table({"max_workers": 3}, kind="threads")
    assert config.kind == "threads" and config.workers_per_node == 3
    cluster = tomllib.loads(CLUSTER_TOML)["executor"]
    local = executor_config_from_table(cluster, kind="local")  # try a cluster config here
    assert local.kind == "local" and local.partition is None
    assert local.gpus_per_node == 4  # kept: it applies to local too


def test_slurm_table_becomes_slurm_provider(tmp_path):
    config = executor_config_from_table(tomllib.loads(CLUSTER_TOML)["executor"])
    assert config.workers_per_node == 4  # one worker per GPU
    assert config.total_workers == 32
    parsl_config = build_parsl_config(
        config, run_dir=tmp_path / "runinfo", retries=2, n_ready=6
    )
    (executor,) = parsl_config.executors
    provider = executor.provider
    assert type(provider).__name__ == "SlurmProvider"
    assert provider.partition == "gpu"
    assert provider.account == "proj123"
    assert provider.walltime == "12:00:00"
    assert provider.max_blocks == 8
    assert provider.init_blocks == 2  # 6 ready tasks / 4 workers per block
    assert provider.gpus_per_node == 4
    assert provider.cores_per_node == 32
    assert provider.exclusive is False
    assert "module load cuda/12.4" in provider.worker_init
    assert "--constraint=a100" in provider.scheduler_options
    assert executor.max_workers_per_node == 4
    assert executor.available_accelerators == ["0", "1", "2", "3"]
    assert executor.encrypted  # the login node talks to compute nodes over the network
    assert parsl_config.retries == 2
    assert parsl_config.run_dir == str(tmp_path / "runinfo")


def test_local_table_becomes_local_provider(tmp_path):
    config = executor_config_from_table({"max_workers": 2})
    parsl_config = build_parsl_config(config, run_dir=tmp_path, retries=0)
    (executor,) = parsl_config.executors
    assert type(executor.provider).__name__ == "LocalProvider"
    assert executor.max_workers_per_node == 2


def test_bare_sbatch_flags_get_their_prefix():
    from ionmd.scaleout.parsl_config import sbatch_lines

    text = "--constraint=a100\n  #SBATCH --exclude=node7\n\n--reservation=r1"
    assert sbatch_lines(text).splitlines() == [
        "#SBATCH --constraint=a100",
        "#SBATCH --exclude=node7",
        "#SBATCH --reservation=r1",
    ]
